"""Matchmaking with plain objects, at the edge of every threshold: the sales window's first instant, the minimum
orders, the category fit, the reputation score, capacity at zero, the session window, expiry and the outcome's
window; the shipped section loads and a broken one names every problem with its path."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.catalogs import reason_texts

from anxin.merchants import matchmaking as mm
from anxin.merchants.reasons import render
from anxin.merchants.rulebook import DEFAULT_DIR, load_merchant_rulebook, load_section_file
from anxin.merchants.rulebook_models import MerchantRulebookError

BJ = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2026, 12, 9, 15, 0, tzinfo=BJ).astimezone(dt.UTC)  # a Wednesday afternoon in Beijing
RULES = load_section_file(DEFAULT_DIR / "matchmaking.yaml", "matchmaking")
SHOP = mm.ShopProfile("s1", frozenset({"lipstick", "serum"}),
                      {"lipstick": "beauty", "serum": "beauty", "mascara": "beauty", "shoes": "fashion"})
REASON_TEXT = reason_texts("match", "session")


def creator(orders: dict[str, int] | None = None, score: int | None = 450, used: int = 0,
            cid: str = "c1") -> mm.CreatorFacts:
    return mm.CreatorFacts(cid, {"lipstick": 10} if orders is None else orders, score, used)


def codes(p: mm.Proposal) -> list[str]:
    return [r.code for r in p.reasons]


def test_the_shipped_section_loads_into_the_bundle() -> None:
    rb = load_merchant_rulebook()
    assert rb.matchmaking == RULES
    assert (RULES.window_days, RULES.per_creator_per_week, RULES.max_proposals) == (90, 3, 5)
    assert RULES.weight_fit + RULES.weight_reputation + RULES.weight_capacity == 100


# --- the sales window -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "since"), [
    (NOW, dt.datetime(2026, 9, 10, tzinfo=BJ)),  # 90 local days before 9 December, at local midnight
    (dt.datetime(2026, 12, 9, 0, 0, tzinfo=BJ), dt.datetime(2026, 9, 10, tzinfo=BJ)),  # the day's first instant
    (dt.datetime(2026, 12, 8, 23, 59, 59, tzinfo=BJ), dt.datetime(2026, 9, 9, tzinfo=BJ)),  # the day before
])
def test_the_sales_window_starts_at_local_midnight_90_days_back(at: dt.datetime, since: dt.datetime) -> None:
    assert mm.sales_since(at, RULES) == since


@pytest.mark.parametrize(("at", "monday"), [
    (dt.datetime(2026, 12, 7, 0, 0, tzinfo=BJ), dt.date(2026, 12, 7)),  # Monday's first instant
    (dt.datetime(2026, 12, 13, 23, 59, tzinfo=BJ), dt.date(2026, 12, 7)),  # Sunday night, same week
    (dt.datetime(2026, 12, 14, 0, 0, tzinfo=BJ), dt.date(2026, 12, 14)),  # the next Monday
    (dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC), dt.date(2026, 12, 7)),  # UTC Sunday = Beijing Monday 00:00
])
def test_capacity_weeks_are_beijing_weeks_from_monday(at: dt.datetime, monday: dt.date) -> None:
    assert mm.week_start(at) == monday


# --- judging one creator ------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("orders", "proposed", "first"), [
    ({"lipstick": 9}, False, "match.too_few_sales"),  # one under the minimum
    ({"lipstick": 10}, True, "match.category_fit"),  # exactly the minimum
    ({"lipstick": 2, "shoes": 8}, True, "match.category_fit"),  # 20.00 % fit: exactly the minimum
    ({"lipstick": 1, "mascara": 1, "shoes": 8}, False, "match.fit_below"),  # 10 % + half of 10 % = 15 %
    ({"mascara": 4, "shoes": 6}, True, "match.category_fit"),  # same top category only: 4 × 50 % = 20 %
    ({"shoes": 50}, False, "match.fit_below"),
])
def test_category_fit_and_minimum_orders(orders: dict[str, int], proposed: bool, first: str) -> None:
    p = mm.judge(creator(orders), SHOP, RULES)
    assert (p.proposed, codes(p)[0]) == (proposed, first)


@pytest.mark.parametrize(("orders", "fit"), [
    ({"lipstick": 10}, 10_000), ({"lipstick": 5, "shoes": 5}, 5000), ({"mascara": 10}, 5000),
    ({"lipstick": 1, "mascara": 1, "shoes": 1}, 5000), ({}, 0),
])
def test_fit_counts_exact_categories_fully_and_the_same_top_category_by_the_rulebook(orders: dict[str, int],
                                                                                     fit: int) -> None:
    assert mm.category_fit(orders, SHOP, RULES)[0] == fit


@pytest.mark.parametrize(("score", "proposed", "band", "rep_bp"), [
    (399, False, "low", 4950), (400, True, "fair", 5000), (439, True, "fair", 6950), (440, True, "good", 7000),
    (470, True, "excellent", 8500), (500, True, "excellent", 10_000), (300, False, "low", 0),
])
def test_reputation_threshold_bands_and_part(score: int, proposed: bool, band: str, rep_bp: int) -> None:
    p = mm.judge(creator(score=score), SHOP, RULES)
    assert (p.proposed, p.band, p.reputation_bp) == (proposed, band, rep_bp)
    if not proposed:
        assert "match.score_below" in codes(p)


@pytest.mark.parametrize(("unscored", "proposed"), [("exclude", False), ("neutral", True)])
def test_an_unscored_creator_by_the_rulebook(unscored: str, proposed: bool) -> None:
    p = mm.judge(creator(score=None), SHOP, dataclasses.replace(RULES, unscored=unscored))
    assert p.proposed is proposed and p.band is None
    assert ("match.unscored" in codes(p)) is not proposed


@pytest.mark.parametrize(("used", "proposed", "left", "cap_bp"), [
    (0, True, 3, 10_000), (1, True, 2, 6666), (2, True, 1, 3333), (3, False, 0, 0), (4, False, 0, 0),
])
def test_capacity_at_zero_is_not_proposed(used: int, proposed: bool, left: int, cap_bp: int) -> None:
    p = mm.judge(creator(used=used), SHOP, RULES)
    assert (p.proposed, p.slots_left, p.capacity_bp) == (proposed, left, cap_bp)
    assert ("match.no_capacity" in codes(p)) is not proposed


def test_every_failing_rule_is_named_with_its_rule_id() -> None:
    p = mm.judge(creator({"shoes": 3}, score=350, used=3), SHOP, RULES)
    assert codes(p) == ["match.too_few_sales", "match.score_below", "match.no_capacity"]
    assert p.rule_ids == ("matchmaking.sales.min_orders", "matchmaking.candidates.min_score_x100",
                          "matchmaking.capacity.per_creator_per_week")


def test_the_match_score_weights_the_parts_and_the_facts_are_kept() -> None:
    p = mm.judge(creator({"lipstick": 6, "mascara": 2, "shoes": 2}, score=450, used=1), SHOP, RULES)
    # fit (6 + 2 × 0.5) / 10 = 70 %, reputation 75 %, capacity 2/3
    assert (p.fit_bp, p.reputation_bp, p.capacity_bp) == (7000, 7500, 6666)
    assert p.match_bp == (7000 * 50 + 7500 * 30 + 6666 * 20) // 100
    assert p.facts["orders"] == 10 and p.facts["orders_same_top_category"] == 2
    d = p.as_dict()
    assert d["rule_ids"] == ["matchmaking.weights.category_fit", "matchmaking.weights.reputation",
                             "matchmaking.weights.capacity"]


def test_proposals_best_first_ties_by_creator_id_and_at_most_max() -> None:
    creators = [creator(cid=f"c{n}", score=400 + n * 10) for n in range(7)]
    creators.append(creator(cid="b-tie", score=460))  # the same as c6
    creators.append(creator(cid="full", score=500, used=3))
    got = [p.creator_id for p in mm.propose(creators, SHOP, RULES)]
    assert got == ["b-tie", "c6", "c5", "c4", "c3"]


# --- invitations and sessions ---------------------------------------------------------------------------------------

H = dt.timedelta(hours=1)


@pytest.mark.parametrize(("start", "length", "problems"), [
    (NOW, 2 * H, ["session.starts_in_past"]),
    (NOW + H, 2 * H, []),
    (NOW + dt.timedelta(days=14), 2 * H, []),  # exactly 14 days ahead
    (NOW + dt.timedelta(days=14, seconds=1), 2 * H, ["session.starts_too_late"]),
    (NOW + H, H, []), (NOW + H, 12 * H, []),
    (NOW + H, H - dt.timedelta(seconds=1), ["session.bad_length"]),
    (NOW + H, 12 * H + dt.timedelta(seconds=1), ["session.bad_length"]),
])
def test_session_windows(start: dt.datetime, length: dt.timedelta, problems: list[str]) -> None:
    assert [r.code for r in mm.session_problems(start, start + length, NOW, RULES)] == problems


@pytest.mark.parametrize(("start", "expires"), [
    (NOW + 100 * H, NOW + 72 * H),  # 72 hours after the invitation ...
    (NOW + 10 * H, NOW + 10 * H),  # ... or at the session start, the earlier
])
def test_expiry(start: dt.datetime, expires: dt.datetime) -> None:
    assert mm.expires_at(NOW, start, RULES) == expires
    assert not mm.is_expired("pending", expires, expires - dt.timedelta(microseconds=1))
    assert mm.is_expired("pending", expires, expires)
    assert not mm.is_expired("accepted", expires, expires + H)


@pytest.mark.parametrize(("at", "phase"), [
    (NOW - dt.timedelta(microseconds=1), "upcoming"), (NOW, "live"), (NOW + 2 * H - dt.timedelta(microseconds=1),
                                                                       "live"), (NOW + 2 * H, "ended")])
def test_session_phase(at: dt.datetime, phase: str) -> None:
    assert mm.session_phase(NOW, NOW + 2 * H, at) == phase


def test_outcome_counts_orders_paid_inside_the_window_only() -> None:
    start, end = NOW, NOW + 2 * H
    orders = [mm.SessionOrder("before", 100, start - dt.timedelta(microseconds=1)),
              mm.SessionOrder("first", 1000, start), mm.SessionOrder("mid", 2500, start + H),
              mm.SessionOrder("last", 700, end - dt.timedelta(microseconds=1)), mm.SessionOrder("after", 9, end)]
    out = mm.outcome_of(orders, start, end, {"mid": 2, "after": 1}, frozenset({"first", "before"}))
    assert out.as_dict() == {"orders": 3, "gmv_fen": 4200, "cases": 2, "late_shipments": 1}
    assert out.order_ids == ("first", "last", "mid")


def test_reasons_have_words_in_both_languages() -> None:
    p = mm.judge(creator({"lipstick": 6, "mascara": 2, "shoes": 2}), SHOP, RULES)
    fails = mm.judge(creator({"shoes": 3}, score=350, used=3), SHOP, RULES)
    unscored = mm.judge(creator(score=None), SHOP, RULES)
    fit = mm.judge(creator({"shoes": 30}), SHOP, RULES)
    session = mm.session_problems(NOW, NOW, NOW, RULES) + mm.session_problems(
        NOW + dt.timedelta(days=30), NOW + dt.timedelta(days=30, hours=1), NOW, RULES)
    for reason in (*p.reasons, *fails.reasons, *unscored.reasons, *fit.reasons, *session):
        for lang in ("zh-CN", "en"):
            text = render(reason, REASON_TEXT, lang)
            assert text != reason.code and "{" not in text, (reason, lang)


# --- the section file -----------------------------------------------------------------------------------------------

def _raw() -> dict[str, Any]:
    return yaml.safe_load((DEFAULT_DIR / "matchmaking.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("change", "problem"), [
    (lambda r: r["weights"].update(capacity=21), "weights.category_fit: the weights must add up to 100, got 101"),
    (lambda r: r["capacity"].update(per_creator_per_week=0), "capacity.per_creator_per_week"),
    (lambda r: r["sessions"].update(min_hours=13), "sessions.max_hours: must be at least min_hours 13"),
    (lambda r: r["reputation"]["bands"][1].update(min_score_x100=480), "reputation.bands[1].min_score_x100"),
    (lambda r: r["reputation"].update(ceiling_x100=300), "reputation.ceiling_x100: must be above floor_x100 300"),
    (lambda r: r["candidates"].update(unscored="maybe"), "candidates.unscored"),
    (lambda r: r["sales"].update(same_root_credit_bp=10_001), "sales.same_root_credit_bp"),
])
def test_a_broken_section_names_the_problem_with_its_path(tmp_path: Path, change: Any, problem: str) -> None:
    raw = copy.deepcopy(_raw())
    change(raw)
    path = tmp_path / "matchmaking.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(MerchantRulebookError) as err:
        load_section_file(path, "matchmaking")
    assert any(problem in p for p in err.value.problems), err.value.problems
