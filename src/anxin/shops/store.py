"""Shop rows: the platform's latest description of each shop, kept newer-wins."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db import refcache
from anxin.db.base import Base, table
from anxin.shops.model import Shop


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


# Shops are reference data read on every filing: cached (shops.service.get_shop), invalidated by any change to
# the table (ingestion, approval, transfer).
refcache.track(table(ShopRow))


class ShopRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, shop_id: str) -> ShopRow | None:
        return self.session.get(ShopRow, shop_id)

    def for_merchant(self, merchant_id: str) -> list[ShopRow]:
        return list(self.session.scalars(sa.select(ShopRow).where(ShopRow.merchant_id == merchant_id)
                                         .order_by(ShopRow.shop_id)))

    def opened(self, shop_ids: list[str]) -> dict[str, dt.datetime]:
        """When each shop opened (earliest known version; when anxin first saw it if the platform never said)."""
        t = ShopRow
        return {sid: opened or as_of for sid, opened, as_of in self.session.execute(
            sa.select(t.shop_id, t.opened_at, t.as_of).where(t.shop_id.in_(sorted(set(shop_ids)))))}

    def reassign(self, shop_id: str, *, merchant_id: str, store_type: str) -> bool:
        row = self.session.get(ShopRow, shop_id)
        if row is None:
            return False
        row.merchant_id, row.store_type = merchant_id, store_type
        return True

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
        t = table(ShopRow)
        rows = self.session.execute(sa.select(t).where(t.c.shop_id.in_(shop_ids)))
        # A Core row has the mapped row's attribute names, so to_model reads it as-is (no ORM hydration).
        return {r.shop_id: (ShopRow.to_model(r), r.as_of) for r in rows}  # type: ignore[arg-type]

    def write(self, new: list[tuple[Shop, dt.datetime]], changed: list[tuple[Shop, dt.datetime]]) -> None:
        t = table(ShopRow)
        values = [{"shop_id": s.shop_id, "merchant_id": s.merchant_id, "name": s.name, "store_type": s.store_type,
                   "services": sorted(s.services), "as_of": at, "opened_at": s.opened_at or at}
                  for s, at in new + changed]
        if new:
            self.session.execute(sa.insert(t), values[:len(new)])
        if changed:
            self.session.execute(sa.update(t).where(t.c.shop_id == sa.bindparam("_id")),
                                 [{"_id": v.pop("shop_id"), **v} for v in values[len(new):]])
