"""Category and listing rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.catalog.model import Category, Listing, ListingTiers
from anxin.core.clock import parse_instant
from anxin.db import refcache
from anxin.db.base import Base, table


class CategoryRow(Base):
    __tablename__ = "categories"
    category_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    parent_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    tags: Mapped[list[str]] = mapped_column(sa.JSON)
    as_of: Mapped[dt.datetime]

    def to_model(self) -> Category:
        return Category(self.category_id, self.name, self.parent_id, frozenset(self.tags))


class ListingRow(Base):
    __tablename__ = "listings"
    listing_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    shop_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    category_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    price_fen: Mapped[int] = mapped_column(sa.BigInteger)
    ship_within_hours: Mapped[int | None]
    page_ship_within_hours: Mapped[int | None]
    presale_ship_by: Mapped[dt.datetime | None]
    tiers: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    as_of: Mapped[dt.datetime]
    commission_bp: Mapped[int | None] = mapped_column(sa.Integer, index=True)  # 精选联盟 offer; None: not offered

    def to_model(self) -> Listing:
        t = self.tiers
        tiers = None if t is None else ListingTiers(
            t.get("spot_hours"), parse_instant(t["presale_ship_by"]) if t.get("presale_ship_by") else None,
            t.get("presale_hours"))
        return Listing(self.listing_id, self.shop_id, self.category_id, self.title, self.price_fen,
                       self.ship_within_hours, self.page_ship_within_hours, self.presale_ship_by, tiers,
                       commission_bp=self.commission_bp)


# Listings and categories are reference data read on every filing: cached (catalog.service), invalidated by any
# change to these tables.
refcache.track(table(CategoryRow), table(ListingRow))


def _listing_values(li: Listing) -> dict[str, Any]:
    return {"shop_id": li.shop_id, "category_id": li.category_id, "title": li.title, "price_fen": li.price_fen,
            "ship_within_hours": li.ship_within_hours, "page_ship_within_hours": li.page_ship_within_hours,
            "presale_ship_by": li.presale_ship_by, "tiers": li.tiers.as_dict() if li.tiers else None,
            "commission_bp": li.commission_bp}


class CatalogRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def category(self, category_id: str) -> CategoryRow | None:
        return self.session.get(CategoryRow, category_id)

    def listing(self, listing_id: str) -> ListingRow | None:
        return self.session.get(ListingRow, listing_id)

    def listings(self, listing_ids: list[str]) -> list[ListingRow]:
        if not listing_ids:
            return []
        return list(self.session.scalars(sa.select(ListingRow).where(ListingRow.listing_id.in_(listing_ids))))

    def listing_refs(self, *, after: str | None, limit: int) -> list[tuple[str, str, str]]:
        """(listing id, shop id, category id) in listing-id order, after ``after`` (keyset pages)."""
        t = ListingRow
        stmt = sa.select(t.listing_id, t.shop_id, t.category_id).order_by(t.listing_id).limit(limit)
        if after is not None:
            stmt = stmt.where(t.listing_id > after)
        return [(lid, sid, cid) for lid, sid, cid in self.session.execute(stmt)]

    def listing_count(self, shop_id: str) -> int:
        return self.session.scalar(sa.select(sa.func.count()).select_from(ListingRow)
                                   .where(ListingRow.shop_id == shop_id)) or 0

    def shop_listings(self, shop_id: str, *, after: str | None, limit: int) -> list[ListingRow]:
        stmt = sa.select(ListingRow).where(ListingRow.shop_id == shop_id)
        if after is not None:
            stmt = stmt.where(ListingRow.listing_id > after)
        return list(self.session.scalars(stmt.order_by(ListingRow.listing_id).limit(limit)))

    def shop_category_ids(self, shop_id: str) -> list[str]:
        return list(self.session.scalars(sa.select(ListingRow.category_id).where(ListingRow.shop_id == shop_id)
                                         .distinct().order_by(ListingRow.category_id)))

    def category_chain(self, category_id: str) -> dict[str, Category]:
        """The category and its ancestors, walked one lookup at a time (trees are shallow)."""
        found: dict[str, Category] = {}
        current: str | None = category_id
        while current is not None and current not in found:
            row = self.session.get(CategoryRow, current)
            if row is None:
                break
            found[current] = row.to_model()
            current = row.parent_id
        return found

    def upsert_category(self, category: Category, as_of: dt.datetime) -> bool:
        row = self.session.get(CategoryRow, category.category_id)
        if row is None:
            self.session.add(CategoryRow(category_id=category.category_id, name=category.name,
                                         parent_id=category.parent_id, tags=sorted(category.tags), as_of=as_of))
            return True
        if as_of < row.as_of:  # an older version arriving late never overwrites a newer one
            return False
        row.name, row.parent_id, row.tags, row.as_of = (category.name, category.parent_id,
                                                        sorted(category.tags), as_of)
        return True

    def upsert_listing(self, listing: Listing, as_of: dt.datetime) -> bool:
        row = self.session.get(ListingRow, listing.listing_id)
        if row is None:
            self.session.add(ListingRow(listing_id=listing.listing_id, as_of=as_of, **_listing_values(listing)))
            return True
        if as_of < row.as_of:
            return False
        for name, value in _listing_values(listing).items():
            setattr(row, name, value)
        row.as_of = as_of
        return True

    # --- the creators' selection pool (worryfree.pool): listings offered to creators, keyset pages -----------------

    def descendants(self, category_id: str) -> list[str] | None:
        """The category and every category below it (breadth first, cycle-safe); None for an unknown category."""
        if self.session.get(CategoryRow, category_id) is None:
            return None
        found, frontier = [category_id], [category_id]
        seen = {category_id}
        while frontier:
            children = [c for c in self.session.scalars(sa.select(CategoryRow.category_id).where(
                CategoryRow.parent_id.in_(frontier)).order_by(CategoryRow.category_id)) if c not in seen]
            seen.update(children)
            found.extend(children)
            frontier = children
        return found

    def offered(self, *, category_ids: list[str] | None, price_min: int | None, price_max: int | None,
                min_commission: int | None, sort: str, after: tuple[int, str] | None, limit: int) -> list[ListingRow]:
        """Listings with a commission, filtered (price bounds and the commission minimum inclusive), in ``sort``
        order (``listing``: by id; ``commission``: highest first; ``price_asc`` / ``price_desc``), ties by id;
        ``after``: the (sort value, listing id) of the last row of the previous page."""
        t = ListingRow
        stmt = sa.select(t).where(t.commission_bp.is_not(None))
        if category_ids is not None:
            stmt = stmt.where(t.category_id.in_(category_ids))
        if price_min is not None:
            stmt = stmt.where(t.price_fen >= price_min)
        if price_max is not None:
            stmt = stmt.where(t.price_fen <= price_max)
        if min_commission is not None:
            stmt = stmt.where(t.commission_bp >= min_commission)
        col: Any = {"commission": t.commission_bp, "price_asc": t.price_fen, "price_desc": t.price_fen}.get(sort)
        desc = sort in ("commission", "price_desc")
        if col is None:
            stmt = stmt.order_by(t.listing_id)
            if after is not None:
                stmt = stmt.where(t.listing_id > after[1])
        else:
            stmt = stmt.order_by(col.desc() if desc else col, t.listing_id)
            if after is not None:
                value, lid = after
                beyond = col < value if desc else col > value
                stmt = stmt.where(sa.or_(beyond, sa.and_(col == value, t.listing_id > lid)))
        return list(self.session.scalars(stmt.limit(limit)))

    # --- bulk ingestion: Core statements on the same tables, the same column values as the upserts above ---------

    def categories_as_of(self, category_ids: list[str]) -> dict[str, tuple[Category, dt.datetime]]:
        t = table(CategoryRow)
        rows = self.session.execute(sa.select(t).where(t.c.category_id.in_(category_ids)))
        # A Core row has the mapped row's attribute names, so to_model reads it as-is (no ORM hydration).
        return {r.category_id: (CategoryRow.to_model(r), r.as_of) for r in rows}  # type: ignore[arg-type]

    def listings_as_of(self, listing_ids: list[str]) -> dict[str, tuple[Listing, dt.datetime]]:
        t = table(ListingRow)
        rows = self.session.execute(sa.select(t).where(t.c.listing_id.in_(listing_ids)))
        return {r.listing_id: (ListingRow.to_model(r), r.as_of) for r in rows}  # type: ignore[arg-type]

    def write_categories(self, new: list[tuple[Category, dt.datetime]],
                         changed: list[tuple[Category, dt.datetime]]) -> None:
        t = table(CategoryRow)
        values = [{"category_id": c.category_id, "name": c.name, "parent_id": c.parent_id, "tags": sorted(c.tags),
                   "as_of": at} for c, at in new + changed]
        if new:
            self.session.execute(sa.insert(t), values[:len(new)])
        if changed:
            self.session.execute(sa.update(t).where(t.c.category_id == sa.bindparam("_id")),
                                 [{"_id": v.pop("category_id"), **v} for v in values[len(new):]])

    def write_listings(self, new: list[tuple[Listing, dt.datetime]],
                       changed: list[tuple[Listing, dt.datetime]]) -> None:
        t = table(ListingRow)
        values = [{"listing_id": li.listing_id, **_listing_values(li), "as_of": at} for li, at in new + changed]
        if new:
            self.session.execute(sa.insert(t), values[:len(new)])
        if changed:
            self.session.execute(sa.update(t).where(t.c.listing_id == sa.bindparam("_id")),
                                 [{"_id": v.pop("listing_id"), **v} for v in values[len(new):]])


def export_categories_query() -> sa.Select[*tuple[Any, ...]]:
    """Every category and its parent, for analytics exports (the scoring facts' top-level category)."""
    return sa.select(CategoryRow.category_id, CategoryRow.parent_id)


def export_listings_query() -> sa.Select[*tuple[Any, ...]]:
    return sa.select(ListingRow.listing_id, ListingRow.category_id)
