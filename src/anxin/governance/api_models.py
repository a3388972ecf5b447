"""The governance API's responses: a shop's record, violations with their measures (and, for operators, the
decisions that explain them)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from anxin.governance.model import ALL_KINDS, MEASURE_STATES
from anxin.web.schema import Fen, Free, Instant, Out

Kind = Annotated[str, Field(json_schema_extra={"enum": list(ALL_KINDS)})]
Class = Annotated[str, Field(json_schema_extra={"enum": ["general", "severe"]})]
MeasureState = Annotated[str, Field(json_schema_extra={"enum": list(MEASURE_STATES)})]


class Source(Out):
    type: str = Field(description="operator, fulfilment.finding, fulfilment.late_shipment, risk.shop_blocked …")
    id: str


class Measure(Out):
    measure_id: str
    measure: str = Field(description="the catalogue's measure id")
    type: str = Field(description="warning, traffic_limit, listing_freeze, campaign_ban, fund_hold, "
                                  "deposit_deduction, closure, listing_takedown, creator_restrict, live_room_penalise")
    target: str
    starts_at: Instant
    ends_at: Instant | None = Field(description="null: until lifted")
    state: MeasureState
    violation_id: str
    amount_fen: Fen | None
    action_ids: list[str] = Field(description="the platform actions that enforce it")
    lift_action_ids: list[str]
    ended_at: Instant | None


class Violation(Out):
    violation_id: str
    kind: Kind
    class_: Class = Field(alias="class")
    subject: str
    shop_id: str | None
    creator_id: str | None
    severity: str | None
    points: float = Field(description="points as shown (hundredths / 100)")
    points_hundredths: int
    appealable: bool
    state: str = Field(description="active, expired (its points no longer count), reversed")
    evidence: Free
    note: str
    source: Source
    happened_at: Instant
    recorded_at: Instant
    reversed_at: Instant | None


class Decision(Out):
    decision_id: str
    step: str
    outcome: str
    reason_codes: list[str]
    rule_ids: list[str]
    rulebook_version: str
    facts: Free


class DecisionAt(Decision):
    decided_at: Instant


class ViolationDetail(Violation):
    measures: list[Measure]
    decisions: list[DecisionAt] | None = Field(None, description="operators only: every decision and its facts")
    recorded_by: str | None = Field(None, description="operators only")


class RecordedViolation(ViolationDetail):
    created: bool = Field(description="false: this id was recorded before (this is it)")


class PointEntry(Out):
    violation_id: str
    points_hundredths: int
    expires_at: Instant


class ClassPoints(Out):
    class_: Class = Field(alias="class")
    points: float
    points_hundredths: int
    entries: list[PointEntry] = Field(description="the entries that count now, soonest to expire first")


class LadderPosition(Out):
    class_: Class = Field(alias="class")
    points_hundredths: int
    reached_node: str | None
    next_node: str | None
    next_node_points_hundredths: int | None
    distance_hundredths: int | None
    caution: bool = Field(description="within the catalogue's caution distance of the next node")


class ShopGovernance(Out):
    shop_id: str
    rulebook_version: str
    as_of: Instant
    points_expiry_days: int
    points: list[ClassPoints]
    ladder: list[LadderPosition]
    measures: list[Measure] = Field(description="active measures and their end")
    violations: list[Violation] = Field(description="the most recent; the rest: GET /v1/governance/violations")
    more_violations: bool
    appeals: list[Free] = Field(description="appeals of the shop's violations (empty until appeals are enabled)")


class CreatorGovernance(Out):
    creator_id: str
    rulebook_version: str
    as_of: Instant
    points_expiry_days: int
    points: list[ClassPoints] = Field(description="the creator's own record: violations with no shop involved")
    ladder: list[LadderPosition]
    measures: list[Measure] = Field(description="active measures on the creator, or on a live room of a violation "
                                                "naming the creator, and their end")
    violations: list[Violation] = Field(description="the most recent violations naming the creator")
    more_violations: bool
    appeals: list[Free] = Field(description="the creator's appeals")
