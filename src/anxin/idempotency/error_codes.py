from __future__ import annotations

from enum import StrEnum


class IdempotencyErrorCode(StrEnum):
    KEY_REUSED = "idempotency.key_reused"  # the same key with another request
    IN_PROGRESS = "idempotency.in_progress"  # the first request with this key has not finished yet
    INVALID_KEY = "idempotency.invalid_key"
