"""Pure worry-free objects: lots, stock, reservations, FEFO picking and shelf-life shares.

Shelf-life share on a day = (expires_on − day) / (expires_on − produced_on), in whole days, exact (a Fraction).
FEFO: the passed lots of a listing in order of expires_on, then received_at, then lot_id; a lot whose share on the
promised ship-by day would fall below the category's minimum at shipment is skipped (a share exactly at the minimum
is kept). Picking is all-or-nothing per item: a plan either covers the quantity or says what was short.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction


class LotStatus(StrEnum):
    RECEIVED = "received"
    INSPECTING = "inspecting"
    PASSED = "passed"
    REJECTED = "rejected"


class ReservationState(StrEnum):
    HELD = "held"  # a checkout hold, until hold_until
    CONFIRMED = "confirmed"  # the order is paid
    SHIPPED = "shipped"
    RELEASED = "released"  # cancelled, or the hold given up
    EXPIRED = "expired"  # a checkout hold not confirmed in time


LIVE_STATES = frozenset({ReservationState.HELD, ReservationState.CONFIRMED})  # units still reserved


class Source(StrEnum):
    CHECKOUT = "checkout"
    PAYMENT = "payment"
    LUCKY_BAG = "lucky_bag"
    PRIZE = "prize"


def order_holder(order_id: str) -> str:
    return f"order:{order_id}"


def bag_holder(bag_id: str) -> str:
    return f"bag:{bag_id}"


@dataclass(frozen=True)
class InboundLot:
    """A lot the platform's warehouse received (the ingest event ``warehouse.lot_received``)."""

    lot_id: str
    listing_id: str
    quantity: int
    produced_on: dt.date
    expires_on: dt.date
    supplier_id: str
    received_at: dt.datetime


@dataclass(frozen=True)
class Lot:
    lot_id: str
    listing_id: str
    shop_id: str
    supplier_id: str
    quantity: int
    produced_on: dt.date
    expires_on: dt.date
    received_at: dt.datetime
    status: LotStatus
    units_available: int = 0
    units_reserved: int = 0
    units_shipped: int = 0
    units_removed: int = 0
    verdict_at: dt.datetime | None = None
    version: int = 0

    def share_on(self, day: dt.date) -> Fraction:
        return shelf_life_share(self.produced_on, self.expires_on, day)

    def as_dict(self) -> dict[str, object]:
        return {"lot_id": self.lot_id, "listing_id": self.listing_id, "shop_id": self.shop_id,
                "supplier_id": self.supplier_id, "quantity": self.quantity,
                "produced_on": self.produced_on.isoformat(), "expires_on": self.expires_on.isoformat(),
                "received_at": self.received_at.isoformat(), "status": self.status.value,
                "units_available": self.units_available, "units_reserved": self.units_reserved,
                "units_shipped": self.units_shipped, "units_removed": self.units_removed,
                "verdict_at": self.verdict_at.isoformat() if self.verdict_at else None}


@dataclass(frozen=True)
class Reservation:
    reservation_id: str
    holder: str
    listing_id: str
    lot_id: str
    quantity: int
    state: ReservationState
    source: Source
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    reason: str | None = None  # why it was released or expired
    rule_ids: tuple[str, ...] = ()
    rulebook_version: str | None = None
    facts: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"reservation_id": self.reservation_id, "holder": self.holder, "listing_id": self.listing_id,
                "lot_id": self.lot_id, "quantity": self.quantity, "state": self.state.value,
                "source": self.source.value, "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "reason": self.reason, "rule_ids": list(self.rule_ids), "rulebook_version": self.rulebook_version,
                "facts": dict(self.facts)}


@dataclass(frozen=True)
class StockLevel:
    listing_id: str
    available: int  # in passed lots, free to reserve (whatever their shelf life)
    reserved: int
    shipped: int
    lots_by_status: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return {"listing_id": self.listing_id, "available": self.available, "reserved": self.reserved,
                "shipped": self.shipped, "lots_by_status": dict(self.lots_by_status)}


def shelf_life_share(produced_on: dt.date, expires_on: dt.date, day: dt.date) -> Fraction:
    """The remaining share of shelf life on ``day`` (0 on and after expiry, 1 on and before production)."""
    whole = (expires_on - produced_on).days
    if whole <= 0:
        return Fraction(0)
    left = (expires_on - day).days
    return Fraction(max(0, min(left, whole)), whole)


def fefo_key(lot: Lot) -> tuple[dt.date, dt.datetime, str]:
    return (lot.expires_on, lot.received_at, lot.lot_id)


@dataclass(frozen=True)
class Pick:
    lot_id: str
    quantity: int
    share_at_ship_by: Fraction


@dataclass(frozen=True)
class Plan:
    listing_id: str
    wanted: int
    picks: tuple[Pick, ...]
    skipped_shelf_life: tuple[str, ...]  # lots with units left whose share at ship-by is below the minimum

    @property
    def covered(self) -> int:
        return sum(p.quantity for p in self.picks)

    @property
    def short(self) -> int:
        return self.wanted - self.covered


def plan_fefo(listing_id: str, wanted: int, lots: Iterable[Lot], *, ship_day: dt.date,
              min_share: Fraction) -> Plan:
    """The lots to take ``wanted`` units from, first-expiring first, skipping what would ship below the minimum."""
    picks: list[Pick] = []
    skipped: list[str] = []
    left = wanted
    for lot in sorted(lots, key=fefo_key):
        if left <= 0:
            break
        if lot.status is not LotStatus.PASSED or lot.units_available <= 0 or lot.listing_id != listing_id:
            continue
        share = lot.share_on(ship_day)
        if share < min_share:
            skipped.append(lot.lot_id)
            continue
        take = min(left, lot.units_available)
        picks.append(Pick(lot.lot_id, take, share))
        left -= take
    return Plan(listing_id, wanted, tuple(picks), tuple(skipped))


def merge_items(items: Sequence[tuple[str, int]]) -> list[tuple[str, int]]:
    """Quantities of the same listing added, in first-seen order; non-positive quantities refused."""
    out: dict[str, int] = {}
    for listing_id, qty in items:
        if qty <= 0:
            raise ValueError(f"quantity of {listing_id} must be positive, got {qty}")
        out[listing_id] = out.get(listing_id, 0) + qty
    return list(out.items())


@dataclass(frozen=True)
class Shortage:
    listing_id: str
    wanted: int
    available: int  # what could be reserved within the shelf-life rule

    def as_dict(self) -> dict[str, object]:
        return {"listing_id": self.listing_id, "wanted": self.wanted, "available": self.available}
