"""The score rulebook refuses what would give a silent wrong number, listing every problem with its path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from anxin.scoring.rulebook import (
    DEFAULT_SCORE_RULEBOOK,
    RULEBOOKS,
    ScoreRulebookError,
    load_score_rulebook,
    parse_score_rulebook,
)

RAW = yaml.safe_load(DEFAULT_SCORE_RULEBOOK.read_text(encoding="utf-8"))


def test_both_published_versions_load() -> None:
    current, legacy = load_score_rulebook(), load_score_rulebook(RULEBOOKS / "scores-legacy.yaml")
    assert (current.merchant.min_x100, current.merchant.max_x100, current.merchant.window_days) == (5000, 10000, 30)
    assert (legacy.merchant.min_x100, legacy.merchant.max_x100, legacy.merchant.window_days) == (300, 500, 90)
    assert current.merchant.weights_for("fresh") == {"product": 40, "logistics": 30, "service": 30}
    assert current.merchant.weights_for("apparel") == {"product": 50, "logistics": 15, "service": 35}
    assert current.consumer is not None and current.consumer.band(720) == "trusted"
    assert current.consumer.band(719) == "normal" and current.consumer.band(479) == "doubtful"


def edit(fn: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    raw = copy.deepcopy(RAW)
    fn(raw)
    return raw


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(raw: dict[str, Any]) -> None:
        node: Any = raw
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if k.isdigit() else node[k]
        last = keys[-1]
        node[int(last) if last.isdigit() else last] = value
    return apply


MERCHANT_MEASURES = ("'negative_review_rate', 'quality_return_rate', 'collection_timeliness', 'delivery_hours', "
                     "'complaint_rate', 'dispute_rate', 'aftersales_hours' or 'im_reply_rate'")


def _also(*changes: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
    def apply(raw: dict[str, Any]) -> None:
        for change in changes:
            change(raw)
    return apply


@pytest.mark.parametrize(("change", "expected"), [
    (_set("merchant.dimensions.0.weight", 60), "merchant.dimensions: weights must add up to 100, got 110"),
    (_set("merchant.dimensions.1.id", "product"), "merchant.dimensions[1].id: duplicate dimension id 'product'"),
    (_set("merchant.indicators.0.weight", 70),
     "merchant.indicators: weights of dimension 'product' must add up to 100, got 110"),
    (_set("merchant.indicators.1.id", "M.NEGATIVE_REVIEW_RATE"),
     "merchant.indicators[1].id: duplicate indicator id 'M.NEGATIVE_REVIEW_RATE'"),
    (_set("merchant.indicators.3.dimension", "speed"), [
        "merchant.indicators[3].dimension: must be one of ['logistics', 'product', 'service'], got 'speed'",
        "merchant.indicators: weights of dimension 'logistics' must add up to 100, got 60"]),
    (_set("merchant.industries.fresh.weights.product", 45),
     "merchant.industries.fresh.weights: must add up to 100, got 105"),
    (_set("merchant.industries.fresh.weights", {"product": 70, "service": 30}),
     "merchant.industries.fresh.weights: must give a weight for each dimension ['logistics', 'product', 'service'], "
     "got ['product', 'service']"),
    (_set("merchant.indicators.0.measure", "vibes"),
     f"merchant.indicators[0].measure: must be one of {MERCHANT_MEASURES}, got 'vibes'"),
    (_set("merchant.indicators.0.measure", "content_negative_rate"),  # a creator's measure
     f"merchant.indicators[0].measure: must be one of {MERCHANT_MEASURES}, got 'content_negative_rate'"),
    (_set("merchant.indicators.0.params", {"max_rating": 2, "colour": "red"}),
     "merchant.indicators[0].params.colour: unknown key"),
    (_set("merchant.indicators.0.params", {"max_rating": 5}),
     "merchant.indicators[0].params.max_rating: must be an integer 1–4, got 5"),
    (_set("merchant.indicators.0.params", {"reasons": ["quality"]}),
     "merchant.indicators[0].params.reasons: not a parameter of negative_review_rate (it takes ['max_rating'])"),
    (_set("merchant.indicators.1.params", {}), "merchant.indicators[1].params.reasons: required"),
    (_set("merchant.indicators.2.params", {"bands": []}), "merchant.indicators[2].params.bands: must not be empty"),
    (_set("merchant.indicators.2.params", {"bands": [{"hours": 0, "weight": 50}]}),
     "merchant.indicators[2].params.bands[0].hours: must be an integer 1–720, got 0"),
    (_set("merchant.indicators.7.params.open_to_minute", 470),
     "merchant.indicators[7].params.open_to_minute: must not be before open_from_minute 480"),
    (_set("merchant.excellence.0.floor", 120),
     "merchant.excellence[0].floor: must be within the scale 50..100, got 120"),
    (_set("merchant.excellence.0.dimension", "speed"),
     "merchant.excellence[0].dimension: must be one of ['logistics', 'product', 'service'], got 'speed'"),
    (_set("merchant.excellence.0.when", [{"indicator": "M.DISPUTE_RATE", "op": "lte", "value": 0}]),
     "merchant.excellence[0].when[0].indicator: M.DISPUTE_RATE belongs to dimension 'service', not 'logistics'"),
    (_set("merchant.excellence.0.when.1.indicator", "M.NOPE"),
     "merchant.excellence[0].when[1].indicator: must be one of the indicators ['M.AFTERSALES_HOURS', "
     "'M.COLLECTION_TIMELINESS', 'M.COMPLAINT_RATE', 'M.DELIVERY_HOURS', 'M.DISPUTE_RATE', 'M.IM_REPLY_RATE', "
     "'M.NEGATIVE_REVIEW_RATE', 'M.QUALITY_RETURN_RATE'], got 'M.NOPE'"),
    (_set("merchant.excellence.0.when", []), "merchant.excellence[0].when: must not be empty"),
    (_set("merchant.excellence.0.when.0.op", "gt"),
     "merchant.excellence[0].when[0].op: must be one of 'gte' or 'lte', got 'gt'"),
    (_set("merchant.scale", {"min": 100, "max": 50}), "merchant.scale: max must be above min, got 100..50"),
    (_set("merchant.scale", {"min": 50, "max": "100"}), "merchant.scale.max: must be a number, got '100'"),
    (_set("merchant.eligibility.min_valid_orders", 0),
     "merchant.eligibility.min_valid_orders: must be a positive integer, got 0"),
    (_set("merchant.window_days", 2.5),
     "merchant.window_days: must be an integer, got 2.5 (whole fen or hundredths, no floats)"),
    (_set("merchant.colour", "red"), "merchant.colour: unknown key"),
    (_set("creator.suggestions", {"top_quartile_points": 4.5}), "creator.suggestions: unknown key"),
    (_set("creator.indicators.1.measure", "dispute_rate"),
     "creator.indicators[1].measure: must be one of 'negative_review_rate', 'quality_return_rate', "
     "'complaint_rate', 'content_negative_rate', 'shop_experience' or 'aftersales_rate', got 'dispute_rate'"),
    (_set("consumer.bands", {"trusted": 400, "doubtful": 500}),
     "consumer.bands: doubtful must not be above trusted, got 500 > 400"),
    (_set("consumer.components.0.fact", "shoe_size"),
     "consumer.components[0].fact: must be one of 'signed_orders', 'account_age_30d', 'refund_pct_over_25', "
     "'disputes_lost', 'abuse_verdicts' or 'rejected_claims', got 'shoe_size'"),
    (_set("consumer.components.0.min", 200), "consumer.components[0]: min must not be above max, got 200..150"),
    (_set("kind", "guarantees"), "kind: must be one of 'scores', got 'guarantees'"),
    (_set("effective_from", "yesterday"), "effective_from: Invalid isoformat string: 'yesterday'"),
    (_set("local_utc_offset_hours", 15), "local_utc_offset_hours: must be an integer -12–14, got 15"),
    (lambda raw: raw.pop("merchant"), "merchant: required"),
    (_also(_set("merchant.deductions.kinds", []), _set("merchant.deductions.floor", True)),
     "merchant.deductions.floor: must be a number, got True"),
])
def test_bad_rulebooks_are_refused_with_the_path(change: Callable[[dict[str, Any]], None],
                                                  expected: str | list[str]) -> None:
    with pytest.raises(ScoreRulebookError) as err:
        parse_score_rulebook(edit(change))
    assert err.value.problems == ([expected] if isinstance(expected, str) else expected)


def test_every_problem_is_listed_at_once() -> None:
    def several(raw: dict[str, Any]) -> None:
        raw["merchant"]["dimensions"][0]["weight"] = 60
        raw["merchant"]["indicators"][0]["measure"] = "vibes"  # a broken indicator hides no other problem
        raw["merchant"]["excellence"][1]["floor"] = 40
        raw["consumer"]["base"] = -1
        raw.pop("version")

    with pytest.raises(ScoreRulebookError) as err:
        parse_score_rulebook(edit(several))
    assert err.value.problems == [
        "version: required", "merchant.dimensions: weights must add up to 100, got 110",
        f"merchant.indicators[0].measure: must be one of {MERCHANT_MEASURES}, got 'vibes'",
        "merchant.excellence[1].floor: must be within the scale 50..100, got 40",
        "consumer.base: must be an integer ≥ 0, got -1"]


def test_the_measures_each_subject_may_use_are_those_the_models_accept() -> None:
    from typing import get_args

    from anxin.scoring.rulebook_models import MEASURES, CreatorMeasure, MerchantMeasure

    for subject, literal in (("merchant", MerchantMeasure), ("creator", CreatorMeasure)):
        assert set(get_args(literal)) == {m.name for m in MEASURES.values() if subject in m.subjects}
