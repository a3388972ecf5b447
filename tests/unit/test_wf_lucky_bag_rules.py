"""The lucky-bag rulebook as a strict model: the packaged one loads; every problem of a bad one is reported with its
path; the kind is registered for `anxin rules check` and has its JSON schema; the region rule at its edges."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from anxin.cli.rulebooks import check, kinds
from anxin.worryfree.lucky_bag_rules import (
    DEFAULT_LUCKY_BAG_RULEBOOK,
    LuckyBagRulebookError,
    RegionRule,
    load_lucky_bag_rules,
    parse_lucky_bag_rules,
)

RAW: dict[str, Any] = yaml.safe_load(DEFAULT_LUCKY_BAG_RULEBOOK.read_text(encoding="utf-8"))


def test_the_packaged_rulebook_loads() -> None:
    rb = load_lucky_bag_rules()
    assert (rb.kind, rb.version, rb.campaign.max_units, rb.campaign.max_listings) == (
        "worryfree_lucky_bags", "worryfree-lucky-bags-2026.12.1", 500, 10)
    assert rb.campaign.require_tagged and rb.prize.exclude_from_creator_score
    assert rb.entry.account_age.min_days == 0 and rb.draw.owner_within_hours == 72


def problems(edit: Any) -> list[str]:
    raw = copy.deepcopy(RAW)
    edit(raw)
    with pytest.raises(LuckyBagRulebookError) as exc:
        parse_lucky_bag_rules(raw)
    return exc.value.problems


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda r: r["campaign"].update(max_units=0), "campaign.max_units: must be an integer 1–100000, got 0"),
    (lambda r: r["campaign"].update(max_units="5"), "campaign.max_units"),
    (lambda r: r["campaign"].update(min_window_minutes=24 * 60, max_window_hours=1),
     "campaign.min_window_minutes: 1440 minutes is longer than the longest window (1 hours)"),
    (lambda r: r["campaign"].update(max_listings=20, max_units=10), "campaign.max_listings: more listings than"),
    (lambda r: r["entry"]["region"].update(allow=["cn"]), "entry.region.allow[0]"),
    (lambda r: r["entry"]["region"].update(deny=["CN"]), "entry.region.deny: both allowed and denied: CN"),
    (lambda r: r["entry"].pop("account_age"), "entry.account_age: required"),
    (lambda r: r["draw"].update(id="lucky_bags.campaign"), "<root>: rule ids must be distinct"),
    (lambda r: r.update(kind="care"), "kind"),
    (lambda r: r.update(extra=1), "extra: unknown key"),
])
def test_a_bad_rulebook_is_refused_with_the_path(edit: Any, expected: str) -> None:
    assert any(p.startswith(expected) for p in problems(edit)), problems(edit)


def test_every_problem_is_reported_at_once() -> None:
    def edit(r: dict[str, Any]) -> None:
        r["campaign"]["max_units"] = 0
        r["draw"]["owner_within_hours"] = 0
    assert len(problems(edit)) == 2


@pytest.mark.parametrize(("allow", "deny", "region", "admitted"), [
    (["CN"], [], "CN", True),
    (["CN"], [], "CN-ZJ-HZ", True),
    (["CN"], [], "CNX", False),           # a prefix is a whole code, not a string prefix
    (["CN"], [], "US-CA", False),
    ([], [], "US-CA", True),              # no allow list: anywhere
    (["CN"], ["CN-HK"], "CN-HK", False),
    (["CN"], ["CN-HK"], "CN-HK-KLN", False),
    (["CN"], ["CN-HK"], "CN-HKX", True),
])
def test_region_rule_edges(allow: list[str], deny: list[str], region: str, admitted: bool) -> None:
    assert RegionRule(id="r", allow=allow, deny=deny).admits(region) is admitted


def test_the_kind_is_registered_and_checked() -> None:
    assert "worryfree_lucky_bags" in kinds()
    report = check(DEFAULT_LUCKY_BAG_RULEBOOK)
    assert report.kind == "worryfree_lucky_bags" and not report.problems
    assert "up to 500 prize units in 10 listings" in str(report.summary)
