"""Order, scan and review rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, UTCDateTime, rowcount, table, within
from anxin.orders.model import Order, OrderItem, OrderStatus, Promise, Scan


class OrderRow(Base):
    __tablename__ = "orders"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    paid_fen: Mapped[int] = mapped_column(sa.BigInteger)
    paid_at: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(16), index=True)
    carrier: Mapped[str | None] = mapped_column(sa.String(64))
    tracking_no: Mapped[str | None] = mapped_column(sa.String(128))
    shipped_at: Mapped[dt.datetime | None]
    signed_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(200))
    review_rating: Mapped[int | None]
    ship_from_region: Mapped[str | None] = mapped_column(sa.String(32))
    ship_to_region: Mapped[str | None] = mapped_column(sa.String(32))
    consumer_hold: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    ship_by: Mapped[dt.datetime | None]
    promise: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    creator_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    parcel_weight_g: Mapped[int | None]
    shop_coupon_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    platform_coupon_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    channel: Mapped[str | None] = mapped_column(sa.String(16))
    # 无忧服务 (set once, at payment): "warehouse" when shipped from the platform's warehouse stock; whether the order
    # is worry-free; the lucky bag a prize order came from.
    fulfilled_from: Mapped[str | None] = mapped_column(sa.String(16))
    worry_free: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    prize_of: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # Settlement progress, set by the merchants context: 0 nothing yet, 1 the sale's fee frozen, 2 the cancellation
    # reversed too, 9 refused by the fee engine (logged). The settlement job reads what is behind by this flag, so
    # a late-arriving order is never missed.
    settle_state: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")
    # Fulfilment monitoring: every change bumps change_seq and makes the order due (next_check_at = DUE_NOW);
    # the fulfilment pass then sets the next moment a window closes, only if change_seq is still what it read.
    change_seq: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    next_check_at: Mapped[dt.datetime | None]
    collected_at: Mapped[dt.datetime | None]  # the first carrier scan, as the fulfilment pass found it
    # Due orders are read in this order: a batch then holds few shops, so few listings' peers to compare with.
    __table_args__ = (sa.Index("ix_orders_tracking", "carrier", "tracking_no"),
                      # The settlement job's cursors (stats_store): each batch is read off an index in its order,
                      # instead of sorting every pending order for each batch. order_id completes both orders, so
                      # SQLite takes ix_orders_settle for cancellations (two equalities) rather than walking every
                      # settled order through ix_orders_unsettled.
                      sa.Index("ix_orders_settle", "settle_state", "status", "paid_at", "order_id"),
                      sa.Index("ix_orders_unsettled", "settle_state", "paid_at", "order_id"),
                      sa.Index("ix_orders_next_check", "next_check_at", "shop_id", "order_id"))

    def to_model(self) -> Order:
        return Order(
            order_id=self.order_id, consumer_id=self.consumer_id, shop_id=self.shop_id,
            items=tuple(OrderItem(i["listing_id"], i["qty"], i["price_fen"], i.get("exemption_confirmed", False),
                                  i.get("stock_tier")) for i in self.items),
            paid_fen=self.paid_fen, paid_at=self.paid_at, status=OrderStatus(self.status), carrier=self.carrier,
            tracking_no=self.tracking_no, shipped_at=self.shipped_at, signed_at=self.signed_at,
            cancelled_at=self.cancelled_at, cancel_reason=self.cancel_reason, review_rating=self.review_rating,
            ship_from_region=self.ship_from_region, ship_to_region=self.ship_to_region,
            consumer_hold=bool(self.consumer_hold),
            promise=Promise.from_dict(self.promise) if self.promise else None, creator_id=self.creator_id,
            parcel_weight_g=self.parcel_weight_g, shop_coupon_fen=self.shop_coupon_fen or 0,
            platform_coupon_fen=self.platform_coupon_fen or 0, channel=self.channel,
            fulfilled_from=self.fulfilled_from, worry_free=bool(self.worry_free), prize_of=self.prize_of)

    def update_from(self, order: Order) -> None:
        self.status = order.status.value
        self.carrier, self.tracking_no, self.shipped_at = order.carrier, order.tracking_no, order.shipped_at
        self.signed_at, self.cancelled_at, self.cancel_reason = order.signed_at, order.cancelled_at, order.cancel_reason
        self.review_rating, self.parcel_weight_g = order.review_rating, order.parcel_weight_g
        self.change_seq, self.next_check_at = (self.change_seq or 0) + 1, DUE_NOW


# An order whose next_check_at is this is due at once, whatever the clock says.
DUE_NOW = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _items(order: Order) -> list[dict[str, Any]]:
    return [{"listing_id": i.listing_id, "qty": i.qty, "price_fen": i.price_fen,
             "exemption_confirmed": i.exemption_confirmed, "stock_tier": i.stock_tier} for i in order.items]


def _paid_values(o: Order) -> dict[str, Any]:
    """Every column of a new order row."""
    return {"order_id": o.order_id, "consumer_id": o.consumer_id, "shop_id": o.shop_id, "items": _items(o),
            "paid_fen": o.paid_fen, "paid_at": o.paid_at, "status": o.status.value, "carrier": o.carrier,
            "tracking_no": o.tracking_no, "shipped_at": o.shipped_at, "signed_at": o.signed_at,
            "cancelled_at": o.cancelled_at, "cancel_reason": o.cancel_reason, "review_rating": o.review_rating,
            "ship_from_region": o.ship_from_region, "ship_to_region": o.ship_to_region,
            "consumer_hold": o.consumer_hold, "ship_by": o.promise.ship_by if o.promise else None,
            "promise": o.promise.as_dict() if o.promise else None, "creator_id": o.creator_id,
            "parcel_weight_g": o.parcel_weight_g, "shop_coupon_fen": o.shop_coupon_fen,
            "platform_coupon_fen": o.platform_coupon_fen, "channel": o.channel, "fulfilled_from": o.fulfilled_from,
            "worry_free": o.worry_free, "prize_of": o.prize_of, "settle_state": 0, "change_seq": 0,
            "next_check_at": DUE_NOW}


class OrderListingRow(Base):
    """Which listings an order bought: the fulfilment detectors compare an order with its listing's other orders."""

    __tablename__ = "order_listings"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    listing_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    paid_at: Mapped[dt.datetime]
    __table_args__ = (sa.Index("ix_order_listings_listing", "listing_id", "paid_at"),)


class ScanRow(Base):
    __tablename__ = "shipment_scans"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    carrier: Mapped[str] = mapped_column(sa.String(64))
    tracking_no: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(32))
    location: Mapped[str] = mapped_column(sa.String(200))
    scanned_at: Mapped[dt.datetime]
    region: Mapped[str | None] = mapped_column(sa.String(32))
    __table_args__ = (sa.Index("ix_shipment_scans_tracking", "carrier", "tracking_no", "scanned_at"),)

    def to_model(self) -> Scan:
        return Scan(self.carrier, self.tracking_no, self.status, self.location, self.scanned_at, self.region)


class ReviewRow(Base):
    __tablename__ = "reviews"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    posted_at: Mapped[dt.datetime]


_ORDER_EXISTS = sa.select(table(OrderRow).c.order_id).where(table(OrderRow).c.order_id == sa.bindparam("order_id"))


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_row(self, order_id: str, *, lock: bool = False) -> OrderRow | None:
        if lock:
            return self.session.get(OrderRow, order_id, with_for_update=True, populate_existing=True)
        return self.session.get(OrderRow, order_id)

    def exists(self, order_id: str) -> bool:
        """One indexed read of the key (no row loaded into the session)."""
        return self.session.scalar(_ORDER_EXISTS, {"order_id": order_id}) is not None

    def add(self, order: Order) -> None:
        self.session.add(OrderRow(**_paid_values(order)))
        self.session.add_all(OrderListingRow(order_id=order.order_id, listing_id=lid, paid_at=order.paid_at)
                             for lid in dict.fromkeys(i.listing_id for i in order.items))

    def by_tracking(self, carrier: str, tracking_no: str) -> OrderRow | None:
        return self.session.scalars(sa.select(OrderRow).where(
            OrderRow.carrier == carrier, OrderRow.tracking_no == tracking_no)).first()

    def add_scan(self, event_id: str, scan: Scan) -> None:
        self.session.add(ScanRow(event_id=event_id, carrier=scan.carrier, tracking_no=scan.tracking_no,
                                 status=scan.status, location=scan.location, scanned_at=scan.scanned_at,
                                 region=scan.region))
        self.mark_changed_by_tracking([(scan.carrier, scan.tracking_no)])

    def mark_changed_by_tracking(self, numbers: list[tuple[str, str]]) -> None:
        """A scan changes what is known about every order holding its tracking number."""
        if numbers:
            t = table(OrderRow)
            self.session.execute(sa.update(t).where(t.c.carrier == sa.bindparam("_c"),
                                                    t.c.tracking_no == sa.bindparam("_t"))
                                 .values(change_seq=t.c.change_seq + 1, next_check_at=DUE_NOW),
                                 [{"_c": c, "_t": n} for c, n in dict.fromkeys(numbers)])

    def scans(self, carrier: str, tracking_no: str) -> list[Scan]:
        rows = self.session.scalars(sa.select(ScanRow).where(
            ScanRow.carrier == carrier, ScanRow.tracking_no == tracking_no).order_by(ScanRow.scanned_at, ScanRow.id))
        return [r.to_model() for r in rows]

    def upsert_review(self, order_id: str, rating: int, text: str, posted_at: dt.datetime) -> bool:
        """False when a newer review is already stored (a late, older one changes nothing)."""
        row = self.session.get(ReviewRow, order_id)
        if row is None:
            self.session.add(ReviewRow(order_id=order_id, rating=rating, text=text, posted_at=posted_at))
            return True
        if posted_at < row.posted_at:
            return False
        row.rating, row.text, row.posted_at = rating, text, posted_at
        return True

    def for_consumer(self, consumer_id: str, limit: int = 50) -> list[OrderRow]:
        return list(self.session.scalars(sa.select(OrderRow).where(OrderRow.consumer_id == consumer_id)
                                         .order_by(OrderRow.paid_at.desc()).limit(limit)))

    def count_paid(self, *, since: dt.datetime, until: dt.datetime, consumer_id: str | None = None) -> int:
        if consumer_id is not None:  # on risk's verdict path: a prepared statement on the connection
            return self.session.connection().execute(
                _CONSUMER_PAID, {"consumer": consumer_id, "since": since, "until": until}).scalar() or 0
        stmt = sa.select(sa.func.count()).select_from(OrderRow).where(OrderRow.paid_at >= since,
                                                                      OrderRow.paid_at < until)
        return self.session.scalar(stmt) or 0

    # --- bulk ingestion: Core statements on the same tables, the same column values as add()/update_from() ------

    def states_by_ids(self, order_ids: list[str]) -> list[Order]:
        """Orders without their items (not read: they never change after payment, and decoding them is costly)."""
        t = table(OrderRow)
        rows = self.session.execute(sa.select(*[c for c in t.c if c.name not in ("items", "promise")]).where(
            t.c.order_id.in_(order_ids)))
        return [Order(r.order_id, r.consumer_id, r.shop_id, (), r.paid_fen, r.paid_at, OrderStatus(r.status),
                      r.carrier, r.tracking_no, r.shipped_at, r.signed_at, r.cancelled_at, r.cancel_reason,
                      r.review_rating, r.ship_from_region, r.ship_to_region, bool(r.consumer_hold),
                      creator_id=r.creator_id, parcel_weight_g=r.parcel_weight_g, fulfilled_from=r.fulfilled_from,
                      worry_free=bool(r.worry_free), prize_of=r.prize_of)
                for r in rows]

    def holding_tracking(self, carrier: str, tracking_nos: list[str]) -> list[tuple[str, str]]:
        t = table(OrderRow)
        return [(r.tracking_no, r.order_id) for r in self.session.execute(
            sa.select(t.c.tracking_no, t.c.order_id).where(t.c.carrier == carrier, t.c.tracking_no.in_(tracking_nos)))]

    def insert_many(self, orders: list[Order]) -> None:
        if orders:
            self.session.execute(sa.insert(table(OrderRow)), [_paid_values(o) for o in orders])
            self.session.execute(sa.insert(table(OrderListingRow)), [
                {"order_id": o.order_id, "listing_id": lid, "paid_at": o.paid_at}
                for o in orders for lid in dict.fromkeys(i.listing_id for i in o.items)])

    def update_many(self, orders: list[Order]) -> None:
        """The columns update_from() writes, for orders that already have a row."""
        if orders:
            t = table(OrderRow)
            self.session.execute(
                sa.update(t).where(t.c.order_id == sa.bindparam("_id"))
                .values(change_seq=t.c.change_seq + 1, next_check_at=DUE_NOW), [{
                    "_id": o.order_id, "status": o.status.value, "carrier": o.carrier, "tracking_no": o.tracking_no,
                    "shipped_at": o.shipped_at, "signed_at": o.signed_at, "cancelled_at": o.cancelled_at,
                    "cancel_reason": o.cancel_reason, "review_rating": o.review_rating,
                    "parcel_weight_g": o.parcel_weight_g} for o in orders])

    def add_scans(self, scans: list[tuple[str, Scan]]) -> None:
        if scans:
            self.session.execute(sa.insert(table(ScanRow)), [{
                "event_id": event_id, "carrier": s.carrier, "tracking_no": s.tracking_no, "status": s.status,
                "location": s.location, "scanned_at": s.scanned_at, "region": s.region} for event_id, s in scans])
            self.mark_changed_by_tracking([(s.carrier, s.tracking_no) for _, s in scans])

    def reviews_by_order(self, order_ids: list[str]) -> dict[str, tuple[int, str, dt.datetime]]:
        t = table(ReviewRow)
        rows = self.session.execute(sa.select(t).where(t.c.order_id.in_(order_ids)))
        return {r.order_id: (r.rating, r.text, r.posted_at) for r in rows}

    def parties(self, order_ids: list[str]) -> dict[str, tuple[str, str]]:
        """(shop_id, consumer_id) of each stored order among ``order_ids``."""
        t = table(OrderRow)
        out: dict[str, tuple[str, str]] = {}
        for i in range(0, len(order_ids), 2000):  # well under both databases' parameter limits
            rows = self.session.execute(sa.select(t.c.order_id, t.c.shop_id, t.c.consumer_id).where(
                t.c.order_id.in_(order_ids[i:i + 2000])))
            out.update((r.order_id, (r.shop_id, r.consumer_id)) for r in rows)
        return out

    def write_reviews(self, new: dict[str, tuple[int, str, dt.datetime]],
                      changed: dict[str, tuple[int, str, dt.datetime]]) -> None:
        t = table(ReviewRow)
        if new:
            self.session.execute(sa.insert(t), [{"order_id": oid, "rating": rating, "text": text,
                                                 "posted_at": at} for oid, (rating, text, at) in new.items()])
        if changed:
            self.session.execute(sa.update(t).where(t.c.order_id == sa.bindparam("_id")), [
                {"_id": oid, "rating": rating, "text": text, "posted_at": at}
                for oid, (rating, text, at) in changed.items()])


class WatchRepository:
    """What the fulfilment pass reads and writes on orders: due orders, their scans, their listing peers."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def due(self, now: dt.datetime, limit: int) -> list[tuple[OrderRow, int]]:
        rows = self.session.scalars(sa.select(OrderRow).where(OrderRow.next_check_at <= now)
                                    .order_by(OrderRow.next_check_at, OrderRow.shop_id, OrderRow.order_id)
                                    .limit(limit))
        return [(r, r.change_seq) for r in rows]

    def scans_of(self, numbers: list[tuple[str, str]]) -> dict[tuple[str, str], list[Scan]]:
        out: dict[tuple[str, str], list[Scan]] = {n: [] for n in numbers}
        by_carrier: dict[str, list[str]] = {}
        for c, n in numbers:
            by_carrier.setdefault(c, []).append(n)
        t = table(ScanRow)
        for carrier, tracking in by_carrier.items():
            for lo in range(0, len(tracking), 1000):
                rows = self.session.execute(sa.select(t).where(
                    t.c.carrier == carrier, t.c.tracking_no.in_(tracking[lo:lo + 1000])).order_by(t.c.id))
                for r in rows:
                    out[(r.carrier, r.tracking_no)].append(ScanRow.to_model(r))  # type: ignore[arg-type]
        return out

    def sharing_tracking(self, numbers: list[tuple[str, str]], exclude: set[str]) -> list[OrderRow]:
        by_carrier: dict[str, list[str]] = {}
        for carrier, tracking in numbers:
            by_carrier.setdefault(carrier, []).append(tracking)
        found: list[OrderRow] = []
        for carrier, tracking_nos in by_carrier.items():
            for lo in range(0, len(tracking_nos), 1000):
                found += [r for r in self.session.scalars(sa.select(OrderRow).where(
                    OrderRow.carrier == carrier, OrderRow.tracking_no.in_(tracking_nos[lo:lo + 1000])))
                    if r.order_id not in exclude]
        return found

    def listing_peers(self, listing_ids: list[str], start: dt.datetime, end: dt.datetime,
                      moved: frozenset[str], now: dt.datetime) -> list[tuple[OrderRow, dt.datetime | None]]:
        """Orders of these listings due to ship in [start, end] without a carrier scan (status in ``moved``) by
        their ship-by — the only ones the listing detectors count — each with its first carrier scan after
        payment (its collection). Judged from the scans, not from the stored collected_at, so the batch pass does
        not drag every not-yet-judged order along, and without loading their scans."""
        ol, sc = table(OrderListingRow), table(ScanRow)
        ids = sa.select(ol.c.order_id).where(ol.c.listing_id.in_(listing_ids))
        mine = sa.and_(sc.c.carrier == OrderRow.carrier, sc.c.tracking_no == OrderRow.tracking_no,
                       sc.c.scanned_at >= OrderRow.paid_at, sa.func.lower(sc.c.status).in_(sorted(moved)))
        on_time = sa.select(sc.c.id).where(mine, sc.c.scanned_at <= OrderRow.ship_by).exists()
        collected = sa.type_coerce(sa.select(sa.func.min(sc.c.scanned_at)).where(mine, sc.c.scanned_at <= now)
                                   .scalar_subquery(), UTCDateTime())
        rows = self.session.execute(sa.select(OrderRow, collected.label("collected")).where(
            OrderRow.order_id.in_(ids), OrderRow.ship_by >= start, OrderRow.ship_by <= end, ~on_time))
        return [(row, at) for row, at in rows]

    def due_ship_by_range(self, now: dt.datetime) -> tuple[dt.datetime, dt.datetime] | None:
        t = table(OrderRow)
        lo, hi = self.session.execute(sa.select(sa.func.min(t.c.ship_by), sa.func.max(t.c.ship_by)).where(
            t.c.next_check_at <= now)).one()
        return (lo, hi) if lo is not None and hi is not None else None

    def set_checked(self, updates: list[tuple[str, int, dt.datetime | None, dt.datetime | None]]) -> int:
        """(order_id, change_seq read, next_check_at, collected_at); an order changed since it was read stays due.
        Returns how many were written."""
        if not updates:
            return 0
        t = table(OrderRow)
        result = self.session.execute(
            sa.update(t).where(t.c.order_id == sa.bindparam("_id"), t.c.change_seq == sa.bindparam("_seq")),
            [{"_id": oid, "_seq": seq, "next_check_at": nxt, "collected_at": col} for oid, seq, nxt, col in updates])
        return rowcount(result)

    def mark_all_due(self, since: dt.datetime | None = None) -> int:
        t = table(OrderRow)
        stmt = sa.update(t).values(next_check_at=DUE_NOW)
        if since is not None:
            stmt = stmt.where(t.c.paid_at >= since)
        return rowcount(self.session.execute(stmt))

    def transit_samples(self, since: dt.datetime) -> list[tuple[str, str, str, dt.datetime, dt.datetime]]:
        t = table(OrderRow)
        rows = self.session.execute(sa.select(t.c.carrier, t.c.ship_from_region, t.c.ship_to_region,
                                              t.c.collected_at, t.c.signed_at).where(
            t.c.signed_at >= since, t.c.collected_at.is_not(None), t.c.carrier.is_not(None),
            t.c.ship_from_region.is_not(None), t.c.ship_to_region.is_not(None)))
        return [tuple(r) for r in rows]

    def of_shop(self, shop_id: str | None, start: dt.datetime, end: dt.datetime) -> list[OrderRow]:
        stmt = sa.select(OrderRow).where(OrderRow.paid_at >= start, OrderRow.paid_at < end)
        if shop_id is not None:
            stmt = stmt.where(OrderRow.shop_id == shop_id)
        return list(self.session.scalars(stmt))


_CONSUMER_PAID = sa.select(sa.func.count()).select_from(OrderRow).where(
    OrderRow.consumer_id == sa.bindparam("consumer"), OrderRow.paid_at >= sa.bindparam("since"),
    OrderRow.paid_at < sa.bindparam("until"))



# Analytics exports (the scoring facts): read-only selects another process streams, so that the orders tables are
# named only here. Column labels are the contract.

def export_orders_query(*, paid_since: dt.datetime, paid_until: dt.datetime,
                        shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    o = OrderRow
    return (sa.select(o.order_id, o.shop_id, o.items, o.creator_id, o.consumer_id, o.paid_at, o.paid_fen, o.promise,
                      o.cancelled_at, o.collected_at, o.signed_at, o.fulfilled_from, o.worry_free, o.prize_of)
            .where(o.paid_at >= paid_since, o.paid_at < paid_until, within(o.shop_id, shop_ids))
            .order_by(o.order_id))


def export_reviews_query(*, paid_since: dt.datetime, paid_until: dt.datetime,
                         shop_ids: list[str] | None) -> sa.Select[*tuple[Any, ...]]:
    """The reviews of orders paid in the window, posted before its end, with the order's shop, creator and
    sign-off."""
    o, r = OrderRow, ReviewRow
    return (sa.select(r.order_id, r.rating, r.posted_at, o.shop_id, o.creator_id, o.signed_at)
            .join_from(r, o, r.order_id == o.order_id)
            .where(o.paid_at >= paid_since, o.paid_at < paid_until, r.posted_at < paid_until,
                   within(o.shop_id, shop_ids))
            .order_by(r.order_id))


# The service-experience report's facts (anxin.reports.snapshots): orders paid since ``paid_since`` or shipped
# since ``shipped_since``, and reviews posted in the window, both before ``until``.

def export_report_orders_query(*, paid_since: dt.datetime, shipped_since: dt.datetime,
                               until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    o = OrderRow
    return (sa.select(o.order_id, o.shop_id, o.consumer_id, o.paid_at, o.paid_fen, o.ship_by, o.promise, o.items,
                      o.shipped_at, o.collected_at, o.signed_at, o.cancelled_at, o.fulfilled_from, o.worry_free,
                      o.prize_of)
            .where(o.paid_at < until,
                   sa.or_(o.paid_at >= paid_since, sa.and_(o.shipped_at >= shipped_since, o.shipped_at < until)))
            .order_by(o.order_id))


def export_report_reviews_query(*, since: dt.datetime, until: dt.datetime) -> sa.Select[*tuple[Any, ...]]:
    o, r = OrderRow, ReviewRow
    return (sa.select(r.order_id, o.shop_id, r.rating, r.posted_at)
            .join_from(r, o, r.order_id == o.order_id)
            .where(r.posted_at >= since, r.posted_at < until)
            .order_by(r.order_id))
