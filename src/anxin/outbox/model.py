"""Outbox messages, webhook endpoints and deliveries, the retry schedule. Pure: no database, no clock, no I/O.

Signatures are in ``signing``."""

from __future__ import annotations

import datetime as dt
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
PRIZE_SHIP: Final = "prize.ship"  # 无忧福袋: ship a lucky-bag prize order (zero price) from the platform warehouse
# Actions to the platform (anxin.actions.model; docs/actions.md): they move no money, the platform acks each.
ACTION_KINDS: Final = frozenset({"listing.takedown", "listing.restore", "shop.restrict", "shop.lift", "shop.close",
                                 "shop.reopen", "funds.hold", "funds.release", "creator.restrict", "creator.lift",
                                 "live_room.penalise", "live_room.lift"})
KINDS: Final = frozenset({REFUND, COMPENSATION, FREIGHT, PICKUP, COUPON, RESHIP, NOTICE, PRIZE_SHIP}) | ACTION_KINDS

Status = Literal["pending", "delivered", "dead"]
PENDING: Final = "pending"
DELIVERED: Final = "delivered"
DEAD: Final = "dead"
STATUSES: Final = (PENDING, DELIVERED, DEAD)

IDEMPOTENCY_HEADER: Final = "Idempotency-Key"  # the money contract: receivers apply each key once


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


# --- endpoints, deliveries and their attempts ----------------------------------------------------------

ALL_KINDS: Final = "*"
DEFAULT_ENDPOINT_ID: Final = "ep_default"  # the endpoint ANXIN_WEBHOOK_URL and ANXIN_WEBHOOK_SECRET configure
ATTEMPT_LOG_SIZE: Final = 20  # attempts kept per delivery, the newest
ROTATION_GRACE: Final = dt.timedelta(hours=24)  # the old secret still signs this long after a rotation
MAX_URL: Final = 2000
MAX_DESCRIPTION: Final = 500


@dataclass(frozen=True)
class Endpoint:
    """A receiver. The secret never leaves the service except once, when created or rotated."""

    endpoint_id: str
    url: str
    description: str
    event_types: tuple[str, ...]
    enabled: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    previous_secret_until: dt.datetime | None = None  # while set and ahead, requests carry two signatures

    def subscribes(self, kind: str) -> bool:
        return self.enabled and (ALL_KINDS in self.event_types or kind in self.event_types)

    @property
    def configured(self) -> bool:
        """Owned by the configuration (ANXIN_WEBHOOK_URL): its URL and secret are set on every start."""
        return self.endpoint_id == DEFAULT_ENDPOINT_ID

    def as_dict(self) -> dict[str, Any]:
        return {"endpoint_id": self.endpoint_id, "url": self.url, "description": self.description,
                "event_types": list(self.event_types), "enabled": self.enabled, "configured": self.configured,
                "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
                "previous_secret_until": _iso(self.previous_secret_until)}


@dataclass(frozen=True)
class Delivery:
    """One message to one endpoint, with its own attempts, schedule, lease and outcome."""

    delivery_id: str
    message_id: str
    endpoint_id: str
    status: Status
    attempts: int
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    delivered_at: dt.datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = None
    lease_until: dt.datetime | None = None

    @property
    def redeliverable(self) -> bool:
        """Dead, or failing (pending after a failed attempt): an operator may restart its attempts now."""
        return self.status == DEAD or (self.status == PENDING and self.attempts > 0)

    def as_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "message_id": self.message_id, "endpoint_id": self.endpoint_id,
                "status": self.status, "attempts": self.attempts, "next_attempt_at": self.next_attempt_at.isoformat(),
                "created_at": self.created_at.isoformat(), "delivered_at": _iso(self.delivered_at),
                "last_status_code": self.last_status_code, "last_error": self.last_error}


@dataclass(frozen=True)
class Attempt:
    delivery_id: str
    endpoint_id: str
    attempted_at: dt.datetime
    status_code: int | None  # None: no HTTP answer (the error says why)
    error: str | None
    duration_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {"delivery_id": self.delivery_id, "endpoint_id": self.endpoint_id,
                "attempted_at": self.attempted_at.isoformat(), "status_code": self.status_code,
                "error": self.error, "duration_ms": self.duration_ms}


def _iso(at: dt.datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def subscribers(kind: str, endpoints: list[Endpoint]) -> list[str]:
    """The endpoints a message of ``kind`` fans out to: enabled ones subscribed to it or to ``*``."""
    return [e.endpoint_id for e in endpoints if e.subscribes(kind)]


def parse_status(value: str) -> Status:
    """A stored status as the type it is: the status columns hold only these."""
    for status in STATUSES:
        if value == status:
            return status
    raise ValueError(f"unknown outbox status {value!r}")


def message_status(delivery_statuses: list[str]) -> Status:
    """A message is dead if any delivery is, delivered once every delivery is, pending otherwise (no delivery
    yet included: nobody subscribed, so nobody received it)."""
    if DEAD in delivery_statuses:
        return DEAD
    if delivery_statuses and all(s == DELIVERED for s in delivery_statuses):
        return DELIVERED
    return PENDING


@dataclass(frozen=True)
class Step:
    """A delivery's state after one attempt."""

    status: Status
    attempts: int
    next_attempt_at: dt.datetime
    delivered_at: dt.datetime | None


def after_attempt(*, attempts: int, next_attempt_at: dt.datetime, succeeded: bool, now: dt.datetime,
                  retry: RetryPolicy) -> Step:
    """``attempts`` failed or not before this one. Only a 2xx (``succeeded``) delivers; a failure is retried
    after the policy's backoff until the budget is spent, then the delivery is dead."""
    done = attempts + 1
    if succeeded:
        return Step(DELIVERED, done, next_attempt_at, now)
    if retry.is_exhausted(done):
        return Step(DEAD, done, next_attempt_at, None)
    return Step(PENDING, done, now + retry.next_delay(done - 1), None)


def normalise_event_types(event_types: list[str]) -> tuple[str, ...]:
    """Sorted, each once; ``*`` stands alone (it already means every kind)."""
    unique = set(event_types)
    return (ALL_KINDS,) if ALL_KINDS in unique else tuple(sorted(unique))


def event_type_problems(event_types: list[str]) -> list[str]:
    if not event_types:
        return ["subscribe to at least one kind, or * for all"]
    return [f"unknown kind {k!r}" for k in event_types if k != ALL_KINDS and k not in KINDS]


def url_problem(url: str) -> str | None:
    if not (url.startswith("https://") or url.startswith("http://")) or len(url) <= len("https://"):
        return "the URL must start with http:// or https://"
    if len(url) > MAX_URL or any(ch.isspace() or ord(ch) < 32 for ch in url):
        return f"the URL must be at most {MAX_URL} characters without spaces"
    return None
