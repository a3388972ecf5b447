"""Pure order objects (with the ship-by promise an order keeps, which ``promise`` computes at payment) and the
lifecycle rules ingestion enforces."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum


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


# Exemptions that suspend judging lateness altogether (``promise.promise_for`` sets them); presale only moves the
# deadline to its date.
SUSPENDING = frozenset({"consumer_hold", "force_majeure"})


@dataclass(frozen=True)
class ItemPromise:
    listing_id: str
    ship_by: dt.datetime
    basis: str
    rule_id: str


@dataclass(frozen=True)
class Promise:
    order_id: str
    ship_by: dt.datetime  # always set: an exemption suspends judging, it does not erase the promise
    basis: str
    rule_id: str
    rulebook_version: str
    exemption: str | None = None
    exemption_rule_id: str | None = None
    exemption_detail: str | None = None
    items: tuple[ItemPromise, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def judged_ship_by(self) -> dt.datetime | None:
        """The deadline lateness is judged against, or None while an exemption suspends it."""
        return None if self.exemption in SUSPENDING else self.ship_by

    def as_dict(self) -> dict[str, object]:
        return {"order_id": self.order_id, "ship_by": self.ship_by.isoformat(), "basis": self.basis,
                "rule_id": self.rule_id, "rulebook_version": self.rulebook_version, "exemption": self.exemption,
                "exemption_rule_id": self.exemption_rule_id, "exemption_detail": self.exemption_detail,
                "items": [{"listing_id": i.listing_id, "ship_by": i.ship_by.isoformat(), "basis": i.basis,
                           "rule_id": i.rule_id} for i in self.items],
                "notes": list(self.notes)}

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Promise:
        """The inverse of ``as_dict``: promises are stored as JSON with their order."""
        def at(value: object) -> dt.datetime:
            return dt.datetime.fromisoformat(str(value))

        items = raw.get("items") or []
        assert isinstance(items, list)
        notes = raw.get("notes") or []
        assert isinstance(notes, list)
        opt = {k: (None if raw.get(k) is None else str(raw[k]))
               for k in ("exemption", "exemption_rule_id", "exemption_detail")}
        return cls(order_id=str(raw["order_id"]), ship_by=at(raw["ship_by"]), basis=str(raw["basis"]),
                   rule_id=str(raw["rule_id"]), rulebook_version=str(raw["rulebook_version"]),
                   exemption=opt["exemption"], exemption_rule_id=opt["exemption_rule_id"],
                   exemption_detail=opt["exemption_detail"],
                   items=tuple(ItemPromise(str(i["listing_id"]), at(i["ship_by"]), str(i["basis"]), str(i["rule_id"]))
                               for i in items),
                   notes=tuple(str(n) for n in notes))


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
    # 无忧服务: "warehouse" when every item of an enrolled listing was reserved from the platform warehouse's stock
    # at payment (the order then ships from there, on the warehouse promise); None otherwise.
    fulfilled_from: str | None = None
    worry_free: bool = False  # the listing carried the worry-free tag at payment and its stock was reserved
    prize_of: str | None = None  # the lucky bag this order is a prize of (paid_fen 0); None for a sale

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
