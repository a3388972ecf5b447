"""Governance's pure core. This first part is the seam every governance use case shares: the violation kinds of
the catalogue, what a use case asks for when something is a violation (``RecordViolation``), what it gets back
(``ViolationView``) and the ledger that records and reverses violations (``ViolationLedger``), which the
violations use case implements and tests replace with a fake. Imports only ``core``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

# The catalogue's violation kinds (rulebooks/governance.yaml defines each one's class, points, subjects, evidence,
# appealability and measures). Ids are part of the public contract: integrators and the other use cases name them.
LATE_SHIPMENT: Final = "late_shipment"
FAKE_SHIPMENT: Final = "fake_shipment"
OVERSELLING: Final = "overselling"  # overselling / fake inventory
COUNTERFEIT: Final = "counterfeit"
PROHIBITED_GOODS: Final = "prohibited_goods"
FALSE_ADVERTISING: Final = "false_advertising"  # a listing's or a live room's claims
FRAUDULENT_MARKETING: Final = "fraudulent_marketing"
LOW_QUALITY_PRODUCT: Final = "low_quality_product"  # low-quality or non-compliant, found by inspection
IP_INFRINGEMENT: Final = "ip_infringement"
AFTERSALES_OBSTRUCTION: Final = "aftersales_obstruction"  # refusing valid returns
CONSUMER_HARASSMENT: Final = "consumer_harassment"
DATA_MISUSE: Final = "data_misuse"  # credential or data misuse
RISKY_MERCHANT: Final = "risky_merchant"  # risk control's verdict on the shop
WORRY_FREE_INBOUND_REJECTED: Final = "worry_free_inbound_rejected"  # a worry-free lot the warehouse rejected

SUBJECT_TYPES: Final = ("shop", "listing", "creator", "live_room")

# Where a violation came from (``source_type``); with ``source_id`` and the kind it makes a violation once only.
SOURCE_OPERATOR: Final = "operator"
SOURCE_FINDING: Final = "fulfilment.finding"
SOURCE_LATE_SHIPMENT: Final = "fulfilment.late_shipment"
SOURCE_RISK: Final = "risk.shop_blocked"
SOURCE_LISTING_CHECK: Final = "governance.listing_check"
SOURCE_INSPECTION: Final = "governance.inspection"
SOURCE_IP_COMPLAINT: Final = "governance.ip_complaint"
SOURCE_WORRY_FREE_LOT: Final = "worryfree.lot_rejected"


@dataclass(frozen=True)
class RecordViolation:
    """Something is a violation of ``kind`` by ``subject`` (``<type>:<id>``, a type of ``SUBJECT_TYPES``).

    ``shop_id`` is the shop whose record carries the points (None for a creator's or live room's own violation
    with no shop); ``creator_id`` the creator's, where one is involved. ``severity`` picks the points where the
    kind's points go by severity. ``evidence`` is what the catalogue asks the kind for, stored and shown."""

    kind: str
    subject: str
    shop_id: str | None
    source_type: str
    source_id: str
    at: dt.datetime
    evidence: Mapping[str, Any] = field(default_factory=dict)
    creator_id: str | None = None
    severity: str | None = None
    recorded_by: str = "system:governance"
    note: str = ""


@dataclass(frozen=True)
class ViolationView:
    """A recorded violation as the other use cases see it."""

    violation_id: str
    kind: str
    violation_class: str  # general | severe
    subject: str
    shop_id: str | None
    creator_id: str | None
    points_hundredths: int  # points in hundredths (a late shipment's 0.1 point is 10)
    appealable: bool
    state: str  # active | reversed | expired
    recorded_at: dt.datetime
    source_type: str
    source_id: str


class ViolationLedger(Protocol):
    """Records and reverses violations in the caller's unit of work (``uow``: an open ``db.uow.UnitOfWork``; it
    never commits). ``record`` is idempotent per (source_type, source_id, kind): the second call returns the
    first violation and False. ``reverse`` undoes a violation's points and the measures it caused (an appeal that
    succeeded, a complaint withdrawn), and is idempotent too."""

    def record(self, uow: Any, cmd: RecordViolation) -> tuple[ViolationView, bool]: ...

    def get(self, uow: Any, violation_id: str) -> ViolationView | None: ...

    def reverse(self, uow: Any, violation_id: str, *, cause_type: str, cause_id: str, at: dt.datetime,
                by: str) -> ViolationView: ...

    def count(self, uow: Any, *, kind: str, shop_id: str, since: dt.datetime) -> int: ...


# --- below the seam: the rest of governance's pure vocabulary ---------------------------------------------------

ALL_KINDS: Final = (LATE_SHIPMENT, FAKE_SHIPMENT, OVERSELLING, COUNTERFEIT, PROHIBITED_GOODS, FALSE_ADVERTISING,
                    FRAUDULENT_MARKETING, LOW_QUALITY_PRODUCT, IP_INFRINGEMENT, AFTERSALES_OBSTRUCTION,
                    CONSUMER_HARASSMENT, DATA_MISUSE, RISKY_MERCHANT, WORRY_FREE_INBOUND_REJECTED)
GENERAL: Final = "general"
SEVERE: Final = "severe"
# A violation's and a measure's states.
ACTIVE: Final = "active"
REVERSED: Final = "reversed"
EXPIRED: Final = "expired"
LIFTED: Final = "lifted"
MEASURE_STATES: Final = (ACTIVE, EXPIRED, LIFTED, REVERSED)


def owner_of(cmd: RecordViolation) -> str:
    """Whose record carries the points: the shop's when there is one, else the creator's (``shop:s1``,
    ``creator:c1``). A violation with neither is refused by the ledger."""
    if cmd.shop_id:
        return f"shop:{cmd.shop_id}"
    if cmd.creator_id:
        return f"creator:{cmd.creator_id}"
    return ""
