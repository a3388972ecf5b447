"""anxin's lifecycle record of each shop, its history and the licence registry (the shop rows themselves are the
shops context's)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base

# --- lifecycle: anxin's own record of a shop (applications, states, licences) -----------------------------------

class ShopLifecycleRow(Base):
    """What anxin owns about a shop beyond the platform's shop row: its state, licence, declared categories, the
    zero-deposit trial. Created by an application, or on first use for a shop the platform onboarded."""

    __tablename__ = "shop_lifecycle"
    shop_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), index=True)
    store_type: Mapped[str] = mapped_column(sa.String(16))
    licence_no: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    legal_rep: Mapped[str | None] = mapped_column(sa.String(128))
    categories: Mapped[list[str]] = mapped_column(sa.JSON)
    qualifications: Mapped[list[str]] = mapped_column(sa.JSON)
    trial: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    applied_at: Mapped[dt.datetime]
    opened_at: Mapped[dt.datetime | None]  # approval (or the platform's opening): the new-shop windows count from it
    state_since: Mapped[dt.datetime]
    screening: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # the application's decision, reasons and facts
    carried: Mapped[dict[str, Any]] = mapped_column(sa.JSON)  # what the last transfer/upgrade kept or reset
    novice_tasks: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)  # task id -> when it was completed
    revision: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")


class ShopHistoryRow(Base):
    """Every state change, transfer, entity change and upgrade, never rewritten."""

    __tablename__ = "shop_history"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    at: Mapped[dt.datetime]
    kind: Mapped[str] = mapped_column(sa.String(24))  # state | transfer | entity_change | upgrade | trial
    from_state: Mapped[str | None] = mapped_column(sa.String(16))
    to_state: Mapped[str | None] = mapped_column(sa.String(16))
    reason_code: Mapped[str] = mapped_column(sa.String(64))
    actor: Mapped[str] = mapped_column(sa.String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON)


class LicenceRow(Base):
    __tablename__ = "licences"
    licence_no: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    holder_merchant_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    legal_rep: Mapped[str | None] = mapped_column(sa.String(128))
    registered_at: Mapped[dt.datetime]


class LifecycleRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, shop_id: str, *, for_update: bool = False) -> ShopLifecycleRow | None:
        if for_update:
            return self.session.scalars(sa.select(ShopLifecycleRow).where(ShopLifecycleRow.shop_id == shop_id)
                                        .with_for_update()).first()
        return self.session.get(ShopLifecycleRow, shop_id)

    def add(self, row: ShopLifecycleRow) -> None:
        self.session.add(row)

    def many(self, shop_ids: list[str], *, for_update: bool = False) -> dict[str, ShopLifecycleRow]:
        """Lifecycle rows of these shops; locked in shop-id order with ``for_update`` (no deadlocks between jobs)."""
        stmt = sa.select(ShopLifecycleRow).where(ShopLifecycleRow.shop_id.in_(sorted(set(shop_ids)))).order_by(
            ShopLifecycleRow.shop_id)
        return {r.shop_id: r for r in self.session.scalars(stmt.with_for_update() if for_update else stmt)}

    def for_merchant(self, merchant_id: str) -> list[ShopLifecycleRow]:
        return list(self.session.scalars(sa.select(ShopLifecycleRow).where(ShopLifecycleRow.merchant_id == merchant_id)
                                         .order_by(ShopLifecycleRow.shop_id)))

    def due_graduation(self, opened_before: dt.datetime, limit: int) -> list[ShopLifecycleRow]:
        t = ShopLifecycleRow
        return list(self.session.scalars(sa.select(t).where(t.state == "novice", t.opened_at < opened_before)
                                         .order_by(t.opened_at).limit(limit)))

    def shops_on_licence(self, licence_no: str, *, excluding: str | None = None) -> int:
        t = ShopLifecycleRow
        stmt = sa.select(sa.func.count()).select_from(t).where(t.licence_no == licence_no, t.state != "closed")
        if excluding is not None:
            stmt = stmt.where(t.shop_id != excluding)
        return self.session.scalar(stmt) or 0

    def record(self, row: ShopHistoryRow) -> None:
        self.session.add(row)

    def history(self, shop_id: str) -> list[ShopHistoryRow]:
        return list(self.session.scalars(sa.select(ShopHistoryRow).where(ShopHistoryRow.shop_id == shop_id)
                                         .order_by(ShopHistoryRow.id)))

    def licence(self, licence_no: str) -> LicenceRow | None:
        return self.session.get(LicenceRow, licence_no)

    def add_licence(self, row: LicenceRow) -> None:
        self.session.add(row)

    def ids_after(self, after: str | None, limit: int, *, merchant_id: str | None = None) -> list[str]:
        """Shop ids in order, the ones after ``after`` (keyset), of one merchant or all."""
        t = ShopLifecycleRow
        q = sa.select(t.shop_id)
        if merchant_id is not None:
            q = q.where(t.merchant_id == merchant_id)
        if after is not None:
            q = q.where(t.shop_id > after)
        return list(self.session.scalars(q.order_by(t.shop_id).limit(limit)))

    def recent(self, limit: int) -> list[ShopLifecycleRow]:
        return list(self.session.scalars(sa.select(ShopLifecycleRow).order_by(ShopLifecycleRow.state_since.desc())
                                         .limit(limit)))
