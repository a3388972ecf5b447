"""Catalog use cases. Functions taking ``uow`` join the caller's transaction and never commit."""

from __future__ import annotations

import datetime as dt

from anxin.catalog.events import ListingUpserted
from anxin.catalog.model import Category, Listing, inherited_tags
from anxin.catalog.payloads import PAYLOADS as PAYLOADS  # the model of each event type's data it owns
from anxin.catalog.payloads import parse_category as parse_category
from anxin.catalog.payloads import parse_listing as parse_listing
from anxin.catalog.store import CatalogRepository
from anxin.catalog.store import export_categories_query as export_categories_query  # analytics exports
from anxin.catalog.store import export_listings_query as export_listings_query
from anxin.db import refcache
from anxin.db.uow import UnitOfWork

TAG_TABLES = ("categories", "listings")


def upsert_category(uow: UnitOfWork, category: Category, *, as_of: dt.datetime) -> bool:
    return CatalogRepository(uow.session).upsert_category(category, as_of)


def upsert_listing(uow: UnitOfWork, listing: Listing, *, as_of: dt.datetime) -> bool:
    """Store the listing unless a newer version is stored; when applied, record catalog.listing_upserted."""
    applied = CatalogRepository(uow.session).upsert_listing(listing, as_of)
    if applied:
        uow.record(ListingUpserted.of(listing, at=as_of))
    return applied


def listing_upserted(listing: Listing, *, as_of: dt.datetime) -> ListingUpserted:
    """The event of an applied version, for the bulk path (it applies newer-wins in memory, then records these in
    the chunk's transaction with ``uow.record``)."""
    return ListingUpserted.of(listing, at=as_of)


def category_exists(uow: UnitOfWork, category_id: str) -> bool:
    return CatalogRepository(uow.session).category(category_id) is not None


def missing_listings(uow: UnitOfWork, listing_ids: list[str]) -> list[str]:
    found = {row.listing_id for row in CatalogRepository(uow.session).listings(listing_ids)}
    return [lid for lid in listing_ids if lid not in found]


def get_listings(uow: UnitOfWork, listing_ids: list[str]) -> dict[str, Listing]:
    return {row.listing_id: row.to_model() for row in CatalogRepository(uow.session).listings(listing_ids)}


def listings_of_shop(uow: UnitOfWork, shop_id: str, *, after: str | None = None, limit: int = 100) -> list[Listing]:
    """The shop's listings by listing id (keyset pages after ``after``): what the worry-free page offers to enrol."""
    return [row.to_model() for row in CatalogRepository(uow.session).shop_listings(shop_id, after=after, limit=limit)]


def category_names(uow: UnitOfWork, category_ids: list[str]) -> dict[str, str]:
    """The name the platform gave each known category, by id: what a page shows for a category id."""
    return {cid: category.name for cid, (category, _) in CatalogRepository(uow.session).categories_as_of(
        category_ids).items()}


def tags_for_listing(uow: UnitOfWork, listing_id: str) -> frozenset[str]:
    """The listing's category tags with every ancestor's; served from the in-process reference cache
    (anxin.db.refcache) while listings and categories are unchanged."""
    def load() -> frozenset[str] | None:
        repo = CatalogRepository(uow.session)
        row = repo.listing(listing_id)
        if row is None:
            return None
        return inherited_tags(row.category_id, repo.category_chain(row.category_id))
    return refcache.cached(uow.session, ("listing_tags", listing_id), TAG_TABLES, load) or frozenset()


# --- bulk ingestion (anxin.ingest.bulk): a few thousand ids per call; rows with the `as_of` they reflect -----------

def categories_as_of(uow: UnitOfWork, category_ids: list[str]) -> dict[str, tuple[Category, dt.datetime]]:
    return CatalogRepository(uow.session).categories_as_of(category_ids)


def listings_as_of(uow: UnitOfWork, listing_ids: list[str]) -> dict[str, tuple[Listing, dt.datetime]]:
    return CatalogRepository(uow.session).listings_as_of(listing_ids)


def bulk_write_categories(uow: UnitOfWork, new: list[tuple[Category, dt.datetime]],
                          changed: list[tuple[Category, dt.datetime]]) -> None:
    """Insert ``new`` and overwrite ``changed``; the caller has already applied newer-wins."""
    CatalogRepository(uow.session).write_categories(new, changed)


def bulk_write_listings(uow: UnitOfWork, new: list[tuple[Listing, dt.datetime]],
                        changed: list[tuple[Listing, dt.datetime]]) -> None:
    CatalogRepository(uow.session).write_listings(new, changed)


# --- merchants: what a shop sells, and categories as the fee and deposit rules read them -------------------------

def listing_count(uow: UnitOfWork, shop_id: str) -> int:
    return CatalogRepository(uow.session).listing_count(shop_id)


def shop_category_ids(uow: UnitOfWork, shop_id: str) -> list[str]:
    return CatalogRepository(uow.session).shop_category_ids(shop_id)


def category_lineage(uow: UnitOfWork, category_ids: list[str]) -> dict[str, tuple[tuple[str, ...], frozenset[str]]]:
    """For each known category: its ancestors (parent first) and its own tags with every ancestor's."""
    repo = CatalogRepository(uow.session)
    out: dict[str, tuple[tuple[str, ...], frozenset[str]]] = {}
    for cid in dict.fromkeys(category_ids):
        chain = repo.category_chain(cid)
        if cid not in chain:
            continue
        ancestors, tags, seen = [], set(chain[cid].tags), {cid}
        parent = chain[cid].parent_id
        while parent is not None and parent in chain and parent not in seen:
            seen.add(parent)
            ancestors.append(parent)
            tags |= chain[parent].tags
            parent = chain[parent].parent_id
        out[cid] = (tuple(ancestors), frozenset(tags))
    return out


def listing_categories(uow: UnitOfWork, listing_ids: list[str]) -> dict[str, str]:
    return {r.listing_id: r.category_id for r in CatalogRepository(uow.session).listings(listing_ids)}


# --- governance: the listings a sampling plan draws from ------------------------------------------------------------

def listing_refs(uow: UnitOfWork, *, after: str | None = None, limit: int = 5000) -> list[tuple[str, str, str]]:
    """(listing id, shop id, category id) of every listing in listing-id order, ``limit`` after ``after``."""
    return CatalogRepository(uow.session).listing_refs(after=after, limit=limit)


# --- worryfree: the creators' selection pool -------------------------------------------------------------------------

def category_descendants(uow: UnitOfWork, category_id: str) -> list[str] | None:
    """The category with every category below it; None when the category is unknown."""
    return CatalogRepository(uow.session).descendants(category_id)


def offered_listings(uow: UnitOfWork, *, category_ids: list[str] | None = None, price_min_fen: int | None = None,
                     price_max_fen: int | None = None, min_commission_bp: int | None = None, sort: str = "listing",
                     after: tuple[int, str] | None = None, limit: int = 200) -> list[Listing]:
    """Listings offered to creators (a commission set), price bounds and commission minimum inclusive, in the
    ``sort`` order (listing, commission, price_asc, price_desc), ``after`` the (sort value, id) of a previous row."""
    rows = CatalogRepository(uow.session).offered(
        category_ids=category_ids, price_min=price_min_fen, price_max=price_max_fen,
        min_commission=min_commission_bp, sort=sort, after=after, limit=limit)
    return [r.to_model() for r in rows]
