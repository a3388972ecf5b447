"""Merchant use cases: the shop rows ingestion writes, and ``MerchantService`` for everything anxin owns about a
merchant (lifecycle, deposits, fees, programmes, offers, the merchant centre)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from anxin.db import refcache
from anxin.db.uow import UnitOfWork
from anxin.merchants.centre import CentreCases
from anxin.merchants.lifecycle_cases import LifecycleCases
from anxin.merchants.model import Shop
from anxin.merchants.payloads import parse_shop as parse_shop
from anxin.merchants.store import ShopRepository

SHOP_TABLES = ("shops",)


def upsert_shop(uow: UnitOfWork, shop: Shop, *, as_of: dt.datetime) -> bool:
    return ShopRepository(uow.session).upsert(shop, as_of)


def get_shop(uow: UnitOfWork, shop_id: str) -> Shop | None:
    """The shop as the platform last described it; served from the in-process reference cache (anxin.db.refcache)
    while the shops table is unchanged."""
    def load() -> Shop | None:
        row = ShopRepository(uow.session).get(shop_id)
        return row.to_model() if row else None
    return refcache.cached(uow.session, ("shop", shop_id), SHOP_TABLES, load)


def shop_ids_of_merchant(uow: UnitOfWork, merchant_id: str) -> list[str]:
    return [row.shop_id for row in ShopRepository(uow.session).for_merchant(merchant_id)]


# --- bulk ingestion (anxin.ingest.bulk): a few thousand ids per call; rows with the `as_of` they reflect -----------

def shops_as_of(uow: UnitOfWork, shop_ids: list[str]) -> dict[str, tuple[Shop, dt.datetime]]:
    return ShopRepository(uow.session).shops_as_of(shop_ids)


def bulk_write_shops(uow: UnitOfWork, new: list[tuple[Shop, dt.datetime]],
                     changed: list[tuple[Shop, dt.datetime]]) -> None:
    """Insert ``new`` and overwrite ``changed``; the caller has already applied newer-wins."""
    ShopRepository(uow.session).write(new, changed)


class MerchantService(LifecycleCases, CentreCases):
    """The merchants context's use cases: lifecycle (``lifecycle_cases``), deposits and payouts
    (``money_cases``), settlement and statements (``settlement_cases``), the merchant centre (``centre``)."""

    def tick(self) -> dict[str, Any]:
        """Graduate novices whose period is over, then settle what happened since the last run."""
        graduated = self.graduate_due()
        return {"graduated": graduated, "settled": self.settle_pending().as_dict()}
