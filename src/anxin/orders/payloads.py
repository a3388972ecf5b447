"""Orders as the platform reports them: one Pydantic model per event type (`order.paid`, `order.shipped`,
`shipment.scanned`, `order.delivered`, `order.cancelled`, `review.posted`), thin parsers that turn the
validated data into the commands they give, and the promise an `order.paid` gets from its listings.

The parsers raise `anxin.core.fields.FieldInvalid` (`anxin.core.payload.parse`); ingestion turns it into its
error code. `docs/schemas/events` is generated from these models.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Protocol, Self

from pydantic import Field, model_validator

from anxin.core.fields import Problem
from anxin.core.payload import (
    Attributes,
    Fen,
    Flag,
    Id,
    Instant,
    Label,
    Line,
    Payload,
    Reference,
    Region,
    Text,
    parse,
    rule,
)
from anxin.orders.fulfilment_rules import FulfilmentRulebook
from anxin.orders.model import Order, OrderItem, Scan, normalise_carrier
from anxin.orders.promise import ListingPromise, Promise, PromiseInput, PromiseItem, Tiers, promise_for


class StockTier(StrEnum):
    SPOT = "spot"
    PRESALE = "presale"


class SaleChannel(StrEnum):
    LIVE = "live"
    SHORT_VIDEO = "short_video"
    PRODUCT_CARD = "product_card"
    OTHER = "other"


STOCK_TIERS = tuple(t.value for t in StockTier)
SALE_CHANNELS = tuple(c.value for c in SaleChannel)

# Validates the buyer's attributes in `data[name]` for risk control (injected: risk owns what they may be).
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


# --- the models ---------------------------------------------------------------------------------------------------

class PaidItem(Payload):
    listing_id: Id
    qty: Annotated[int, Field(strict=True, ge=1, le=100_000)]
    price_fen: Fen
    exemption_confirmed: Flag = Field(False, description="the consumer ticked the checkout box waiving the 7-day "
                                                         "no-reason return (goods the law lets them waive)")
    stock_tier: StockTier | None = Field(None, description="the stock the item came from, on a tiered listing")


class OrderPaid(Payload):
    """`order.paid`: an order, as paid. `paid_fen` is at most the items' total; the discount is split between
    shop and platform coupons (without a split, it is all the shop's)."""

    order_id: Id
    consumer_id: Id
    shop_id: Id
    items: list[PaidItem] = Field(min_length=1)
    paid_fen: Fen
    paid_at: Instant
    ship_from_region: Region | None = None
    ship_to_region: Region | None = None
    consumer_hold: Flag = Field(False, description="the consumer asked the merchant to hold the parcel")
    creator_id: Id | None = Field(None, description="the creator whose content sold it; absent: the shop's own")
    shop_coupon_fen: Fen | None = None
    platform_coupon_fen: Fen | None = None
    channel: SaleChannel | None = None
    risk: Attributes | None = Field(None, description="the buyer at checkout: device, phone, address, payment, ip, "
                                                      "return_address")

    @property
    def gross_fen(self) -> int:
        return sum(i.qty * i.price_fen for i in self.items)

    def coupons(self) -> tuple[int, int]:
        """(shop, platform): who paid for the discount decides the fee base (shop coupons lower it)."""
        discount = self.gross_fen - self.paid_fen
        platform = self.platform_coupon_fen or 0
        shop = self.shop_coupon_fen if self.shop_coupon_fen is not None else discount - min(platform, discount)
        return shop, platform

    @model_validator(mode="after")
    def _money_adds_up(self) -> Self:
        if self.paid_fen > self.gross_fen:
            raise rule(f"paid_fen {self.paid_fen} exceeds the items' total {self.gross_fen}", field="paid_fen",
                       problem=Problem.MONEY)
        (shop, platform), discount = self.coupons(), self.gross_fen - self.paid_fen
        if shop + platform > discount:
            raise rule(f"coupons {shop} + {platform} exceed the discount {discount} (items' total minus paid_fen)",
                       field="shop_coupon_fen", problem=Problem.MONEY)
        return self

    def order(self) -> Order:
        items = tuple(OrderItem(i.listing_id, i.qty, i.price_fen, i.exemption_confirmed,
                                i.stock_tier.value if i.stock_tier else None) for i in self.items)
        shop, platform = self.coupons()
        return Order(self.order_id, self.consumer_id, self.shop_id, items, self.paid_fen, self.paid_at,
                     ship_from_region=self.ship_from_region, ship_to_region=self.ship_to_region,
                     consumer_hold=self.consumer_hold, creator_id=self.creator_id, shop_coupon_fen=shop,
                     platform_coupon_fen=platform, channel=self.channel.value if self.channel else None)


class OrderShipped(Payload):
    """`order.shipped`: the tracking number uploaded; carriers are matched case-insensitively."""

    order_id: Id
    carrier: Id
    tracking_no: Reference
    shipped_at: Instant
    weight_g: int | None = Field(None, strict=True, ge=1, le=1_000_000,
                                 description="the parcel as weighed at collection, in whole grams")


class ShipmentScanned(Payload):
    """`shipment.scanned`: a carrier's scan of a parcel, matched to its order by carrier and tracking number."""

    carrier: Id
    tracking_no: Reference
    status: Label
    location: Line | None = None
    scanned_at: Instant
    region: Region | None = None


class OrderDelivered(Payload):
    """`order.delivered`: the consumer signed for the parcel."""

    order_id: Id
    signed_at: Instant


class OrderCancelled(Payload):
    """`order.cancelled`."""

    order_id: Id
    reason: Line | None = None


class ReviewPosted(Payload):
    """`review.posted`: the consumer's rating of the order; a later review replaces an earlier one."""

    order_id: Id
    rating: int = Field(strict=True, ge=1, le=5)
    text: Text | None = None
    posted_at: Instant


# --- the parsers --------------------------------------------------------------------------------------------------

def parse_order_paid(d: Mapping[str, Any], *, check_risk: AttributeCheck) -> Order:
    check_risk(d, "risk")  # risk's own check first: it names the attribute that is wrong
    return parse(OrderPaid, d).order()


def parse_shipped(d: Mapping[str, Any]) -> ShipOrder:
    m = parse(OrderShipped, d)
    return ShipOrder(m.order_id, normalise_carrier(m.carrier), m.tracking_no.strip(), m.shipped_at, m.weight_g)


def parse_scan(d: Mapping[str, Any]) -> Scan:
    m = parse(ShipmentScanned, d)
    return Scan(normalise_carrier(m.carrier), m.tracking_no.strip(), m.status, m.location or "", m.scanned_at,
                m.region)


def parse_delivered(d: Mapping[str, Any]) -> DeliverOrder:
    m = parse(OrderDelivered, d)
    return DeliverOrder(m.order_id, m.signed_at)


def parse_cancelled(d: Mapping[str, Any]) -> CancelOrder:
    m = parse(OrderCancelled, d)
    return CancelOrder(m.order_id, m.reason or "")


def parse_review(d: Mapping[str, Any]) -> PostReview:
    m = parse(ReviewPosted, d)
    return PostReview(m.order_id, m.rating, m.text or "", m.posted_at)


# The model of each event type's data (published as JSON Schema).
PAYLOADS: dict[str, type[Payload]] = {
    "order.paid": OrderPaid, "order.shipped": OrderShipped, "shipment.scanned": ShipmentScanned,
    "order.delivered": OrderDelivered, "order.cancelled": OrderCancelled, "review.posted": ReviewPosted}


# --- the promise an order gets at payment ------------------------------------------------------------------------

class ListingTiersTerms(Protocol):
    @property
    def spot_hours(self) -> int | None: ...
    @property
    def presale_ship_by(self) -> dt.datetime | None: ...
    @property
    def presale_hours(self) -> int | None: ...


class ListingTerms(Protocol):
    """What the promise rules read from a listing (the catalogue's `Listing` has it)."""

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
                     origin_region=order.ship_from_region, from_warehouse=order.fulfilled_from == "warehouse"),
        [listing_promise(listings[i.listing_id], i) for i in order.items if i.listing_id in listings], rb)
