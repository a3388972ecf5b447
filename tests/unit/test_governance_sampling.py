"""Sampling inspections, pure: the inspections rulebook refuses what it cannot mean, a listing's weight is the product
of its factors with the rule that priced each, and the seeded draw is reproducible, within budget, honours each
stratum's minimum, never draws a zero weight and draws heavier listings more often."""

from __future__ import annotations

import copy
from collections import Counter

import pytest
import yaml

from anxin.governance.inspection_rules import (
    DEFAULT_DIR,
    Defect,
    InspectionRulesError,
    judge,
    load_inspection_rules,
    parse_inspections,
)
from anxin.governance.sampling import (
    MINIMUM,
    WEIGHTED,
    BudgetTooSmall,
    CandidateFacts,
    Weighing,
    draw,
    plan_for,
    weigh,
)

RULES = load_inspection_rules()
RAW = yaml.safe_load((DEFAULT_DIR / "inspections.yaml").read_text(encoding="utf-8"))


def facts(listing_id: str = "l1", *, shop_id: str = "s1", category: str = "cat", tags: tuple[str, ...] = (),
          ancestors: tuple[str, ...] = (), score: int | None = 8500, orders: int = 100, complaints: int = 1,
          age: int | None = 400, failures: int = 0) -> CandidateFacts:
    return CandidateFacts(listing_id, shop_id, category, (category, *ancestors), frozenset(tags), score, orders,
                          complaints, age, failures)


# --- the rulebook ---------------------------------------------------------------------------------------------

def test_the_packaged_section_loads_with_the_bundle_version():
    assert RULES.version == "governance-2026.12"
    assert [s.id for s in RULES.spec.strata][-1] == "inspect.stratum.other"
    assert RULES.defects["counterfeit"].violation == "counterfeit"


def _broken(change) -> list[str]:
    raw = copy.deepcopy(RAW)
    change(raw)
    with pytest.raises(InspectionRulesError) as caught:
        parse_inspections(raw)
    return caught.value.problems


@pytest.mark.parametrize(("change", "expected"), [
    (lambda r: r.update(budget=20_000), "budget: must not exceed max_budget"),
    (lambda r: r.update(budget=10), "the strata's minimums (45) exceed the budget (10)"),
    (lambda r: r["strata"].reverse(), "the last stratum, and only it, must be the default"),
    (lambda r: r["strata"][0].update(factor_pct=0), "a stratum never sampled (factor_pct 0) cannot have a minimum"),
    (lambda r: r["strata"][0].update(factor_pct=1.5), "must be an integer, got 1.5"),
    (lambda r: r["strata"][1].update(id="inspect.stratum.baby"), "duplicate ids: inspect.stratum.baby"),
    (lambda r: r["score_bands"]["bands"].reverse(), "bands must ascend strictly"),
    (lambda r: r["shop_age"]["bands"].pop(), "the last band must cover everything"),
    (lambda r: r["defects"][0].update(severity="awful"), "defects[0].severity: must be one of"),
    (lambda r: r["defects"][0].update(violation="late_shipment"), "defects[0].violation: must be one of"),
    (lambda r: r.update(surprise=1), "surprise: unknown key"),
])
def test_a_broken_section_is_refused_with_the_path(change, expected):
    problems = _broken(change)
    assert any(expected in p for p in problems), problems


# --- weights ------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("kw", "stratum", "weight"), [
    # the defaults: score 85 (80–90: 100), 10‰ complaints (5–20‰: 100), 400 days old (100), no failures (100)
    ({"tags": ("baby",)}, "inspect.stratum.baby", 4.0),
    ({"ancestors": ("mother_baby",)}, "inspect.stratum.baby", 4.0),
    ({"tags": ("fresh", "3c")}, "inspect.stratum.food", 3.0),  # the first stratum in rulebook order wins
    ({"tags": ("apparel",)}, "inspect.stratum.other", 1.0),
    ({"tags": ("virtual",)}, "inspect.stratum.virtual", 0.0),
    ({"score": None}, "inspect.stratum.other", 1.5),  # unscored
    ({"score": 5999}, "inspect.stratum.other", 2.5),
    ({"score": 9000}, "inspect.stratum.other", 0.7),
    ({"orders": 19, "complaints": 19}, "inspect.stratum.other", 1.0),  # too few orders for a rate
    ({"orders": 1000, "complaints": 4}, "inspect.stratum.other", 0.8),  # 4‰
    ({"orders": 100, "complaints": 5}, "inspect.stratum.other", 3.5),  # 50‰: the 'high' band
    ({"age": 29}, "inspect.stratum.other", 2.5),
    ({"age": None}, "inspect.stratum.other", 2.5),  # an unknown shop is taken as new
    ({"failures": 1}, "inspect.stratum.other", 2.5),
    ({"failures": 3}, "inspect.stratum.other", 5.0),
    ({"tags": ("cosmetics",), "score": 5000, "age": 10, "failures": 2}, "inspect.stratum.cosmetics",
     3.0 * 2.5 * 2.5 * 5.0),
])
def test_a_weight_is_the_product_of_its_factors(kw, stratum, weight):
    w = weigh(facts(**kw), RULES)
    assert w.stratum == stratum
    assert w.weight == pytest.approx(weight)
    assert [f.name for f in w.factors] == ["stratum", "shop_score", "complaints", "shop_age", "previous_failures"]
    assert w.rule_ids[0] == stratum and all(r.startswith("inspect.") for r in w.rule_ids)


# --- the draw -----------------------------------------------------------------------------------------------

def population(n: int = 300) -> list[CandidateFacts]:
    kinds = [("baby",), ("food",), ("cosmetics",), ("3c",), ("jewelry",), ("virtual",), ("apparel",)]
    return [facts(f"l{i:04d}", shop_id=f"s{i % 40}", tags=kinds[i % len(kinds)], score=(i * 37) % 10_000,
                  age=(i * 13) % 500, failures=int(i % 4 == 0)) for i in range(n)]


def test_the_same_seed_gives_the_same_plan_whatever_the_candidates_order():
    people = population()
    a = plan_for(people, budget=60, seed=7, rules=RULES)
    b = plan_for(list(reversed(people)), budget=60, seed=7, rules=RULES)
    assert [(p.weighing.listing_id, p.key, p.reason) for p in a.picks] == [
        (p.weighing.listing_id, p.key, p.reason) for p in b.picks]
    c = plan_for(people, budget=60, seed=8, rules=RULES)
    assert {p.weighing.listing_id for p in c.picks} != {p.weighing.listing_id for p in a.picks}


@pytest.mark.parametrize("budget", [45, 60, 200, 1000])
def test_the_budget_is_respected_and_the_minimums_drawn_first(budget):
    plan = plan_for(population(), budget=budget, seed=3, rules=RULES)
    eligible = sum(1 for c in population() if weigh(c, RULES).weight > 0)
    assert len(plan.picks) == min(budget, eligible)
    assert len({p.weighing.listing_id for p in plan.picks}) == len(plan.picks)
    by = Counter(p.weighing.stratum for p in plan.picks)
    minimums = Counter(p.weighing.stratum for p in plan.picks if p.reason == MINIMUM)
    for s in RULES.spec.strata:
        assert by[s.id] >= s.min_samples and minimums[s.id] == s.min_samples
    assert [p.rank for p in plan.picks] == list(range(1, len(plan.picks) + 1))
    assert [p.key for p in plan.picks] == sorted((p.key for p in plan.picks), reverse=True)
    tallies = {t.stratum: t for t in plan.strata}
    assert sum(t.candidates for t in plan.strata) == plan.candidates == 300
    assert all(tallies[s].drawn == n for s, n in by.items())


def test_zero_weight_is_never_drawn_even_when_the_budget_could_take_everything():
    plan = plan_for(population(), budget=1000, seed=1, rules=RULES)
    assert not any(p.weighing.stratum == "inspect.stratum.virtual" for p in plan.picks)
    assert all(p.weighing.weight > 0 for p in plan.picks)


def test_a_stratum_with_fewer_listings_than_its_minimum_gives_what_it_has():
    few = [facts("b1", tags=("baby",)), facts("b2", tags=("baby",))] + [facts(f"o{i}") for i in range(50)]
    plan = plan_for(few, budget=20, seed=5, rules=RULES)
    assert {p.weighing.listing_id for p in plan.picks if p.reason == MINIMUM} >= {"b1", "b2"}
    assert len(plan.picks) == 20


def test_a_budget_below_the_minimums_is_refused_not_silently_cut():
    with pytest.raises(BudgetTooSmall) as caught:
        plan_for(population(), budget=44, seed=1, rules=RULES)
    assert caught.value.needed == 45


def test_no_candidates_is_an_empty_plan():
    plan = plan_for([], budget=10, seed=1, rules=RULES)
    assert plan.picks == () and plan.candidates == 0


def test_heavier_listings_are_drawn_more_often():
    """100 light (weight 1) and 100 heavy (weight 4) listings, 10 weighted picks, 400 fixed seeds: the heavy ones
    take far more of the draws (≈ 4× per listing for a small sample; at least 2.5× asserted)."""
    weighings = [Weighing(f"a{i:03d}", "s", "inspect.stratum.other", 1.0, ()) for i in range(100)] + [
        Weighing(f"b{i:03d}", "s", "inspect.stratum.other", 4.0, ()) for i in range(100)]
    rules = parse_inspections({**copy.deepcopy(RAW), "strata": [
        {**RAW["strata"][-1], "min_samples": 0}], "budget": 10})
    heavy = light = 0
    for seed in range(400):
        for p in draw(weighings, budget=10, seed=seed, rules=rules).picks:
            assert p.reason == WEIGHTED
            heavy += p.weighing.listing_id.startswith("b")
            light += p.weighing.listing_id.startswith("a")
    assert heavy + light == 4000
    assert heavy > 2.5 * light, (heavy, light)


# --- what a failed sample is --------------------------------------------------------------------------------

@pytest.mark.parametrize(("defects", "violation", "severity"), [
    ([Defect("label", "minor")], "low_quality_product", "minor"),
    ([Defect("label", "minor"), Defect("quality", "major")], "low_quality_product", "major"),
    ([Defect("packaging", "minor"), Defect("counterfeit", "critical")], "counterfeit", "critical"),
    ([Defect("safety", "critical"), Defect("counterfeit", "critical")], "counterfeit", "critical"),
    ([Defect("safety", "critical"), Defect("counterfeit", "minor")], "low_quality_product", "critical"),
])
def test_a_failed_sample_is_one_violation_of_its_gravest_defect(defects, violation, severity):
    finding = judge(defects, RULES)
    assert (finding.violation, finding.severity) == (violation, severity)
    assert finding.rule_ids == tuple(f"inspect.defect.{d.kind}" for d in defects)
