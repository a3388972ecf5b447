"""Outbox messages, webhook signatures and the retry schedule. Pure: no database, no clock, no I/O."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any, Final, Literal

# Message kinds: the platform routes on these, so the strings are part of the public contract.
REFUND: Final = "refund.issue"
COMPENSATION: Final = "compensation.issue"
FREIGHT: Final = "freight.compensate"
PICKUP: Final = "pickup.request"
COUPON: Final = "coupon.issue"
RESHIP: Final = "exchange.reship"
NOTICE: Final = "consumer.notice"  # a proactive fulfilment notice (late, stalled, exception) for the consumer
# Actions to the platform (anxin.actions.model; docs/actions.md): they move no money, the platform acks each.
ACTION_KINDS: Final = frozenset({"listing.takedown", "listing.restore", "shop.restrict", "shop.lift", "shop.close",
                                 "funds.hold", "funds.release", "creator.restrict", "live_room.penalise"})
KINDS: Final = frozenset({REFUND, COMPENSATION, FREIGHT, PICKUP, COUPON, RESHIP, NOTICE}) | ACTION_KINDS

Status = Literal["pending", "delivered", "dead"]
PENDING: Final = "pending"
DELIVERED: Final = "delivered"
DEAD: Final = "dead"
STATUSES: Final = (PENDING, DELIVERED, DEAD)

SIGNATURE_HEADER: Final = "X-Anxin-Signature"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
MESSAGE_ID_HEADER: Final = "X-Anxin-Message-Id"


@dataclass(frozen=True)
class OutboxMessage:
    message_id: str
    idempotency_key: str
    kind: str
    payload: dict[str, Any]
    created_at: dt.datetime
    attempts: int
    next_attempt_at: dt.datetime
    status: Status
    delivered_at: dt.datetime | None
    last_error: str | None
    amount_fen: int | None = None
    subject_ref: str = ""


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, no NaN: the same message always yields the same bytes (and signature)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def message_body(message: OutboxMessage) -> bytes:
    return canonical_json({
        "message_id": message.message_id,
        "idempotency_key": message.idempotency_key,
        "kind": message.kind,
        "created_at": message.created_at.isoformat(),
        "payload": message.payload,
    })


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Stripe-style ``t=<ts>,v1=<hex>``; the timestamp is signed too, so old requests cannot be replayed."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(secret: str, header: str | None, body: bytes, *, now_ts: int, tolerance_s: int = 300) -> bool:
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(now_ts - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, timestamp, body)
    # Check every candidate (no early exit) so timing reveals nothing; several v1 allow secret rotation.
    matched = False
    for candidate in candidates:
        matched |= hmac.compare_digest(expected.encode("ascii"), candidate.encode("ascii", "replace"))
    return matched


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: delay after the (attempts+1)-th failure is base × factor^attempts, capped."""

    base_seconds: int = 10
    factor: int = 2
    max_delay_seconds: int = 3600
    max_attempts: int = 12

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.factor < 1 or self.max_attempts < 1:
            raise ValueError("retry policy needs base_seconds > 0, factor >= 1, max_attempts >= 1")
        if self.max_delay_seconds < self.base_seconds:
            raise ValueError("max_delay_seconds must be at least base_seconds")

    def next_delay(self, attempts: int) -> dt.timedelta:
        """``attempts`` counts failures before this one: 0 -> base, 1 -> base×factor, ..."""
        if attempts < 0:
            raise ValueError("attempts must be non-negative")
        delay = self.base_seconds
        # Multiply step by step so a huge attempt count cannot build a huge integer.
        for _ in range(attempts if self.factor > 1 else 0):
            delay *= self.factor
            if delay >= self.max_delay_seconds:
                break
        return dt.timedelta(seconds=min(delay, self.max_delay_seconds))

    def is_exhausted(self, attempts: int) -> bool:
        """True once ``attempts`` sends have failed and no more are allowed."""
        return attempts >= self.max_attempts
