"""Bulk ingestion: the per-event path's guarantees and end state, one transaction per chunk.

``ingest()`` pays a transaction, a ``max(seq)`` query and several ORM round trips per event. Here a chunk is
validated in Python, everything it can touch is read with a few IN queries, the per-event algorithm runs on
that state in memory (de-duplicate, apply or park, release parked events breadth-first in occurred_at order,
lifecycle rules from ``anxin.orders.model``), and the outcome is written with executemany. The same algorithm,
event by event in arrival order, over the same state is what gives ``ingest()``'s end state, counts and
rejections: tests/db/test_ingest_bulk.py compares both on random streams.

What a chunk may release is known before it runs: parked rows waiting on a key that an event of the chunk, or a
row released by it, could produce; repeating one IN query until no new row turns up finds them all.

``IngestionService.ingest_bulk`` cuts the events into chunks, one transaction each, and replays a chunk through
the per-event path when it hits a database error, or when the service has subscribers.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import sqlalchemy as sa

from anxin.audience import service as audience
from anxin.audience.model import ContentFeedback
from anxin.care import service as care
from anxin.care.model import Complaint
from anxin.catalog import service as catalog
from anxin.db.uow import UnitOfWork
from anxin.ingest import model as m
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.service import IngestResult, Rejection, ShopCredentialsHook, failed_code
from anxin.ingest.store import IngestedEventRow
from anxin.orders import model as om
from anxin.orders import service as orders
from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.risk import service as risk
from anxin.shops import service as shops

IN_PART = 2_000  # values per IN list: well under SQLite's (32 766) and PostgreSQL's (65 535) parameter limits
EVENTS = IngestedEventRow.__table__
EVENT_COLUMNS = ("event_id", "type", "occurred_at", "payload", "payload_hash", "status", "error_code", "error_message",
                 "waiting_on", "received_at", "applied_at", "seq")  # the table's order: _insert_events sends tuples
assert tuple(c.name for c in EVENTS.c) == EVENT_COLUMNS, "ingested_events changed: update EVENT_COLUMNS"


def apply_chunk(uow: UnitOfWork, now: dt.datetime, events: list[Any], rb: FulfilmentRulebook, *,
                bounds: m.TimeBounds, shop_credentials: ShopCredentialsHook | None = None) -> IngestResult:
    """Apply a chunk inside ``uow`` (the caller commits); indexes in the result are positions in ``events``."""
    chunk = _Chunk(uow, now, rb, bounds)
    chunk.run(events)
    chunk.write(shop_credentials)
    return chunk.result


def _parts(values: Iterable[str]) -> Iterator[list[str]]:
    seq = sorted(values)
    for i in range(0, len(seq), IN_PART):
        yield seq[i:i + IN_PART]


class _Park(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


@dataclass(slots=True)
class _Row:
    """One ingested_events row as it will stand when the chunk commits."""

    event_id: str
    type: str
    occurred_at: dt.datetime
    payload: dict[str, Any]
    payload_hash: str
    env: m.Envelope
    cmd: Any
    error: m.EventInvalid | None = None  # a stored payload that no longer parses: fails when released
    status: str = "pending"
    waiting_on: str | None = None
    seq: int = 0
    applied_at: dt.datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    new: bool = True
    dirty: bool = False


# The key an applied event makes available, from its payload alone, so it is known before the chunk runs.
_PRODUCES: dict[str, Callable[[Any], str]] = {
    "category.upserted": lambda c: m.category_key(c.category_id),
    "shop.upserted": lambda c: m.shop_key(c.shop_id),
    "listing.upserted": lambda c: m.listing_key(c.listing_id),
    "order.paid": lambda c: m.order_key(c.order_id),
    "order.shipped": lambda c: m.tracking_key(c.carrier, c.tracking_no),
}


# What each event type refers to, as (state table, attribute of its command); order items and scans' tracking
# numbers are read separately.
_REFERS: dict[str, tuple[tuple[str, str], ...]] = {
    "category.upserted": (("categories", "category_id"), ("categories", "parent_id")),
    "shop.upserted": (("shops", "shop_id"),),
    "listing.upserted": (("listings", "listing_id"), ("shops", "shop_id"), ("categories", "category_id")),
    "order.paid": (("orders", "order_id"), ("shops", "shop_id")),
    "order.shipped": (("orders", "order_id"),),
    "order.delivered": (("orders", "order_id"),),
    "order.cancelled": (("orders", "order_id"),),
    "review.posted": (("orders", "order_id"), ("reviews", "order_id")),
    "complaint.filed": (("orders", "order_id"), ("complaints", "complaint_id")),
    "chat.session": (("shops", "shop_id"), ("chat_sessions", "session_id")),
    "consumer.registered": (("consumers", "consumer_id"),),
    "content.feedback": (("content_feedback", "feedback_id"),),
}


def _produces(row: _Row) -> list[str]:
    key = _PRODUCES.get(row.type)
    return [key(row.cmd)] if key is not None and row.error is None else []


class _Chunk:
    def __init__(self, uow: UnitOfWork, now: dt.datetime, rb: FulfilmentRulebook, bounds: m.TimeBounds) -> None:
        self.uow, self.now, self.rb, self.bounds = uow, now, rb, bounds
        self.result = IngestResult()
        self.seen: dict[str, str] = {}  # event id -> payload hash, for every id this chunk can meet
        self.rows: dict[str, _Row] = {}  # rows to insert (new) or update (loaded and dirty), in seq order
        self.parked: dict[str, list[_Row]] = {}
        self.next_seq = 1
        # Subjects: id -> value (None: known not to exist). Upserts keep the as_of they reflect.
        self.categories: dict[str, Any] = {}
        self.shops: dict[str, Any] = {}
        self.listings: dict[str, Any] = {}
        self.orders: dict[str, om.Order | None] = {}
        self.reviews: dict[str, orders.Review | None] = {}
        self.complaints: dict[str, Complaint | None] = {}  # filed once: never updated
        self.chat_sessions: dict[str, Any] = {}
        self.consumers: dict[str, Any] = {}
        self.content_feedback: dict[str, ContentFeedback | None] = {}  # recorded once: never updated
        self.holders: dict[tuple[str | None, str], set[str]] = {}  # (carrier, tracking_no) -> orders holding it
        self.existing: dict[str, set[str]] = {}
        self.touched: dict[str, dict[str, None]] = {t: {} for t in ("categories", "shops", "listings", "orders",
                                                                    "reviews", "complaints", "chat_sessions",
                                                                    "consumers", "content_feedback")}
        self.scans: list[tuple[str, om.Scan]] = []
        self.links: list[tuple[str, dict[str, str], dt.datetime, str]] = []  # (subject, attributes, at, event id)

    # --- the per-event algorithm (IngestionService._ingest_one / _release / _dispatch), in memory --------------

    def run(self, events: list[Any]) -> None:
        parsed = [self._parse(index, raw) for index, raw in enumerate(events)]
        self.result.received = len(events)
        self._load([p for p in parsed if isinstance(p, _Row)])
        result = self.result
        for index, row in enumerate(parsed):
            if isinstance(row, Rejection):
                result.rejected.append(row)
                continue
            seen = self.seen.get(row.event_id)
            if seen is not None:
                if seen != row.payload_hash:
                    result.rejected.append(Rejection(index, row.event_id, IngestErrorCode.ID_CONFLICT.value,
                                                     "this event id was already used for a different event"))
                else:
                    result.duplicates += 1
                continue
            try:
                produced = self._apply(row)
            except _Park as park:
                row.waiting_on = park.key
                self._store(row)
                self.parked.setdefault(park.key, []).append(row)
                result.pending += 1
                continue
            except om.LifecycleError as exc:
                result.rejected.append(Rejection(index, row.event_id, IngestErrorCode.LIFECYCLE.value, str(exc)))
                continue
            row.status, row.applied_at = "applied", self.now
            self._store(row)
            result.released += self._release(produced)
            result.applied += 1

    def _parse(self, index: int, raw: object) -> _Row | Rejection:
        raw_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            env, cmd = m.parse_event(raw, self.bounds)
        except m.EventInvalid as exc:
            return Rejection(index, raw_id, exc.code, str(exc), exc.field)
        return _Row(env.event_id, env.type, env.occurred_at, dict(raw) if isinstance(raw, dict) else {},
                    env.payload_hash, env, cmd)

    def _store(self, row: _Row) -> None:
        row.seq = self.next_seq
        self.next_seq += 1
        self.seen[row.event_id] = row.payload_hash
        self.rows[row.event_id] = row

    def _release(self, keys: list[str]) -> int:
        released, queue = 0, deque(keys)
        while queue:
            waiting = self.parked.pop(queue.popleft(), None)
            if not waiting:
                continue
            waiting.sort(key=lambda r: (r.occurred_at, r.seq))  # the order EventLog.waiting_on reads them in
            for row in waiting:
                row.dirty = True
                try:
                    produced = self._apply(row)
                except _Park as park:
                    row.waiting_on = park.key
                    self.parked.setdefault(park.key, []).append(row)
                    continue
                except (om.LifecycleError, m.EventInvalid) as exc:
                    row.status, row.waiting_on = "failed", None
                    row.error_code, row.error_message = failed_code(exc), str(exc)
                    continue
                row.status, row.waiting_on, row.applied_at = "applied", None, self.now
                released += 1
                queue.extend(produced)
        return released

    def _apply(self, row: _Row) -> list[str]:
        if row.error is not None:
            raise row.error
        cmd, at = row.cmd, row.env.occurred_at
        match row.type:
            case "category.upserted":
                if cmd.parent_id and self.categories[cmd.parent_id] is None:
                    raise _Park(m.category_key(cmd.parent_id))
                self._upsert("categories", self.categories, cmd.category_id, cmd, at)
            case "shop.upserted":
                self._upsert_shop(cmd, at)
            case "listing.upserted":
                if self.shops[cmd.shop_id] is None:
                    raise _Park(m.shop_key(cmd.shop_id))
                if self.categories[cmd.category_id] is None:
                    raise _Park(m.category_key(cmd.category_id))
                self._upsert("listings", self.listings, cmd.listing_id, cmd, at)
            case "order.paid":
                if self.shops[cmd.shop_id] is None:
                    raise _Park(m.shop_key(cmd.shop_id))
                for item in cmd.items:
                    if self.listings[item.listing_id] is None:
                        raise _Park(m.listing_key(item.listing_id))
                if self.orders[cmd.order_id] is None:  # a second order.paid for a known order is a no-op
                    listings = {i.listing_id: self.listings[i.listing_id][0] for i in cmd.items}
                    self._set_order(replace(cmd, promise=m.promise_of(cmd, listings, self.rb)))
            case "order.shipped":
                self._set_order(om.ship(self._order(cmd.order_id), carrier=cmd.carrier, tracking_no=cmd.tracking_no,
                                        shipped_at=cmd.shipped_at, weight_g=cmd.weight_g))
            case "shipment.scanned":
                if not self.holders.get((cmd.carrier, cmd.tracking_no)):
                    raise _Park(m.tracking_key(cmd.carrier, cmd.tracking_no))
                self.scans.append((row.event_id, cmd))
            case "order.delivered":
                self._set_order(om.deliver(self._order(cmd.order_id), signed_at=cmd.signed_at))
            case "order.cancelled":
                self._set_order(om.cancel(self._order(cmd.order_id), reason=cmd.reason, at=at))
            case "review.posted":
                order = self._order(cmd.order_id)
                current = self.reviews[cmd.order_id]
                if current is None or cmd.posted_at >= current[2]:  # an older review arriving late changes nothing
                    self.reviews[cmd.order_id] = (cmd.rating, cmd.text, cmd.posted_at)
                    self.touched["reviews"][cmd.order_id] = None
                    self._set_order(replace(order, review_rating=cmd.rating))
            case "complaint.filed":
                order = self._order(cmd.order_id)
                self._insert_once("complaints", self.complaints, cmd.complaint_id, m.complaint_of(cmd, order))
            case "chat.session":
                if self.shops[cmd.shop_id] is None:
                    raise _Park(m.shop_key(cmd.shop_id))
                self._upsert("chat_sessions", self.chat_sessions, cmd.session_id, cmd, at)
            case "consumer.registered":
                self._upsert("consumers", self.consumers, cmd.consumer_id, cmd, at)
            case "content.feedback":
                self._insert_once("content_feedback", self.content_feedback, cmd.feedback_id, cmd)
            case _:
                raise AssertionError(f"no handler for {row.type}")  # PARSERS and this match are kept in step
        if (attributes := m.attributes_of(row.env, cmd)) is not None:
            self.links.append((*attributes, at, row.event_id))
        return _produces(row)

    def _upsert(self, table: str, state: dict[str, Any], key: str, value: Any, at: dt.datetime) -> None:
        current = state[key]
        if current is not None and at < current[1]:  # an older version arriving late never overwrites a newer one
            return
        state[key] = (value, at)
        self.touched[table][key] = None

    def _upsert_shop(self, shop: Any, at: dt.datetime) -> None:
        """Newer wins, except the opening time: the earliest any version gave (order-independent, as per event)."""
        current = self.shops[shop.shop_id]
        opened = min(d for d in (shop.opened_at or at, current[0].opened_at if current else None) if d is not None)
        if current is not None and at < current[1]:
            if opened != current[0].opened_at:
                self.shops[shop.shop_id] = (replace(current[0], opened_at=opened), current[1])
                self.touched["shops"][shop.shop_id] = None
            return
        self._upsert("shops", self.shops, shop.shop_id, replace(shop, opened_at=opened), at)

    def _insert_once(self, table: str, state: dict[str, Any], key: str, value: Any) -> None:
        if state[key] is None:  # a second event for a known id changes nothing
            state[key] = value
            self.touched[table][key] = None

    def _order(self, order_id: str) -> om.Order:
        order = self.orders[order_id]
        if order is None:
            raise _Park(m.order_key(order_id))
        return order

    def _set_order(self, order: om.Order) -> None:
        old = self.orders[order.order_id]
        if old is not None and old.tracking_no is not None:
            self.holders[(old.carrier, old.tracking_no)].discard(order.order_id)
        if order.tracking_no is not None:
            self.holders.setdefault((order.carrier, order.tracking_no), set()).add(order.order_id)
        self.orders[order.order_id] = order
        self.touched["orders"][order.order_id] = None

    # --- reading what the chunk can touch ------------------------------------------------------------------

    def _load(self, rows: list[_Row]) -> None:
        session = self.uow.session
        for part in _parts({r.event_id for r in rows}):
            stmt = sa.select(EVENTS.c.event_id, EVENTS.c.payload_hash).where(EVENTS.c.event_id.in_(part))
            self.seen.update((event_id, digest) for event_id, digest in session.execute(stmt))
        self.next_seq = int(session.scalar(sa.select(sa.func.coalesce(sa.func.max(EVENTS.c.seq), 0))) or 0) + 1
        loaded = self._load_parked({k for r in rows for k in _produces(r)})
        self._load_subjects(rows + loaded)

    def _load_parked(self, keys: set[str]) -> list[_Row]:
        """Pending rows waiting on any key the chunk can produce, and on what those can produce in turn."""
        loaded: list[_Row] = []
        frontier = set(keys)
        while frontier:
            found = [r for part in _parts(frontier) for r in self.uow.session.execute(
                sa.select(EVENTS).where(EVENTS.c.status == "pending", EVENTS.c.waiting_on.in_(part)))]
            frontier = set()
            for db in found:
                if db.event_id in self.rows:
                    continue
                env = m.parse_envelope(db.payload)
                row = _Row(db.event_id, db.type, db.occurred_at, db.payload, db.payload_hash, env, None,
                           waiting_on=db.waiting_on, seq=db.seq, new=False)
                try:
                    row.cmd = m.PARSERS[env.type](env)
                    m.check_times(env, row.cmd, self.bounds)  # parked before times were bounded: fails on release
                except m.EventInvalid as exc:
                    row.error = exc
                self.rows[row.event_id] = row
                self.seen[row.event_id] = row.payload_hash
                self.parked.setdefault(db.waiting_on, []).append(row)
                loaded.append(row)
                for key in _produces(row):
                    if key not in keys:
                        keys.add(key)
                        frontier.add(key)
        return loaded

    def _load_subjects(self, rows: list[_Row]) -> None:
        ids: dict[str, set[str]] = {table: set() for table in self.touched}
        tracking: dict[str, set[str]] = {}
        for row in rows:
            if row.error is not None:
                continue
            cmd = row.cmd
            for table, attr in _REFERS.get(row.type, ()):
                if value := getattr(cmd, attr):
                    ids[table].add(value)
            if row.type == "order.paid":
                ids["listings"].update(i.listing_id for i in cmd.items)
            elif row.type == "shipment.scanned":
                tracking.setdefault(cmd.carrier, set()).add(cmd.tracking_no)
        uow = self.uow
        for table, read in (("categories", catalog.categories_as_of), ("shops", shops.shops_as_of),
                            ("listings", catalog.listings_as_of), ("reviews", orders.reviews_by_order),
                            ("orders", orders.order_states), ("complaints", care.complaints_by_id),
                            ("chat_sessions", care.chat_sessions_as_of), ("consumers", audience.consumers_as_of),
                            ("content_feedback", audience.feedback_by_id)):
            state: dict[str, Any] = getattr(self, table)
            state.update(dict.fromkeys(ids[table]))
            for part in _parts(ids[table]):
                state.update(read(uow, part))
            self.existing[table] = {k for k, v in state.items() if v is not None}
        for order in self.orders.values():
            if order is not None and order.tracking_no is not None:
                self.holders.setdefault((order.carrier, order.tracking_no), set()).add(order.order_id)
        for carrier, numbers in tracking.items():  # who holds each scanned tracking number, to know it is known
            for part in _parts(numbers):
                for number, order_id in orders.holders_of_tracking(uow, carrier, part):
                    self.holders.setdefault((carrier, number), set()).add(order_id)

    # --- writing the outcome -----------------------------------------------------------------------------

    def write(self, shop_credentials: ShopCredentialsHook | None = None) -> None:
        uow, session = self.uow, self.uow.session
        changed = [r for r in self.rows.values() if not r.new and r.dirty]
        if changed:
            session.execute(sa.update(EVENTS).where(EVENTS.c.event_id == sa.bindparam("_id")), [{
                "_id": r.event_id, "status": r.status, "waiting_on": r.waiting_on, "applied_at": r.applied_at,
                "error_code": r.error_code, "error_message": r.error_message} for r in changed])
        catalog.bulk_write_categories(uow, *self._split("categories", self.categories))
        shops.bulk_write_shops(uow, *self._split("shops", self.shops))
        catalog.bulk_write_listings(uow, *self._split("listings", self.listings))
        new_orders, changed_orders = self._split("orders", self.orders)
        orders.bulk_record_paid(uow, new_orders)
        orders.bulk_update_orders(uow, changed_orders)
        orders.bulk_record_scans(uow, self.scans)
        new_reviews, changed_reviews = self._split("reviews", self.reviews, keyed=True)
        orders.bulk_write_reviews(uow, dict(new_reviews), dict(changed_reviews))
        care.bulk_file_complaints(uow, self._split("complaints", self.complaints)[0])  # insert-once: none changed
        care.bulk_write_chat_sessions(uow, *self._split("chat_sessions", self.chat_sessions))
        audience.bulk_write_consumers(uow, *self._split("consumers", self.consumers))
        audience.bulk_record_feedback(uow, self._split("content_feedback", self.content_feedback)[0])
        self._record_links()
        if shop_credentials is not None:  # risk judges new shops' credentials (an ORM write: before the log rows)
            for subject, attributes, at, _ in self.links:
                if subject.startswith("shop:"):
                    shop_credentials(self.uow, subject.split(":", 1)[1], attributes, at)
        self._insert_events([r for r in self.rows.values() if r.new])  # last: see its docstring

    def _record_links(self) -> None:
        """The chunk's attribute links as the per-event path leaves them: a link's first sighting (in apply order)
        gives its ``first_seen_at`` and ``source``, the latest its ``last_seen_at``. Two statements, because one
        upsert keeps the source of the latest row it merges."""
        first: dict[tuple[str, str, str], tuple[dt.datetime, str]] = {}
        latest: dict[tuple[str, str, str], dt.datetime] = {}
        for subject, attributes, at, source in self.links:
            for kind, value in attributes.items():
                key = (subject, kind, value)
                if key not in first:
                    first[key], latest[key] = (at, source), at
                elif at > latest[key]:
                    latest[key] = at
        links = first.items()
        risk.record_links(self.uow, [risk.LinkInput(s, {k: v}, at, source) for (s, k, v), (at, source) in links])
        risk.record_links(self.uow, [risk.LinkInput(s, {k: v}, latest[(s, k, v)], source)
                                     for (s, k, v), (at, source) in links if latest[(s, k, v)] > at])

    def _insert_events(self, new: list[_Row]) -> None:
        """The log's new rows, through the driver's executemany with each column's own bind processor (UTC, JSON),
        so they are stored exactly as ``session.execute(insert(...))`` stores them, without SQLAlchemy's per-row
        parameter assembly (it costs more than SQLite's insert itself). Last write of the chunk: it bypasses the
        ORM hooks that take db.uow's SQLite writer lock, harmless only when no ORM write follows it."""
        if not new:
            return
        conn = self.uow.session.connection()
        dialect = conn.dialect
        convert = {c.name: c.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v) for c in EVENTS.c}
        occurred, payload = convert["occurred_at"], convert["payload"]
        now = convert["received_at"](self.now)  # every new row was received, and any applied, at this instant
        rows = [(r.event_id, r.type, occurred(r.occurred_at), payload(r.payload), r.payload_hash, r.status,
                 r.error_code, r.error_message, r.waiting_on, now, None if r.applied_at is None else now, r.seq)
                for r in new]
        sql = str(sa.insert(EVENTS).compile(dialect=dialect, column_keys=list(EVENT_COLUMNS)))
        if dialect.paramstyle in ("qmark", "format"):
            conn.exec_driver_sql(sql, rows)
        else:  # named parameters (psycopg)
            conn.exec_driver_sql(sql, [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in rows])

    def _split(self, table: str, state: dict[str, Any], *, keyed: bool = False) -> tuple[list[Any], list[Any]]:
        """Touched values of ``table``: (to insert, to update), as values or (id, value) pairs."""
        new: list[Any] = []
        changed: list[Any] = []
        for key in self.touched[table]:
            (changed if key in self.existing[table] else new).append((key, state[key]) if keyed else state[key])
        return new, changed
