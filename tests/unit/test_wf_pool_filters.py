"""The selection pool's pure rules, table-driven at every edge: filter validation, the match of a listing against
a filter (inclusive price bounds and commission minimum, "this band or better", worry-free yes/no, guarantees),
the badges' words and rule ids, and the programme metrics' windows (24 hours, the next local day)."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.core.errors import AnxinError
from anxin.worryfree.metrics import MetricOrder, compute, next_day_end, percent
from anxin.worryfree.pool import TagBands
from anxin.worryfree.pool_filters import (
    Candidate,
    Guaranteed,
    PoolFilter,
    TagFacts,
    badges,
    matches,
    percent_bp,
    validate,
)
from anxin.worryfree.tag_rules import load_tag_rules

BANDS = TagBands(load_tag_rules())
SERVICES = ["instant_refund", "seven_day_no_reason"]
T = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing


def cand(*, price: int = 5000, bp: int = 1500, score: int | None = 9000, tagged: bool | None = None,
         services: tuple[str, ...] = ("instant_refund",)) -> Candidate:
    tag = None if tagged is None else TagFacts(tagged, T, ("enrolled",), ("tag.enrolled",), "v")
    return Candidate("l1", "s1", "Shop", "food", "Nuts", price, bp, score, dt.date(2026, 11, 1),
                     BANDS.band_of(score), tuple(Guaranteed(f"G.{s}", s, {"zh-CN": s, "en": s}, "g")
                                                 for s in services), tag)


@pytest.mark.parametrize(("f", "field"), [
    (PoolFilter(price_min_fen=-1), "price_min_fen"),
    (PoolFilter(price_max_fen=-1), "price_max_fen"),
    (PoolFilter(price_min_fen=101, price_max_fen=100), "price_min_fen"),
    (PoolFilter(min_commission_bp=-1), "min_commission_bp"),
    (PoolFilter(min_commission_bp=10_001), "min_commission_bp"),
    (PoolFilter(guarantee="teleport"), "guarantee"),
    (PoolFilter(score_band="unscored"), "score_band"),
    (PoolFilter(sort="random"), "sort"),
])
def test_invalid_filters_name_their_field(f, field):
    with pytest.raises(AnxinError) as err:
        validate(f, services=SERVICES, bands=list(BANDS.bands()))
    assert err.value.code.value == "worryfree.pool.invalid_filter" and err.value.details["field"] == field


@pytest.mark.parametrize("f", [
    PoolFilter(), PoolFilter(price_min_fen=0, price_max_fen=0), PoolFilter(price_min_fen=100, price_max_fen=100),
    PoolFilter(min_commission_bp=0), PoolFilter(min_commission_bp=10_000), PoolFilter(score_band="low"),
    PoolFilter(guarantee="seven_day_no_reason", sort="price_desc"),
])
def test_valid_filters_pass(f):
    assert validate(f, services=SERVICES, bands=list(BANDS.bands())) is f


@pytest.mark.parametrize(("c", "f", "expected"), [
    (cand(price=5000), PoolFilter(price_min_fen=5000), True),    # inclusive
    (cand(price=4999), PoolFilter(price_min_fen=5000), False),
    (cand(price=5000), PoolFilter(price_max_fen=5000), True),    # inclusive
    (cand(price=5001), PoolFilter(price_max_fen=5000), False),
    (cand(bp=1500), PoolFilter(min_commission_bp=1500), True),   # inclusive
    (cand(bp=1499), PoolFilter(min_commission_bp=1500), False),
    (cand(bp=0), PoolFilter(min_commission_bp=0), True),
    (cand(score=9000), PoolFilter(score_band="excellent"), True),  # the band's floor
    (cand(score=8999), PoolFilter(score_band="excellent"), False),
    (cand(score=8999), PoolFilter(score_band="good"), True),
    (cand(score=9999), PoolFilter(score_band="low"), True),        # or better
    (cand(score=0), PoolFilter(score_band="low"), True),
    (cand(score=None), PoolFilter(score_band="low"), False),       # unscored is in no band
    (cand(tagged=True), PoolFilter(worry_free=True), True),
    (cand(tagged=False), PoolFilter(worry_free=True), False),      # lost the tag
    (cand(tagged=None), PoolFilter(worry_free=True), False),       # never enrolled
    (cand(tagged=None), PoolFilter(worry_free=False), True),
    (cand(tagged=True), PoolFilter(worry_free=False), False),
    (cand(services=()), PoolFilter(guarantee="instant_refund"), False),
    (cand(), PoolFilter(guarantee="instant_refund"), True),
])
def test_a_listing_matches_a_filter_at_the_edges(c, f, expected):
    assert matches(c, f, BANDS) is expected


def test_badges_explain_themselves_in_both_languages():
    got = {b.code: b for b in badges(cand(tagged=True, bp=1250), BANDS)}
    assert list(got) == ["worry_free", "score_band.excellent", "guarantee.instant_refund", "commission"]
    assert "2026-11-02" in got["worry_free"].explanation["zh-CN"] and got["worry_free"].rule_id == "tag.enrolled"
    assert got["score_band.excellent"].label == {"zh-CN": "体验分优秀", "en": "Score: Excellent"}
    assert "90.00" in got["score_band.excellent"].explanation["en"]  # the band's floor, on the 50-100 scale
    assert got["guarantee.instant_refund"].rule_id == "G.instant_refund"
    assert got["commission"].label["en"] == "Commission 12.5%"
    unscored = {b.code for b in badges(cand(score=None), BANDS)}
    assert "score_band.unscored" in unscored and "worry_free" not in unscored


@pytest.mark.parametrize(("bp", "text"), [(0, "0%"), (1, "0.01%"), (1250, "12.5%"), (1500, "15%"),
                                          (1234, "12.34%"), (10_000, "100%")])
def test_commission_as_a_percentage(bp, text):
    assert percent_bp(bp) == text


def order(oid: str, *, wf: bool = False, shipped: dt.timedelta | None = None, signed: dt.datetime | None = None,
          cancelled: bool = False, paid: dt.datetime = T) -> MetricOrder:
    return MetricOrder(oid, wf, paid, paid + shipped if shipped is not None else None, signed,
                       paid + dt.timedelta(hours=1) if cancelled else None)


H = dt.timedelta(hours=1)


@pytest.mark.parametrize(("o", "now", "num", "den"), [
    (order("a", shipped=24 * H), T + 48 * H, 1, 1),                               # exactly 24 h: on time
    (order("a", shipped=24 * H + dt.timedelta(seconds=1)), T + 48 * H, 0, 1),
    (order("a"), T + 24 * H - dt.timedelta(seconds=1), 0, 0),                     # not judged yet
    (order("a"), T + 24 * H, 0, 1),                                               # 24 h passed unshipped
    (order("a", cancelled=True), T + 48 * H, 0, 0),                               # cancelled before shipping
])
def test_ship_24h_window(o, now, num, den):
    r = compute([o], {}, set(), now=now)["other"].rates["ship_24h"]
    assert (r.num, r.den) == (num, den)


def test_next_day_is_the_local_day_after_payment():
    # paid 10:00 Beijing on 11-02: the next local day ends 11-04 00:00 +08:00 = 11-03 16:00 UTC
    assert next_day_end(T) == dt.datetime(2026, 11, 3, 16, 0, tzinfo=dt.UTC)
    late_night = dt.datetime(2026, 11, 2, 15, 59, tzinfo=dt.UTC)  # 23:59 in Beijing
    assert next_day_end(late_night) == dt.datetime(2026, 11, 3, 16, 0, tzinfo=dt.UTC)
    just_after = dt.datetime(2026, 11, 2, 16, 0, tzinfo=dt.UTC)  # 00:00 on 11-03 in Beijing
    assert next_day_end(just_after) == dt.datetime(2026, 11, 4, 16, 0, tzinfo=dt.UTC)
    end = next_day_end(T)
    for signed, hit in ((end - dt.timedelta(seconds=1), 1), (end, 0)):
        r = compute([order("a", shipped=H, signed=signed)], {}, set(), now=end + H)["other"].rates
        assert (r["next_day_delivery"].num, r["next_day_delivery"].den) == (hit, 1)


def test_complaints_and_cases_by_group():
    rows = [order("w", wf=True), order("x"), order("y")]
    got = compute(rows, {"x": {"quality"}, "y": {"delivery"}, "w": {"false_advertising"}}, {"y"}, now=T)
    assert (got["worry_free"].rates["product_complaint"].num, got["worry_free"].orders) == (1, 1)
    other = got["other"].rates
    assert (other["product_complaint"].num, other["product_complaint"].den) == (1, 2)  # delivery is not product
    assert (other["after_sale"].num, other["after_sale"].den) == (1, 2)


@pytest.mark.parametrize(("num", "den", "text"), [(2, 3, "66.7%"), (1, 8, "12.5%"), (1, 2000, "0.1%"),
                                                  (1, 2001, "0.0%"), (1, 1, "100.0%")])
def test_percent_rounds_half_up(num, den, text):
    from fractions import Fraction
    assert percent(Fraction(num, den)) == text
