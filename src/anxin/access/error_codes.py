"""Stable error codes of the access context; the web layer maps them to HTTP statuses."""

from __future__ import annotations

from enum import StrEnum


class AccessErrorCode(StrEnum):
    UNAUTHENTICATED = "access.unauthenticated"
    INVALID_ROLE = "access.invalid_role"
    INVALID_SUBJECT = "access.invalid_subject"
    FORBIDDEN_ROLE = "access.forbidden_role"
    KEY_NOT_FOUND = "access.key_not_found"
    TOO_MANY_ATTEMPTS = "access.too_many_attempts"
    LOGIN_LINK_INVALID = "access.login_link_invalid"
