"""The score rulebook: windows, lags, weights, scale, eligibility, peers, excellence floors, deductions.

Validated completely when it loads, against the strict Pydantic model ``ScoresRulebookSpec``
(``anxin.scoring.rulebook_models``, where the semantic checks are): every problem listed with its path. This
module turns a valid file into the domain objects the engines read. Pure: pydantic, yaml and ``anxin.core`` only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anxin.core.rulebook_models import RulebookKind, RulebookProblems, Text
from anxin.scoring.rulebook_models import (
    MEASURES,
    Better,
    ConsumerSpec,
    CreatorSpec,
    GovernanceDeductionSpec,
    Measure,
    MethodSpec,
    ScoresRulebookSpec,
    Subject,
    SubjectSpec,
    x100,
)

RULEBOOKS = Path(__file__).resolve().parent.parent / "rulebooks"
DEFAULT_SCORE_RULEBOOK = RULEBOOKS / "scores.yaml"


class ScoreRulebookError(RulebookProblems):
    title = "invalid score rulebook"


@dataclass(frozen=True)
class Dimension:
    id: str
    weight: int
    name: Mapping[str, str]


@dataclass(frozen=True)
class Indicator:
    id: str
    measure: Measure
    dimension: str
    weight: int
    lag_days: int = 0
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def better(self) -> Better:
        return self.measure.better


@dataclass(frozen=True)
class Condition:
    indicator: str
    op: str
    value: float

    def met(self, value: float | None) -> bool:
        if value is None:
            return False
        return value >= self.value if self.op == "gte" else value <= self.value


@dataclass(frozen=True)
class Excellence:
    dimension: str
    floor_x100: int
    when: tuple[Condition, ...]


@dataclass(frozen=True)
class GovernanceDeduction:
    """Hundredths of a score point off per governance violation point (also in hundredths), by class; capped."""

    general_x100: int
    severe_x100: int
    max_x100: int


@dataclass(frozen=True)
class Method:
    """Shrinkage and weighting (``anxin.scoring.rulebook_models.MethodSpec``). ``prior_strength`` None: estimated
    from the peers (capped at ``max_prior_strength``); a number: fixed (0: no shrinkage)."""

    prior_strength: float | None = 0.0
    max_prior_strength: float = 100_000.0
    weighting: str = "rulebook"
    min_reliability_x1000: int = 50

    @property
    def reliability_weighted(self) -> bool:
        return self.weighting in ("reliability", "consistency")


@dataclass(frozen=True)
class SubjectRules:
    """One percentile-scored subject (merchants or creators)."""

    subject: Subject
    name: Mapping[str, str]
    min_x100: int
    max_x100: int
    window_days: int
    min_valid_orders: int
    min_peer_shops: int
    dimensions: tuple[Dimension, ...]
    indicators: tuple[Indicator, ...]
    excellence: tuple[Excellence, ...] = ()
    industry_weights: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    deduction_floor_x100: int = 0
    deduction_kinds: frozenset[str] = frozenset()
    governance: GovernanceDeduction | None = None  # creators: active violation points take points off
    method: Method = Method()

    def weights_for(self, category_id: str | None) -> dict[str, int]:
        base = {d.id: d.weight for d in self.dimensions}
        return {**base, **self.industry_weights.get(category_id or "", {})}

    def indicator(self, indicator_id: str) -> Indicator:
        return next(i for i in self.indicators if i.id == indicator_id)

    def points_x100(self, pct_num: int, pct_den: int) -> int:
        """Percentile -> points on the scale; integer floor, so every engine gives the same number."""
        return self.min_x100 + (self.max_x100 - self.min_x100) * pct_num // pct_den


@dataclass(frozen=True)
class CreditComponent:
    id: str
    fact: str
    per_unit: int
    min: int
    max: int

    def points(self, units: int) -> int:
        return max(self.min, min(self.max, self.per_unit * units))


@dataclass(frozen=True)
class ConsumerRules:
    name: Mapping[str, str]
    window_days: int
    base: int
    min: int
    max: int
    components: tuple[CreditComponent, ...]
    trusted: int
    doubtful: int

    def band(self, score: int) -> str:
        return "trusted" if score >= self.trusted else "doubtful" if score < self.doubtful else "normal"


@dataclass(frozen=True)
class ScoreRulebook:
    version: str
    effective_from: dt.datetime
    utc_offset_hours: int
    merchant: SubjectRules
    creator: SubjectRules | None
    consumer: ConsumerRules | None
    top_quartile_x100: int
    source: str = "<memory>"

    @property
    def utc_offset(self) -> dt.timedelta:
        return dt.timedelta(hours=self.utc_offset_hours)

    def day_end(self, as_of: dt.date) -> int:
        """Epoch seconds of local midnight starting ``as_of``: a score as of D covers days before D."""
        start = dt.datetime(as_of.year, as_of.month, as_of.day, tzinfo=dt.timezone(self.utc_offset))
        return int(start.timestamp())


def _rulebook_of(spec: ScoresRulebookSpec, source: str) -> ScoreRulebook:
    return ScoreRulebook(spec.version, spec.effective_from, spec.local_utc_offset_hours,
                         _subject(spec.merchant, "merchant"),
                         _subject(spec.creator, "creator") if spec.creator else None,
                         _consumer(spec.consumer) if spec.consumer else None,
                         x100(spec.merchant.suggestions.top_quartile_points), source)


def _name(text: Text | None) -> dict[str, str]:
    return {} if text is None else {"zh-CN": text.zh_cn, "en": text.en}


def _subject(spec: SubjectSpec, subject: Subject) -> SubjectRules:
    lo, hi = x100(spec.scale.min), x100(spec.scale.max)
    floor = spec.deductions.floor
    return SubjectRules(
        subject, _name(spec.name), lo, hi, spec.window_days, spec.eligibility.min_valid_orders, spec.peers.min_shops,
        tuple(Dimension(d.id, d.weight, _name(d.name)) for d in spec.dimensions),
        tuple(Indicator(i.id, MEASURES[i.measure], i.dimension, i.weight, i.lag_days,
                        i.params.model_dump(exclude_unset=True)) for i in spec.indicators),
        tuple(Excellence(e.dimension, x100(e.floor), tuple(Condition(w.indicator, w.op, w.value) for w in e.when))
              for e in spec.excellence),
        {category: dict(industry.weights) for category, industry in spec.industries.items()},
        lo if floor is None else x100(floor), frozenset(spec.deductions.kinds),
        _governance(spec.governance) if isinstance(spec, CreatorSpec) and spec.governance else None,
        _method(spec.method))


def _method(spec: MethodSpec) -> Method:
    strength = spec.shrinkage.prior_strength
    return Method(None if strength == "estimated" else float(strength), float(spec.shrinkage.max_prior_strength),
                  spec.weighting, round(spec.min_reliability * 1000))


def _governance(spec: GovernanceDeductionSpec) -> GovernanceDeduction:
    return GovernanceDeduction(x100(spec.per_point.general), x100(spec.per_point.severe), x100(spec.max))


def _consumer(spec: ConsumerSpec) -> ConsumerRules:
    return ConsumerRules(_name(spec.name), spec.window_days, spec.base, x100(spec.scale.min) // 100,
                         x100(spec.scale.max) // 100,
                         tuple(CreditComponent(c.id, c.fact, c.per_unit, c.min, c.max) for c in spec.components),
                         spec.bands.trusted, spec.bands.doubtful)


SCORE_KIND = RulebookKind(ScoresRulebookSpec, ScoreRulebookError, DEFAULT_SCORE_RULEBOOK, _rulebook_of)
load_score_rulebook = SCORE_KIND.load  # the packaged file by default
parse_score_rulebook = SCORE_KIND.parse
