"""Ingestion use case: validate, de-duplicate, apply or park, and release what was parked.

Every event is its own transaction: a bad event is rejected with its index and code while the rest
of the batch lands. An event that refers to something not yet known (a shipment before its order)
is accepted and parked on a key such as ``order:O1``; when that key is produced, parked events are
applied in occurred_at order in the same transaction as the event that released them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.ingest import bulk
from anxin.ingest import model as m
from anxin.ingest.bulk_state import ShopCredentialsHook
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.handlers import (
    HANDLERS,
    LifecycleError,
    Rulebook,
    attributes_of,
    failed_code,
    first_missing,
    parse_event,
)
from anxin.ingest.model import IngestResult, Rejection
from anxin.ingest.store import EventLog, IngestedEventRow
from anxin.risk import service as risk

__all__ = ["MAX_BATCH", "IngestResult", "IngestionService", "Rejection", "ShopCredentialsHook", "Subscriber"]

MAX_BATCH = 5000
TIME_MIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the defaults of Settings.time_min / future_horizon_days
FUTURE_HORIZON = dt.timedelta(days=730)
log = logging.getLogger(__name__)

# Called after an event is applied, inside its transaction: other contexts react to platform facts.
Subscriber = Callable[[UnitOfWork, m.Envelope, Any], None]


class _Park(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


class IngestionService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, fulfilment_rules: Rulebook,
                 subscribers: Iterable[Subscriber] = (), shop_credentials: ShopCredentialsHook | None = None,
                 time_min: dt.datetime = TIME_MIN, future_horizon: dt.timedelta = FUTURE_HORIZON) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.fulfilment_rules = fulfilment_rules  # the promise an order gets at payment
        self.subscribers = list(subscribers)
        self.shop_credentials = shop_credentials  # risk's onboarding check, in the event's transaction
        self.time_min, self.future_horizon = time_min, future_horizon

    def time_bounds(self) -> m.TimeBounds:
        """The business times accepted now (Settings: ANXIN_TIME_MIN, ANXIN_FUTURE_HORIZON_DAYS)."""
        return m.TimeBounds.around(self.clock.now(), earliest=self.time_min, horizon=self.future_horizon)

    def ingest(self, events: object) -> IngestResult:
        if not isinstance(events, list):
            raise AnxinError(IngestErrorCode.MALFORMED_BATCH, "'events' must be a list of event objects")
        if len(events) > MAX_BATCH:
            raise AnxinError(IngestErrorCode.BATCH_TOO_LARGE, f"at most {MAX_BATCH} events per batch",
                             received=len(events))
        result = IngestResult(received=len(events))
        for index, raw in enumerate(events):
            self._ingest_one(index, raw, result)
        return result

    def _ingest_one(self, index: int, raw: object, result: IngestResult) -> None:
        raw_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            env, command = parse_event(raw, self.time_bounds())
        except m.EventInvalid as exc:
            result.rejected.append(Rejection(index, raw_id, exc.code, str(exc), exc.field))
            return
        try:
            self._store_one(index, raw, env, command, result)
        except IntegrityError:
            # The same event (or another about the same order, shop …) was ingested at once and committed first;
            # this unit of work was rolled back whole. Once more, against what it committed: a replay, or the
            # no-op the second event is when it comes after the first.
            self._store_one(index, raw, env, command, result)

    def _store_one(self, index: int, raw: object, env: m.Envelope, command: Any, result: IngestResult) -> None:
        with self.uow_factory() as uow:
            log = EventLog(uow.session)
            seen = log.get(env.event_id)
            if seen is not None:
                if seen.payload_hash != env.payload_hash:
                    result.rejected.append(Rejection(index, env.event_id, IngestErrorCode.ID_CONFLICT.value,
                                                     "this event id was already used for a different event"))
                else:
                    result.duplicates += 1
                return
            now = self.clock.now()
            row = IngestedEventRow(event_id=env.event_id, type=env.type, occurred_at=env.occurred_at,
                                   payload=dict(raw) if isinstance(raw, dict) else {},
                                   payload_hash=env.payload_hash, status="pending", received_at=now,
                                   seq=log.next_seq())
            try:
                produced = self._apply(uow, env, command)
            except _Park as park:
                row.waiting_on = park.key
                log.add(row)
                uow.commit()
                result.pending += 1
                return
            except LifecycleError as exc:
                result.rejected.append(Rejection(index, env.event_id, IngestErrorCode.LIFECYCLE.value, str(exc)))
                return
            row.status, row.applied_at = "applied", now
            log.add(row)
            released = self._release(uow, produced)
            uow.commit()
            result.released += released
            result.applied += 1

    def _release(self, uow: UnitOfWork, keys: list[str]) -> int:
        """Apply events parked on the produced keys; what they produce releases more, breadth-first."""
        log = EventLog(uow.session)
        released, queue, bounds = 0, list(keys), self.time_bounds()
        while queue:
            key = queue.pop(0)
            for parked in log.waiting_on(key):
                try:  # parked before times were bounded, it may be out of range: it fails, never half-applies
                    env, cmd = parse_event(parked.payload, bounds)
                    produced = self._apply(uow, env, cmd)
                except _Park as park:
                    parked.waiting_on = park.key
                    continue
                except (LifecycleError, m.EventInvalid) as exc:
                    parked.status, parked.waiting_on = "failed", None
                    parked.error_code, parked.error_message = failed_code(exc), str(exc)
                    continue
                parked.status, parked.waiting_on, parked.applied_at = "applied", None, self.clock.now()
                released += 1
                queue.extend(produced)
        return released

    def _apply(self, uow: UnitOfWork, env: m.Envelope, cmd: Any) -> list[str]:
        """Apply one validated event through its entry in the table; raise _Park(key) if something it refers to is
        unknown. Returns the keys it produced."""
        handler = HANDLERS[env.type]
        missing = first_missing(uow, handler.needs(cmd))
        if missing is not None:
            raise _Park(missing.key)
        handler.apply(uow, env, cmd, self.fulfilment_rules)
        if (attributes := attributes_of(env, cmd)) is not None:  # once applied: a parked event links nothing yet
            risk.record_links(uow, [risk.LinkInput(attributes[0], attributes[1], env.occurred_at, env.event_id)])
            if self.shop_credentials is not None and attributes[0].startswith("shop:"):
                self.shop_credentials(uow, attributes[0].split(":", 1)[1], attributes[1], env.occurred_at)
        for subscriber in self.subscribers:
            subscriber(uow, env, cmd)
        return [ref.key for ref in handler.produces(cmd)]

    def ingest_bulk(self, events: object, *, chunk_size: int = 10_000) -> IngestResult:
        """Same guarantees, counts and end state as ingest(), one transaction per chunk (anxin.ingest.bulk).

        No batch-size limit: meant for backfills and files. A rejected event's index is its position in ``events``.
        """
        if not isinstance(events, list):
            raise AnxinError(IngestErrorCode.MALFORMED_BATCH, "'events' must be a list of event objects")
        result = IngestResult()
        for start in range(0, len(events), chunk_size):
            result.merge(self._ingest_chunk(events[start:start + chunk_size]), start)
        return result

    def _ingest_chunk(self, events: list[Any]) -> IngestResult:
        if not self.subscribers:  # subscribers expect the database to reflect each event as it is applied
            try:
                with self.uow_factory() as uow:
                    result = bulk.apply_chunk(uow, self.clock.now(), events, self.fulfilment_rules,
                                              shop_credentials=self.shop_credentials, bounds=self.time_bounds())
                    uow.commit()
                return result
            except SQLAlchemyError as exc:  # a concurrent writer, a lost connection: nothing of it was committed
                log.warning("bulk chunk of %d events failed (%s); replaying it event by event",
                            len(events), type(exc).__name__)
        result = IngestResult(received=len(events))
        for index, raw in enumerate(events):
            self._ingest_one(index, raw, result)
        return result

    def stats(self) -> dict[str, int]:
        with self.uow_factory() as uow:
            return EventLog(uow.session).counts()
