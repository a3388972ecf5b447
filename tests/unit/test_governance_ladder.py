"""The points ladder at every edge, on the packaged catalogue: the point that crosses a node, expiry on the
instant, strictest-measure-wins, several nodes at once, the caution distance; and the catalogue's own checks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from anxin.governance import ladder
from anxin.governance.ladder import ActiveMeasure, LadderError, PointEntry, decide
from anxin.governance.rulebook import DEFAULT_DIR, load_catalogue_file, load_governance_rulebook
from anxin.governance.rulebook_models import GovernanceRulebookError, hundredths

CAT = load_governance_rulebook().catalogue
AT = dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC)
FAR = AT + dt.timedelta(days=100)
SHOP = "shop:s1"


def general(points: int, expires: dt.datetime = FAR) -> PointEntry:
    return PointEntry("general", points, expires)


def steps(decision: ladder.Decision) -> dict[str, str]:
    return {p.palette_id: p.step for p in decision.planned}


@pytest.mark.parametrize(("before", "added", "crossed"), [
    (1190, 10, ["GOV.GENERAL.12"]),   # 11.9 + 0.1 = 12.0 reaches the node: crossed
    (1189, 10, []),                    # 11.89 + 0.1 = 11.99: not yet
    (1199, 1, ["GOV.GENERAL.12"]),     # 11.99 + 0.01
    (1200, 10, []),                    # already at the node: not crossed again
    (0, 1200, ["GOV.GENERAL.12"]),
    (1100, 2500, ["GOV.GENERAL.12", "GOV.GENERAL.24", "GOV.GENERAL.36"]),
])
def test_the_point_that_crosses_a_node(before: int, added: int, crossed: list[str]) -> None:
    d = decide(CAT, kind="late_shipment", subject=SHOP, owner=SHOP, severity=None,
               entries=[general(before)] if before else [], active=[], at=AT, points=added)
    assert d.facts["nodes_crossed"] == crossed
    assert d.facts["points_before"]["general"] == before and d.facts["points_after"]["general"] == before + added
    assert (ladder.NODE_CROSSED in d.reason_codes) == bool(crossed)
    assert d.rulebook_version == CAT.version and d.rule_ids[0] == "GOV.KIND.late_shipment"


@pytest.mark.parametrize(("expires", "counts"), [
    (AT, False),                                   # at expires_at itself it no longer counts
    (AT + dt.timedelta(microseconds=1), True),
    (AT - dt.timedelta(microseconds=1), False),
])
def test_expiry_on_the_instant(expires: dt.datetime, counts: bool) -> None:
    entry = general(1190, expires)
    assert entry.counts_at(AT) is counts
    d = decide(CAT, kind="late_shipment", subject=SHOP, owner=SHOP, severity=None, entries=[entry], active=[],
               at=AT, points=10)
    assert d.facts["nodes_crossed"] == (["GOV.GENERAL.12"] if counts else [])


def test_points_expire_exactly_the_configured_days_after_the_violation() -> None:
    happened = dt.datetime(2026, 6, 1, 16, 0, tzinfo=dt.UTC)  # 00:00 on 2 June in Beijing
    assert ladder.expires_at(CAT, happened) == happened + dt.timedelta(days=180)
    entry = PointEntry("general", 400, ladder.expires_at(CAT, happened))
    day_before = happened + dt.timedelta(days=180) - dt.timedelta(seconds=1)
    assert ladder.points_by_class([entry], day_before)["general"] == 400
    assert ladder.points_by_class([entry], happened + dt.timedelta(days=180))["general"] == 0


def test_several_nodes_at_once_apply_only_the_strictest_nodes_measures() -> None:
    d = decide(CAT, kind="late_shipment", subject=SHOP, owner=SHOP, severity=None, entries=[general(1100)],
               active=[], at=AT, points=1400)  # 11 → 25: crosses 12 and 24
    assert d.facts["nodes_crossed"] == ["GOV.GENERAL.12", "GOV.GENERAL.24"]
    assert d.facts["strictest_node"] == "GOV.GENERAL.24"
    assert steps(d) == {"campaign_ban": "apply", "listing_freeze": "apply"}
    assert ladder.SUPERSEDED in d.reason_codes and d.outcome == "measures_applied"
    assert {p.target for p in d.to_apply} == {SHOP}


def test_a_node_applies_all_its_measures_even_the_weaker_with_the_stronger() -> None:
    d = decide(CAT, kind="late_shipment", subject=SHOP, owner=SHOP, severity=None, entries=[general(4790)],
               active=[], at=AT, points=10)
    assert steps(d) == {"closure": "apply", "deposit_deduction": "apply"}


def _active(palette: str, ends: dt.datetime | None, target: str = SHOP) -> ActiveMeasure:
    m = CAT.measures[palette]
    return ActiveMeasure(f"gm_{palette}", palette, m.type, target, m.strictness, ends)


@pytest.mark.parametrize(("active", "expected"), [
    # an active stronger measure is never replaced by a weaker one
    ([_active("fund_hold", AT + dt.timedelta(days=20))], {"warning": "skip", "traffic_limit": "skip"}),
    # same type: the later end is kept (extended) …
    # (the node's warning is weaker than the active limit: not applied)
    ([_active("traffic_limit", AT + dt.timedelta(days=3))], {"warning": "skip", "traffic_limit": "extend"}),
    # … and never shortened
    ([_active("traffic_limit", AT + dt.timedelta(days=10))], {"warning": "skip", "traffic_limit": "skip"}),
    # a measure that already ended does not count
    ([_active("fund_hold", AT)], {"warning": "apply", "traffic_limit": "apply"}),
    # another target's measure does not count
    ([_active("closure", None, target="shop:s2")], {"warning": "apply", "traffic_limit": "apply"}),
])
def test_strictest_measure_wins_against_what_is_active(active: list[ActiveMeasure],
                                                      expected: dict[str, str]) -> None:
    d = decide(CAT, kind="late_shipment", subject=SHOP, owner=SHOP, severity=None, entries=[general(1190)],
               active=active, at=AT, points=10)
    assert steps(d) == expected
    reasons = {p.palette_id: p.reason for p in d.planned}
    if expected["traffic_limit"] == "skip" and active[0].type == "fund_hold":
        assert reasons["traffic_limit"] == ladder.WEAKER_THAN_ACTIVE
    if expected["traffic_limit"] == "extend":
        [p] = [p for p in d.planned if p.palette_id == "traffic_limit"]
        assert p.extends == "gm_traffic_limit" and p.ends_at == AT + dt.timedelta(days=7)


@pytest.mark.parametrize(("after", "caution"), [(700, True), (699, False), (1199, True), (1200, False),
                                                (4400, True), (4800, False)])
def test_caution_within_the_distance_of_the_next_node(after: int, caution: bool) -> None:
    _node, _distance, warn = ladder.caution(CAT, "general", after)
    assert warn is caution
    d = decide(CAT, kind="late_shipment", subject=SHOP, owner=SHOP, severity=None, entries=[general(after - 10)],
               active=[], at=AT, points=10)
    assert d.facts["caution"] is caution and (ladder.CAUTION in d.reason_codes) is caution


def test_classes_are_kept_apart() -> None:
    d = decide(CAT, kind="counterfeit", subject="listing:l1", owner=SHOP, severity="major",
               entries=[general(4000)], active=[], at=AT)
    assert d.facts["points_after"] == {"general": 4000, "severe": 600}
    assert d.facts["nodes_crossed"] == ["GOV.SEVERE.6"]
    assert steps(d) == {"listing_freeze": "apply", "fund_hold": "apply", "listing_takedown": "apply"}
    [takedown] = [p for p in d.planned if p.palette_id == "listing_takedown"]
    assert takedown.target == "listing:l1" and takedown.ends_at is None


def test_subject_measures_go_to_their_subject_and_skip_others() -> None:
    d = decide(CAT, kind="false_advertising", subject="live_room:r1", owner=SHOP, severity="minor", entries=[],
               active=[], at=AT)
    assert steps(d) == {"listing_takedown": "skip", "live_room_suspend_3d": "apply"}
    creator = decide(CAT, kind="fraudulent_marketing", subject="creator:c1", owner="creator:c1", severity="critical",
                     entries=[], active=[], at=AT)
    assert steps(creator) == {"creator_restrict_30d": "apply", "creator_restrict_7d": "skip",
                              "live_room_suspend_3d": "skip"}


@pytest.mark.parametrize(("kind", "subject", "severity", "code"), [
    ("nope", SHOP, None, "governance.unknown_kind"),
    ("counterfeit", SHOP, None, "governance.severity_required"),
    ("counterfeit", SHOP, "huge", "governance.severity_required"),
    ("late_shipment", "listing:l1", None, "governance.invalid_subject"),
])
def test_what_the_catalogue_cannot_score_is_refused(kind: str, subject: str, severity: str | None,
                                                    code: str) -> None:
    with pytest.raises(LadderError) as exc:
        decide(CAT, kind=kind, subject=subject, owner=SHOP, severity=severity, entries=[], active=[], at=AT)
    assert exc.value.code == code


@pytest.mark.parametrize(("written", "held"), [(0.1, 10), (4, 400), (0.01, 1), (11.99, 1199), (0, 0)])
def test_points_are_held_in_hundredths(written: float, held: int) -> None:
    assert hundredths(written) == held


@pytest.mark.parametrize("written", [0.015, 0.001, -1, True, "4", 1001])
def test_points_finer_than_a_hundredth_or_not_numbers_are_refused(written: object) -> None:
    with pytest.raises(ValueError):
        hundredths(written)


def test_every_kind_of_the_model_is_in_the_catalogue() -> None:
    from anxin.governance.model import ALL_KINDS
    assert set(CAT.kinds) == set(ALL_KINDS) and len(ALL_KINDS) == 14


def _broken(tmp_path: Path, **changes: object) -> list[str]:
    raw = yaml.safe_load((DEFAULT_DIR / "catalogue.yaml").read_text(encoding="utf-8"))
    for change in changes.values():
        assert callable(change)
        change(raw)
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(GovernanceRulebookError) as exc:
        load_catalogue_file(path)
    return exc.value.problems


def test_a_broken_catalogue_reports_every_field_problem_at_once(tmp_path: Path) -> None:
    problems = _broken(tmp_path, a=lambda r: r["kinds"][0].update(points=0.015),
                       b=lambda r: r["measures"]["warning"].update(strictness="1"),
                       c=lambda r: r["kinds"][2].update(appealable="yes"))
    assert problems == ["catalogue.measures.warning.strictness: must be an integer, got '1'",
                        "catalogue.kinds[0].points: points are kept in hundredths: 0.015 is finer than 0.01",
                        "catalogue.kinds[2].appealable: must be true or false, got 'yes'"]


def test_a_broken_catalogue_reports_every_cross_check_at_once(tmp_path: Path) -> None:
    problems = _broken(tmp_path, a=lambda r: r["kinds"][1].update(measures=["nope"]),
                       b=lambda r: r["ladders"]["general"][1].update(points=10),
                       c=lambda r: r["measures"]["warning"].update(strictness=2),
                       d=lambda r: r["ladders"]["severe"][0].update(measures=["listing_takedown"]))
    text = "\n".join(problems)
    assert len(problems) == 4, problems
    assert "catalogue.kinds[1].measures[0]: unknown measure 'nope'" in text
    assert "catalogue.ladders.general[1].points: nodes must rise strictly" in text
    assert "strictness 2 is also" in text and "'listing_takedown' is not a shop measure" in text


def test_a_catalogue_missing_a_kind_is_refused(tmp_path: Path) -> None:
    problems = _broken(tmp_path, a=lambda r: r.update(kinds=r["kinds"][:-1]))
    assert problems == ["catalogue.kinds: missing 'worry_free_inbound_rejected'"]


def test_a_stronger_creator_restriction_is_applied_beside_a_weaker_one_not_merged_into_it() -> None:
    """A creator serving the 7-day restriction (live, product links) who crosses the severe node gets the 30-day one
    (also short videos) as its own measure; the weaker one never extends the stronger."""
    owner = "creator:cr1"
    seven = _active("creator_restrict_7d", AT + dt.timedelta(days=5), target=owner)
    crossing = decide(CAT, kind="fraudulent_marketing", subject=owner, owner=owner, severity="major", entries=[],
                      active=[seven], at=AT)
    assert steps(crossing)["creator_restrict_30d"] == "apply"
    assert steps(crossing)["creator_restrict_7d"] == "extend"  # the kind's own 7 days: the active one, to day 7
    thirty = _active("creator_restrict_30d", AT + dt.timedelta(days=20), target=owner)
    again = decide(CAT, kind="fraudulent_marketing", subject=owner, owner=owner, severity="minor",
                   entries=[PointEntry("severe", 600, FAR)], active=[thirty], at=AT)
    planned = {p.palette_id: (p.step, p.reason) for p in again.planned}
    assert planned["creator_restrict_7d"] == ("skip", ladder.WEAKER_THAN_ACTIVE)
