"""The shop registry's use cases, read and written in the caller's unit of work: ingestion writes the platform's
shops, an approved application opens one, a transfer hands one to another merchant; every context reads them."""

from __future__ import annotations

import datetime as dt

from anxin.db import refcache
from anxin.db.uow import UnitOfWork
from anxin.shops.model import STORE_TYPES as STORE_TYPES
from anxin.shops.model import Shop as Shop
from anxin.shops.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.shops.payloads import parse_shop as parse_shop  # the shop.upserted parser ingestion calls
from anxin.shops.store import ShopRepository

SHOP_TABLES = ("shops",)


def upsert_shop(uow: UnitOfWork, shop: Shop, *, as_of: dt.datetime) -> bool:
    """Newer-wins by ``as_of``; the opening time is the earliest any version gave. False for an older version."""
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


def opened_at(uow: UnitOfWork, shop_ids: list[str]) -> dict[str, dt.datetime]:
    """When each known shop opened: as the platform said, else when anxin first saw it."""
    return ShopRepository(uow.session).opened(shop_ids)


def reassign_shop(uow: UnitOfWork, shop_id: str, *, merchant_id: str, store_type: str) -> bool:
    """A transfer, entity change or upgrade the merchants context decided: the shop's owner and store type. False if
    the platform never described the shop."""
    return ShopRepository(uow.session).reassign(shop_id, merchant_id=merchant_id, store_type=store_type)


# --- bulk ingestion (anxin.ingest.bulk): a few thousand ids per call; rows with the `as_of` they reflect -----------

def shops_as_of(uow: UnitOfWork, shop_ids: list[str]) -> dict[str, tuple[Shop, dt.datetime]]:
    return ShopRepository(uow.session).shops_as_of(shop_ids)


def bulk_write_shops(uow: UnitOfWork, new: list[tuple[Shop, dt.datetime]],
                     changed: list[tuple[Shop, dt.datetime]]) -> None:
    """Insert ``new`` and overwrite ``changed``; the caller has already applied newer-wins."""
    ShopRepository(uow.session).write(new, changed)
