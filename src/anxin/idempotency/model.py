"""Idempotency keys, the payment-API way (Stripe, Adyen): a client names each money-moving request with a key;
repeating the request with the same key and the same body returns the first response without acting again, and
the same key with another body is refused. Pure: no database, no clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Final

from anxin.core.errors import AnxinError
from anxin.idempotency.error_codes import IdempotencyErrorCode as E

HEADER: Final = "Idempotency-Key"
MAX_KEY_CHARS: Final = 255
# Kept at least this long; payment APIs promise 24 h. Purged after, by the tick.
RETENTION: Final = dt.timedelta(hours=48)


@dataclass(frozen=True)
class IdempotentRequest:
    """Who asked (a key is private to its caller), the key, and the fingerprint of what was asked."""

    scope: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Replay:
    """The first response to a key, answered again."""

    status: int
    body: dict[str, Any]


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_CHARS or not key.isprintable() or not key.isascii():
        raise AnxinError(E.INVALID_KEY, f"{HEADER} must be 1 to {MAX_KEY_CHARS} printable ASCII characters")
    return key


def fingerprint(method: str, path: str, body: Any) -> str:
    """The request as the key remembers it: method, path and the body's canonical JSON (key order and spacing
    do not matter; values do)."""
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{method.upper()} {path}\n{canonical}".encode()).hexdigest()


def request_for(scope: str, key: str | None, method: str, path: str, body: Any) -> IdempotentRequest | None:
    if key is None:
        return None
    return IdempotentRequest(scope=scope, key=check_key(key), fingerprint=fingerprint(method, path, body))


def answer(stored_fingerprint: str, stored_status: int | None, stored_body: dict[str, Any] | None,
           request: IdempotentRequest) -> Replay:
    """What a key already on record answers to ``request``: its first response, or why not."""
    if stored_fingerprint != request.fingerprint:
        raise AnxinError(E.KEY_REUSED, "this Idempotency-Key was used for a different request",
                         idempotency_key=request.key)
    if stored_status is None or stored_body is None:
        raise AnxinError(E.IN_PROGRESS, "a request with this Idempotency-Key is still being processed; retry",
                         idempotency_key=request.key)
    return Replay(stored_status, stored_body)
