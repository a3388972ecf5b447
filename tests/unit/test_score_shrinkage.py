"""Shrinkage toward the peers' mean and reliability weights (anxin.scoring.model), at the edges, and the score
definition's SQL computing the same numbers."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from anxin.scoring.model import (
    PeerValue,
    data_weight,
    item_rest_correlation,
    peer_prior,
    reliability_x1000,
    shrunk,
    weighted_points_x100,
)

MAX = 100_000.0


def rate(k: int, n: int) -> PeerValue:
    """A 0/1 rate: k bad of n (the sum of squares of 0/1 values is k)."""
    return PeerValue(k / n if n else 0.0, float(n), float(k))


@pytest.mark.parametrize(("peers", "strength", "expect"), [
    # zero orders everywhere: no prior at all
    ([rate(0, 0), rate(0, 0)], None, None),
    # one peer with one order: no spread, no signal (strength at its maximum, reliability 0)
    ([rate(1, 1)], None, {"mean": 1.0, "tau2": 0.0, "strength": MAX, "reliability": 0.0}),
    # all bad: no within-shop variance, no between-shop variance
    ([rate(30, 30), rate(50, 50), rate(7, 7)], None, {"mean": 1.0, "within": 0.0, "tau2": 0.0, "strength": MAX,
                                                      "reliability": 0.0}),
    # identical rates, equal sizes: the spread is all noise (none observed), no signal
    ([rate(3, 100), rate(3, 100)], None, {"mean": 0.03, "between": 0.0, "tau2": 0.0, "reliability": 0.0}),
    # prior strength 0: kept, whatever the data
    ([rate(0, 100), rate(50, 100)], 0.0, {"strength": 0.0}),
    # a fixed strength is used as given
    ([rate(0, 100), rate(50, 100)], 40.0, {"strength": 40.0}),
])
def test_peer_prior_edges(peers: list[PeerValue], strength: float | None, expect: dict[str, float] | None) -> None:
    prior = peer_prior(peers, prior_strength=strength, max_prior_strength=MAX)
    if expect is None:
        assert prior is None
        return
    assert prior is not None
    for k, v in expect.items():
        assert getattr(prior, k) == pytest.approx(v, abs=1e-12), k


def test_method_of_moments_on_two_very_different_shops() -> None:
    # 0 of 100 and 50 of 100: within = (0 + 25) / 200 per trial, between = 0.0625, noise = within / 100
    prior = peer_prior([rate(0, 100), rate(50, 100)], prior_strength=None, max_prior_strength=MAX)
    assert prior is not None
    within, between = 25 / 200, 0.0625
    noise = within / 100
    assert prior.mean == pytest.approx(0.25)
    assert prior.within == pytest.approx(within)
    assert prior.between == pytest.approx(between)
    assert prior.tau2 == pytest.approx(between - noise)
    assert prior.strength == pytest.approx(within / (between - noise))
    assert prior.reliability == pytest.approx((between - noise) / between)
    assert reliability_x1000(prior) == 980


@pytest.mark.parametrize(("value", "trials", "strength", "mean", "expect"), [
    (None, 0.0, 10.0, 0.1, None),        # zero orders: no value
    (0.5, 0.0, 10.0, 0.1, None),         # no trials: no value
    (1.0, 1.0, 0.0, 0.1, 1.0),           # prior strength 0: the value itself
    (1.0, 1.0, 9.0, 0.1, 0.19),          # one order, all bad: pulled almost all the way to the mean
    (0.0, 1.0, 9.0, 0.1, 0.09),
    (0.2, 1000.0, 10.0, 0.1, (200 + 1) / 1010),  # many orders: barely moved
    (1.0, 30.0, MAX, 0.1, (30 + MAX * 0.1) / (30 + MAX)),  # no signal among peers: practically the mean
])
def test_shrunk(value: float | None, trials: float, strength: float, mean: float, expect: float | None) -> None:
    prior = peer_prior([rate(1, 10)], prior_strength=strength, max_prior_strength=MAX)
    assert prior is not None
    prior = dataclasses.replace(prior, mean=mean)
    got = shrunk(value, trials, prior)
    assert got == (None if expect is None else pytest.approx(expect))


def test_a_small_shop_with_a_perfect_record_no_longer_beats_a_big_good_one() -> None:
    peers = [rate(0, 31), rate(2, 400), *(rate(k, 200) for k in (4, 10, 16, 24, 30))]
    prior = peer_prior(peers, prior_strength=None, max_prior_strength=MAX)
    assert prior is not None
    small, big = shrunk(peers[0].value, peers[0].trials, prior), shrunk(peers[1].value, peers[1].trials, prior)
    assert small is not None and big is not None
    assert peers[0].value < peers[1].value and small > big  # 0/31 ranks behind 2/400 once shrunk


@pytest.mark.parametrize(("points", "by_rel", "expect"), [
    ([], True, None),
    ([(10000, 60, 900), (5000, 40, 100)], False, (10000 * 60 + 5000 * 40) // 100),
    ([(10000, 60, 900), (5000, 40, 100)], True, (10000 * 60 * 900 + 5000 * 40 * 100) // (60 * 900 + 40 * 100)),
    # a reliability of 0 (or unknown) counts at the minimum, so the indicator still weighs a little
    ([(10000, 50, 0), (5000, 50, None)], True, 7500),
])
def test_reliability_weights(points: list[tuple[int, int, int | None]], by_rel: bool, expect: int | None) -> None:
    assert weighted_points_x100(points, min_reliability_x1000=50, by_reliability=by_rel) == expect


def test_the_definition_computes_the_same_adjusted_values_and_reliabilities() -> None:
    from tests.unit.test_score_definition import RAW, by, run, shop_orders

    from anxin.scoring.rulebook import parse_score_rulebook

    raw: dict[str, Any] = copy.deepcopy(RAW)
    raw["merchant"]["method"] = {"shrinkage": {"prior_strength": "estimated"}, "weighting": "reliability"}
    rb = parse_score_rulebook(raw)
    bad = {"s1": 0, "s2": 3, "s3": 9, "s4": 1, "s5": 6}
    sizes = {"s1": 30, "s2": 60, "s3": 90, "s4": 40, "s5": 45}
    orders = [o for s in bad for o in shop_orders(s, sizes[s])]
    reviews = []
    for s, k in bad.items():
        for i in range(k):
            o = next(o for o in orders if o["order_id"] == f"{s}-o{i}")
            reviews.append({"review_id": f"r-{s}-{i}", "order_id": o["order_id"], "shop_id": s,
                                "signed_at": o["signed_at"], "posted_at": o["signed_at"] + 3600, "rating": 1})
    out = run(rb, orders=orders, reviews=reviews)
    prior = peer_prior([rate(bad[s], sizes[s]) for s in bad], prior_strength=None, max_prior_strength=100_000)
    assert prior is not None and prior.tau2 > 0
    for s in bad:
        row = by(out["merchant_indicators"], subject_id=s, indicator_id="M.NEGATIVE_REVIEW_RATE")
        assert row["adjusted"] == pytest.approx(shrunk(bad[s] / sizes[s], sizes[s], prior), rel=1e-12)
        assert row["reliability_x1000"] == reliability_x1000(prior)


@pytest.mark.parametrize(("points", "expect"), [
    ({}, 0.0),  # no shop
    ({"a": {"X": 100, "Y": 50}}, 0.0),  # one shop: no spread
    ({"a": {"X": 100}, "b": {"X": 50}}, 0.0),  # no other indicator to agree with
    ({"a": {"X": 100, "Y": 80}, "b": {"X": 50, "Y": 55}, "c": {"X": 70, "Y": 65}}, 1.0),  # agree, linearly
    ({"a": {"X": 100, "Y": 55}, "b": {"X": 50, "Y": 80}, "c": {"X": 70, "Y": 70}}, -1.0),  # reversed
    ({"a": {"X": 70, "Y": 60}, "b": {"X": 70, "Y": 80}}, 0.0),  # all alike on X
])
def test_item_rest_correlation(points: dict[str, dict[str, int]], expect: float) -> None:
    assert item_rest_correlation(points, "X") == pytest.approx(expect)


@pytest.mark.parametrize(("rel", "cons", "expect"), [(900, 800, 720_000), (None, None, 40_000), (0, -300, 40_000),
                                                     (1000, 100, 200_000)])
def test_data_weight_floors_both_factors(rel: int | None, cons: int | None, expect: int) -> None:
    assert data_weight(rel, cons, min_x1000=200) == expect


def test_the_definition_computes_the_same_consistency() -> None:
    from tests.unit.test_score_definition import RB, by, run, shop_orders

    # five shops, collection and delivery times varying together (timeliness and delivery hours agree)
    orders = [o for k, s in enumerate(("s1", "s2", "s3", "s4", "s5"))
              for o in shop_orders(s, 30 + k, collect_h=10 + 12 * k, sign_h=20 + 5 * k)]
    out = run(RB, orders=orders)
    inds = [r for r in out["merchant_indicators"] if r["eligible"] and r["points_x100"] is not None]
    points: dict[str, dict[str, int]] = {}
    for r in inds:
        points.setdefault(r["subject_id"], {})[r["indicator_id"]] = r["points_x100"]
    for ind_id in {r["indicator_id"] for r in inds}:
        want = int(1000 * item_rest_correlation(points, ind_id) + 0.5 + 1000) - 1000  # floor(x + 0.5)
        assert by(inds, subject_id="s1", indicator_id=ind_id)["consistency_x1000"] == want, ind_id
