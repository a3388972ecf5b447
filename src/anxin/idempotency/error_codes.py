"""Stable error codes of the idempotency context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class IdempotencyErrorCode(ErrorCode):
    KEY_REUSED = "idempotency.key_reused", 409  # the same key with another request
    IN_PROGRESS = "idempotency.in_progress", 409  # the first request with this key has not finished yet
    INVALID_KEY = "idempotency.invalid_key", 422
