"""Stable error codes of the access context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class AccessErrorCode(ErrorCode):
    UNAUTHENTICATED = "access.unauthenticated", 401
    INVALID_ROLE = "access.invalid_role", 422
    INVALID_SUBJECT = "access.invalid_subject", 422
    FORBIDDEN_ROLE = "access.forbidden_role", 403
    KEY_NOT_FOUND = "access.key_not_found", 404
    TOO_MANY_ATTEMPTS = "access.too_many_attempts", 429
    LOGIN_LINK_INVALID = "access.login_link_invalid", 401
