"""The fulfilment rulebook: ship-by promises, detector thresholds, scan classes and consequences.

Like the guarantee rulebook it is validated completely when it loads: ``parse_fulfilment_rulebook`` raises
``FulfilmentRulebookError`` listing every problem with its path (``detectors.stalled_hours: must be a positive
integer``). Pure: yaml and ``anxin.core`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from anxin.core.rulebook_loading import ProblemCollector
from anxin.core.rulebook_models import RulebookProblems

DEFAULT_FULFILMENT_RULEBOOK = Path(__file__).resolve().parent.parent / "rulebooks" / "fulfilment.yaml"
ROUNDINGS = ("half_even", "half_up")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
STATUS_CLASSES = ("collection", "in_transit", "delivered", "exception")


class FulfilmentRulebookError(RulebookProblems):
    title = "invalid fulfilment rulebook"


@dataclass(frozen=True)
class PromiseRules:
    in_stock_hours: int


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

    def force_majeure_for(self, regions: Iterable[str | None], start: dt.datetime,
                          end: dt.datetime) -> ForceMajeure | None:
        """The first declaration covering any region whose [from, to) overlaps the window (start, end)."""
        wanted = [r for r in regions if r]
        for fm in self.force_majeure:
            if fm.starts < end and fm.ends > start and any(region_within(r, fm.region) for r in wanted):
                return fm
        return None


_Collector = ProblemCollector


def load_fulfilment_rulebook(path: str | Path = DEFAULT_FULFILMENT_RULEBOOK) -> FulfilmentRulebook:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FulfilmentRulebookError([f"{path}: cannot read ({exc.strerror})"]) from None
    except yaml.YAMLError as exc:
        raise FulfilmentRulebookError([f"{path}: not valid YAML ({exc})"]) from None
    return parse_fulfilment_rulebook(raw, source=str(path))


def parse_fulfilment_rulebook(raw: object, *, source: str = "<memory>") -> FulfilmentRulebook:
    if not isinstance(raw, Mapping):
        raise FulfilmentRulebookError(["<root>: the rulebook must be a mapping"])
    c = _Collector()
    c.unknown(raw, "<root>", ("kind", "version", "effective_from", "local_utc_offset_hours", "promise",
                              "detectors", "scan_statuses", "consequences", "force_majeure"))
    if raw.get("kind") != "fulfilment":
        c.problems.append("kind: must be 'fulfilment'")
    version = raw.get("version")
    if not isinstance(version, str) or not version:
        c.problems.append("<root>.version: required, a non-empty string")
        version = "?"
    effective_from = c.instant(raw, "effective_from", "<root>")
    offset = c.integer(raw, "local_utc_offset_hours", "<root>", low=-12, high=14)

    pr = c.section(raw, "promise", ("in_stock_hours",))
    promise = PromiseRules(c.integer(pr, "in_stock_hours", "promise"))

    det_keys = ("fake_no_scan_hours", "origin_stuck_hours", "stalled_hours", "listing_late_flag_count",
                "listing_late_window_days", "oversold_window_hours", "oversold_backlog_orders")
    dr = c.section(raw, "detectors", (*det_keys, "feed_grace_minutes"))
    grace = c.integer(dr, "feed_grace_minutes", "detectors", low=0, high=24 * 60) if "feed_grace_minutes" in dr else 0
    detectors = DetectorRules(**{k: c.integer(dr, k, "detectors") for k in det_keys}, feed_grace_minutes=grace)

    statuses = _statuses(c, c.section(raw, "scan_statuses", (*STATUS_CLASSES, "last_mile")))

    cons = c.section(raw, "consequences", ("compensation", "points"))
    comp_raw = _sub(c, cons, "compensation", ("percent_bp", "cap_fen", "rounding"))
    compensation = CompensationRules(
        c.integer(comp_raw, "percent_bp", "consequences.compensation", low=0, high=10000),
        c.integer(comp_raw, "cap_fen", "consequences.compensation"),
        c.choice(comp_raw, "rounding", "consequences.compensation", ROUNDINGS))
    pts_raw = _sub(c, cons, "points", ("per_late_order", "day_cap", "week_cap", "week_starts"))
    before = len(c.problems)
    points = PointsRules(
        c.integer(pts_raw, "per_late_order", "consequences.points"),
        c.integer(pts_raw, "day_cap", "consequences.points"),
        c.integer(pts_raw, "week_cap", "consequences.points"),
        WEEKDAYS.index(c.choice(pts_raw, "week_starts", "consequences.points", WEEKDAYS)))
    if len(c.problems) == before and points.day_cap > points.week_cap:  # only compare figures that parsed
        c.problems.append("consequences.points.day_cap: must not exceed week_cap")

    force_majeure = _force_majeure(c, raw.get("force_majeure", []))
    if c.problems or effective_from is None:
        raise FulfilmentRulebookError(c.problems or ["effective_from: required"])
    return FulfilmentRulebook(version=version, effective_from=effective_from, local_offset=dt.timedelta(hours=offset),
                              promise=promise, detectors=detectors, statuses=statuses, compensation=compensation,
                              points=points, force_majeure=force_majeure, source=source)


def _sub(c: _Collector, raw: Mapping[str, Any], key: str, known: tuple[str, ...]) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        c.problems.append(f"consequences.{key}: required, a mapping")
        return {}
    c.unknown(value, f"consequences.{key}", known)
    return value


def _statuses(c: _Collector, raw: Mapping[str, Any]) -> ScanStatuses:
    classes = {k: c.statuses(raw, k, "scan_statuses") for k in STATUS_CLASSES}
    # A status in two classes would make one scan both a collection and a delivery: ambiguous verdicts.
    for i, a in enumerate(STATUS_CLASSES):
        for b in STATUS_CLASSES[i + 1:]:
            both = sorted(classes[a] & classes[b])
            if both:
                c.problems.append(f"scan_statuses.{b}: {both} already listed under {a}")
    last_mile = c.statuses(raw, "last_mile", "scan_statuses")
    stray = sorted(last_mile - classes["in_transit"] - classes["delivered"])
    if stray:
        c.problems.append(f"scan_statuses.last_mile: {stray} must be in_transit or delivered statuses")
    return ScanStatuses(classes["collection"], classes["in_transit"], classes["delivered"], classes["exception"],
                        last_mile)


def _force_majeure(c: _Collector, raw: object) -> tuple[ForceMajeure, ...]:
    if not isinstance(raw, list):
        c.problems.append("force_majeure: must be a list (empty when nothing is declared)")
        return ()
    out: list[ForceMajeure] = []
    for i, item in enumerate(raw):
        path = f"force_majeure[{i}]"
        if not isinstance(item, Mapping):
            c.problems.append(f"{path}: must be a mapping with region, from, to and reason")
            continue
        c.unknown(item, path, ("region", "from", "to", "reason"))
        region, reason = item.get("region"), item.get("reason")
        if not isinstance(region, str) or not region.strip():
            c.problems.append(f"{path}.region: required, a region code")
        if not isinstance(reason, str) or not reason.strip():
            c.problems.append(f"{path}.reason: required, a short text")
        starts, ends = c.instant(item, "from", path), c.instant(item, "to", path)
        if starts is not None and ends is not None and ends <= starts:
            c.problems.append(f"{path}.to: must be after from")
        if isinstance(region, str) and isinstance(reason, str) and starts and ends:
            out.append(ForceMajeure(region.strip(), starts, ends, reason))
    return tuple(out)
