"""The fulfilment rulebook: ship-by promises, detector thresholds, scan classes and consequences.

Like the guarantee rulebook it is validated completely when it loads, against the strict Pydantic model
``FulfilmentRulebookSpec``: ``parse_fulfilment_rulebook`` raises ``FulfilmentRulebookError`` listing every problem
with its path (``detectors.stalled_hours: must be a positive integer, got 0``). Pure: pydantic, yaml and
``anxin.core`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator

from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    PositiveInt,
    RulebookKind,
    RulebookModel,
    RulebookProblems,
    problem,
)

DEFAULT_FULFILMENT_RULEBOOK = Path(__file__).resolve().parent.parent / "rulebooks" / "fulfilment.yaml"
Rounding = Literal["half_even", "half_up"]
Weekday = Literal["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
ROUNDINGS: tuple[str, ...] = get_args(Rounding)
WEEKDAYS: tuple[str, ...] = get_args(Weekday)
STATUS_CLASSES = ("collection", "in_transit", "delivered", "exception")


class FulfilmentRulebookError(RulebookProblems):
    title = "invalid fulfilment rulebook"


@dataclass(frozen=True)
class PromiseRules:
    in_stock_hours: int


@dataclass(frozen=True)
class WarehouseRules:
    """无忧服务: an order reserved from the platform warehouse's stock ships within this many hours of payment."""

    ship_within_hours: int


@dataclass(frozen=True)
class DetectorRules:
    fake_no_scan_hours: int
    origin_stuck_hours: int
    stalled_hours: int
    listing_late_flag_count: int
    listing_late_window_days: int
    oversold_window_hours: int
    oversold_backlog_orders: int
    # Platform feeds deliver some scans late: the monitoring pass judges a window only this long after it closed,
    # so a scan in time but delivered late does not make a false finding. Findings keep the window's own time.
    feed_grace_minutes: int = 0

    @property
    def feed_grace(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.feed_grace_minutes)


@dataclass(frozen=True)
class ScanStatuses:
    collection: frozenset[str]
    in_transit: frozenset[str]
    delivered: frozenset[str]
    exception: frozenset[str]
    last_mile: frozenset[str]

    @property
    def terminal(self) -> frozenset[str]:
        """After these the parcel is no longer travelling, so it cannot stall."""
        return self.delivered | self.exception


@dataclass(frozen=True)
class CompensationRules:
    percent_bp: int
    cap_fen: int
    rounding: str


@dataclass(frozen=True)
class PointsRules:
    per_late_order: int  # hundredths of a point
    day_cap: int
    week_cap: int
    week_starts: int  # 0 = Monday, as date.weekday()


@dataclass(frozen=True)
class ForceMajeure:
    region: str
    starts: dt.datetime
    ends: dt.datetime
    reason: str


def region_within(region: str | None, area: str) -> bool:
    """Hierarchical codes: "CN-HB-WH" lies within "CN-HB" (and within itself), "CN-HBX" does not."""
    if region is None:
        return False
    r, a = region.strip().upper(), area.strip().upper()
    return r == a or r.startswith(a + "-")


@dataclass(frozen=True)
class FulfilmentRulebook:
    version: str
    effective_from: dt.datetime
    local_offset: dt.timedelta
    promise: PromiseRules
    detectors: DetectorRules
    statuses: ScanStatuses
    compensation: CompensationRules
    points: PointsRules
    force_majeure: tuple[ForceMajeure, ...] = ()
    source: str = "<memory>"
    warehouse: WarehouseRules = WarehouseRules(24)

    def force_majeure_for(self, regions: Iterable[str | None], start: dt.datetime,
                          end: dt.datetime) -> ForceMajeure | None:
        """The first declaration covering any region whose [from, to) overlaps the window (start, end)."""
        wanted = [r for r in regions if r]
        for fm in self.force_majeure:
            if fm.starts < end and fm.ends > start and any(region_within(r, fm.region) for r in wanted):
                return fm
        return None


# --- the file's shape: strict models, semantic checks as validators ------------------------------------------

Hours = PositiveInt
StatusNames = Annotated[list[NonEmpty], Field(min_length=1, description="scan status names, as the feed sends them")]


class PromiseSpec(RulebookModel):
    in_stock_hours: Hours


class WarehouseSpec(RulebookModel):
    ship_within_hours: Hours = Field(description="a warehouse order (无忧服务) ships within this many hours of payment")


class DetectorsSpec(RulebookModel):
    fake_no_scan_hours: Hours
    origin_stuck_hours: Hours
    stalled_hours: Hours
    listing_late_flag_count: PositiveInt
    listing_late_window_days: PositiveInt
    oversold_window_hours: Hours
    oversold_backlog_orders: PositiveInt
    feed_grace_minutes: Annotated[int, Between(0, 24 * 60)] = 0


class ScanStatusesSpec(RulebookModel):
    collection: StatusNames
    in_transit: StatusNames
    delivered: StatusNames
    exception: StatusNames
    last_mile: StatusNames  # must happen inside the destination region

    @field_validator("in_transit", "delivered", "exception")
    @classmethod
    def _in_one_class_only(cls, names: list[str], info: ValidationInfo) -> list[str]:
        # A status in two classes would make one scan both a collection and a delivery: ambiguous verdicts.
        earlier = STATUS_CLASSES[:STATUS_CLASSES.index(str(info.field_name))]
        clashes = [f"{both} already listed under {a}" for a in earlier
                   if (both := sorted(set(names) & set(info.data.get(a, ()))))]
        if clashes:
            raise problem("; ".join(clashes))
        return names

    @model_validator(mode="after")
    def _last_mile_travels(self) -> ScanStatusesSpec:
        stray = sorted(set(self.last_mile) - set(self.in_transit) - set(self.delivered))
        if stray:
            raise problem(f"{stray} must be in_transit or delivered statuses", ".last_mile")
        return self


class CompensationSpec(RulebookModel):
    percent_bp: Annotated[int, Between(0, 10_000)] = Field(description="basis points of the amount paid: 500 = 5 %")
    cap_fen: PositiveInt
    rounding: Rounding


class PointsSpec(RulebookModel):
    per_late_order: PositiveInt = Field(description="hundredths of a point: 10 = 0.1")
    day_cap: PositiveInt
    week_cap: PositiveInt
    week_starts: Weekday

    @model_validator(mode="after")
    def _day_within_week(self) -> PointsSpec:
        if self.day_cap > self.week_cap:
            raise problem(f"must not exceed week_cap ({self.day_cap} > {self.week_cap})", ".day_cap")
        return self


class ConsequencesSpec(RulebookModel):
    compensation: CompensationSpec
    points: PointsSpec


class ForceMajeureSpec(RulebookModel):
    region: NonEmpty = Field(description="hierarchical region code: CN-HB covers CN-HB-WH")
    starts: Instant = Field(alias="from")
    ends: Instant = Field(alias="to", description="exclusive: [from, to)")
    reason: NonEmpty

    @field_validator("region", "reason")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if not value.strip():
            raise problem("required, a region code" if info.field_name == "region" else "required, a short text")
        return value

    @model_validator(mode="after")
    def _ordered(self) -> ForceMajeureSpec:
        if self.ends <= self.starts:
            raise problem("must be after from", ".to")
        return self


class FulfilmentRulebookSpec(RulebookModel):
    """The fulfilment rulebook file (``kind: fulfilment``)."""

    kind: Literal["fulfilment"]
    version: NonEmpty
    effective_from: Instant
    local_utc_offset_hours: Annotated[int, Between(-12, 14)]
    promise: PromiseSpec
    warehouse: WarehouseSpec = WarehouseSpec(ship_within_hours=24)
    detectors: DetectorsSpec
    scan_statuses: ScanStatusesSpec
    consequences: ConsequencesSpec
    force_majeure: list[ForceMajeureSpec] = Field(default=[], description="empty when nothing is declared")


def _rulebook_of(spec: FulfilmentRulebookSpec, source: str) -> FulfilmentRulebook:
    st, comp, pts = spec.scan_statuses, spec.consequences.compensation, spec.consequences.points
    return FulfilmentRulebook(
        version=spec.version, effective_from=spec.effective_from,
        local_offset=dt.timedelta(hours=spec.local_utc_offset_hours),
        promise=PromiseRules(spec.promise.in_stock_hours),
        detectors=DetectorRules(**spec.detectors.model_dump()),
        statuses=ScanStatuses(frozenset(st.collection), frozenset(st.in_transit), frozenset(st.delivered),
                              frozenset(st.exception), frozenset(st.last_mile)),
        compensation=CompensationRules(comp.percent_bp, comp.cap_fen, comp.rounding),
        points=PointsRules(pts.per_late_order, pts.day_cap, pts.week_cap, WEEKDAYS.index(pts.week_starts)),
        force_majeure=tuple(ForceMajeure(f.region.strip(), f.starts, f.ends, f.reason) for f in spec.force_majeure),
        source=source, warehouse=WarehouseRules(spec.warehouse.ship_within_hours))


FULFILMENT_KIND = RulebookKind(FulfilmentRulebookSpec, FulfilmentRulebookError, DEFAULT_FULFILMENT_RULEBOOK,
                               _rulebook_of)
load_fulfilment_rulebook = FULFILMENT_KIND.load  # the packaged file by default
parse_fulfilment_rulebook = FULFILMENT_KIND.parse
