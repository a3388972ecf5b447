"""Orders as the platform reports them: pure parsers of ``order.*``, ``shipment.scanned`` and ``review.posted``
data, the commands they give, and the promise an ``order.paid`` gets from its listings.

The parsers raise ``anxin.core.fields.FieldInvalid``; ingestion turns it into its error code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from anxin.core import fields as f
from anxin.core.fields import FieldInvalid, Problem
from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.orders.model import Order, OrderItem, Scan, normalise_carrier
from anxin.orders.promise import ListingPromise, Promise, PromiseInput, PromiseItem, Tiers, promise_for

STOCK_TIERS = ("spot", "presale")
SALE_CHANNELS = ("live", "short_video", "product_card", "other")

# Validates the buyer's attributes in ``data[name]`` for risk control (injected: risk owns what they may be).
AttributeCheck = Callable[[Mapping[str, Any], str], object]


@dataclass(frozen=True)
class ShipOrder:
    order_id: str
    carrier: str
    tracking_no: str
    shipped_at: dt.datetime
    weight_g: int | None = None  # the parcel as weighed at collection (risk compares a return's weight with it)


@dataclass(frozen=True)
class DeliverOrder:
    order_id: str
    signed_at: dt.datetime


@dataclass(frozen=True)
class CancelOrder:
    order_id: str
    reason: str


@dataclass(frozen=True)
class PostReview:
    order_id: str
    rating: int
    text: str
    posted_at: dt.datetime


def parse_order_paid(d: Mapping[str, Any], *, check_risk: AttributeCheck) -> Order:
    raw_items = f.required(d, "items")
    if not isinstance(raw_items, list) or not raw_items:
        raise f.invalid("data.items", "data.items must be a non-empty list")
    items = []
    for i, raw in enumerate(raw_items):
        path = f"data.items[{i}]."
        if not isinstance(raw, Mapping):
            raise f.invalid(path[:-1], f"{path[:-1]} must be an object")
        confirmed = raw.get("exemption_confirmed", False)
        if not isinstance(confirmed, bool):
            raise f.invalid(path + "exemption_confirmed", f"{path}exemption_confirmed must be a boolean")
        tier = f.opt_text(raw, "stock_tier", path=path, max_len=16)
        if tier is not None and tier not in STOCK_TIERS:
            raise f.invalid(path + "stock_tier", f"{path}stock_tier must be one of {list(STOCK_TIERS)}")
        items.append(OrderItem(f.text(raw, "listing_id", path=path), f.integer(raw, "qty", 1, 100_000, path=path),
                               f.fen(raw, "price_fen", path=path), confirmed, tier))
    paid_fen = f.fen(d, "paid_fen")
    check_risk(d, "risk")
    gross = sum(i.qty * i.price_fen for i in items)
    if paid_fen > gross:
        raise FieldInvalid(Problem.MONEY, f"paid_fen {paid_fen} exceeds the items' total {gross}", "data.paid_fen")
    coupons = _coupons(d, gross - paid_fen)
    return Order(f.text(d, "order_id"), f.text(d, "consumer_id"), f.text(d, "shop_id"), tuple(items), paid_fen,
                 f.instant(d, "paid_at"), ship_from_region=f.opt_region(d, "ship_from_region"),
                 ship_to_region=f.opt_region(d, "ship_to_region"), consumer_hold=f.flag(d, "consumer_hold"),
                 creator_id=f.opt_text(d, "creator_id", max_len=f.MAX_ID), shop_coupon_fen=coupons[0],
                 platform_coupon_fen=coupons[1], channel=coupons[2])


def _coupons(d: Mapping[str, Any], discount: int) -> tuple[int, int, str | None]:
    """Who paid for the discount decides the fee base (shop coupons lower it, platform coupons do not). Without
    a split, the whole discount is the shop's."""
    platform = f.fen(d, "platform_coupon_fen") if d.get("platform_coupon_fen") is not None else 0
    shop = f.fen(d, "shop_coupon_fen") if d.get("shop_coupon_fen") is not None else discount - min(platform, discount)
    if shop + platform > discount:
        raise FieldInvalid(Problem.MONEY, f"coupons {shop} + {platform} exceed the discount {discount} "
                           "(items' total minus paid_fen)", "data.shop_coupon_fen")
    channel = f.opt_text(d, "channel", max_len=16)
    if channel is not None and channel not in SALE_CHANNELS:
        raise f.invalid("data.channel", f"data.channel must be one of {list(SALE_CHANNELS)}")
    return shop, platform, channel


def parse_shipped(d: Mapping[str, Any]) -> ShipOrder:
    weight = None if d.get("weight_g") is None else f.integer(d, "weight_g", 1, 1_000_000)
    return ShipOrder(f.text(d, "order_id"), normalise_carrier(f.text(d, "carrier")),
                     f.text(d, "tracking_no", max_len=128).strip(), f.instant(d, "shipped_at"), weight)


def parse_scan(d: Mapping[str, Any]) -> Scan:
    return Scan(normalise_carrier(f.text(d, "carrier")), f.text(d, "tracking_no", max_len=128).strip(),
                f.text(d, "status", max_len=32),
                f.opt_text(d, "location", max_len=200) or "", f.instant(d, "scanned_at"), f.opt_region(d, "region"))


def parse_delivered(d: Mapping[str, Any]) -> DeliverOrder:
    return DeliverOrder(f.text(d, "order_id"), f.instant(d, "signed_at"))


def parse_cancelled(d: Mapping[str, Any]) -> CancelOrder:
    return CancelOrder(f.text(d, "order_id"), f.opt_text(d, "reason", max_len=200) or "")


def parse_review(d: Mapping[str, Any]) -> PostReview:
    return PostReview(f.text(d, "order_id"), f.integer(d, "rating", 1, 5), f.opt_text(d, "text") or "",
                      f.instant(d, "posted_at"))


# --- the promise an order gets at payment ------------------------------------------------------------------------

class ListingTiersTerms(Protocol):
    @property
    def spot_hours(self) -> int | None: ...
    @property
    def presale_ship_by(self) -> dt.datetime | None: ...
    @property
    def presale_hours(self) -> int | None: ...


class ListingTerms(Protocol):
    """What the promise rules read from a listing (the catalogue's ``Listing`` has it)."""

    @property
    def listing_id(self) -> str: ...
    @property
    def ship_within_hours(self) -> int | None: ...
    @property
    def page_ship_within_hours(self) -> int | None: ...
    @property
    def presale_ship_by(self) -> dt.datetime | None: ...
    @property
    def tiers(self) -> ListingTiersTerms | None: ...


def listing_promise(listing: ListingTerms, item: OrderItem) -> ListingPromise:
    """The listing's promise settings as the promise rules read them. The checkout says which stock tier the
    item came from; without a tier on a tiered listing the spot tier is assumed (spot stock sells first)."""
    tiers = None
    if listing.tiers is not None:
        t = listing.tiers
        tiers = Tiers(spot_remaining=0 if item.stock_tier == "presale" else item.qty, spot_hours=t.spot_hours,
                      presale_ship_by=t.presale_ship_by, presale_hours=t.presale_hours)
    return ListingPromise(listing.listing_id, listing.page_ship_within_hours, listing.ship_within_hours,
                          listing.presale_ship_by, tiers)


def promise_of(order: Order, listings: Mapping[str, ListingTerms], rb: FulfilmentRulebook) -> Promise:
    """The order's ship-by, from the listings as they stand when the order is recorded (both ingestion paths)."""
    return promise_for(
        PromiseInput(order.order_id, order.paid_at, tuple(PromiseItem(i.listing_id, i.qty) for i in order.items),
                     consumer_hold=order.consumer_hold, destination_region=order.ship_to_region,
                     origin_region=order.ship_from_region),
        [listing_promise(listings[i.listing_id], i) for i in order.items if i.listing_id in listings], rb)
