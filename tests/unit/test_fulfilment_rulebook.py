"""The fulfilment rulebook loads whole or not at all, naming every problem with its path."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from anxin.orders.fulfilment_rules import (
    DEFAULT_FULFILMENT_RULEBOOK,
    FulfilmentRulebookError,
    load_fulfilment_rulebook,
    parse_fulfilment_rulebook,
    region_within,
)

RAW = yaml.safe_load(DEFAULT_FULFILMENT_RULEBOOK.read_text(encoding="utf-8"))


def broken(mutate) -> list[str]:  # type: ignore[no-untyped-def]
    raw = copy.deepcopy(RAW)
    mutate(raw)
    with pytest.raises(FulfilmentRulebookError) as err:
        parse_fulfilment_rulebook(raw)
    return err.value.problems


def test_default_rulebook_loads_with_the_rules_md_figures() -> None:
    rb = load_fulfilment_rulebook()
    assert rb.version == "2026.11.1" and rb.local_offset == dt.timedelta(hours=8)
    assert rb.effective_from == dt.datetime(2025, 12, 31, 16, 0, tzinfo=dt.UTC)
    assert rb.promise.in_stock_hours == 48
    assert (rb.compensation.percent_bp, rb.compensation.cap_fen, rb.compensation.rounding) == (500, 10000, "half_even")
    assert (rb.points.per_late_order, rb.points.day_cap, rb.points.week_cap, rb.points.week_starts) == (10, 200, 600, 0)
    assert rb.detectors.listing_late_flag_count == 2
    assert {"collected", "picked_up"} == rb.statuses.collection
    assert {"returned", "refused", "lost"} == rb.statuses.exception
    assert rb.statuses.terminal == rb.statuses.delivered | rb.statuses.exception
    assert rb.force_majeure == ()


def fm(**kw: str) -> dict[str, str]:
    return {"region": "CN-HB", "from": "2026-12-01T00:00:00+08:00", "to": "2026-12-08T00:00:00+08:00",
            "reason": "snowstorm", **kw}


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda r: r.update(kind="guarantees"), "kind: must be one of 'fulfilment', got 'guarantees'"),
    (lambda r: r.pop("version"), "version: required"),
    (lambda r: r.update(version=""), "version: required, a non-empty string"),
    (lambda r: r.update(effective_from="2026-01-01T00:00:00"),
     "effective_from: timestamp '2026-01-01T00:00:00' has no UTC offset"),
    (lambda r: r.update(local_utc_offset_hours=15), "local_utc_offset_hours: must be an integer -12–14, got 15"),
    (lambda r: r.update(colour="red"), "colour: unknown key"),
    (lambda r: r.pop("promise"), "promise: required"),
    (lambda r: r["promise"].update(in_stock_hours=0), "promise.in_stock_hours: must be a positive integer, got 0"),
    (lambda r: r["promise"].update(in_stock_hours="48"), "promise.in_stock_hours: must be an integer, got '48'"),
    (lambda r: r["detectors"].pop("stalled_hours"), "detectors.stalled_hours: required"),
    (lambda r: r["detectors"].update(fake_no_scan_hours=True),
     "detectors.fake_no_scan_hours: must be an integer, got True"),
    (lambda r: r["detectors"].update(typo_hours=3), "detectors.typo_hours: unknown key"),
    (lambda r: r["scan_statuses"].update(collection=[]), "scan_statuses.collection: must not be empty"),
    (lambda r: r["scan_statuses"].update(delivered=["signed", 3]),
     "scan_statuses.delivered[1]: must be a string, got 3"),
    (lambda r: r["scan_statuses"].update(exception=["lost", "collected"]),
     "scan_statuses.exception: ['collected'] already listed under collection"),
    (lambda r: r["scan_statuses"].update(exception=["collected", "signed"]),
     "scan_statuses.exception: ['collected'] already listed under collection; ['signed'] already listed under "
     "delivered"),
    (lambda r: r["scan_statuses"].update(last_mile=["collected"]),
     "scan_statuses.last_mile: ['collected'] must be in_transit or delivered statuses"),
    (lambda r: r["consequences"]["compensation"].update(percent_bp=10001),
     "consequences.compensation.percent_bp: must be an integer 0–10000, got 10001"),
    (lambda r: r["consequences"]["compensation"].update(cap_fen=0),
     "consequences.compensation.cap_fen: must be a positive integer, got 0"),
    (lambda r: r["consequences"]["compensation"].update(rounding="banker"),
     "consequences.compensation.rounding: must be one of 'half_even' or 'half_up', got 'banker'"),
    (lambda r: r["consequences"].pop("points"), "consequences.points: required"),
    (lambda r: r["consequences"]["points"].update(per_late_order=0.1),
     "consequences.points.per_late_order: must be an integer, got 0.1 (whole fen or hundredths, no floats)"),
    (lambda r: r["consequences"]["points"].update(day_cap=700),
     "consequences.points.day_cap: must not exceed week_cap (700 > 600)"),
    (lambda r: r["consequences"]["points"].update(week_starts="someday"),
     "consequences.points.week_starts: must be one of 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', "
     "'saturday' or 'sunday', got 'someday'"),
    (lambda r: r.update(force_majeure={"region": "CN"}), "force_majeure: must be a list, got {'region': 'CN'}"),
    (lambda r: r.update(force_majeure=[fm(region="")]), "force_majeure[0].region: required, a non-empty string"),
    (lambda r: r.update(force_majeure=[fm(region="  ")]), "force_majeure[0].region: required, a region code"),
    (lambda r: r.update(force_majeure=[fm(reason=" ")]), "force_majeure[0].reason: required, a short text"),
    (lambda r: r.update(force_majeure=[fm(), fm(to="2026-11-01T00:00:00+08:00")]),
     "force_majeure[1].to: must be after from"),
    (lambda r: r.update(force_majeure=[fm(**{"from": "soon"})]), "force_majeure[0].from: Invalid isoformat string: "
                                                                  "'soon'"),
    (lambda r: r.update(force_majeure=[fm(severity="high")]), "force_majeure[0].severity: unknown key"),
    (lambda r: r.update(force_majeure=["CN-HB"]), "force_majeure[0]: must be a mapping, got 'CN-HB'"),
])
def test_broken_rulebooks_name_the_problem_with_its_path(mutate, expected) -> None:  # type: ignore[no-untyped-def]
    assert broken(mutate) == [expected]


def test_every_problem_is_reported_at_once() -> None:
    def four(r):  # type: ignore[no-untyped-def]
        r.pop("version")
        r["detectors"]["stalled_hours"] = -1
        r["consequences"]["points"]["week_cap"] = 6.0
        r["force_majeure"] = [fm(), fm(to="2026-11-01T00:00:00+08:00")]
    assert broken(four) == ["version: required", "detectors.stalled_hours: must be a positive integer, got -1",
                            "consequences.points.week_cap: must be an integer, got 6.0 (whole fen or hundredths, "
                            "no floats)", "force_majeure[1].to: must be after from"]


def test_not_a_mapping_and_unreadable_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(FulfilmentRulebookError, match="must be a mapping"):
        parse_fulfilment_rulebook(["rulebook"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed", encoding="utf-8")
    with pytest.raises(FulfilmentRulebookError, match="not valid YAML"):
        load_fulfilment_rulebook(bad)
    with pytest.raises(FulfilmentRulebookError, match="cannot read"):
        load_fulfilment_rulebook(tmp_path / "missing.yaml")


def test_force_majeure_declarations_parse_and_match_by_region_and_overlap() -> None:
    raw = copy.deepcopy(RAW)
    raw["force_majeure"] = [fm()]
    rb = parse_fulfilment_rulebook(raw)
    decl = rb.force_majeure[0]
    assert decl.starts == dt.datetime(2026, 11, 30, 16, 0, tzinfo=dt.UTC)
    before, inside = decl.starts - dt.timedelta(days=2), decl.starts + dt.timedelta(hours=1)
    assert rb.force_majeure_for(["CN-HB-WH"], before, inside) is decl
    assert rb.force_majeure_for([None, "CN-HB"], before, inside) is decl
    assert rb.force_majeure_for(["CN-ZJ"], before, inside) is None
    # Half-open: a window that ends exactly when the declaration starts does not overlap it.
    assert rb.force_majeure_for(["CN-HB"], before, decl.starts) is None
    assert rb.force_majeure_for(["CN-HB"], decl.ends, decl.ends + dt.timedelta(hours=1)) is None


@pytest.mark.parametrize(("region", "area", "inside"), [
    ("CN-HB", "CN-HB", True), ("CN-HB-WH", "CN-HB", True), ("cn-hb-wh", "CN-HB", True),
    ("CN-HBX", "CN-HB", False), ("CN", "CN-HB", False), (None, "CN", False),
])
def test_region_within(region, area, inside) -> None:  # type: ignore[no-untyped-def]
    assert region_within(region, area) is inside


@pytest.mark.parametrize(("value", "ok"), [(0, True), (1440, True), (-1, False), (1441, False), ("3h", False)])
def test_feed_grace_is_optional_minutes_within_a_day(value: object, ok: bool) -> None:
    raw = copy.deepcopy(RAW)
    without = copy.deepcopy(raw)
    del without["detectors"]["feed_grace_minutes"]
    assert parse_fulfilment_rulebook(without).detectors.feed_grace_minutes == 0
    raw["detectors"]["feed_grace_minutes"] = value
    if ok:
        assert parse_fulfilment_rulebook(raw).detectors.feed_grace_minutes == value
    else:
        with pytest.raises(FulfilmentRulebookError, match="feed_grace_minutes"):
            parse_fulfilment_rulebook(raw)
