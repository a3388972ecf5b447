"""Sending: fan each message out to the endpoints subscribed to it, then lease, sign, post and record deliveries.

Each step commits on its own: the fan-out, the claim (a lease, so concurrent workers never send one delivery at
once), and each outcome (so a crash loses at most the outcome of one send, which the retry then repeats; the
receiver dedups on ``webhook-id`` and ``Idempotency-Key``). The outcome that completes a message records
``outbox.message_delivered`` in that same commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from anxin.core.clock import Clock
from anxin.core.ids import new_id
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.outbox import signing
from anxin.outbox.delivery_store import DeliveryRepository, EndpointRepository, signing_secrets, to_endpoint
from anxin.outbox.events import MessageDelivered
from anxin.outbox.model import (
    ALL_KINDS,
    DEAD,
    DELIVERED,
    IDEMPOTENCY_HEADER,
    PENDING,
    Attempt,
    OutboxMessage,
    RetryPolicy,
    after_attempt,
    message_body,
    message_status,
    subscribers,
)
from anxin.outbox.store import OutboxRepository, to_message
from anxin.outbox.transport import WebhookTransport

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=60)  # the default; longer than a send (5 s timeout) and its recording
FAN_OUT_BATCH = 500
MAX_ERROR_CHARS = 500


@dataclass(frozen=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0  # sent, but the lease was lost before recording: the worker that took over decides


@dataclass(frozen=True)
class _Claimed:
    delivery_id: str
    endpoint_id: str
    url: str
    secrets: list[str]
    attempts: int
    next_attempt_at: dt.datetime
    message: OutboxMessage


def refresh_message(uow: UnitOfWork, message_id: str) -> tuple[str, dt.datetime | None]:
    """Derive the message's status and figures from its deliveries; returns the status and delivery time. The
    caller holds the message row's lock (``OutboxRepository.get_for_update``), so two deliveries finishing at once
    cannot each miss the other's outcome."""
    deliveries = DeliveryRepository(uow.session).for_message(message_id)
    statuses = [d.status for d in deliveries]
    status = message_status(statuses)
    waiting = [d.next_attempt_at for d in deliveries if d.status == PENDING]
    errors = [d.last_error for d in deliveries if d.status != DELIVERED and d.last_error]
    delivered_at = max(d.delivered_at for d in deliveries if d.delivered_at) if status == DELIVERED else None
    values: dict[str, object] = {
        "status": status, "attempts": sum(d.attempts for d in deliveries), "delivered_at": delivered_at,
        "last_error": errors[0] if errors else None}
    if waiting:
        values["next_attempt_at"] = min(waiting)
    OutboxRepository(uow.session).set_summary(message_id, **values)
    return status, delivered_at


class Deliverer:
    """``clock`` schedules attempts and leases; ``wall_clock`` stamps ``webhook-timestamp``; ``timer`` measures
    how long each request took (milliseconds in the attempt log). ``lease``: how long a claimed delivery stays with
    this worker; one that died holding it is sent again by another once it ran out."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, wall_clock: Clock, transport: WebhookTransport,
                 retry: RetryPolicy, timer: Callable[[], float] = time.perf_counter,
                 lease: dt.timedelta = LEASE) -> None:
        self._lease = lease
        self._uow_factory = uow_factory
        self._clock = clock
        self._wall_clock = wall_clock
        self._transport = transport
        self._retry = retry
        self._timer = timer

    def deliver_due(self, limit: int) -> DeliveryReport:
        now = self._clock.now()
        self.fan_out(now)
        lease_until = now + self._lease
        with self._uow_factory() as uow:
            claimed = self._claim(uow, now, lease_until, limit)
            uow.commit()
        counts = {"delivered": 0, "failed": 0, "dead": 0, "deferred": 0}
        for c in claimed:
            counts[self._send(c, lease_until)] += 1
        return DeliveryReport(**counts)

    def fan_out(self, now: dt.datetime) -> int:
        """Give each pending message nobody has taken yet one delivery per enabled endpoint subscribed to its
        kind. A message no endpoint wants stays pending (no delivery, no attempt) until one does."""
        with self._uow_factory() as uow:
            active = [to_endpoint(r) for r in EndpointRepository(uow.session).all() if r.enabled]
            if not active:
                return 0
            kinds = None if any(ALL_KINDS in e.event_types for e in active) else frozenset(
                k for e in active for k in e.event_types)
            messages = OutboxRepository(uow.session).unfanned(kinds, FAN_OUT_BATCH)
            rows = [{"delivery_id": new_id("dlv"), "message_id": message_id, "endpoint_id": endpoint_id,
                     "status": PENDING, "attempts": 0, "next_attempt_at": created_at, "lease_until": None,
                     "last_status_code": None, "last_error": None, "delivered_at": None, "created_at": now}
                    for message_id, kind, created_at in messages for endpoint_id in subscribers(kind, active)]
            DeliveryRepository(uow.session).insert_many(rows)
            OutboxRepository(uow.session).mark_fanned([m[0] for m in messages], now)
            uow.commit()
        return len(messages)

    def _claim(self, uow: UnitOfWork, now: dt.datetime, lease_until: dt.datetime, limit: int) -> list[_Claimed]:
        rows = DeliveryRepository(uow.session).claim_due(now, lease_until, limit)
        endpoints = {r.endpoint_id: r for r in EndpointRepository(uow.session).all()}
        messages = OutboxRepository(uow.session)
        claimed = []
        for d in rows:
            message = messages.get(d.message_id)
            endpoint = endpoints[d.endpoint_id]
            assert message is not None
            claimed.append(_Claimed(d.delivery_id, d.endpoint_id, endpoint.url, signing_secrets(endpoint, now),
                                    d.attempts, d.next_attempt_at, to_message(message)))
        return claimed

    def _send(self, c: _Claimed, lease_until: dt.datetime) -> str:
        message = c.message
        body = message_body(message)
        headers = {"Content-Type": "application/json", IDEMPOTENCY_HEADER: message.idempotency_key,
                   **signing.sign_headers(c.secrets, message.message_id, int(self._wall_clock.now().timestamp()),
                                          body)}
        status: int | None = None
        started = self._timer()
        try:
            status = self._transport.post(c.url, body, headers)
            error = None if 200 <= status < 300 else f"HTTP {status}"
        except Exception as exc:  # any transport failure is just a failed attempt, retried later
            error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        duration_ms = max(0, round((self._timer() - started) * 1000))

        now = self._clock.now()
        step = after_attempt(attempts=c.attempts, next_attempt_at=c.next_attempt_at, succeeded=error is None,
                             now=now, retry=self._retry)
        with self._uow_factory() as uow:
            locked = OutboxRepository(uow.session).get_for_update(message.message_id)
            was = locked.status if locked is not None else None
            deliveries = DeliveryRepository(uow.session)
            recorded = deliveries.finish(
                c.delivery_id, lease_until, status=step.status, attempts=step.attempts,
                next_attempt_at=step.next_attempt_at, delivered_at=step.delivered_at, last_status_code=status,
                last_error=error)
            deliveries.log_attempt(Attempt(c.delivery_id, c.endpoint_id, now, status, error, duration_ms))
            if recorded:
                became, delivered_at = refresh_message(uow, message.message_id)
                if became == DELIVERED and was != DELIVERED and delivered_at is not None:
                    # With the mark itself: the event exists exactly when the delivery is recorded. The bus logs
                    # it only for kinds a subscriber asks for (actions), so a refund's delivery costs nothing.
                    uow.record(MessageDelivered(message_id=message.message_id, kind=message.kind,
                                                idempotency_key=message.idempotency_key,
                                                subject_ref=message.subject_ref, delivered_at=delivered_at))
            uow.commit()
        if not recorded:
            # Our lease ran out and another worker took over; its outcome stands, the receiver dedups.
            log.warning("webhook delivery %s: lease lost before recording", c.delivery_id)
            return "deferred"
        if step.status == DEAD:
            log.error("webhook delivery %s of message %s to %s is dead after %d attempts: %s", c.delivery_id,
                      message.message_id, c.endpoint_id, step.attempts, error)
            return "dead"
        return "delivered" if step.status == DELIVERED else "failed"
