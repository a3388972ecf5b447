"""Pure order objects and the lifecycle rules ingestion enforces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from anxin.orders.promise import Promise


class OrderStatus(StrEnum):
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class OrderItem:
    listing_id: str
    qty: int
    price_fen: int
    # The consumer ticked the conspicuous "no 7-day return for this item" box at checkout.
    exemption_confirmed: bool = False
    stock_tier: str | None = None  # spot | presale, for listings with tiered promises (checkout allocates stock)


@dataclass(frozen=True)
class Order:
    order_id: str
    consumer_id: str
    shop_id: str
    items: tuple[OrderItem, ...]
    paid_fen: int
    paid_at: dt.datetime
    status: OrderStatus = OrderStatus.PAID
    carrier: str | None = None
    tracking_no: str | None = None
    shipped_at: dt.datetime | None = None
    signed_at: dt.datetime | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    review_rating: int | None = None
    ship_from_region: str | None = None  # hierarchical region codes, e.g. CN-ZJ-HZ
    ship_to_region: str | None = None
    consumer_hold: bool = False  # the consumer asked the merchant to hold the parcel
    promise: Promise | None = None  # set once, when the order is recorded as paid
    creator_id: str | None = None  # the creator whose content sold it; None: the shop's own channel
    parcel_weight_g: int | None = None  # the outbound parcel as the carrier weighed it, when the platform sent it
    shop_coupon_fen: int = 0  # discounts the shop funded: they lower the commission base
    platform_coupon_fen: int = 0  # discounts the platform funded: the shop still receives them
    channel: str | None = None  # live | short_video | product_card | other, when the platform says

    @property
    def shipped(self) -> bool:
        """Shipped means a tracking number was uploaded (the instant-refund rule's definition)."""
        return self.tracking_no is not None or self.status in (OrderStatus.SHIPPED, OrderStatus.DELIVERED)

    @property
    def signed(self) -> bool:
        return self.signed_at is not None


@dataclass(frozen=True)
class Scan:
    carrier: str
    tracking_no: str
    status: str
    location: str
    scanned_at: dt.datetime
    region: str | None = None  # the code of the place of the scan, e.g. CN-ZJ-HZ


@dataclass(frozen=True)
class OrderTimeline:
    order: Order
    scans: tuple[Scan, ...] = field(default_factory=tuple)


class LifecycleError(ValueError):
    """An event that cannot apply to the order as it stands; ``code`` is a stable suffix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def normalise_carrier(carrier: str) -> str:
    return carrier.strip().lower()


def ship(order: Order, *, carrier: str, tracking_no: str, shipped_at: dt.datetime,
         weight_g: int | None = None) -> Order:
    if order.status is OrderStatus.CANCELLED:
        raise LifecycleError("cancelled", f"order {order.order_id} was cancelled; it cannot ship")
    if shipped_at < order.paid_at:
        raise LifecycleError("impossible_time", "shipped_at is before paid_at")
    status = OrderStatus.DELIVERED if order.status is OrderStatus.DELIVERED else OrderStatus.SHIPPED
    return replace(order, status=status, carrier=normalise_carrier(carrier), tracking_no=tracking_no.strip(),
                   shipped_at=shipped_at, parcel_weight_g=weight_g if weight_g is not None else order.parcel_weight_g)


def deliver(order: Order, *, signed_at: dt.datetime) -> Order:
    if order.status is OrderStatus.CANCELLED:
        raise LifecycleError("cancelled", f"order {order.order_id} was cancelled; it cannot be signed for")
    if signed_at < order.paid_at:
        raise LifecycleError("impossible_time", "signed_at is before paid_at")
    if order.shipped_at is not None and signed_at < order.shipped_at:
        raise LifecycleError("impossible_time", "signed_at is before shipped_at")
    return replace(order, status=OrderStatus.DELIVERED, signed_at=signed_at)


def cancel(order: Order, *, reason: str, at: dt.datetime) -> Order:
    if order.status is OrderStatus.DELIVERED:
        raise LifecycleError("already_delivered", f"order {order.order_id} was signed for; file an after-sale")
    if order.status is OrderStatus.CANCELLED:
        return order
    return replace(order, status=OrderStatus.CANCELLED, cancelled_at=at, cancel_reason=reason)
