"""Rows of lucky bags, entries, draws and prizes.

``wf_lucky_bags``: one row per campaign with its prizes, entry window, the seed's commitment (``seed_hash``) and the
seed itself (kept from the API until the draw reveals it), its state (open → drawn | cancelled) and, once drawn, the
draw's audit record. A draw moves the row from open to drawn under a row lock (PostgreSQL ``FOR UPDATE``; SQLite's
write transaction), so concurrent draws give one result. ``wf_lucky_bag_entries``: one per consumer and bag
(UNIQUE), with the eligibility decision. ``wf_lucky_bag_prizes``: one per winner (the prize order's id UNIQUE).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base

OPEN, DRAWN, CANCELLED = "open", "drawn", "cancelled"
BAG_STATES = (OPEN, DRAWN, CANCELLED)


class LuckyBagRow(Base):
    __tablename__ = "wf_lucky_bags"

    bag_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    live_room_id: Mapped[str] = mapped_column(sa.String(64))
    creator_id: Mapped[str | None] = mapped_column(sa.String(64))
    shop_id: Mapped[str] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(80))  # role:subject
    title: Mapped[str] = mapped_column(sa.String(200))
    prizes: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)  # [{listing_id, quantity}] in prize order
    opens_at: Mapped[dt.datetime]
    closes_at: Mapped[dt.datetime]
    seed_hash: Mapped[str] = mapped_column(sa.String(64))
    server_seed: Mapped[str] = mapped_column(sa.String(64))  # secret until the draw
    state: Mapped[str] = mapped_column(sa.String(16))
    decision: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # creation: reasons, rule ids, facts
    rulebook_version: Mapped[str] = mapped_column(sa.String(60))
    created_at: Mapped[dt.datetime]
    drawn_at: Mapped[dt.datetime | None]
    drawn_by: Mapped[str | None] = mapped_column(sa.String(80))
    draw: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)  # the draw's audit record (draw.DrawResult)
    released: Mapped[list[dict[str, Any]] | None] = mapped_column(sa.JSON)  # prize units given back to stock
    cancelled_at: Mapped[dt.datetime | None]
    cancelled_by: Mapped[str | None] = mapped_column(sa.String(80))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(200))
    updated_at: Mapped[dt.datetime]

    __table_args__ = (
        sa.CheckConstraint("state IN ('open', 'drawn', 'cancelled')", name="state"),
        sa.Index("ix_wf_lucky_bags_creator", "creator_id", "created_at", "bag_id"),
        sa.Index("ix_wf_lucky_bags_shop", "shop_id", "created_at", "bag_id"),
        sa.Index("ix_wf_lucky_bags_created", "created_at", "bag_id"),
    )


class LuckyBagEntryRow(Base):
    __tablename__ = "wf_lucky_bag_entries"

    entry_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    bag_id: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("wf_lucky_bags.bag_id"))
    consumer_id: Mapped[str] = mapped_column(sa.String(64))
    region: Mapped[str] = mapped_column(sa.String(32))
    entered_at: Mapped[dt.datetime]
    eligible: Mapped[bool] = mapped_column(sa.Boolean)
    reasons: Mapped[list[str]] = mapped_column(sa.JSON)
    rule_ids: Mapped[list[str]] = mapped_column(sa.JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    rulebook_version: Mapped[str] = mapped_column(sa.String(60))
    recorded_at: Mapped[dt.datetime]

    __table_args__ = (
        sa.UniqueConstraint("bag_id", "consumer_id", name="uq_wf_lucky_bag_entries_consumer"),
        sa.Index("ix_wf_lucky_bag_entries_bag", "bag_id", "eligible", "consumer_id"),
    )


class LuckyBagPrizeRow(Base):
    __tablename__ = "wf_lucky_bag_prizes"

    bag_id: Mapped[str] = mapped_column(sa.String(64), sa.ForeignKey("wf_lucky_bags.bag_id"), primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    consumer_id: Mapped[str] = mapped_column(sa.String(64))
    listing_id: Mapped[str] = mapped_column(sa.String(64))
    unit_no: Mapped[int] = mapped_column(sa.Integer)
    order_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime]


class LuckyBagRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    # --- bags ----------------------------------------------------------------------------------------------------

    def add(self, row: LuckyBagRow) -> None:
        self.session.add(row)
        self.session.flush()

    def get(self, bag_id: str, *, lock: bool = False) -> LuckyBagRow | None:
        q = sa.select(LuckyBagRow).where(LuckyBagRow.bag_id == bag_id)
        if lock:
            q = q.with_for_update()
        return self.session.scalars(q).one_or_none()

    def find(self, *, creator_id: str | None = None, shop_ids: list[str] | None = None, state: str | None = None,
             limit: int = 50, after: tuple[dt.datetime, str] | None = None) -> list[LuckyBagRow]:
        """Newest first: (created_at, bag_id) descending; ``after`` is the last key of the previous page."""
        b = LuckyBagRow
        q = sa.select(b)
        if creator_id is not None:
            q = q.where(b.creator_id == creator_id)
        if shop_ids is not None:
            q = q.where(b.shop_id.in_(shop_ids or [""]))
        if state is not None:
            q = q.where(b.state == state)
        if after is not None:
            q = q.where(sa.or_(b.created_at < after[0], sa.and_(b.created_at == after[0], b.bag_id < after[1])))
        return list(self.session.scalars(q.order_by(b.created_at.desc(), b.bag_id.desc()).limit(limit)))

    # --- entries -------------------------------------------------------------------------------------------------

    def entry_of(self, bag_id: str, consumer_id: str) -> LuckyBagEntryRow | None:
        return self.session.scalars(sa.select(LuckyBagEntryRow).where(
            LuckyBagEntryRow.bag_id == bag_id, LuckyBagEntryRow.consumer_id == consumer_id)).one_or_none()

    def add_entry(self, row: LuckyBagEntryRow) -> bool:
        """Insert in a savepoint: False when the consumer already has an entry in the bag (the unique key)."""
        try:
            with self.session.begin_nested():
                self.session.add(row)
                self.session.flush()
        except sa.exc.IntegrityError:
            return False
        return True

    def entries(self, bag_id: str, *, eligible: bool | None = None, limit: int | None = None,
                after: str | None = None) -> list[LuckyBagEntryRow]:
        e = LuckyBagEntryRow
        q = sa.select(e).where(e.bag_id == bag_id)
        if eligible is not None:
            q = q.where(e.eligible.is_(eligible))
        if after is not None:
            q = q.where(e.consumer_id > after)
        q = q.order_by(e.consumer_id)
        if limit is not None:
            q = q.limit(limit)
        return list(self.session.scalars(q))

    def entry_counts(self, bag_ids: list[str]) -> dict[str, tuple[int, int]]:
        """(entries, eligible entries) per bag."""
        e = LuckyBagEntryRow
        q = (sa.select(e.bag_id, sa.func.count(), sa.func.sum(sa.case((e.eligible.is_(True), 1), else_=0)))
             .where(e.bag_id.in_(bag_ids or [""])).group_by(e.bag_id))
        return {b: (int(n), int(k or 0)) for b, n, k in self.session.execute(q)}

    # --- prizes --------------------------------------------------------------------------------------------------

    def add_prizes(self, rows: list[LuckyBagPrizeRow]) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def prizes(self, bag_id: str) -> list[LuckyBagPrizeRow]:
        return list(self.session.scalars(sa.select(LuckyBagPrizeRow).where(LuckyBagPrizeRow.bag_id == bag_id)
                                         .order_by(LuckyBagPrizeRow.position)))

    def prize_of_order(self, order_id: str) -> LuckyBagPrizeRow | None:
        return self.session.scalars(sa.select(LuckyBagPrizeRow).where(
            LuckyBagPrizeRow.order_id == order_id)).one_or_none()
