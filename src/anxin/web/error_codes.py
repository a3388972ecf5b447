"""Stable error codes of the web shell (the request itself), each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class WebErrorCode(ErrorCode):
    MALFORMED_JSON = "request.malformed_json", 400
    INVALID_REQUEST = "request.invalid", 422
    NOT_FOUND = "request.not_found", 404
    METHOD_NOT_ALLOWED = "request.method_not_allowed", 405
    TOO_LARGE = "request.too_large", 413
    UNSUPPORTED_MEDIA = "request.unsupported_media_type", 415
    FORM_TOKEN_INVALID = "request.form_token_invalid", 403
    NUL_CHARACTER = "request.nul_character", 422
    INVALID_UNICODE = "request.invalid_unicode", 422
    OUT_OF_RANGE = "request.out_of_range", 422
    INVALID_CURSOR = "request.invalid_cursor", 400
