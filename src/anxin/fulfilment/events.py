"""What fulfilment publishes: findings and late shipments other contexts (governance's penalties) may act on.
Pure: other contexts import these to subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("fulfilment.fake_shipment_found")
@dataclass(frozen=True)
class FakeShipmentFound(Event):
    """A detector found an order marked shipped that did not really ship (``kind``: fake_shipment.*)."""

    finding_id: str
    kind: str
    order_id: str
    shop_id: str
    rule_id: str
    rulebook_version: str
    found_at: dt.datetime


@event("fulfilment.overselling_found")
@dataclass(frozen=True)
class OversellingFound(Event):
    """A listing sold more than its shop could ship in time (finding ``listing.oversold``)."""

    finding_id: str
    listing_id: str
    shop_id: str
    rule_id: str
    rulebook_version: str
    found_at: dt.datetime


@event("fulfilment.late_shipment_recorded")
@dataclass(frozen=True)
class LateShipmentRecorded(Event):
    """A late shipment's consequences were recorded: the violation points (after the day and week caps) and the
    buyer's coupon."""

    order_id: str
    shop_id: str
    finding_id: str
    points_hundredths: int  # 0 once the day or week cap is reached
    capped_by: str | None  # None | day | week
    points_rule_id: str
    coupon_fen: int
    late_at: dt.datetime
    responsible: str = "shop"  # shop | platform (a warehouse order: the platform funds the coupon, no points)


# ParcelTroubleFound.kind: the parcel stopped moving, the carrier reported it lost, or another exception
# (returned to sender, refused).
PARCEL_STALLED, PARCEL_LOST, PARCEL_EXCEPTION = "parcel_stalled", "parcel_lost", "parcel_exception"


@event("fulfilment.parcel_trouble_found")
@dataclass(frozen=True)
class ParcelTroubleFound(Event):
    """A detector found a parcel in trouble (findings ``parcel.stalled`` and ``parcel.exception``); ``kind``:
    parcel_stalled | parcel_lost | parcel_exception. One event per new finding: a parcel may stall more than once."""

    order_id: str
    shop_id: str
    kind: str
    finding_id: str
    at: dt.datetime
