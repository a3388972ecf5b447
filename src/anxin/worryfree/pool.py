"""The selection pool: listings creators can pick, filtered, with self-explaining badges.

Creators and operators read it (``worryfree.pool``); the platform too. A listing is in the pool while its shop
offers creators a commission on it (``commission_bp`` on ``listing.upserted``) and the shop is in the registry. The
catalog applies the category (with every category below it), price and commission filters and the sort in its
query; the pool then gathers each listing's shop score band, the guarantees its orders would carry (the guarantee
rulebook in force) and the worry-free tag, and applies the remaining filters, reading on in batches until the page
is full. The cursor is the (sort value, listing id) of the last listing shown.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from anxin.access.service import require_role
from anxin.aftersales import service as aftersales
from anxin.catalog import service as catalog
from anxin.core.clock import Clock
from anxin.core.errors import AnxinError
from anxin.core.principal import Principal, Role
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.scoring import service as scoring
from anxin.shops import service as shops
from anxin.worryfree import pool_store
from anxin.worryfree.pool_error_codes import PoolErrorCode as E
from anxin.worryfree.pool_filters import (
    Badge,
    Bands,
    Candidate,
    Guaranteed,
    PoolFilter,
    badges,
    matches,
    validate,
)
from anxin.worryfree.tag_rules import TagRulebookSpec, load_tag_rules

READERS = (Role.CREATOR, Role.OPERATOR, Role.PLATFORM)
BATCH = 200
MAX_SCANNED = 5000  # rows read for one page at most: a page with very narrow filters ends early with a cursor


@dataclass(frozen=True)
class PoolItem:
    candidate: Candidate
    badges: tuple[Badge, ...]

    def key(self, sort: str) -> tuple[int, str]:
        c = self.candidate
        return sort_key(sort, c.commission_bp, c.price_fen, c.listing_id)


@dataclass(frozen=True)
class PoolPage:
    items: list[PoolItem]
    next_key: tuple[int, str] | None  # where the next page starts; None on the last page


@dataclass(frozen=True)
class TagBands:
    """The score bands of the worry-free tag rulebook (``worryfree_tags.yaml``: the same bands enrolment and the
    tag decide on), as the pool's filters and badges read them."""

    rules: TagRulebookSpec

    @property
    def version(self) -> str:
        return self.rules.version

    def band_of(self, score_x100: int | None) -> str:
        return self.rules.band_of(score_x100)

    def band_rank(self, band: str) -> int:
        return self.rules.band_rank(band)

    def band_label(self, band: str, lang: str) -> str:
        return self.rules.band_label(band, lang)

    def band_floor(self, band: str) -> int | None:
        return next((b.min_x100 for b in self.rules.score_bands if b.band == band), None)

    def bands(self) -> Sequence[str]:
        return [b.band for b in self.rules.score_bands]


class SelectionPool:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, guarantees: aftersales.RulebookSet,
                 bands: Bands | None = None) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.guarantees = guarantees
        self.bands: Bands = bands if bands is not None else TagBands(load_tag_rules())

    def services(self) -> list[str]:
        """The guarantee services a creator can filter by (the Service Guarantee Hall's names)."""
        return aftersales.guarantee_services(self.guarantees, at=self.clock.now())

    def service_names(self) -> dict[str, dict[str, str]]:
        rb = self.guarantees.in_force(self.clock.now())
        names: dict[str, dict[str, str]] = {}
        for g in rb.guarantees:
            names.setdefault(g.service, dict(g.name))
        return names

    def check(self, who: Principal, f: PoolFilter) -> PoolFilter:
        require_role(who, *READERS)
        return validate(f, services=self.services(), bands=list(self.bands.bands()))

    def search(self, who: Principal, f: PoolFilter, *, after: tuple[int, str] | None = None,
               limit: int = 50) -> PoolPage:
        """One page: ``limit`` items after ``after``; ``next_key`` set when more may follow."""
        f = self.check(who, f)
        now = self.clock.now()
        with self.uow_factory() as uow:
            cats: list[str] | None = None
            if f.category_id is not None:
                cats = catalog.category_descendants(uow, f.category_id)
                if cats is None:
                    raise AnxinError(E.UNKNOWN_CATEGORY, f"no category {f.category_id!r}",
                                     field="category_id", category_id=f.category_id)
            found: list[PoolItem] = []
            cursor, scanned, exhausted = after, 0, False
            ctx = _Lookups(uow, self, now)
            while len(found) <= limit and scanned < MAX_SCANNED:
                batch = catalog.offered_listings(uow, category_ids=cats, price_min_fen=f.price_min_fen,
                                                 price_max_fen=f.price_max_fen, min_commission_bp=f.min_commission_bp,
                                                 sort=f.sort, after=cursor, limit=BATCH)
                scanned += len(batch)
                for li, c in ctx.candidates(batch):
                    cursor = sort_key(f.sort, li.commission_bp or 0, li.price_fen, li.listing_id)
                    if c is not None and matches(c, f, self.bands):
                        found.append(PoolItem(c, tuple(badges(c, self.bands))))
                        if len(found) > limit:
                            break
                if len(batch) < BATCH and len(found) <= limit:
                    exhausted = True
                    break
        shown = found[:limit]
        if len(found) > limit:
            return PoolPage(shown, shown[-1].key(f.sort))
        # A page with narrow filters stops after MAX_SCANNED rows: the next one goes on from the last row read.
        return PoolPage(shown, None if exhausted else cursor)


def sort_key(sort: str, commission_bp: int, price_fen: int, listing_id: str) -> tuple[int, str]:
    value = commission_bp if sort == "commission" else price_fen if sort.startswith("price") else 0
    return value, listing_id


class _Lookups:
    """Per-request caches of shops, scores and tags for a batch of listings."""

    def __init__(self, uow: UnitOfWork, pool: SelectionPool, now: dt.datetime) -> None:
        self.uow, self.pool, self.now = uow, pool, now
        self.shops: dict[str, Any] = {}
        self.scores: dict[str, tuple[int | None, dt.date | None]] = {}

    def candidates(self, batch: list[Any]) -> list[tuple[Any, Candidate | None]]:
        """Each listing with what the pool knows of it; None for a listing whose shop is not in the registry."""
        uow = self.uow
        tags = pool_store.tag_facts(uow.session, [li.listing_id for li in batch])
        lineage = catalog.category_lineage(uow, sorted({li.category_id for li in batch}))
        out: list[tuple[Any, Candidate | None]] = []
        for li in batch:
            if li.shop_id not in self.shops:
                self.shops[li.shop_id] = shops.get_shop(uow, li.shop_id)
                self.scores[li.shop_id] = scoring.latest_shop_score_as_of(uow, li.shop_id)
            shop = self.shops[li.shop_id]
            if shop is None:
                out.append((li, None))
                continue
            score, as_of = self.scores[li.shop_id]
            tag = tags.get(li.listing_id)
            item_tags = lineage.get(li.category_id, ((), frozenset()))[1]
            offered = tuple(
                Guaranteed(g.guarantee_id, g.service, g.name, g.rulebook_version)
                for g in aftersales.listing_guarantees(
                    self.pool.guarantees, at=self.now, shop_services=frozenset(shop.services), item_tags=item_tags,
                    price_fen=li.price_fen, store_type=shop.store_type,
                    extra={"worry_free": bool(tag and tag.tagged)}))
            out.append((li, Candidate(
                listing_id=li.listing_id, shop_id=li.shop_id, shop_name=shop.name,
                category_id=li.category_id, title=li.title, price_fen=li.price_fen,
                commission_bp=li.commission_bp or 0, score_x100=score, score_as_of=as_of,
                band=self.pool.bands.band_of(score), guarantees=offered, tag=tag)))
        return out
