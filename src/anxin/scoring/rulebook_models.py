"""The score rulebook's shape: strict Pydantic models whose validators are the rulebook's semantic checks.

Dimension weights sum to 100, and so do every industry override and the indicator weights inside a dimension;
an indicator names a measure its subject has, with exactly the parameters that measure takes; an excellence
floor lies on the scale and reads only its own dimension's indicators. Every problem is reported at once with
its path (``merchant.indicators[0].measure: …``); ``anxin.scoring.rulebook`` turns a valid file into the domain
objects. Pure: pydantic and ``anxin.core`` only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, get_args

from pydantic import Field, ValidationInfo, field_validator, model_validator

from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    PositiveInt,
    RulebookModel,
    Text,
    problem,
    refuse,
)

Better = Literal["lower", "higher"]
Subject = Literal["merchant", "creator"]
MerchantMeasure = Literal["negative_review_rate", "quality_return_rate", "collection_timeliness", "delivery_hours",
                          "complaint_rate", "dispute_rate", "aftersales_hours", "im_reply_rate"]
CreatorMeasure = Literal["negative_review_rate", "quality_return_rate", "complaint_rate", "content_negative_rate",
                         "shop_experience", "aftersales_rate"]
ConsumerFact = Literal["signed_orders", "account_age_30d", "refund_pct_over_25", "disputes_lost", "abuse_verdicts",
                       "rejected_claims"]
Op = Literal["gte", "lte"]
CONSUMER_FACTS: tuple[str, ...] = get_args(ConsumerFact)
OPS: tuple[str, ...] = get_args(Op)


@dataclass(frozen=True)
class Measure:
    """What an indicator can measure: which subjects, which way is better, its unit and its parameters."""

    name: str
    subjects: frozenset[str]
    better: Better
    unit: Literal["rate", "hours", "points"]
    params: frozenset[str] = frozenset()


MEASURES = {m.name: m for m in (
    Measure("negative_review_rate", frozenset({"merchant", "creator"}), "lower", "rate", frozenset({"max_rating"})),
    Measure("quality_return_rate", frozenset({"merchant", "creator"}), "lower", "rate", frozenset({"reasons"})),
    Measure("collection_timeliness", frozenset({"merchant"}), "higher", "rate", frozenset({"bands"})),
    Measure("delivery_hours", frozenset({"merchant"}), "lower", "hours"),
    Measure("complaint_rate", frozenset({"merchant", "creator"}), "lower", "rate"),
    Measure("dispute_rate", frozenset({"merchant"}), "lower", "rate"),
    Measure("aftersales_hours", frozenset({"merchant"}), "lower", "hours"),
    Measure("im_reply_rate", frozenset({"merchant"}), "higher", "rate",
            frozenset({"reply_seconds", "open_from_minute", "open_to_minute"})),
    Measure("content_negative_rate", frozenset({"creator"}), "lower", "rate"),
    Measure("shop_experience", frozenset({"creator"}), "higher", "points"),
    Measure("aftersales_rate", frozenset({"creator"}), "lower", "rate"),
)}
OPTIONAL_PARAMS = frozenset({"max_rating"})  # negative reviews are 1–2 stars unless the rulebook says otherwise

Percent = Annotated[int, Between(0, 100)]
Minute = Annotated[int, Between(0, 1439)]
Points = Annotated[float, Field(description="points on the scale; computed in hundredths")]


def x100(points: float) -> int:
    return round(points * 100)


class ScaleSpec(RulebookModel):
    min: Points
    max: Points

    @model_validator(mode="after")
    def _ordered(self) -> ScaleSpec:
        if self.max <= self.min:
            raise problem(f"max must be above min, got {self.min:g}..{self.max:g}")
        return self


class EligibilitySpec(RulebookModel):
    min_valid_orders: PositiveInt = Field(description="fewer valid orders in the window: no score")


class PeersSpec(RulebookModel):
    min_shops: PositiveInt = Field(description="a smaller category is compared with every eligible shop instead")


class DimensionSpec(RulebookModel):
    id: NonEmpty
    weight: Percent
    name: Text | None = None


class BandSpec(RulebookModel):
    hours: Annotated[int, Between(1, 720)]
    weight: Annotated[int, Between(1, 100)]


class ParamsSpec(RulebookModel):
    """Every parameter any measure takes; an indicator may give only (and must give) those of its measure."""

    max_rating: Annotated[int, Between(1, 4)] | None = None
    reasons: Annotated[list[NonEmpty], Field(min_length=1, description="after-sale reason codes")] | None = None
    bands: Annotated[list[BandSpec], Field(min_length=1)] | None = None
    reply_seconds: PositiveInt | None = None
    open_from_minute: Minute | None = None
    open_to_minute: Minute | None = None


class IndicatorSpec(RulebookModel):
    id: NonEmpty
    measure: str
    dimension: NonEmpty
    weight: Annotated[int, Between(1, 100)]
    lag_days: Annotated[int, Between(0, 365)] = 0
    params: ParamsSpec = ParamsSpec()

    def param_problems(self) -> list[tuple[str, str]]:
        """Exactly the parameters of its measure (checked with the subject's other indicator checks)."""
        if self.measure not in MEASURES:  # only the subjects' indicators are validated, with a Literal measure
            return []
        takes, given = MEASURES[self.measure].params, self.params.model_fields_set
        found = [(f".params.{k}", f"not a parameter of {self.measure} (it takes {sorted(takes) or 'none'})")
                 for k in sorted(given - takes)]
        found += [(f".params.{k}", "required") for k in sorted(takes - given - OPTIONAL_PARAMS)]
        p = self.params
        if p.open_from_minute is not None and p.open_to_minute is not None and p.open_to_minute < p.open_from_minute:
            found.append((".params.open_to_minute", f"must not be before open_from_minute {p.open_from_minute}"))
        return found


class MerchantIndicatorSpec(IndicatorSpec):
    measure: MerchantMeasure


class CreatorIndicatorSpec(IndicatorSpec):
    measure: CreatorMeasure


class ThresholdSpec(RulebookModel):
    indicator: NonEmpty
    op: Op
    value: float


class ExcellenceSpec(RulebookModel):
    dimension: NonEmpty
    floor: Points
    when: Annotated[list[ThresholdSpec], Field(min_length=1, description="every condition must hold")]


class IndustrySpec(RulebookModel):
    weights: dict[str, Percent]


class DeductionsSpec(RulebookModel):
    floor: Points | None = Field(default=None, description="default: the scale's min")
    kinds: list[NonEmpty] = Field(default_factory=list)


class ShrinkageSpec(RulebookModel):
    """How far a shop's rate is pulled toward its peers' mean before it is ranked (empirical Bayes).

    ``estimated``: per peer group and indicator, the prior strength (in trials: orders, cases, chats) is the
    within-shop variance per trial over the between-shop variance, both estimated from the peers by the method of
    moments (a beta-binomial prior for rates). A number: that fixed strength; 0 ranks the raw values."""

    prior_strength: Literal["estimated"] | Annotated[float, Between(0, 1_000_000)] = 0
    max_prior_strength: Annotated[float, Between(0, 1_000_000)] = Field(
        default=100_000, description="the strength used when the peers show no variance beyond noise")


class MethodSpec(RulebookModel):
    """How indicators become a score: the shrinkage of each value, and how indicators and dimensions weigh.

    ``weighting: rulebook``: the weights as written. ``reliability``: each weight times the indicator's reliability
    among its peers (the share of the between-shop variance that is not sampling noise, estimated from the data),
    never below ``min_reliability``; a dimension weighs by its rulebook weight times its indicators' mean
    reliability. ``consistency``: weights from the data alone: each indicator weighs its reliability times its
    item-rest correlation (how well its points agree with the mean of the shop's other indicators' points, over
    every eligible shop), each never below ``min_reliability``; a dimension weighs the sum of its indicators' weights
    (the rulebook's dimension and indicator weights, industry overrides included, are not used)."""

    shrinkage: ShrinkageSpec = ShrinkageSpec()
    weighting: Literal["rulebook", "reliability", "consistency"] = "rulebook"
    min_reliability: Annotated[float, Between(0.001, 1)] = 0.05


class SubjectSpec(RulebookModel):
    """One percentile-scored subject; its indicators' measures are those of the subject (the subclasses)."""

    name: Text | None = None
    scale: ScaleSpec
    window_days: Annotated[int, Between(1, 400)]
    eligibility: EligibilitySpec
    peers: PeersSpec = PeersSpec(min_shops=1)
    dimensions: Annotated[list[DimensionSpec], Field(min_length=1)]
    indicators: Sequence[IndicatorSpec]
    excellence: list[ExcellenceSpec] = Field(default_factory=list)
    industries: dict[str, IndustrySpec] = Field(default={}, description="dimension weights by category id")
    deductions: DeductionsSpec = DeductionsSpec()
    method: MethodSpec = MethodSpec()  # the default: raw values ranked, weights as written

    # Field validators, not one model validator: each check runs when the fields it reads are valid, so a broken
    # indicator does not hide a dimension's weights (every problem at once).
    @field_validator("dimensions")
    @classmethod
    def _dimension_weights(cls, dimensions: list[DimensionSpec]) -> list[DimensionSpec]:
        ids = [d.id for d in dimensions]
        found = [(f"[{i}].id", f"duplicate dimension id {d!r}") for i, d in enumerate(ids) if d in ids[:i]]
        if (total := sum(d.weight for d in dimensions)) != 100:
            found.append(("", f"weights must add up to 100, got {total}"))
        refuse(found, dimensions)
        return dimensions

    @field_validator("indicators")
    @classmethod
    def _indicators_fit(cls, indicators: Sequence[IndicatorSpec],
                           info: ValidationInfo) -> Sequence[IndicatorSpec]:
        dims = _dimension_ids(info)
        ids = [i.id for i in indicators]
        found = [(f"[{n}]{at}", message) for n, ind in enumerate(indicators) for at, message in ind.param_problems()]
        found += [(f"[{n}].id", f"duplicate indicator id {i!r}") for n, i in enumerate(ids) if i in ids[:n]]
        if dims is not None:
            found += [(f"[{n}].dimension", f"must be one of {dims}, got {ind.dimension!r}")
                      for n, ind in enumerate(indicators) if ind.dimension not in dims]
            found += [("", f"weights of dimension {d!r} must add up to 100, got {total}") for d in dims
                      if (total := sum(i.weight for i in indicators if i.dimension == d)) != 100]
        refuse(found, indicators)
        return indicators

    @field_validator("industries")
    @classmethod
    def _industry_weights(cls, industries: dict[str, IndustrySpec],
                          info: ValidationInfo) -> dict[str, IndustrySpec]:
        dims = _dimension_ids(info)
        found = []
        for category, industry in industries.items():
            at = f".{category}.weights"
            if dims is not None and set(industry.weights) != set(dims):
                found.append((at, f"must give a weight for each dimension {dims}, got {sorted(industry.weights)}"))
            elif (total := sum(industry.weights.values())) != 100:
                found.append((at, f"must add up to 100, got {total}"))
        refuse(found, industries)
        return industries

    @field_validator("excellence")
    @classmethod
    def _excellence_reads_its_dimension(cls, excellence: list[ExcellenceSpec],
                                        info: ValidationInfo) -> list[ExcellenceSpec]:
        dims, scale = _dimension_ids(info), info.data.get("scale")
        indicators = info.data.get("indicators")
        of = {i.id: i.dimension for i in indicators} if indicators is not None else None
        found = []
        for n, e in enumerate(excellence):
            if dims is not None and e.dimension not in dims:
                found.append((f"[{n}].dimension", f"must be one of {dims}, got {e.dimension!r}"))
            if scale is not None and not x100(scale.min) <= x100(e.floor) <= x100(scale.max):
                found.append((f"[{n}].floor", f"must be within the scale {scale.min:g}..{scale.max:g}, got "
                                              f"{e.floor:g}"))
            for k, w in enumerate(e.when):
                at = f"[{n}].when[{k}].indicator"
                if of is None:
                    break
                if w.indicator not in of:
                    found.append((at, f"must be one of the indicators {sorted(of)}, got {w.indicator!r}"))
                elif of[w.indicator] != e.dimension and (dims is None or e.dimension in dims):
                    # The floor is decided among the dimension's own indicators; another's would never be seen.
                    found.append((at, f"{w.indicator} belongs to dimension {of[w.indicator]!r}, not "
                                      f"{e.dimension!r}"))
        refuse(found, excellence)
        return excellence


def _dimension_ids(info: ValidationInfo) -> list[str] | None:
    """The subject's dimension ids, sorted; None when its dimensions are invalid (reported there)."""
    dimensions = info.data.get("dimensions")
    return None if dimensions is None else sorted({d.id for d in dimensions})


class SuggestionsSpec(RulebookModel):
    top_quartile_points: Points = 87.5


class MerchantSpec(SubjectSpec):
    indicators: Annotated[list[MerchantIndicatorSpec], Field(min_length=1)]
    suggestions: SuggestionsSpec = SuggestionsSpec()


class GovernancePerPointSpec(RulebookModel):
    general: Annotated[float, Between(0, 1)]
    severe: Annotated[float, Between(0, 1)]


class GovernanceDeductionSpec(RulebookModel):
    """Score points off per governance violation point naming the creator that counts at the as-of (its own
    180-day expiry not reached, not reversed) and happened within the score's window; at most ``max`` in all."""

    per_point: GovernancePerPointSpec
    max: Annotated[float, Between(0, 100)]

    @model_validator(mode="after")
    def _hundredths(self) -> GovernanceDeductionSpec:
        for name, value in (("per_point.general", self.per_point.general), ("per_point.severe", self.per_point.severe),
                            ("max", self.max)):
            if abs(value * 100 - round(value * 100)) > 1e-9:
                raise problem(f"{name}: points are kept in hundredths: {value} is finer than 0.01")
        return self


class CreatorSpec(SubjectSpec):
    indicators: Annotated[list[CreatorIndicatorSpec], Field(min_length=1)]
    governance: GovernanceDeductionSpec | None = None

    @model_validator(mode="after")
    def _governance_fits_the_scale(self) -> CreatorSpec:
        if self.governance is not None and x100(self.governance.max) > x100(self.scale.max) - x100(self.scale.min):
            raise problem(f"governance.max must not exceed the scale's span {self.scale.max - self.scale.min:g}, "
                          f"got {self.governance.max:g}")
        return self


Signed = Annotated[int, Between(-10_000, 10_000)]


class ComponentSpec(RulebookModel):
    """Points per unit of an integer fact, clamped to [min, max]."""

    id: NonEmpty
    fact: ConsumerFact
    per_unit: Signed
    min: Signed
    max: Signed

    @model_validator(mode="after")
    def _ordered(self) -> ComponentSpec:
        if self.min > self.max:
            raise problem(f"min must not be above max, got {self.min}..{self.max}")
        return self


class CreditBandsSpec(RulebookModel):
    trusted: Annotated[int, Between(0)] = Field(description="at or above: trusted")
    doubtful: Annotated[int, Between(0)] = Field(description="below: doubtful")

    @model_validator(mode="after")
    def _ordered(self) -> CreditBandsSpec:
        if self.doubtful > self.trusted:
            raise problem(f"doubtful must not be above trusted, got {self.doubtful} > {self.trusted}")
        return self


class ConsumerSpec(RulebookModel):
    name: Text | None = None
    window_days: Annotated[int, Between(1, 3650)]
    base: Annotated[int, Between(0)]
    scale: ScaleSpec
    components: list[ComponentSpec] = Field(default_factory=list)
    bands: CreditBandsSpec


class ScoresRulebookSpec(RulebookModel):
    """The score rulebook file (``kind: scores``)."""

    kind: Literal["scores"]
    version: NonEmpty
    effective_from: Instant
    local_utc_offset_hours: Annotated[int, Between(-12, 14)]
    merchant: MerchantSpec
    creator: CreatorSpec | None = None
    consumer: ConsumerSpec | None = None
