from __future__ import annotations

from enum import StrEnum


class WebErrorCode(StrEnum):
    MALFORMED_JSON = "request.malformed_json"
    INVALID_REQUEST = "request.invalid"
    NOT_FOUND = "request.not_found"
    METHOD_NOT_ALLOWED = "request.method_not_allowed"
    TOO_LARGE = "request.too_large"
    UNSUPPORTED_MEDIA = "request.unsupported_media_type"
    FORM_TOKEN_INVALID = "request.form_token_invalid"
    NUL_CHARACTER = "request.nul_character"
    INVALID_UNICODE = "request.invalid_unicode"
    OUT_OF_RANGE = "request.out_of_range"
    INVALID_CURSOR = "request.invalid_cursor"
