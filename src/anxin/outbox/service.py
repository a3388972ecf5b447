"""Enqueue money-moving messages inside the caller's transaction; deliver them as signed webhooks."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from anxin.core.clock import Clock, SystemClock
from anxin.core.errors import AnxinError
from anxin.core.ids import new_id
from anxin.core.money import is_fen
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.outbox.error_codes import OutboxErrorCode
from anxin.outbox.model import (
    DEAD,
    DELIVERED,
    IDEMPOTENCY_HEADER,
    KINDS,
    MESSAGE_ID_HEADER,
    PENDING,
    SIGNATURE_HEADER,
    STATUSES,
    OutboxMessage,
    RetryPolicy,
    canonical_json,
    message_body,
    sign,
)
from anxin.outbox.store import OutboxRepository, OutboxRow, to_message
from anxin.outbox.transport import TransportUnavailable, WebhookTransport

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)
_MAX_ERROR_CHARS = 500


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
        next_attempt_at=now, lease_until=None, delivered_at=None, last_error=None))
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
                       "lease_until": None, "delivered_at": None, "last_error": None} for m in fresh.values()])
    return len(fresh)


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0  # left pending without spending an attempt (no receiver configured, lease lost)


class OutboxService:
    """``clock`` is the business clock: it schedules attempts and retries (and jumps with ``anxin tick --at``).
    ``wall_clock`` only stamps the signature: a receiver checks that stamp against its own clock (5 minutes
    tolerance), so it must be the time of sending, whatever time the business clock says."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, transport: WebhookTransport, secret: str,
                 retry: RetryPolicy | None = None, wall_clock: Clock | None = None) -> None:
        if not secret:
            raise ValueError("a webhook signing secret is required")
        self._uow_factory = uow_factory
        self._clock = clock
        self._wall_clock = wall_clock or SystemClock()
        self._transport = transport
        self._secret = secret
        self._retry = retry or RetryPolicy()

    def deliver_due(self, limit: int = 100) -> DeliveryReport:
        """Claim due messages under a committed lease, send each, record each outcome in its own commit
        (so a crash halfway loses at most the outcome of one send, which the retry then repeats)."""
        now = self._clock.now()
        lease_until = now + LEASE
        with self._uow_factory() as uow:
            claimed = [to_message(row) for row in
                       OutboxRepository(uow.session).claim_due(now, lease_until, limit)]
            uow.commit()

        counts = {"delivered": 0, "failed": 0, "dead": 0, "deferred": 0}
        for message in claimed:
            counts[self._send_one(message, lease_until)] += 1
        return DeliveryReport(**counts)

    def _send_one(self, message: OutboxMessage, lease_until: dt.datetime) -> str:
        body = message_body(message)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, int(self._wall_clock.now().timestamp()), body),
            IDEMPOTENCY_HEADER: message.idempotency_key,
            MESSAGE_ID_HEADER: message.message_id,
        }
        error: str | None
        try:
            status = self._transport.post(body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except TransportUnavailable as exc:
            return self._release(message, lease_until, str(exc))
        except Exception as exc:  # any transport failure is just a failed attempt, retried later
            error = f"{type(exc).__name__}: {exc}"

        now = self._clock.now()
        if error is None:
            outcome, values = "delivered", {"status": DELIVERED, "delivered_at": now, "last_error": None,
                                            "attempts": message.attempts + 1}
        else:
            attempts = message.attempts + 1
            values = {"attempts": attempts, "last_error": error[:_MAX_ERROR_CHARS]}
            if self._retry.is_exhausted(attempts):
                outcome = "dead"
                values["status"] = DEAD
                log.error("outbox message %s is dead after %d attempts: %s", message.message_id,
                          attempts, error)
            else:
                outcome = "failed"
                values["next_attempt_at"] = now + self._retry.next_delay(attempts - 1)
        with self._uow_factory() as uow:
            recorded = OutboxRepository(uow.session).finish(message.message_id, lease_until, **values)
            uow.commit()
        if not recorded:
            # Our lease ran out and another worker took over; its outcome stands, the receiver dedups.
            log.warning("outbox message %s: lease lost before recording %s", message.message_id, outcome)
            return "deferred"
        return outcome

    def _release(self, message: OutboxMessage, lease_until: dt.datetime, reason: str) -> str:
        with self._uow_factory() as uow:
            OutboxRepository(uow.session).finish(message.message_id, lease_until, last_error=reason)
            uow.commit()
        return "deferred"

    def get_message(self, message_id: str) -> OutboxMessage:
        with self._uow_factory() as uow:
            row = OutboxRepository(uow.session).get(message_id)
            if row is None:
                raise AnxinError(OutboxErrorCode.MESSAGE_NOT_FOUND, f"no outbox message {message_id!r}",
                                 message_id=message_id)
            return to_message(row)

    def list_messages(self, subject_ref: str | None = None, status: str | None = None,
                      limit: int = 500) -> list[OutboxMessage]:
        if status is not None and status not in STATUSES:
            raise AnxinError(OutboxErrorCode.INVALID_MESSAGE, f"unknown status {status!r}",
                             allowed=list(STATUSES))
        with self._uow_factory() as uow:
            rows = OutboxRepository(uow.session).find(subject_ref=subject_ref, status=status, limit=limit)
            return [to_message(row) for row in rows]

    def stats(self) -> dict[str, int]:
        with self._uow_factory() as uow:
            return OutboxRepository(uow.session).counts_by_status()

    def redeliver(self, message_id: str) -> OutboxMessage:
        """Operator action: give a dead message a fresh set of attempts, starting now."""
        with self._uow_factory() as uow:
            row = OutboxRepository(uow.session).get(message_id)
            if row is None:
                raise AnxinError(OutboxErrorCode.MESSAGE_NOT_FOUND, f"no outbox message {message_id!r}",
                                 message_id=message_id)
            if row.status != DEAD:
                raise AnxinError(OutboxErrorCode.NOT_REDELIVERABLE,
                                 f"message {message_id!r} is {row.status}; only dead ones can be redelivered",
                                 message_id=message_id, status=row.status)
            row.status = PENDING
            row.attempts = 0
            row.next_attempt_at = self._clock.now()
            row.lease_until = None
            message = to_message(row)
            uow.commit()
            return message
