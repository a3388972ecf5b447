"""Read-only figures about a shop's orders, for the merchants context (novice tasks, deposit tiers, financing) and
the settlement job's cursors over paid and cancelled orders."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anxin.orders.store import OrderRow, ReviewRow


class ShopStatsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def order_counts(self, shop_id: str) -> dict[str, int]:
        """Paid, shipped before their ship-by, signed, positive (4–5) reviews, and GMV in fen, all time."""
        o = OrderRow
        on_time = sa.case((sa.and_(o.shipped_at.is_not(None), sa.or_(o.ship_by.is_(None), o.shipped_at <= o.ship_by)),
                           1), else_=0)
        row = self.session.execute(sa.select(
            sa.func.count(), sa.func.coalesce(sa.func.sum(on_time), 0),
            sa.func.coalesce(sa.func.sum(sa.case((o.signed_at.is_not(None), 1), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(o.paid_fen), 0)).where(o.shop_id == shop_id)).one()
        positive = self.session.scalar(sa.select(sa.func.count()).select_from(ReviewRow).join(
            o, o.order_id == ReviewRow.order_id).where(o.shop_id == shop_id, ReviewRow.rating >= 4)) or 0
        return {"orders_paid": int(row[0]), "orders_shipped_on_time": int(row[1]), "orders_signed": int(row[2]),
                "gmv_fen": int(row[3]), "positive_reviews": int(positive)}

    def gmv_between(self, shop_id: str, bounds: list[tuple[dt.datetime, dt.datetime]]) -> list[int]:
        """GMV in fen of orders paid in each [start, end) (cancelled orders excluded)."""
        o = OrderRow
        out = []
        for start, end in bounds:
            out.append(int(self.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(o.paid_fen), 0)).where(
                o.shop_id == shop_id, o.paid_at >= start, o.paid_at < end, o.status != "cancelled")) or 0))
        return out

    def paid_after(self, cursor: tuple[dt.datetime, str] | None, until: dt.datetime, limit: int) -> list[OrderRow]:
        """Orders paid up to ``until`` after the (paid_at, order_id) cursor, in that order."""
        o = OrderRow
        stmt = sa.select(o).where(o.paid_at <= until)
        if cursor is not None:
            stmt = stmt.where(sa.or_(o.paid_at > cursor[0], sa.and_(o.paid_at == cursor[0], o.order_id > cursor[1])))
        return list(self.session.scalars(stmt.order_by(o.paid_at, o.order_id).limit(limit)))

    def paid_between(self, start: dt.datetime, end: dt.datetime, after_id: str | None, limit: int) -> list[OrderRow]:
        o = OrderRow
        stmt = sa.select(o).where(o.paid_at >= start, o.paid_at < end)
        if after_id is not None:
            stmt = stmt.where(o.order_id > after_id)
        return list(self.session.scalars(stmt.order_by(o.order_id).limit(limit)))

    def cancelled_between(self, start: dt.datetime, end: dt.datetime) -> list[OrderRow]:
        o = OrderRow
        return list(self.session.scalars(sa.select(o).where(o.cancelled_at >= start, o.cancelled_at < end)
                                         .order_by(o.cancelled_at, o.order_id)))
