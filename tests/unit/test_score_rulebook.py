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


@pytest.mark.parametrize(("change", "problem"), [
    (_set("merchant.dimensions.0.weight", 60), "merchant.dimensions: weights must add up to 100, got 110"),
    (_set("merchant.indicators.0.weight", 70), "weights of dimension 'product' must add up to 100, got 110"),
    (_set("merchant.industries.fresh.weights.product", 45), "merchant.industries.fresh.weights: must add up to 100"),
    (_set("merchant.indicators.0.measure", "vibes"), "merchant.indicators[0].measure: must be one of"),
    (_set("merchant.indicators.0.measure", "content_negative_rate"), "merchant.indicators[0].measure"),
    (_set("merchant.indicators.0.params", {"max_rating": 2, "colour": "red"}),
     "merchant.indicators[0].params.colour: unknown key"),
    (_set("merchant.indicators.2.params", {"bands": []}), "merchant.indicators[2].params.bands: must be a non-empty"),
    (_set("merchant.excellence.0.floor", 120), "merchant.excellence[0].floor: must be within the scale"),
    (_set("merchant.excellence.0.when", [{"indicator": "M.DISPUTE_RATE", "op": "lte", "value": 0}]),
     "M.DISPUTE_RATE belongs to dimension 'service', not 'logistics'"),
    (_set("merchant.scale", {"min": 100, "max": 50}), "merchant.scale: max must be above min"),
    (_set("merchant.eligibility.min_valid_orders", 0), "merchant.eligibility.min_valid_orders: must be"),
    (_set("merchant.window_days", 2.5), "merchant.window_days: must be an integer"),
    (_set("consumer.bands", {"trusted": 400, "doubtful": 500}), "consumer.bands: doubtful must not be above"),
    (_set("consumer.components.0.fact", "shoe_size"), "consumer.components[0].fact: must be one of"),
    (_set("kind", "guarantees"), "kind: must be 'scores'"),
    (_set("effective_from", "yesterday"), "effective_from"),
])
def test_bad_rulebooks_are_refused_with_the_path(change: Callable[[dict[str, Any]], None], problem: str) -> None:
    with pytest.raises(ScoreRulebookError) as err:
        parse_score_rulebook(edit(change))
    assert any(problem in p for p in err.value.problems), err.value.problems


def test_every_problem_is_listed_at_once() -> None:
    def two(raw: dict[str, Any]) -> None:
        raw["merchant"]["dimensions"][0]["weight"] = 60
        raw["merchant"]["indicators"][0]["measure"] = "vibes"

    with pytest.raises(ScoreRulebookError) as err:
        parse_score_rulebook(edit(two))
    assert len(err.value.problems) >= 2
