"""Risk-weighted sampling for inspections (抽检), pure.

``weigh`` places a listing in its stratum (category risk) and multiplies its factors (the stratum's, the shop's
score band, complaint rate, age and previous failures), each a percentage from the rulebook with its rule id; ``draw``
takes a sample within the budget by weighted sampling without replacement (Efraimidis–Spirakis: each listing's key
is ``log(u) / w`` for a uniform ``u`` from a generator seeded with the plan's seed, the largest keys win), first each
stratum's minimum from its own listings, then the rest of the budget from all that are left. The same candidates
and seed give the same plan: candidates are keyed in listing-id order whatever order they come in. A listing of
weight 0 is never drawn. Every pick carries why: its weight, factors, stratum, rule ids and the rulebook version.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from anxin.governance.inspection_rules import InspectionRules, StratumSpec

MINIMUM = "minimum"  # drawn for its stratum's minimum
WEIGHTED = "weighted"  # drawn from the rest of the budget
NEUTRAL = 100


@dataclass(frozen=True)
class CandidateFacts:
    """What the plan knows of one listing when it is made."""

    listing_id: str
    shop_id: str
    category_id: str
    category_ids: tuple[str, ...]  # the category and its ancestors
    tags: frozenset[str]  # the category's tags with its ancestors'
    shop_score_x100: int | None  # latest experience score in hundredths; None while the shop is unscored
    paid_orders: int  # the shop's paid orders over the complaints lookback
    complaints: int  # the shop's complaints over the same lookback
    shop_age_days: int | None  # None: the shop is unknown, taken as new
    previous_failures: int  # the shop's failed samples over the failures lookback

    def as_dict(self) -> dict[str, Any]:
        return {"listing_id": self.listing_id, "shop_id": self.shop_id, "category_id": self.category_id,
                "category_ids": list(self.category_ids), "tags": sorted(self.tags),
                "shop_score_x100": self.shop_score_x100, "paid_orders": self.paid_orders,
                "complaints": self.complaints, "shop_age_days": self.shop_age_days,
                "previous_failures": self.previous_failures}


@dataclass(frozen=True)
class Factor:
    """One multiplier of a weight: which fact (``name``), what it was (``fact``), the rule that priced it."""

    name: str  # stratum | shop_score | complaints | shop_age | previous_failures
    fact: str | int | None
    rule_id: str
    factor_pct: int

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "fact": self.fact, "rule_id": self.rule_id, "factor_pct": self.factor_pct}


@dataclass(frozen=True)
class Weighing:
    listing_id: str
    shop_id: str
    stratum: str
    weight: float  # the product of the factors (100 % = 1.0)
    factors: tuple[Factor, ...]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(f.rule_id for f in self.factors)


@dataclass(frozen=True)
class Pick:
    rank: int  # 1 = the largest key
    weighing: Weighing
    key: float  # log(u) / weight: the larger, the earlier
    reason: str  # MINIMUM | WEIGHTED


@dataclass(frozen=True)
class StratumTally:
    stratum: str
    candidates: int
    eligible: int  # weight above 0
    weight_total: float
    min_samples: int
    drawn: int

    def as_dict(self) -> dict[str, Any]:
        return {"stratum": self.stratum, "candidates": self.candidates, "eligible": self.eligible,
                "weight_total": round(self.weight_total, 6), "min_samples": self.min_samples, "drawn": self.drawn}


@dataclass(frozen=True)
class SamplingPlan:
    seed: int
    budget: int
    rulebook_version: str
    picks: tuple[Pick, ...]
    strata: tuple[StratumTally, ...]
    candidates: int


class BudgetTooSmall(ValueError):
    """The budget cannot hold the strata's minimums (as far as each stratum has listings to give)."""

    def __init__(self, budget: int, needed: int) -> None:
        super().__init__(f"a budget of {budget} cannot hold the strata's minimums ({needed})")
        self.budget = budget
        self.needed = needed


def stratum_of(facts: CandidateFacts, strata: Sequence[StratumSpec]) -> tuple[StratumSpec, str]:
    """The first stratum whose match the listing meets (the last is the default), and what matched."""
    for s in strata:
        hit = next((c for c in facts.category_ids if c in s.match.categories), None) or next(
            (t for t in sorted(facts.tags) if t in s.match.tags), None)
        if hit is not None:
            return s, hit
        if s.match.everything:
            return s, "default"
    raise AssertionError("the rulebook's last stratum is the default")  # InspectionsSpec checks it


def complaint_per_mille(facts: CandidateFacts) -> int:
    return facts.complaints * 1000 // facts.paid_orders if facts.paid_orders else 0


def weigh(facts: CandidateFacts, rules: InspectionRules) -> Weighing:
    spec = rules.spec
    stratum, matched = stratum_of(facts, spec.strata)
    factors = [Factor("stratum", matched, stratum.id, stratum.factor_pct)]
    if facts.shop_score_x100 is None:
        factors.append(Factor("shop_score", None, spec.score_bands.unscored.id, spec.score_bands.unscored.factor_pct))
    else:
        band = next(b for b in spec.score_bands.bands if facts.shop_score_x100 < b.below * 100)
        factors.append(Factor("shop_score", facts.shop_score_x100, band.id, band.factor_pct))
    if facts.paid_orders < spec.complaints.min_orders:
        few = spec.complaints.few_orders
        factors.append(Factor("complaints", facts.paid_orders, few.id, few.factor_pct))
    else:
        rate = complaint_per_mille(facts)
        c = next(b for b in spec.complaints.bands if rate < b.below_per_mille)
        factors.append(Factor("complaints", rate, c.id, c.factor_pct))
    age = max(facts.shop_age_days or 0, 0)  # an unknown shop counts as new
    a = next(b for b in spec.shop_age.bands if age < b.below_days)
    factors.append(Factor("shop_age", facts.shop_age_days, a.id, a.factor_pct))
    f = next(b for b in spec.previous_failures.bands if facts.previous_failures < b.below)
    factors.append(Factor("previous_failures", facts.previous_failures, f.id, f.factor_pct))
    weight = math.prod(x.factor_pct for x in factors) / NEUTRAL ** len(factors)
    return Weighing(facts.listing_id, facts.shop_id, stratum.id, weight, tuple(factors))


def draw(weighings: Iterable[Weighing], *, budget: int, seed: int, rules: InspectionRules) -> SamplingPlan:
    """The plan: at most ``budget`` picks, each stratum's minimum first, reproducible from ``seed``."""
    everyone = sorted(weighings, key=lambda w: w.listing_id)
    eligible = [w for w in everyone if w.weight > 0]
    rng = np.random.default_rng(seed)
    u = 1.0 - rng.random(len(eligible))  # uniform in (0, 1]: log(u) is finite
    keys = np.log(u) / np.array([w.weight for w in eligible], dtype=float) if eligible else np.array([])
    order = sorted(range(len(eligible)), key=lambda i: (-float(keys[i]), eligible[i].listing_id))
    by_stratum: dict[str, list[int]] = {s.id: [] for s in rules.spec.strata}
    for i in order:
        by_stratum[eligible[i].stratum].append(i)
    needed = sum(min(s.min_samples, len(by_stratum[s.id])) for s in rules.spec.strata)
    if needed > budget:
        raise BudgetTooSmall(budget, needed)
    chosen: dict[int, str] = {}
    for s in rules.spec.strata:
        for i in by_stratum[s.id][:s.min_samples]:
            chosen[i] = MINIMUM
    for i in order:
        if len(chosen) >= budget:
            break
        chosen.setdefault(i, WEIGHTED)
    ranked = [i for i in order if i in chosen]
    picks = tuple(Pick(rank, eligible[i], float(keys[i]), chosen[i]) for rank, i in enumerate(ranked, 1))
    tallies = []
    for s in rules.spec.strata:
        members = [w for w in everyone if w.stratum == s.id]
        tallies.append(StratumTally(s.id, len(members), sum(1 for w in members if w.weight > 0),
                                    sum(w.weight for w in members), s.min_samples,
                                    sum(1 for p in picks if p.weighing.stratum == s.id)))
    return SamplingPlan(seed, budget, rules.version, picks, tuple(tallies), len(everyone))


def plan_for(candidates: Iterable[CandidateFacts], *, budget: int, seed: int, rules: InspectionRules) -> SamplingPlan:
    return draw((weigh(c, rules) for c in candidates), budget=budget, seed=seed, rules=rules)
