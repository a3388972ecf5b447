"""Merchant use cases used by ingestion and by other contexts."""

from __future__ import annotations

import datetime as dt

from anxin.db.uow import UnitOfWork
from anxin.merchants.model import Shop
from anxin.merchants.store import ShopRepository


def upsert_shop(uow: UnitOfWork, shop: Shop, *, as_of: dt.datetime) -> bool:
    return ShopRepository(uow.session).upsert(shop, as_of)


def get_shop(uow: UnitOfWork, shop_id: str) -> Shop | None:
    row = ShopRepository(uow.session).get(shop_id)
    return row.to_model() if row else None


def shop_ids_of_merchant(uow: UnitOfWork, merchant_id: str) -> list[str]:
    return [row.shop_id for row in ShopRepository(uow.session).for_merchant(merchant_id)]
