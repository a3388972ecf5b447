"""The inspections section of the governance rulebook (``rulebooks/governance/inspections.yaml``, ``kind:
governance.inspections``): strata by category risk, the factor bands a listing's weight is made of, the budget, and
the defect kinds a failed sample is judged by. Strict Pydantic models; every problem is reported at once with its
path. Pure (reads its YAML, touches no database).

The bundle's version comes from ``rulebook.yaml`` beside it; until the core slice's bundle loader is merged this
module reads only its ``version`` and ``effective_from`` (the core slice owns that file's model).
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from anxin.core.rulebook_models import (
    Between,
    Instant,
    NonEmpty,
    PositiveInt,
    RulebookModel,
    RulebookProblems,
    Text,
    problem,
    read_yaml,
    refuse,
    validate,
    validated,
)
from anxin.governance.model import COUNTERFEIT, LOW_QUALITY_PRODUCT

DEFAULT_DIR = Path(__file__).resolve().parents[1] / "rulebooks" / "governance"
# The violation kinds an inspection may find (the catalogue defines their points and measures).
VIOLATIONS = (LOW_QUALITY_PRODUCT, COUNTERFEIT)

Factor = Annotated[int, Between(0, 10_000)]  # a percentage multiplier: 100 neutral, 0 never sampled
RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_.\-]+$")]


class InspectionRulesError(RulebookProblems):
    title = "invalid governance inspections rulebook"


class MatchSpec(RulebookModel):
    """A stratum's categories: a category id (or an ancestor's) in ``categories``, or an inherited tag in ``tags``;
    both empty is the default stratum."""

    tags: list[NonEmpty] = Field(default_factory=list)
    categories: list[NonEmpty] = Field(default_factory=list)

    @property
    def everything(self) -> bool:
        return not self.tags and not self.categories


class StratumSpec(RulebookModel):
    id: RuleId
    name: Text
    match: MatchSpec
    factor_pct: Factor
    min_samples: Annotated[int, Between(0, 100_000)]

    @model_validator(mode="after")
    def _no_minimum_without_weight(self) -> StratumSpec:
        if self.factor_pct == 0 and self.min_samples > 0:
            raise problem("a stratum never sampled (factor_pct 0) cannot have a minimum", ".min_samples")
        return self


class FactorSpec(RulebookModel):
    id: RuleId
    factor_pct: Factor


class ScoreBandSpec(FactorSpec):
    below: Annotated[int, Between(1, 101)]  # score points, 0–100


class ScoreBandsSpec(RulebookModel):
    unscored: FactorSpec
    bands: list[ScoreBandSpec] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[ScoreBandSpec]) -> list[ScoreBandSpec]:
        _check_bands([b.below for b in bands], 101, "score")
        return bands


class ComplaintBandSpec(FactorSpec):
    below_per_mille: Annotated[int, Between(1, 1_000_000)]


class ComplaintsSpec(RulebookModel):
    lookback_days: Annotated[int, Between(1, 3650)]
    min_orders: Annotated[int, Between(1)]
    few_orders: FactorSpec
    bands: list[ComplaintBandSpec] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[ComplaintBandSpec]) -> list[ComplaintBandSpec]:
        _check_bands([b.below_per_mille for b in bands], 1001, "per mille")
        return bands


class AgeBandSpec(FactorSpec):
    below_days: PositiveInt


class ShopAgeSpec(RulebookModel):
    bands: list[AgeBandSpec] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[AgeBandSpec]) -> list[AgeBandSpec]:
        _check_bands([b.below_days for b in bands], 36_500, "days")
        return bands


class FailureBandSpec(FactorSpec):
    below: PositiveInt


class FailuresSpec(RulebookModel):
    lookback_days: Annotated[int, Between(1, 3650)]
    bands: list[FailureBandSpec] = Field(min_length=1)

    @field_validator("bands")
    @classmethod
    def _ascending(cls, bands: list[FailureBandSpec]) -> list[FailureBandSpec]:
        _check_bands([b.below for b in bands], 1_000_000, "failures")
        return bands


class DefectSpec(RulebookModel):
    id: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,32}$")]
    name: Text
    violation: Literal["low_quality_product", "counterfeit"]
    severity: NonEmpty


class InspectionsSpec(RulebookModel):
    """``inspections.yaml``."""

    kind: Literal["governance.inspections"]
    budget: PositiveInt
    max_budget: PositiveInt
    strata: list[StratumSpec] = Field(min_length=1)
    score_bands: ScoreBandsSpec
    complaints: ComplaintsSpec
    shop_age: ShopAgeSpec
    previous_failures: FailuresSpec
    severities: list[NonEmpty] = Field(min_length=1)
    defects: list[DefectSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> InspectionsSpec:
        found: list[tuple[str, str]] = []
        if self.budget > self.max_budget:
            found.append((".budget", f"must not exceed max_budget ({self.max_budget})"))
        minimums = sum(s.min_samples for s in self.strata)
        if minimums > self.budget:
            found.append((".strata", f"the strata's minimums ({minimums}) exceed the budget ({self.budget})"))
        defaults = [i for i, s in enumerate(self.strata) if s.match.everything]
        if defaults != [len(self.strata) - 1]:
            found.append((".strata", "the last stratum, and only it, must be the default (an empty match)"))
        found += _duplicates("severities", list(self.severities))
        found += _duplicates("defects", [d.id for d in self.defects])
        ids = ([s.id for s in self.strata] + [self.score_bands.unscored.id] + [b.id for b in self.score_bands.bands]
               + [self.complaints.few_orders.id] + [b.id for b in self.complaints.bands]
               + [b.id for b in self.shop_age.bands] + [b.id for b in self.previous_failures.bands])
        found += _duplicates("", ids)  # rule ids are unique across the section: a decision names them
        for i, d in enumerate(self.defects):
            if d.severity not in self.severities:
                found.append((f".defects[{i}].severity", f"must be one of {self.severities}, got {d.severity!r}"))
        refuse(found, self)
        return self


def _check_bands(limits: Sequence[int], top: int, unit: str) -> None:
    if any(b <= a for a, b in itertools.pairwise(limits)):
        raise problem(f"bands must ascend strictly by their upper bound ({unit})")
    if limits[-1] < top:
        raise problem(f"the last band must cover everything: its bound must be at least {top} ({unit})")


def _duplicates(where: str, ids: list[str]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    dup: set[str] = set()
    for i in ids:
        (dup if i in seen else seen).add(i)
    return [(f".{where}" if where else "", f"duplicate ids: {', '.join(sorted(dup))}")] if dup else []


class IndexSpec(RulebookModel):
    """What this section reads of ``rulebook.yaml``; the core slice's model of that file is the strict one."""

    kind: Literal["governance"]
    version: NonEmpty
    effective_from: Instant


@functools.lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple[tuple[str, int, int], ...]) -> tuple[InspectionsSpec, IndexSpec]:
    problems: list[str] = []
    raw, unreadable = read_yaml(directory / "inspections.yaml")
    spec, found = (None, unreadable) if unreadable else validate(InspectionsSpec, raw, "inspections")
    problems += found
    raw_index, unreadable = read_yaml(directory / "rulebook.yaml")
    index = None
    if unreadable:
        problems += unreadable
    elif isinstance(raw_index, dict):
        # Only the keys this section needs: the file carries the bundle's other keys too.
        index, found = validate(IndexSpec, {k: raw_index.get(k) for k in ("kind", "version", "effective_from")},
                                "rulebook")
        problems += found
    else:
        problems.append("rulebook: must be a mapping")
    if problems or spec is None or index is None:
        raise InspectionRulesError(problems)
    return spec, index


def load_inspection_rules(directory: Path | None = None) -> InspectionRules:
    """The inspections section with the bundle's version (default: the packaged bundle); loaded once per version
    of its files."""
    directory = (directory or DEFAULT_DIR).resolve()
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.yaml")))
    spec, index = _load(directory, stamp)
    return InspectionRules(spec=spec, version=index.version, effective_from=index.effective_from)


def parse_inspections(raw: object, *, version: str = "test",
                      effective_from: dt.datetime | None = None) -> InspectionRules:
    """A section from already-read YAML (tests, ``anxin rules check``); ``InspectionRulesError`` lists every
    problem."""
    return InspectionRules(spec=validated(InspectionsSpec, raw, InspectionRulesError), version=version,
                           effective_from=effective_from or dt.datetime(2026, 12, 7, tzinfo=dt.UTC))


class InspectionRules:
    """A validated section and the bundle version it belongs to: what the sampler and the use cases read."""

    def __init__(self, *, spec: InspectionsSpec, version: str, effective_from: dt.datetime) -> None:
        self.spec = spec
        self.version = version
        self.effective_from = effective_from
        self.defects = {d.id: d for d in spec.defects}
        self.severity_rank = {s: i for i, s in enumerate(spec.severities)}
        self.strata = {s.id: s for s in spec.strata}


@dataclass(frozen=True)
class Defect:
    """One defect an inspector found: a kind of the rulebook, its severity (the kind's unless the inspector said
    otherwise) and what was seen."""

    kind: str
    severity: str
    detail: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "severity": self.severity, "detail": self.detail}


@dataclass(frozen=True)
class Finding:
    """What a failed sample is: one violation, of the kind of its gravest defect (counterfeit before
    low quality at the same severity), at the gravest severity among the defects of that kind."""

    violation: str
    severity: str
    rule_ids: tuple[str, ...]  # inspect.defect.<kind> of every defect, in the order given


def judge(defects: Sequence[Defect], rules: InspectionRules) -> Finding:
    if not defects:
        raise ValueError("a failed sample needs at least one defect")
    rank = rules.severity_rank
    gravest = max(defects, key=lambda d: (rank[d.severity], rules.defects[d.kind].violation == COUNTERFEIT))
    violation = rules.defects[gravest.kind].violation
    severity = max((d.severity for d in defects if rules.defects[d.kind].violation == violation), key=rank.__getitem__)
    return Finding(violation, severity, tuple(dict.fromkeys(f"inspect.defect.{d.kind}" for d in defects)))
