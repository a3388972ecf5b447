"""The programmes section of the merchants rulebook (``rulebooks/merchants/programmes.yaml``): novice tasks and
levels, creator matching and traffic support, validated against ``ProgrammesSpec`` with every problem listed by its
path. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from anxin.merchants.programme_models import ProgrammesSpec
from anxin.merchants.rulebook_models import names, parse, parse_file

DEFAULT_PROGRAMMES_PATH = Path(__file__).resolve().parent.parent / "rulebooks" / "merchants" / "programmes.yaml"


@dataclass(frozen=True)
class Activity:
    id: str
    name: Mapping[str, str]

@dataclass(frozen=True)
class Sample:
    """A ratio metric counts only over a large enough sample: 1 chat answered in time is not 100 %."""

    metric: str
    at_least: int

@dataclass(frozen=True)
class NoviceTask:
    id: str
    name: Mapping[str, str]
    metric: str
    target: int
    xp: int
    unlocks: tuple[str, ...] = ()
    within_days: int | None = None  # None: until the novice period ends
    sample: Sample | None = None

@dataclass(frozen=True)
class Level:
    id: str
    name: Mapping[str, str]
    min_xp: int
    unlocks: tuple[str, ...] = ()

@dataclass(frozen=True)
class NoviceRules:
    period_days: int = 90
    activities: tuple[Activity, ...] = ()
    tasks: tuple[NoviceTask, ...] = ()
    levels: tuple[Level, ...] = (Level("novice", {"zh-CN": "新手", "en": "Novice"}, 0),)
    trial_withheld: frozenset[str] = frozenset()  # platform marketing the zero-deposit trial does not get

@dataclass(frozen=True)
class CreatorMatchingRules:
    within_days: int = 60
    min_listings: int = 1
    exclude_trial: bool = True
    max_open_serious_violations: int = 0
    blocked_states: frozenset[str] = frozenset()

@dataclass(frozen=True)
class Milestone:
    id: str
    name: Mapping[str, str]
    gmv_fen: int  # GMV since opening
    impressions_boost_bp: int

@dataclass(frozen=True)
class TrafficSupportRules:
    min_age_days: int = 90
    window_days: int = 90  # the programme runs from day min_age_days to day min_age_days + window_days
    min_score_hundredths: int = 10_000
    exclude_trial: bool = True
    max_open_serious_violations: int = 0
    blocked_states: frozenset[str] = frozenset()
    milestones: tuple[Milestone, ...] = ()

@dataclass(frozen=True)
class ProgrammesRules:
    novice: NoviceRules = NoviceRules()
    creator_matching: CreatorMatchingRules = CreatorMatchingRules()
    traffic_support: TrafficSupportRules = TrafficSupportRules()

# --- loading -----------------------------------------------------------------------------------------------------

def programmes_rules(spec: ProgrammesSpec) -> ProgrammesRules:
    """The validated section as the programmes apply it."""
    n, cm, ts = spec.novice, spec.creator_matching, spec.traffic_support
    novice = NoviceRules(
        n.period_days, tuple(Activity(a.id, names(a.name)) for a in n.activities),
        tuple(NoviceTask(t.id, names(t.name), t.metric, t.target, t.xp, tuple(t.unlocks), t.within_days,
                         Sample(t.sample.metric, t.sample.at_least) if t.sample is not None else None)
              for t in n.tasks),
        tuple(Level(lv.id, names(lv.name), lv.min_xp, tuple(lv.unlocks)) for lv in n.levels),
        frozenset(n.trial_withheld))
    return ProgrammesRules(
        novice,
        CreatorMatchingRules(cm.within_days, cm.min_listings, cm.exclude_trial, cm.max_open_serious_violations,
                             frozenset(cm.blocked_states)),
        TrafficSupportRules(ts.min_age_days, ts.window_days, ts.min_score_hundredths, ts.exclude_trial,
                            ts.max_open_serious_violations, frozenset(ts.blocked_states),
                            tuple(Milestone(m.id, names(m.name), m.gmv_fen, m.impressions_boost_bp)
                                  for m in ts.milestones)))


def load_programmes(raw: object) -> ProgrammesRules:
    """The parsed ``programmes.yaml``; ``MerchantRulebookError`` names every problem with its path."""
    return programmes_rules(parse(ProgrammesSpec, raw, "programmes"))


def load_programmes_file(path: str | Path = DEFAULT_PROGRAMMES_PATH) -> ProgrammesRules:
    """This section from its own YAML file; ``MerchantRulebookError`` lists every problem."""
    return programmes_rules(parse_file(ProgrammesSpec, path, "programmes"))
