"""Read-only figures about a shop's orders, for the merchants context (novice tasks, deposit tiers, financing) and
the settlement job's cursors over paid and cancelled orders."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Session

from anxin.orders.store import OrderListingRow, OrderRow, ReviewRow


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

    def paid_counts(self, shop_ids: list[str], since: dt.datetime, until: dt.datetime) -> dict[str, int]:
        """Orders paid in [since, until) per shop (shops with none are left out)."""
        o = OrderRow
        out: dict[str, int] = {}
        ids = sorted(set(shop_ids))
        for start in range(0, len(ids), 1000):  # keep IN lists short
            out.update({sid: int(n) for sid, n in self.session.execute(
                sa.select(o.shop_id, sa.func.count()).where(o.shop_id.in_(ids[start:start + 1000]),
                                                           o.paid_at >= since, o.paid_at < until)
                .group_by(o.shop_id))})
        return out

    def gmv_between(self, shop_id: str, bounds: list[tuple[dt.datetime, dt.datetime]]) -> list[int]:
        """GMV in fen of orders paid in each [start, end) (cancelled orders excluded)."""
        o = OrderRow
        out = []
        for start, end in bounds:
            out.append(int(self.session.scalar(sa.select(sa.func.coalesce(sa.func.sum(o.paid_fen), 0)).where(
                o.shop_id == shop_id, o.paid_at >= start, o.paid_at < end, o.status != "cancelled")) or 0))
        return out

    def unsettled(self, limit: int) -> list[OrderRow]:
        """Orders whose sale is not settled yet, oldest payment first."""
        o = OrderRow
        return list(self.session.scalars(sa.select(o).where(o.settle_state == 0).order_by(o.paid_at, o.order_id)
                                         .limit(limit)))

    def cancelled_unsettled(self, limit: int) -> list[OrderRow]:
        """Cancelled orders whose sale is settled but whose cancellation is not reversed yet."""
        o = OrderRow
        return list(self.session.scalars(sa.select(o).where(o.settle_state == 1, o.status == "cancelled")
                                         .order_by(o.paid_at, o.order_id).limit(limit)))

    def mark_settled(self, order_ids: list[str], state: int) -> None:
        if order_ids:
            self.session.execute(sa.update(OrderRow).where(OrderRow.order_id.in_(order_ids)).values(
                settle_state=state))


# --- merchants' matchmaking: creators' sales and a live session's orders (issue 18 §7) ------------------------------

def creator_sales(session: Session, since: dt.datetime, until: dt.datetime) -> list[tuple[str, str, int]]:
    """(creator id, listing id, orders) of the orders carrying a creator paid in [since, until), cancelled ones
    left out."""
    o, ol = OrderRow, OrderListingRow
    rows = session.execute(
        sa.select(o.creator_id, ol.listing_id, sa.func.count()).join(ol, ol.order_id == o.order_id)
        .where(o.creator_id.is_not(None), o.paid_at >= since, o.paid_at < until, o.status != "cancelled")
        .group_by(o.creator_id, ol.listing_id)).all()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def creator_orders_in_shop(session: Session, creator_id: str, shop_id: str, start: dt.datetime,
                           end: dt.datetime) -> list[OrderRow]:
    """The order rows of one shop carrying the creator paid in [start, end)."""
    return list(session.scalars(sa.select(OrderRow).where(
        OrderRow.creator_id == creator_id, OrderRow.shop_id == shop_id, OrderRow.paid_at >= start,
        OrderRow.paid_at < end).order_by(OrderRow.paid_at, OrderRow.order_id)))
