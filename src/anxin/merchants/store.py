"""Shop rows, anxin's lifecycle record of each shop, its history and the licence registry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db import refcache
from anxin.db.base import Base
from anxin.merchants.model import Shop


class ShopRow(Base):
    __tablename__ = "shops"
    shop_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    merchant_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    store_type: Mapped[str] = mapped_column(sa.String(16))
    services: Mapped[list[str]] = mapped_column(sa.JSON)
    as_of: Mapped[dt.datetime]
    # When the platform opened the shop (its event says so, else when anxin first saw it); never overwritten.
    opened_at: Mapped[dt.datetime | None]

    def to_model(self) -> Shop:
        return Shop(self.shop_id, self.merchant_id, self.name, self.store_type, frozenset(self.services),
                    self.opened_at)


# Shops are reference data read on every filing: cached (merchants.service.get_shop), invalidated by any change to
# the table (ingestion, approval, transfer).
refcache.track(ShopRow.__table__)  # type: ignore[arg-type]


class ShopRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, shop_id: str) -> ShopRow | None:
        return self.session.get(ShopRow, shop_id)

    def for_merchant(self, merchant_id: str) -> list[ShopRow]:
        return list(self.session.scalars(sa.select(ShopRow).where(ShopRow.merchant_id == merchant_id)
                                         .order_by(ShopRow.shop_id)))

    def upsert(self, shop: Shop, as_of: dt.datetime) -> bool:
        row = self.session.get(ShopRow, shop.shop_id)
        opened = shop.opened_at or as_of
        if row is None:
            self.session.add(ShopRow(shop_id=shop.shop_id, merchant_id=shop.merchant_id, name=shop.name,
                                     store_type=shop.store_type, services=sorted(shop.services), as_of=as_of,
                                     opened_at=opened))
            return True
        # The opening time is the earliest any version gave, whatever order the versions arrive in.
        row.opened_at = min(opened, row.opened_at) if row.opened_at is not None else opened
        if as_of < row.as_of:
            return False
        row.merchant_id, row.name, row.store_type = shop.merchant_id, shop.name, shop.store_type
        row.services, row.as_of = sorted(shop.services), as_of
        return True

    # --- bulk ingestion: Core statements on the same table, the same column values as upsert() ---------------

    def shops_as_of(self, shop_ids: list[str]) -> dict[str, tuple[Shop, dt.datetime]]:
        t = ShopRow.__table__
        rows = self.session.execute(sa.select(t).where(t.c.shop_id.in_(shop_ids)))
        # A Core row has the mapped row's attribute names, so to_model reads it as-is (no ORM hydration).
        return {r.shop_id: (ShopRow.to_model(r), r.as_of) for r in rows}  # type: ignore[arg-type]

    def write(self, new: list[tuple[Shop, dt.datetime]], changed: list[tuple[Shop, dt.datetime]]) -> None:
        t = ShopRow.__table__
        values = [{"shop_id": s.shop_id, "merchant_id": s.merchant_id, "name": s.name, "store_type": s.store_type,
                   "services": sorted(s.services), "as_of": at, "opened_at": s.opened_at or at}
                  for s, at in new + changed]
        if new:
            self.session.execute(sa.insert(t), values[:len(new)])
        if changed:
            self.session.execute(sa.update(t).where(t.c.shop_id == sa.bindparam("_id")),
                                 [{"_id": v.pop("shop_id"), **v} for v in values[len(new):]])


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

    def opened(self, shop_ids: list[str]) -> dict[str, dt.datetime]:
        """When each shop opened, as the platform's shop rows say (earliest known version)."""
        t = ShopRow
        return {sid: opened or as_of for sid, opened, as_of in self.session.execute(
            sa.select(t.shop_id, t.opened_at, t.as_of).where(t.shop_id.in_(sorted(set(shop_ids)))))}

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

    def recent(self, limit: int) -> list[ShopLifecycleRow]:
        return list(self.session.scalars(sa.select(ShopLifecycleRow).order_by(ShopLifecycleRow.state_since.desc())
                                         .limit(limit)))
