"""The fulfilment API's responses: a shop's or the platform's figures over a rolling window, and one order's
promise, findings, late-shipment consequences, ETA and notices."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from anxin.fulfilment.detectors import KINDS
from anxin.orders.service import OrderStatus
from anxin.web.schema import Fen, Free, Instant, Out

FindingKind = Annotated[str, Field(json_schema_extra={"enum": list(KINDS)})]
Day = Annotated[str, Field(json_schema_extra={"format": "date"}, description="a local (UTC+8) day, YYYY-MM-DD")]
Points = Annotated[int, Field(description="violation points in hundredths of a point")]


class Rate(Out):
    numerator: int
    denominator: int
    display: str = Field(description="a percentage with one decimal, e.g. 97.5%")


class Buckets(Out):
    under_24h: int
    from_24h_to_36h: int
    from_36h_to_48h: int
    from_48h: int = Field(description="48 h or more")


class MetricCounts(Out):
    paid: int = Field(description="paid in the window, before exclusions")
    presale: int
    cancelled: int = Field(description="cancelled and never collected")
    collected: int
    signed: int
    due_48h: int
    exceptions: int
    signed_without_collection: int
    impossible: int = Field(description="times out of order: left out of every figure")


class Metrics(Out):
    shop_id: str | None = Field(description="null: the whole platform")
    window_start: Instant
    window_end: Instant
    collected_within_24h: Rate | None
    collected_within_36h: Rate | None
    collected_within_48h: Rate | None
    buckets: Buckets
    avg_payment_to_collection_seconds: int | None
    avg_collection_to_signoff_seconds: int | None
    shipped_within_48h: Rate | None
    exception_rate: Rate | None
    counts: MetricCounts
    rule_id: str


class DailyPoint(Out):
    day: Day
    paid: int
    eligible: int
    collected: int
    collected_within_48h: Rate | None
    shipped_within_48h: Rate | None
    avg_payment_to_collection_seconds: int | None
    complete: bool = Field(description="every order of the day has had its 48 h")


class Finding(Out):
    finding_id: str
    kind: FindingKind
    subject_type: str = Field(description="order | listing")
    subject_id: str
    shop_id: str
    at: Instant
    evidence: Free
    rule_id: str
    rulebook_version: str


class LateShipments(Out):
    orders: int
    coupon_fen: Fen
    points: Points
    points_today: Points
    points_this_week: Points
    day_cap: Points
    week_cap: Points
    capped_orders: int


class FulfilmentReport(Out):
    shop_id: str | None = Field(description="null: the whole platform")
    as_of: Instant
    days: int = Field(description="7, 30 or 90")
    rulebook_version: str
    metrics: Metrics
    daily: list[DailyPoint]
    findings_by_kind: dict[str, int] = Field(description="every finding kind, zeros included")
    recent_findings: list[Finding] = Field(description="the latest 50 of the window")
    late_shipments: LateShipments


class ItemPromise(Out):
    listing_id: str
    ship_by: Instant
    basis: str
    rule_id: str


class Promise(Out):
    order_id: str
    ship_by: Instant
    basis: str
    rule_id: str
    rulebook_version: str
    exemption: str | None
    exemption_rule_id: str | None
    exemption_detail: str | None
    items: list[ItemPromise]
    notes: list[str]


class Consequence(Out):
    order_id: str
    shop_id: str
    at: Instant
    paid_fen: Fen
    coupon_fen: Fen
    points: Points
    local_day: Day
    week_start: Day
    capped_by: str | None = Field(description="the cap that cut it (day | week); null when none did")
    finding_id: str
    compensation_rule_id: str
    points_rule_id: str
    rulebook_version: str


class Estimate(Out):
    earliest: Instant
    likely: Instant
    latest: Instant
    basis: str
    samples: int
    revised_at: Instant
    stage: str
    anchor: Instant
    group: str
    rule_id: str
    rulebook_version: str | None = None


class Eta(Out):
    current: Estimate
    shown: Estimate | None = Field(description="the first estimate the consumer was shown")
    revised_at: Instant


class Notice(Out):
    notice_id: str
    kind: str
    reason: str
    since: Instant
    created_at: Instant
    rule_id: str
    rulebook_version: str | None
    eta: Estimate | None = Field(description="the estimate when the notice was made")


class OrderFulfilment(Out):
    order_id: str
    shop_id: str
    consumer_id: str
    status: OrderStatus
    promise: Promise
    findings: list[Finding]
    late_shipment: list[Consequence]
    eta: Eta | None
    notices: list[Notice]
