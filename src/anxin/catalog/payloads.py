"""The catalogue as the platform sends it: pure parsers of ``category.upserted`` and ``listing.upserted`` data.

They raise ``anxin.core.fields.FieldInvalid``; ingestion turns it into its error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from anxin.catalog.model import Category, Listing, ListingTiers, valid_tag
from anxin.core import fields as f


def parse_category(d: Mapping[str, Any]) -> Category:
    tags = f.str_list(d, "tags")
    bad = [t for t in tags if not valid_tag(t)]
    if bad:
        raise f.invalid("data.tags", f"tags must be lowercase identifiers, got {bad}")
    parent = f.opt_text(d, "parent_id", max_len=f.MAX_ID)
    cid = f.text(d, "category_id")
    if parent == cid:
        raise f.invalid("data.parent_id", "a category cannot be its own parent")
    return Category(cid, f.text(d, "name", max_len=200), parent, frozenset(tags))


def parse_listing(d: Mapping[str, Any]) -> Listing:
    presale = f.opt_instant(d, "presale_ship_by")
    tiers = None
    raw_tiers = f.nested(d, "tiers")
    if raw_tiers is not None:
        p = "data.tiers."
        tiers = ListingTiers(f.opt_hours(raw_tiers, "spot_hours", path=p),
                             f.opt_instant(raw_tiers, "presale_ship_by", path=p),
                             f.opt_hours(raw_tiers, "presale_hours", path=p))
        if (tiers.presale_ship_by is None) == (tiers.presale_hours is None):
            raise f.invalid("data.tiers", "data.tiers needs exactly one of presale_ship_by or presale_hours")
        if presale is not None:
            raise f.invalid("data.presale_ship_by", "a tiered listing gives its presale date inside data.tiers")
    return Listing(f.text(d, "listing_id"), f.text(d, "shop_id"), f.text(d, "category_id"),
                   f.text(d, "title", max_len=300), f.fen(d, "price_fen"), f.opt_hours(d, "ship_within_hours"),
                   f.opt_hours(d, "page_ship_within_hours"), presale, tiers)
