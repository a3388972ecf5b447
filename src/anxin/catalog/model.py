"""Pure catalog objects: categories carry tags that decide which guarantees apply."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass

# Tags the guarantee rulebook knows about. Others are accepted (the platform may add its own) but
# only these change decisions by default.
KNOWN_TAGS = frozenset({
    "fresh",            # 鲜活易腐: exempt from no-reason return by law; spoilage cover instead
    "cosmetics",        # 美妆: allergy returns
    "3c",               # digital / appliances: exchange instead of repair
    "jewelry",          # 珠宝: authenticity
    "custom_made",      # 定作: exempt by law
    "digital",          # audio-visual, software: exempt once unsealed
    "periodical",       # newspapers, periodicals: exempt by law
    "hygiene_sealed",   # quality changes once unsealed: exempt only if confirmed at purchase
    "activation_loss",  # loses value once activated / tried: exempt only if confirmed at purchase
    "near_expiry",      # near expiry or defective, disclosed: exempt only if confirmed at purchase
    "virtual",          # virtual goods: no instant refund badge
    "apparel", "food",
})
_TAG = re.compile(r"^[a-z0-9_]{1,32}$")


def valid_tag(tag: str) -> bool:
    return bool(_TAG.match(tag))


@dataclass(frozen=True)
class Category:
    category_id: str
    name: str
    parent_id: str | None
    tags: frozenset[str]


@dataclass(frozen=True)
class ListingTiers:
    """阶梯发货: spot stock ships under the in-stock promise (or ``spot_hours``), presale stock by a date or a
    number of hours after payment. Which tier a unit came from is the checkout's call (``stock_tier`` on the item)."""

    spot_hours: int | None = None
    presale_ship_by: dt.datetime | None = None
    presale_hours: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"spot_hours": self.spot_hours, "presale_hours": self.presale_hours,
                "presale_ship_by": self.presale_ship_by.isoformat() if self.presale_ship_by else None}


@dataclass(frozen=True)
class Listing:
    listing_id: str
    shop_id: str
    category_id: str
    title: str
    price_fen: int
    ship_within_hours: int | None  # the listing setting's promise
    page_ship_within_hours: int | None = None  # the promise shown on the listing page
    presale_ship_by: dt.datetime | None = None
    tiers: ListingTiers | None = None
    # The listing's text as sent with `listing.upserted`. Carried in the event only (catalog.listing_upserted), not
    # stored in the listings table: a listing read back from the table has None, which means "not known here".
    description: str | None = None
    # 精选联盟: the commission the shop offers creators on this listing, in basis points of the price (0..10000);
    # None: not offered to creators (not in the selection pool).
    commission_bp: int | None = None


def inherited_tags(category_id: str, categories: Mapping[str, Category]) -> frozenset[str]:
    """A category's tags plus its ancestors' (a 'durian' under 'fresh fruit' is fresh). Cycle-safe."""
    tags: set[str] = set()
    seen: set[str] = set()
    current: str | None = category_id
    while current is not None and current not in seen and current in categories:
        seen.add(current)
        node = categories[current]
        tags |= node.tags
        current = node.parent_id
    return frozenset(tags)
