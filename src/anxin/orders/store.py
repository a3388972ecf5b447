"""Order, scan and review rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base
from anxin.orders.model import Order, OrderItem, OrderStatus, Scan


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
    __table_args__ = (sa.Index("ix_orders_tracking", "carrier", "tracking_no"),)

    def to_model(self) -> Order:
        return Order(
            order_id=self.order_id, consumer_id=self.consumer_id, shop_id=self.shop_id,
            items=tuple(OrderItem(i["listing_id"], i["qty"], i["price_fen"], i.get("exemption_confirmed", False))
                        for i in self.items),
            paid_fen=self.paid_fen, paid_at=self.paid_at, status=OrderStatus(self.status), carrier=self.carrier,
            tracking_no=self.tracking_no, shipped_at=self.shipped_at, signed_at=self.signed_at,
            cancelled_at=self.cancelled_at, cancel_reason=self.cancel_reason, review_rating=self.review_rating)

    def update_from(self, order: Order) -> None:
        self.status = order.status.value
        self.carrier, self.tracking_no, self.shipped_at = order.carrier, order.tracking_no, order.shipped_at
        self.signed_at, self.cancelled_at, self.cancel_reason = order.signed_at, order.cancelled_at, order.cancel_reason
        self.review_rating = order.review_rating


class ScanRow(Base):
    __tablename__ = "shipment_scans"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    event_id: Mapped[str] = mapped_column(sa.String(128), unique=True)
    carrier: Mapped[str] = mapped_column(sa.String(64))
    tracking_no: Mapped[str] = mapped_column(sa.String(128))
    status: Mapped[str] = mapped_column(sa.String(32))
    location: Mapped[str] = mapped_column(sa.String(200))
    scanned_at: Mapped[dt.datetime]
    __table_args__ = (sa.Index("ix_shipment_scans_tracking", "carrier", "tracking_no", "scanned_at"),)

    def to_model(self) -> Scan:
        return Scan(self.carrier, self.tracking_no, self.status, self.location, self.scanned_at)


class ReviewRow(Base):
    __tablename__ = "reviews"
    order_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    rating: Mapped[int]
    text: Mapped[str] = mapped_column(sa.Text)
    posted_at: Mapped[dt.datetime]


class OrderRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get_row(self, order_id: str) -> OrderRow | None:
        return self.session.get(OrderRow, order_id)

    def add(self, order: Order) -> None:
        self.session.add(OrderRow(
            order_id=order.order_id, consumer_id=order.consumer_id, shop_id=order.shop_id,
            items=[{"listing_id": i.listing_id, "qty": i.qty, "price_fen": i.price_fen,
                    "exemption_confirmed": i.exemption_confirmed} for i in order.items],
            paid_fen=order.paid_fen, paid_at=order.paid_at, status=order.status.value))

    def by_tracking(self, carrier: str, tracking_no: str) -> OrderRow | None:
        return self.session.scalars(sa.select(OrderRow).where(
            OrderRow.carrier == carrier, OrderRow.tracking_no == tracking_no)).first()

    def add_scan(self, event_id: str, scan: Scan) -> None:
        self.session.add(ScanRow(event_id=event_id, carrier=scan.carrier, tracking_no=scan.tracking_no,
                                 status=scan.status, location=scan.location, scanned_at=scan.scanned_at))

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

    # --- bulk ingestion: Core statements on the same tables, the same column values as add()/update_from() ------

    def states_by_ids(self, order_ids: list[str]) -> list[Order]:
        """Orders without their items (not read: they never change after payment, and decoding them is costly)."""
        t = OrderRow.__table__
        rows = self.session.execute(sa.select(*[c for c in t.c if c.name != "items"]).where(
            t.c.order_id.in_(order_ids)))
        return [Order(r.order_id, r.consumer_id, r.shop_id, (), r.paid_fen, r.paid_at, OrderStatus(r.status),
                      r.carrier, r.tracking_no, r.shipped_at, r.signed_at, r.cancelled_at, r.cancel_reason,
                      r.review_rating) for r in rows]

    def holding_tracking(self, carrier: str, tracking_nos: list[str]) -> list[tuple[str, str]]:
        t = OrderRow.__table__
        return [(r.tracking_no, r.order_id) for r in self.session.execute(
            sa.select(t.c.tracking_no, t.c.order_id).where(t.c.carrier == carrier, t.c.tracking_no.in_(tracking_nos)))]

    def insert_many(self, orders: list[Order]) -> None:
        if orders:
            self.session.execute(sa.insert(OrderRow.__table__), [{
                "order_id": o.order_id, "consumer_id": o.consumer_id, "shop_id": o.shop_id,
                "items": [{"listing_id": i.listing_id, "qty": i.qty, "price_fen": i.price_fen,
                           "exemption_confirmed": i.exemption_confirmed} for i in o.items],
                "paid_fen": o.paid_fen, "paid_at": o.paid_at, "status": o.status.value, "carrier": o.carrier,
                "tracking_no": o.tracking_no, "shipped_at": o.shipped_at, "signed_at": o.signed_at,
                "cancelled_at": o.cancelled_at, "cancel_reason": o.cancel_reason,
                "review_rating": o.review_rating} for o in orders])

    def update_many(self, orders: list[Order]) -> None:
        """The columns update_from() writes, for orders that already have a row."""
        if orders:
            t = OrderRow.__table__
            self.session.execute(sa.update(t).where(t.c.order_id == sa.bindparam("_id")), [{
                "_id": o.order_id, "status": o.status.value, "carrier": o.carrier, "tracking_no": o.tracking_no,
                "shipped_at": o.shipped_at, "signed_at": o.signed_at, "cancelled_at": o.cancelled_at,
                "cancel_reason": o.cancel_reason, "review_rating": o.review_rating} for o in orders])

    def add_scans(self, scans: list[tuple[str, Scan]]) -> None:
        if scans:
            self.session.execute(sa.insert(ScanRow.__table__), [{
                "event_id": event_id, "carrier": s.carrier, "tracking_no": s.tracking_no, "status": s.status,
                "location": s.location, "scanned_at": s.scanned_at} for event_id, s in scans])

    def reviews_by_order(self, order_ids: list[str]) -> dict[str, tuple[int, str, dt.datetime]]:
        t = ReviewRow.__table__
        rows = self.session.execute(sa.select(t).where(t.c.order_id.in_(order_ids)))
        return {r.order_id: (r.rating, r.text, r.posted_at) for r in rows}

    def write_reviews(self, new: dict[str, tuple[int, str, dt.datetime]],
                      changed: dict[str, tuple[int, str, dt.datetime]]) -> None:
        t = ReviewRow.__table__
        if new:
            self.session.execute(sa.insert(t), [{"order_id": oid, "rating": rating, "text": text,
                                                 "posted_at": at} for oid, (rating, text, at) in new.items()])
        if changed:
            self.session.execute(sa.update(t).where(t.c.order_id == sa.bindparam("_id")), [
                {"_id": oid, "rating": rating, "text": text, "posted_at": at}
                for oid, (rating, text, at) in changed.items()])
