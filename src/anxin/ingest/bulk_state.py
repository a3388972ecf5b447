"""The bulk path's subjects: every row a chunk can touch, read with a few IN queries, changed in memory by the
table's bulk entries (``anxin.ingest.handlers``), and written with executemany through the owning contexts.

Rows are addressed as the events refer to them (``Ref``): ``state.get("order", "O1")``. A value of None means
known not to exist. Upserted rows keep the ``as_of`` they reflect: ``(value, as_of)``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from anxin.audience import service as audience
from anxin.care import service as care
from anxin.catalog import service as catalog
from anxin.core.events import Event
from anxin.db.uow import UnitOfWork
from anxin.ingest.model import Ref
from anxin.orders import service as orders
from anxin.risk import service as risk
from anxin.shops import service as shops

IN_PART = 2_000  # values per IN list: well under SQLite's (32 766) and PostgreSQL's (65 535) parameter limits

# After-write hook for shops' credentials: (uow, shop_id, credentials, occurred_at). Risk flags new shops linked to
# banned ones through it (injected by bootstrap; ingestion decides nothing itself).
ShopCredentialsHook = Callable[[UnitOfWork, str, Mapping[str, str], dt.datetime], object]


def parts(values: Iterable[str]) -> Iterator[list[str]]:
    seq = sorted(values)
    for i in range(0, len(seq), IN_PART):
        yield seq[i:i + IN_PART]


def _values(rows: dict[str, Any]) -> list[Any]:
    return list(rows.values())


def _write_orders(uow: UnitOfWork, new: dict[str, Any], changed: dict[str, Any]) -> None:
    orders.bulk_record_paid(uow, _values(new))  # as they stand now: possibly shipped in memory already
    orders.bulk_update_orders(uow, _values(changed))


@dataclass(frozen=True)
class Table:
    """How the rows of one kind are read (None: never read, insert only) and written: ``write(uow, new, changed)``
    with id -> value dicts. Writes look the context's function up when called (tests replace them)."""

    read: Callable[[UnitOfWork, list[str]], Mapping[str, Any]] | None
    write: Callable[[UnitOfWork, dict[str, Any], dict[str, Any]], None]


# In write order: a row is written after the rows it refers to.
TABLES: dict[str, Table] = {
    "category": Table(lambda uow, ids: catalog.categories_as_of(uow, ids),
                      lambda uow, new, changed: catalog.bulk_write_categories(uow, _values(new), _values(changed))),
    "shop": Table(lambda uow, ids: shops.shops_as_of(uow, ids),
                  lambda uow, new, changed: shops.bulk_write_shops(uow, _values(new), _values(changed))),
    "listing": Table(lambda uow, ids: catalog.listings_as_of(uow, ids),
                     lambda uow, new, changed: catalog.bulk_write_listings(uow, _values(new), _values(changed))),
    "order": Table(lambda uow, ids: orders.order_states(uow, ids), _write_orders),
    "scan": Table(None, lambda uow, new, _: orders.bulk_record_scans(uow, list(new.items()))),  # by event id
    "review": Table(lambda uow, ids: orders.reviews_by_order(uow, ids),
                    lambda uow, new, changed: orders.bulk_write_reviews(uow, new, changed)),
    "complaint": Table(lambda uow, ids: care.complaints_by_id(uow, ids),  # filed once: never changed
                       lambda uow, new, _: care.bulk_file_complaints(uow, _values(new))),
    "chat_session": Table(lambda uow, ids: care.chat_sessions_as_of(uow, ids),
                          lambda uow, new, changed: care.bulk_write_chat_sessions(uow, _values(new),
                                                                                  _values(changed))),
    "care_consultation": Table(lambda uow, ids: care.consultations_by_id(uow, ids),  # received once: never changed
                               lambda uow, new, _: care.bulk_receive_consultations(uow, _values(new))),
    "care_message": Table(lambda uow, ids: care.messages_by_id(uow, ids),
                          lambda uow, new, _: care.bulk_receive_messages(uow, _values(new))),
    "consumer": Table(lambda uow, ids: audience.consumers_as_of(uow, ids),
                      lambda uow, new, changed: audience.bulk_write_consumers(uow, _values(new), _values(changed))),
    "content_feedback": Table(lambda uow, ids: audience.feedback_by_id(uow, ids),  # recorded once: never changed
                              lambda uow, new, _: audience.bulk_record_feedback(uow, _values(new))),
}


class Subjects:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {kind: {} for kind in TABLES}
        self.existing: dict[str, set[str]] = {kind: set() for kind in TABLES}  # ids stored before the chunk
        self.touched: dict[str, dict[str, None]] = {kind: {} for kind in TABLES}  # ids to write, in apply order
        self.holders: dict[tuple[str | None, str], set[str]] = {}  # (carrier, tracking_no) -> orders holding it
        self.links: list[tuple[str, dict[str, str], dt.datetime, str]] = []  # (subject, attributes, at, event id)
        self.events: list[Event] = []  # domain events of what was applied, in apply order: recorded by ``write``
        # Work on rows the chunk does not hold (warehouse stock), in apply order: run by ``write`` after the listings
        # are written and before the orders, so it may read the one and change the other (``put``).
        self.deferred: list[Callable[[UnitOfWork, Subjects], object]] = []
        self.memo: dict[str, Any] = {}  # what deferred work reads once per chunk (who is enrolled, who holds stock)

    # --- what the bulk entries use ---------------------------------------------------------------------------

    def exists(self, ref: Ref) -> bool:
        if ref.kind == "tracking":
            return bool(self.holders.get((ref.carrier, ref.id)))
        return self.rows[ref.kind][ref.id] is not None

    def get(self, kind: str, key: str) -> Any:
        return self.rows[kind].get(key)

    def put(self, kind: str, key: str, value: Any) -> None:
        self.rows[kind][key] = value
        self.touched[kind][key] = None

    def upsert(self, kind: str, key: str, value: Any, at: dt.datetime) -> bool:
        """Newer wins; False when ``value`` is older than the row held, which stays."""
        current = self.rows[kind][key]
        if current is not None and at < current[1]:  # an older version arriving late never overwrites a newer one
            return False
        self.put(kind, key, (value, at))
        return True

    def record(self, event: Event) -> None:
        """A domain event the per-event path would record for this application (``uow.record`` there)."""
        self.events.append(event)

    def defer(self, work: Callable[[UnitOfWork, Subjects], object]) -> None:
        """Run ``work(uow, subjects)`` when the chunk writes (the worry-free stock's per-event calls)."""
        self.deferred.append(work)

    def insert_once(self, kind: str, key: str, value: Any) -> None:
        if self.rows[kind][key] is None:  # a second event for a known id changes nothing
            self.put(kind, key, value)

    def put_order(self, order: Any) -> None:
        """Store an order's new state, keeping the index of who holds which tracking number in step."""
        old = self.rows["order"][order.order_id]
        if old is not None and old.tracking_no is not None:
            self.holders[(old.carrier, old.tracking_no)].discard(order.order_id)
        if order.tracking_no is not None:
            self.holders.setdefault((order.carrier, order.tracking_no), set()).add(order.order_id)
        self.put("order", order.order_id, order)

    # --- reading what the chunk can touch ------------------------------------------------------------------

    def load(self, uow: UnitOfWork, refs: Iterable[Ref]) -> None:
        ids: dict[str, set[str]] = {kind: set() for kind in TABLES}
        tracking: dict[str, set[str]] = {}
        for ref in refs:
            if ref.kind == "tracking":
                tracking.setdefault(ref.carrier, set()).add(ref.id)
            else:
                ids[ref.kind].add(ref.id)
        for kind, table in TABLES.items():
            if table.read is None:
                continue
            state = self.rows[kind]
            state.update(dict.fromkeys(ids[kind]))
            for part in parts(ids[kind]):
                state.update(table.read(uow, part))
            self.existing[kind] = {k for k, v in state.items() if v is not None}
        for order in self.rows["order"].values():
            if order is not None and order.tracking_no is not None:
                self.holders.setdefault((order.carrier, order.tracking_no), set()).add(order.order_id)
        for carrier, numbers in tracking.items():  # who holds each scanned tracking number, to know it is known
            for part in parts(numbers):
                for number, order_id in orders.holders_of_tracking(uow, carrier, part):
                    self.holders.setdefault((carrier, number), set()).add(order_id)

    # --- writing the outcome -----------------------------------------------------------------------------

    def write(self, uow: UnitOfWork, shop_credentials: ShopCredentialsHook | None = None) -> None:
        for kind, table in TABLES.items():
            if kind == "order":
                for work in self.deferred:
                    work(uow, self)
            new: dict[str, Any] = {}
            changed: dict[str, Any] = {}
            for key in self.touched[kind]:
                (changed if key in self.existing[kind] else new)[key] = self.rows[kind][key]
            table.write(uow, new, changed)
        self._record_links(uow)
        uow.record(*self.events)  # published with the chunk's commit, like the per-event path's with each event's
        if shop_credentials is not None:  # risk judges new shops' credentials (an ORM write: before the log rows)
            for subject, attributes, at, _ in self.links:
                if subject.startswith("shop:"):
                    shop_credentials(uow, subject.split(":", 1)[1], attributes, at)

    def _record_links(self, uow: UnitOfWork) -> None:
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
        risk.record_links(uow, [risk.LinkInput(s, {k: v}, at, source) for (s, k, v), (at, source) in links])
        risk.record_links(uow, [risk.LinkInput(s, {k: v}, latest[(s, k, v)], source)
                                for (s, k, v), (at, source) in links if latest[(s, k, v)] > at])
