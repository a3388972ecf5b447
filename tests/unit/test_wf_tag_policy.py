"""The worry-free enrolment and tag policies at every threshold edge (the packaged rulebook: ship rate ≥ 95 %,
complaint rate ≤ 3 %, ≥ 20 orders, score band good (≥ 80.00), stock ≥ 1, no severe violation in 90 days)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml

from anxin.worryfree import tag_policy as p
from anxin.worryfree.tag_rules import DEFAULT_TAG_RULEBOOK, TagRulebookError, load_tag_rules, parse_tag_rules

RB = load_tag_rules()
AT = dt.datetime(2026, 12, 7, 4, 0, tzinfo=dt.UTC)

TAG_OK = p.TagFacts(listing_id="L1", shop_id="s1", enrolled=True, available_units=10, orders=100,
                    shipped_within=100, paid_orders=100, complaints=0, score_x100=8500)


@pytest.mark.parametrize(("change", "outcome", "reason"), [
    ({}, p.TAGGED, None),
    ({"available_units": 1}, p.TAGGED, None),
    ({"available_units": 0}, p.UNTAGGED, p.STOCK_EMPTY),  # stock reaching zero loses the tag
    ({"shipped_within": 95}, p.TAGGED, None),  # exactly 95 %
    ({"shipped_within": 94}, p.UNTAGGED, p.SHIP_RATE_BELOW),
    ({"orders": 20, "paid_orders": 20, "shipped_within": 19}, p.TAGGED, None),  # 95 % of 20
    ({"orders": 20, "paid_orders": 20, "shipped_within": 18}, p.UNTAGGED, p.SHIP_RATE_BELOW),
    ({"orders": 19, "paid_orders": 19, "shipped_within": 19}, p.UNTAGGED, p.TOO_FEW_ORDERS),
    ({"orders": 19, "paid_orders": 25, "shipped_within": 19}, p.UNTAGGED, p.TOO_FEW_ORDERS),
    ({"complaints": 3}, p.TAGGED, None),  # exactly 3 %
    ({"complaints": 4}, p.UNTAGGED, p.COMPLAINT_RATE_ABOVE),
    ({"paid_orders": 101, "complaints": 3}, p.TAGGED, None),
    ({"paid_orders": 99, "complaints": 3}, p.UNTAGGED, p.COMPLAINT_RATE_ABOVE),
    ({"score_x100": 8000}, p.TAGGED, None),  # band good starts at 80.00
    ({"score_x100": 7999}, p.UNTAGGED, p.SCORE_BAND_BELOW),
    ({"score_x100": None}, p.UNTAGGED, p.SCORE_UNSCORED),
    ({"enrolled": False}, p.UNTAGGED, p.NOT_ENROLLED),
])
def test_tag_edges(change: dict[str, Any], outcome: str, reason: str | None) -> None:
    d = p.tag_decision(RB, dataclasses.replace(TAG_OK, **change))
    assert d.outcome == outcome
    assert d.rulebook_version == RB.version
    if reason is None:
        assert p.STOCK_AVAILABLE in d.reasons and p.SHIP_RATE_MET in d.reasons and d.failed == ()
    else:
        assert d.reasons == (reason,)
        assert len(d.failed) == 1
    assert "tag.stock" in d.rule_ids and "tag.score_band" in d.rule_ids


def test_tag_reasons_list_every_failure_with_its_rule() -> None:
    d = p.tag_decision(RB, dataclasses.replace(TAG_OK, available_units=0, shipped_within=50, score_x100=5000))
    assert d.reasons == (p.STOCK_EMPTY, p.SHIP_RATE_BELOW, p.SCORE_BAND_BELOW)
    assert d.failed == ("tag.stock", "tag.ship_rate_24h", "tag.score_band")
    assert d.facts["ship_rate_bp"] == 5000 and d.facts["score_band"] == "low"


def test_too_few_orders_waived_when_the_rulebook_says() -> None:
    raw = yaml.safe_load(DEFAULT_TAG_RULEBOOK.read_text())
    raw["tag"]["window"]["too_few_orders"] = "waive"
    rb = parse_tag_rules(raw)
    d = p.tag_decision(rb, dataclasses.replace(TAG_OK, orders=3, paid_orders=3, shipped_within=0, complaints=3))
    assert d.outcome == p.TAGGED and p.RATES_WAIVED in d.reasons


ENROL_OK = p.EnrolmentFacts(listing_id="L1", shop_id="s1", shop_open=True, category_chain=("food-snacks", "food"),
                            category_tags=frozenset(), score_x100=8500, severe_violations=())


@pytest.mark.parametrize(("change", "outcome", "reason"), [
    ({}, p.ELIGIBLE, None),
    ({"category_chain": ("3c-phones", "3c")}, p.REFUSED, p.CATEGORY_NOT_ELIGIBLE),
    ({"category_chain": ("x",), "category_tags": frozenset({"cosmetics"})}, p.ELIGIBLE, None),
    ({"score_x100": 8000}, p.ELIGIBLE, None),
    ({"score_x100": 7999}, p.REFUSED, p.SCORE_BAND_BELOW),
    ({"score_x100": None}, p.REFUSED, p.SCORE_UNSCORED),
    ({"shop_open": False}, p.REFUSED, p.SHOP_NOT_OPEN),
    # severe violation window: 90 days; recorded exactly 90 days ago is outside, a second later inside
    ({"severe_violations": (("v1", AT - dt.timedelta(days=90)),)}, p.ELIGIBLE, None),
    ({"severe_violations": (("v1", AT - dt.timedelta(days=90) + dt.timedelta(seconds=1)),)}, p.REFUSED,
     p.SEVERE_VIOLATION),
    ({"severe_violations": (("v1", AT),)}, p.REFUSED, p.SEVERE_VIOLATION),
    ({"severe_violations": (("v1", AT + dt.timedelta(seconds=1)),)}, p.ELIGIBLE, None),  # not yet recorded at AT
])
def test_enrolment_edges(change: dict[str, Any], outcome: str, reason: str | None) -> None:
    d = p.enrolment_decision(RB, dataclasses.replace(ENROL_OK, **change), at=AT)
    assert d.outcome == outcome
    assert d.rule_ids == ("enrol.category", "enrol.score_band", "enrol.severe_violation", "enrol.shop_open")
    if reason is None:
        assert d.failed == ()
    else:
        assert d.reasons == (reason,)


def test_changes() -> None:
    tagged = p.tag_decision(RB, TAG_OK)
    untagged = p.tag_decision(RB, dataclasses.replace(TAG_OK, available_units=0))
    assert p.change_of(None, tagged) == "gained"
    assert p.change_of(False, tagged) == "gained"
    assert p.change_of(True, tagged) is None
    assert p.change_of(True, untagged) == "lost"
    assert p.change_of(None, untagged) is None
    assert p.change_of(False, untagged) is None


@pytest.mark.parametrize(("path", "value", "message"), [
    (("tag", "score_band", "min_band"), "superb", "not one of the bands"),
    (("tag", "ship_rate", "min_bp"), 10_001, "0–10000"),
    (("score_bands",), [{"band": "a", "min_x100": 100, "label": {"zh-CN": "甲", "en": "A"}}], "start at 0"),
    (("enrolment", "category"), {"id": "enrol.category"}, "at least one category"),
    (("tag", "stock", "id"), "tag.window", "repeated"),
])
def test_rulebook_refuses(path: tuple[str, ...], value: Any, message: str, tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_TAG_RULEBOOK.read_text())
    node = raw
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(TagRulebookError) as err:
        parse_tag_rules(raw)
    assert message in str(err.value)


def test_the_kind_is_registered_and_checked() -> None:
    from anxin.cli.rulebooks import check, kinds

    assert "worryfree_tags" in kinds()
    report = check(DEFAULT_TAG_RULEBOOK)
    assert report.kind == "worryfree_tags" and not report.problems
    assert "ship rate ≥ 95 %" in str(report.summary)
