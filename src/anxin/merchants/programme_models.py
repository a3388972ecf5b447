"""The programmes section's model (``rulebooks/merchants/programmes.yaml``, ``kind: merchants.programmes``): novice
tasks and levels, creator matching and traffic support, and the metrics a novice task may measure. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from anxin.core.rulebook_models import Between, NonEmpty, PositiveInt, RulebookModel, Text, problem
from anxin.merchants.rulebook_models import Loc, duplicates, refuse, repeated


@dataclass(frozen=True)
class Metric:
    name: str
    unit: Literal["count", "bp", "flag"]
    description: str


# The facts a novice task may measure; the service computes each from opening up to the decision time.
METRICS = {m.name: m for m in (
    Metric("listings_published", "count", "listings the shop published since opening (ones taken down still count)"),
    Metric("orders_shipped_on_time", "count", "paid orders whose first shipment was recorded before their ship-by"),
    Metric("orders_signed", "count", "orders the buyer signed for (sign-off scan or confirmed receipt)"),
    Metric("positive_reviews", "count", "first reviews of the shop's orders rated 4 or 5 on the 1-5 scale"),
    Metric("chat_sessions", "count", "chat sessions buyers opened with the shop"),
    Metric("chat_reply_3min_bp", "bp", "share of those chat sessions whose first reply from the shop came within "
                                       "3 minutes, in basis points (0-10000; 0 when there were none)"),
    Metric("deposit_paid", "flag", "1 when the shop's deposit ledger balance is above zero, else 0"),
)}
MetricName = Literal["listings_published", "orders_shipped_on_time", "orders_signed", "positive_reviews",
                     "chat_sessions", "chat_reply_3min_bp", "deposit_paid"]
TARGET_MAX = {"count": None, "bp": 10_000, "flag": 1}
Days = Annotated[int, Between(1, 3650)]
Names = list[NonEmpty]


def _once(values: list[str]) -> list[str]:
    refuse(repeated(values))
    return values


class ActivitySpec(RulebookModel):
    id: NonEmpty
    name: Text


class SampleSpec(RulebookModel):
    """A ratio counts only over a large enough sample: one chat answered in time is not 100 %."""

    metric: MetricName
    at_least: PositiveInt


class TaskSpec(RulebookModel):
    id: NonEmpty
    name: Text
    metric: MetricName
    target: PositiveInt
    xp: PositiveInt
    within_days: Days | None = None  # left out: until the novice period ends
    unlocks: Names = Field(default_factory=list)
    sample: SampleSpec | None = None

    @field_validator("target")
    @classmethod
    def _target_fits_the_unit(cls, target: int, info: ValidationInfo) -> int:
        metric = info.data.get("metric")  # absent when the metric itself is wrong
        high = TARGET_MAX[METRICS[metric].unit] if metric in METRICS else None
        if high is not None and target > high:
            raise problem(f"must be an integer 1–{high}, got {target}")
        return target

    _unlocks = field_validator("unlocks")(_once)


class LevelSpec(RulebookModel):
    id: NonEmpty
    name: Text
    min_xp: Annotated[int, Between(0, 1_000_000)]
    unlocks: Names = Field(default_factory=list)

    _unlocks = field_validator("unlocks")(_once)


class NoviceSpec(RulebookModel):
    period_days: Days
    activities: Annotated[list[ActivitySpec], Field(min_length=1)]
    tasks: Annotated[list[TaskSpec], Field(min_length=1)]
    levels: Annotated[list[LevelSpec], Field(min_length=1)]  # the highest level whose min_xp the shop reached
    trial_withheld: Names = Field(default_factory=list)  # platform marketing zero-deposit trial shops do not get

    @field_validator("activities", "tasks")
    @classmethod
    def _unique_ids(cls, entries: list[ActivitySpec] | list[TaskSpec]) -> list[ActivitySpec] | list[TaskSpec]:
        refuse(duplicates([e.id for e in entries]))
        return entries

    @field_validator("levels")
    @classmethod
    def _ascending(cls, levels: list[LevelSpec]) -> list[LevelSpec]:
        found = duplicates([lv.id for lv in levels])
        if levels[0].min_xp != 0:
            found.append(((0, "min_xp"), f"the first level starts at 0 XP, got {levels[0].min_xp}"))
        found += [((n, "min_xp"), f"must be above the previous level's {levels[n - 1].min_xp}")
                  for n in range(1, len(levels)) if levels[n].min_xp <= levels[n - 1].min_xp]
        refuse(found)
        return levels

    _withheld = field_validator("trial_withheld")(_once)

    @model_validator(mode="after")
    def _consistent(self) -> NoviceSpec:
        known = {a.id for a in self.activities}
        found: list[tuple[Loc, str]] = []
        unlocks = [(("tasks", n), t.unlocks) for n, t in enumerate(self.tasks)] + \
            [(("levels", n), lv.unlocks) for n, lv in enumerate(self.levels)]
        found += [((*at, "unlocks"), f"unknown {a!r}, must be one of {sorted(known)}")
                  for at, names in unlocks for a in names if a not in known]
        found += [(("trial_withheld",), f"unknown {a!r}, must be one of {sorted(known)}")
                  for a in self.trial_withheld if a not in known]
        found += [(("tasks", n, "within_days"), f"must be an integer 1–{self.period_days}, got {t.within_days}")
                  for n, t in enumerate(self.tasks) if t.within_days is not None and t.within_days > self.period_days]
        total = sum(t.xp for t in self.tasks)
        if self.levels[-1].min_xp > total:
            found.append((("levels", len(self.levels) - 1, "min_xp"),
                          f"unreachable, the tasks give {total} XP in all"))
        refuse(found)
        return self


class CreatorMatchingSpec(RulebookModel):
    within_days: Days  # days 0..within_days-1 after opening
    min_listings: Annotated[int, Between(0, 100_000)]
    exclude_trial: bool = True
    max_open_serious_violations: Annotated[int, Between(0, 1000)]
    blocked_states: Names = Field(default_factory=list)  # anxin.merchants.lifecycle.ShopState values

    _states = field_validator("blocked_states")(_once)


class MilestoneSpec(RulebookModel):
    id: NonEmpty
    name: Text
    gmv_fen: PositiveInt  # GMV since opening
    impressions_boost_bp: Annotated[int, Between(1, 100_000)]


class TrafficSupportSpec(RulebookModel):
    min_age_days: Annotated[int, Between(0, 3650)]
    window_days: Days
    min_score_hundredths: Annotated[int, Between(0, 10_000)]
    exclude_trial: bool = True
    max_open_serious_violations: Annotated[int, Between(0, 1000)]
    blocked_states: Names = Field(default_factory=list)
    milestones: Annotated[list[MilestoneSpec], Field(min_length=1)]

    _states = field_validator("blocked_states")(_once)

    @field_validator("milestones")
    @classmethod
    def _ascending(cls, milestones: list[MilestoneSpec]) -> list[MilestoneSpec]:
        found = duplicates([m.id for m in milestones])
        found += [((n, "gmv_fen"), f"must be above the previous milestone's {milestones[n - 1].gmv_fen}")
                  for n in range(1, len(milestones)) if milestones[n].gmv_fen <= milestones[n - 1].gmv_fen]
        refuse(found)
        return milestones


class ProgrammesSpec(RulebookModel):
    """The programmes section file (``kind: merchants.programmes``)."""

    kind: Literal["merchants.programmes"]
    novice: NoviceSpec
    creator_matching: CreatorMatchingSpec
    traffic_support: TrafficSupportSpec
