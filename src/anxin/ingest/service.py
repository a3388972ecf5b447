"""Ingestion use case: validate, de-duplicate, apply or park, and release what was parked.

Every event is its own transaction: a bad event is rejected with its index and code while the rest
of the batch lands. An event that refers to something not yet known (a shipment before its order)
is accepted and parked on a key such as ``order:O1``; when that key is produced, parked events are
applied in occurred_at order in the same transaction as the event that released them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from anxin.audience import service as audience
from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.ingest import model as m
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.store import EventLog, IngestedEventRow
from anxin.orders import service as orders
from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.orders.model import LifecycleError
from anxin.risk import service as risk
from anxin.shops import service as shops

MAX_BATCH = 5000
TIME_MIN = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # the defaults of Settings.time_min / future_horizon_days
FUTURE_HORIZON = dt.timedelta(days=730)
log = logging.getLogger(__name__)

# Called after an event is applied, inside its transaction: other contexts react to platform facts.
Subscriber = Callable[[UnitOfWork, m.Envelope, Any], None]


@dataclass(frozen=True)
class Rejection:
    index: int
    event_id: str | None
    code: str
    message: str
    field: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "id": self.event_id, "code": self.code, "message": self.message,
                "field": self.field}


@dataclass
class IngestResult:
    received: int = 0
    applied: int = 0
    pending: int = 0
    duplicates: int = 0
    released: int = 0  # parked events (from this or earlier batches) applied because of this batch
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"received": self.received, "applied": self.applied, "pending": self.pending,
                "duplicates": self.duplicates, "released": self.released,
                "rejected": [r.as_dict() for r in self.rejected]}

    def merge(self, other: IngestResult, offset: int) -> None:
        self.received += other.received
        self.applied += other.applied
        self.pending += other.pending
        self.duplicates += other.duplicates
        self.released += other.released
        self.rejected += [Rejection(r.index + offset, r.event_id, r.code, r.message, r.field) for r in other.rejected]


class _Park(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def failed_code(exc: Exception) -> str:
    """The code a parked event that cannot be applied when released is stored with."""
    if isinstance(exc, m.EventInvalid) and exc.code == IngestErrorCode.TIME_OUT_OF_RANGE:
        return exc.code
    return IngestErrorCode.LIFECYCLE.value


# After-write hook for shops' credentials: (uow, shop_id, credentials, occurred_at). Risk flags new shops linked to
# banned ones through it (injected by bootstrap; ingestion decides nothing itself).
ShopCredentialsHook = Callable[[UnitOfWork, str, Mapping[str, str], dt.datetime], object]


class IngestionService:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, fulfilment_rules: FulfilmentRulebook,
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
            env, command = m.parse_event(raw, self.time_bounds())
        except m.EventInvalid as exc:
            result.rejected.append(Rejection(index, raw_id, exc.code, str(exc), exc.field))
            return
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
                if self._commit_or_replay(uow, result):
                    result.pending += 1
                return
            except LifecycleError as exc:
                result.rejected.append(Rejection(index, env.event_id, IngestErrorCode.LIFECYCLE.value, str(exc)))
                return
            row.status, row.applied_at = "applied", now
            log.add(row)
            released = self._release(uow, produced)
            if self._commit_or_replay(uow, result):
                result.released += released
                result.applied += 1

    @staticmethod
    def _commit_or_replay(uow: UnitOfWork, result: IngestResult) -> bool:
        """Commit; if the same event id landed concurrently from another request, count a replay instead."""
        try:
            uow.commit()
        except IntegrityError:
            uow.session.rollback()
            result.duplicates += 1
            return False
        return True

    def _release(self, uow: UnitOfWork, keys: list[str]) -> int:
        """Apply events parked on the produced keys; what they produce releases more, breadth-first."""
        log = EventLog(uow.session)
        released, queue, bounds = 0, list(keys), self.time_bounds()
        while queue:
            key = queue.pop(0)
            for parked in log.waiting_on(key):
                try:  # parked before times were bounded, it may be out of range: it fails, never half-applies
                    env, cmd = m.parse_event(parked.payload, bounds)
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
        """Apply one validated event; raise _Park(key) if something it refers to is unknown."""
        produced = self._dispatch(uow, env, cmd)
        if (attributes := m.attributes_of(env, cmd)) is not None:  # once applied: a parked event links nothing yet
            risk.record_links(uow, [risk.LinkInput(attributes[0], attributes[1], env.occurred_at, env.event_id)])
            if self.shop_credentials is not None and attributes[0].startswith("shop:"):
                self.shop_credentials(uow, attributes[0].split(":", 1)[1], attributes[1], env.occurred_at)
        for subscriber in self.subscribers:
            subscriber(uow, env, cmd)
        return produced

    def _dispatch(self, uow: UnitOfWork, env: m.Envelope, cmd: Any) -> list[str]:
        at = env.occurred_at
        match env.type:
            case "category.upserted":
                if cmd.parent_id and not catalog.category_exists(uow, cmd.parent_id):
                    raise _Park(m.category_key(cmd.parent_id))
                catalog.upsert_category(uow, cmd, as_of=at)
                return [m.category_key(cmd.category_id)]
            case "shop.upserted":
                shops.upsert_shop(uow, cmd, as_of=at)
                return [m.shop_key(cmd.shop_id)]
            case "listing.upserted":
                if shops.get_shop(uow, cmd.shop_id) is None:
                    raise _Park(m.shop_key(cmd.shop_id))
                if not catalog.category_exists(uow, cmd.category_id):
                    raise _Park(m.category_key(cmd.category_id))
                catalog.upsert_listing(uow, cmd, as_of=at)
                return [m.listing_key(cmd.listing_id)]
            case "order.paid":
                if shops.get_shop(uow, cmd.shop_id) is None:
                    raise _Park(m.shop_key(cmd.shop_id))
                listings = catalog.get_listings(uow, [i.listing_id for i in cmd.items])
                missing = [i.listing_id for i in cmd.items if i.listing_id not in listings]
                if missing:
                    raise _Park(m.listing_key(missing[0]))
                orders.record_paid(uow, replace(cmd, promise=m.promise_of(cmd, listings, self.fulfilment_rules)))
                return [m.order_key(cmd.order_id)]
            case "order.shipped":
                self._need_order(uow, cmd.order_id)
                orders.record_shipped(uow, cmd.order_id, carrier=cmd.carrier, tracking_no=cmd.tracking_no,
                                      shipped_at=cmd.shipped_at, weight_g=cmd.weight_g)
                return [m.tracking_key(cmd.carrier, cmd.tracking_no)]
            case "shipment.scanned":
                if not orders.tracking_known(uow, cmd.carrier, cmd.tracking_no):
                    raise _Park(m.tracking_key(cmd.carrier, cmd.tracking_no))
                orders.record_scan(uow, env.event_id, cmd)
                return []
            case "order.delivered":
                self._need_order(uow, cmd.order_id)
                orders.record_delivered(uow, cmd.order_id, signed_at=cmd.signed_at)
                return []
            case "order.cancelled":
                self._need_order(uow, cmd.order_id)
                orders.record_cancelled(uow, cmd.order_id, reason=cmd.reason, at=at)
                return []
            case "review.posted":
                self._need_order(uow, cmd.order_id)
                orders.record_review(uow, cmd.order_id, rating=cmd.rating, text=cmd.text, posted_at=cmd.posted_at)
                return []
            case "complaint.filed":
                order = orders.get_order(uow, cmd.order_id)
                if order is None:
                    raise _Park(m.order_key(cmd.order_id))
                care.file_complaint(uow, m.complaint_of(cmd, order))
                return []
            case "chat.session":
                if shops.get_shop(uow, cmd.shop_id) is None:
                    raise _Park(m.shop_key(cmd.shop_id))
                care.upsert_chat_session(uow, cmd, as_of=at)
                return []
            case "consumer.registered":
                audience.upsert_consumer(uow, cmd, as_of=at)
                return []
            case "content.feedback":
                audience.record_feedback(uow, cmd)
                return []
        raise AssertionError(f"no handler for {env.type}")  # PARSERS and this match are kept in step

    @staticmethod
    def _need_order(uow: UnitOfWork, order_id: str) -> None:
        if not orders.order_exists(uow, order_id):
            raise _Park(m.order_key(order_id))

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
        from anxin.ingest import bulk  # bulk builds on this module's types

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
