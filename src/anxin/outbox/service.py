"""Enqueue money-moving messages inside the caller's transaction; deliver them as signed webhooks to every
subscribed endpoint; show operators messages, deliveries and attempts, and redeliver."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from anxin.core.clock import Clock, SystemClock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.money import is_fen
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.outbox.delivery import LEASE, Deliverer, DeliveryReport, refresh_message
from anxin.outbox.delivery_store import (
    DeliveryRepository,
    DeliveryRow,
    EndpointRepository,
    to_delivery,
    to_endpoint,
)
from anxin.outbox.endpoints import WebhookEndpoints
from anxin.outbox.error_codes import OutboxErrorCode
from anxin.outbox.model import (
    COUPON,
    DEAD,
    KINDS,
    NOTICE,
    PENDING,
    PRIZE_SHIP,
    STATUSES,
    Attempt,
    Delivery,
    Endpoint,
    OutboxMessage,
    RetryPolicy,
    canonical_json,
)
from anxin.outbox.store import OutboxRepository, OutboxRow, to_message
from anxin.outbox.transport import WebhookTransport

__all__ = ["COUPON", "NOTICE", "PRIZE_SHIP", "DeliveryReport", "NewMessage", "OutboxService", "enqueue", "enqueue_many"]


def _check_message(kind: str, idempotency_key: str, payload: dict[str, Any], amount_fen: int | None,
                   subject_ref: str) -> None:
    if kind not in KINDS:
        raise AnxinError(OutboxErrorCode.INVALID_KIND, f"unknown message kind {kind!r}",
                         kind=kind, allowed=sorted(KINDS))
    if not idempotency_key or not subject_ref:
        raise AnxinError(OutboxErrorCode.INVALID_MESSAGE, "idempotency_key and subject_ref are required")
    if amount_fen is not None and (not is_fen(amount_fen) or amount_fen < 0):
        raise AnxinError(OutboxErrorCode.INVALID_AMOUNT, "amount_fen must be a non-negative integer of fen",
                         amount_fen=repr(amount_fen))
    if not isinstance(payload, dict):
        raise AnxinError(OutboxErrorCode.INVALID_MESSAGE, "payload must be a JSON object")
    try:
        canonical_json(payload)
    except (TypeError, ValueError) as exc:
        raise AnxinError(OutboxErrorCode.INVALID_MESSAGE, f"payload is not JSON-serialisable: {exc}") from exc


def _conflict(idempotency_key: str, message_id: str) -> AnxinError:
    return AnxinError(OutboxErrorCode.IDEMPOTENCY_CONFLICT,
                      f"idempotency key {idempotency_key!r} already used for a different message",
                      idempotency_key=idempotency_key, message_id=message_id)


def enqueue(uow: UnitOfWork, *, clock: Clock, kind: str, idempotency_key: str, payload: dict[str, Any],
            amount_fen: int | None, subject_ref: str) -> OutboxMessage:
    """Write a message in the caller's open unit of work; the caller commits it with its state change.

    Idempotent on ``idempotency_key``: enqueueing again returns the existing message. Reusing a key for
    a different kind or amount is a bug in the caller and is refused rather than silently dropped.
    """
    _check_message(kind, idempotency_key, payload, amount_fen, subject_ref)
    repo = OutboxRepository(uow.session)
    now = clock.now()
    row = repo.add(OutboxRow(
        message_id=new_id("msg"), idempotency_key=idempotency_key, kind=kind, payload=payload,
        amount_fen=amount_fen, subject_ref=subject_ref, created_at=now, status=PENDING, attempts=0,
        next_attempt_at=now, lease_until=None, delivered_at=None, last_error=None, fanned_out_at=None))
    if row.kind != kind or row.amount_fen != amount_fen:
        raise _conflict(idempotency_key, row.message_id)
    return to_message(row)


@dataclass(frozen=True)
class NewMessage:
    kind: str
    idempotency_key: str
    payload: dict[str, Any]
    amount_fen: int | None
    subject_ref: str


def enqueue_many(uow: UnitOfWork, *, clock: Clock, messages: list[NewMessage]) -> int:
    """``enqueue`` for many messages at once (one lookup, one insert): the same checks and idempotency.
    Returns how many were new."""
    for msg in messages:
        _check_message(msg.kind, msg.idempotency_key, msg.payload, msg.amount_fen, msg.subject_ref)
    repo = OutboxRepository(uow.session)
    existing = repo.by_keys([m.idempotency_key for m in messages])
    fresh: dict[str, NewMessage] = {}
    for msg in messages:
        seen = existing.get(msg.idempotency_key) or fresh.get(msg.idempotency_key)
        if seen is None:
            fresh[msg.idempotency_key] = msg
            continue
        kind, amount = (seen[1], seen[2]) if isinstance(seen, tuple) else (seen.kind, seen.amount_fen)
        if kind != msg.kind or amount != msg.amount_fen:
            raise _conflict(msg.idempotency_key, seen[0] if isinstance(seen, tuple) else "(this batch)")
    now = clock.now()
    repo.insert_many([{"message_id": new_id("msg"), "idempotency_key": m.idempotency_key, "kind": m.kind,
                       "payload": m.payload, "amount_fen": m.amount_fen, "subject_ref": m.subject_ref,
                       "created_at": now, "status": PENDING, "attempts": 0, "next_attempt_at": now,
                       "lease_until": None, "delivered_at": None, "last_error": None, "fanned_out_at": None}
                      for m in fresh.values()])
    return len(fresh)


@dataclass(frozen=True)
class MessageDetail:
    message: OutboxMessage
    deliveries: list[Delivery]
    attempts: list[Attempt]  # the newest ATTEMPT_LOG_SIZE of each delivery, oldest first
    endpoints: dict[str, Endpoint]

    def as_dict(self) -> dict[str, Any]:
        by_delivery: dict[str, list[dict[str, Any]]] = {}
        for a in self.attempts:
            by_delivery.setdefault(a.delivery_id, []).append(a.as_dict())
        return {"message": message_dict(self.message),
                "deliveries": [{**d.as_dict(), "url": self.endpoints[d.endpoint_id].url
                                if d.endpoint_id in self.endpoints else None,
                                "attempt_log": by_delivery.get(d.delivery_id, [])} for d in self.deliveries]}


def message_dict(m: OutboxMessage) -> dict[str, Any]:
    return {"message_id": m.message_id, "idempotency_key": m.idempotency_key, "kind": m.kind,
            "subject_ref": m.subject_ref, "amount_fen": m.amount_fen, "status": m.status, "attempts": m.attempts,
            "created_at": m.created_at.isoformat(), "next_attempt_at": m.next_attempt_at.isoformat(),
            "delivered_at": m.delivered_at.isoformat() if m.delivered_at else None, "last_error": m.last_error,
            "payload": m.payload}


def _message_not_found(message_id: str) -> AnxinError:
    return AnxinError(OutboxErrorCode.MESSAGE_NOT_FOUND, f"no outbox message {message_id!r}", message_id=message_id)


class OutboxService:
    """``clock`` is the business clock: it schedules attempts and retries (and jumps with ``anxin tick --at``).
    ``wall_clock`` only stamps ``webhook-timestamp``: a receiver checks that stamp against its own clock (5 minutes
    tolerance), so it must be the time of sending, whatever time the business clock says. Receivers are the
    endpoints in ``endpoints``; the transport carries each request to its endpoint's URL."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, transport: WebhookTransport,
                 retry: RetryPolicy | None = None, wall_clock: Clock | None = None,
                 timer: Callable[[], float] = time.perf_counter, lease: dt.timedelta = LEASE) -> None:
        self._uow_factory = uow_factory
        self._clock = clock
        self.endpoints = WebhookEndpoints(uow_factory=uow_factory, clock=clock)
        self._deliverer = Deliverer(uow_factory=uow_factory, clock=clock, wall_clock=wall_clock or SystemClock(),
                                    transport=transport, retry=retry or RetryPolicy(), timer=timer, lease=lease)

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Fan new messages out to their endpoints, then send up to ``limit`` due deliveries (each under a
        committed lease, each outcome in its own commit)."""
        return self._deliverer.deliver_due(limit)

    # --- reading ---------------------------------------------------------------------------------------------

    def get_message(self, message_id: str) -> OutboxMessage:
        with self._uow_factory() as uow:
            row = OutboxRepository(uow.session).get(message_id)
            if row is None:
                raise _message_not_found(message_id)
            return to_message(row)

    def message_detail(self, message_id: str) -> MessageDetail:
        with self._uow_factory() as uow:
            row = OutboxRepository(uow.session).get(message_id)
            if row is None:
                raise _message_not_found(message_id)
            repo = DeliveryRepository(uow.session)
            deliveries = [to_delivery(d) for d in repo.for_message(message_id)]
            return MessageDetail(to_message(row), deliveries, repo.attempts([d.delivery_id for d in deliveries]),
                                 {e.endpoint_id: to_endpoint(e) for e in EndpointRepository(uow.session).all()})

    def list_messages(self, subject_ref: str | None = None, status: str | None = None, limit: int = 500, *,
                      kind: str | None = None, after: tuple[dt.datetime, str] | None = None, offset: int = 0,
                      newest_first: bool = False) -> list[OutboxMessage]:
        if status is not None and status not in STATUSES:
            raise AnxinError(OutboxErrorCode.INVALID_MESSAGE, f"unknown status {status!r}",
                             allowed=list(STATUSES))
        if kind is not None and kind not in KINDS:
            raise AnxinError(OutboxErrorCode.INVALID_FILTER, f"unknown kind {kind!r}", allowed=sorted(KINDS))
        if limit < 1 or offset < 0:
            raise AnxinError(OutboxErrorCode.INVALID_FILTER, "limit must be positive and offset non-negative")
        with self._uow_factory() as uow:
            rows = OutboxRepository(uow.session).find(subject_ref=subject_ref, status=status, kind=kind,
                                                      limit=limit, after=after, offset=offset,
                                                      newest_first=newest_first)
            return [to_message(row) for row in rows]

    def recent_deliveries(self, *, status: str | None = None, endpoint_id: str | None = None,
                          limit: int = 100) -> list[Delivery]:
        """Dead first, then the newest."""
        if status is not None and status not in STATUSES:
            raise AnxinError(OutboxErrorCode.INVALID_FILTER, f"unknown status {status!r}", allowed=list(STATUSES))
        with self._uow_factory() as uow:
            return [to_delivery(d) for d in DeliveryRepository(uow.session).recent(
                status=status, endpoint_id=endpoint_id, limit=limit)]

    def delivery_counts(self) -> dict[str, dict[str, int]]:
        """endpoint id -> delivery status -> how many."""
        with self._uow_factory() as uow:
            return DeliveryRepository(uow.session).counts_by_endpoint()

    def stats(self) -> dict[str, int]:
        with self._uow_factory() as uow:
            return OutboxRepository(uow.session).counts_by_status()

    # --- redelivery ------------------------------------------------------------------------------------------

    def redeliver(self, message_id: str) -> OutboxMessage:
        """Operator action: every dead or failing delivery of the message gets a fresh set of attempts, starting
        now, under the same ``webhook-id`` and Idempotency-Key (receivers that already applied it dedup)."""
        with self._uow_factory() as uow:
            message = OutboxRepository(uow.session).get_for_update(message_id)
            if message is None:
                raise _message_not_found(message_id)
            rows = DeliveryRepository(uow.session).for_message(message_id, lock=True)
            now = self._clock.now()
            if not rows and message.status == DEAD:
                # Dead before deliveries existed (0013): fan it out again, to today's endpoints.
                message.status, message.attempts, message.next_attempt_at = PENDING, 0, now
                message.fanned_out_at = None
                refreshed = to_message(message)
                uow.commit()
                return refreshed
            restartable = [d for d in rows if self._restartable(d, now)]
            if not restartable:
                status = OutboxRepository(uow.session).get(message_id)
                raise AnxinError(OutboxErrorCode.NOT_REDELIVERABLE,
                                 f"message {message_id!r} has no dead or failing delivery to redeliver",
                                 message_id=message_id, message_status=status.status if status else None)
            for d in restartable:
                self._restart(d, now)
            refresh_message(uow, message_id)
            uow.commit()
        return self.get_message(message_id)

    def redeliver_delivery(self, delivery_id: str) -> Delivery:
        """Operator action: one dead or failing delivery (one endpoint) starts over now."""
        with self._uow_factory() as uow:
            found = DeliveryRepository(uow.session).get(delivery_id)
            if found is None:
                raise AnxinError(OutboxErrorCode.DELIVERY_NOT_FOUND, f"no webhook delivery {delivery_id!r}",
                                 delivery_id=delivery_id)
            OutboxRepository(uow.session).get_for_update(found.message_id)  # message first, as the senders do
            row = DeliveryRepository(uow.session).get_for_update(delivery_id)
            now = self._clock.now()
            if row is None or not self._restartable(row, now):
                raise AnxinError(OutboxErrorCode.NOT_REDELIVERABLE,
                                 f"delivery {delivery_id!r} is {found.status}: only a dead or failing delivery that "
                                 "is not being sent right now can be redelivered",
                                 delivery_id=delivery_id, delivery_status=found.status)
            self._restart(row, now)
            refresh_message(uow, row.message_id)
            delivery = to_delivery(row)
            uow.commit()
        return delivery

    @staticmethod
    def _restartable(row: DeliveryRow, now: dt.datetime) -> bool:
        leased = row.lease_until is not None and row.lease_until >= now
        return to_delivery(row).redeliverable and not leased

    @staticmethod
    def _restart(row: DeliveryRow, now: dt.datetime) -> None:
        row.status, row.attempts, row.next_attempt_at, row.lease_until = PENDING, 0, now, None
