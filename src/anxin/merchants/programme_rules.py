"""The programmes section of the merchants rulebook (``rulebooks/merchants/programmes.yaml``): novice tasks and
levels, creator matching and traffic support, validated with every problem listed by its path. Pure.

The small readers at the bottom (translated names, id lists, lists of entries) are shared with the financing
section, whose YAML has the same shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from anxin.core.rulebook_loading import ProblemCollector, load_section_file

LANGS = ("zh-CN", "en")
DEFAULT_PROGRAMMES_PATH = Path(__file__).resolve().parent.parent / "rulebooks" / "merchants" / "programmes.yaml"


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

def load_programmes_file(path: str | Path = DEFAULT_PROGRAMMES_PATH) -> ProgrammesRules:
    """This section from its own YAML file; ``ValueError`` lists every problem."""
    return load_section_file(path, "programmes", load_programmes)


def load_programmes(raw: Mapping[str, Any], problems: ProblemCollector) -> ProgrammesRules:
    c, p = problems, "programmes"
    c.unknown(raw, p, ("kind", "novice", "creator_matching", "traffic_support"))
    novice = _novice(c, subsection(c, raw, "novice", p, ("period_days", "activities", "tasks", "levels",
                                                           "trial_withheld")))
    return ProgrammesRules(novice, _creator(c, raw, p), _traffic(c, raw, p))


def _creator(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> CreatorMatchingRules:
    cm = subsection(c, raw, "creator_matching", path, ("within_days", "min_listings", "exclude_trial",
                                                       "max_open_serious_violations", "blocked_states"))
    if cm is None:
        return CreatorMatchingRules()
    p = f"{path}.creator_matching"
    return CreatorMatchingRules(
        within_days=c.integer(cm, "within_days", p, low=1, high=3650),
        min_listings=c.integer(cm, "min_listings", p, low=0, high=100_000),
        exclude_trial=flag(c, cm, "exclude_trial", p, default=True),
        max_open_serious_violations=c.integer(cm, "max_open_serious_violations", p, low=0, high=1000),
        blocked_states=frozenset(names(c, cm, "blocked_states", p)))


def _novice(c: ProblemCollector, raw: Mapping[str, Any] | None) -> NoviceRules:
    if raw is None:
        return NoviceRules()
    p = "programmes.novice"
    period = c.integer(raw, "period_days", p, low=1, high=3650)
    activities = tuple(Activity(c.text(a, "id", q), translated(c, a, "name", q))
                       for q, a in entries(c, raw, "activities", p, ("id", "name")))
    known = {a.id for a in activities}
    unique(c, [a.id for a in activities], f"{p}.activities")
    tasks = []
    for q, t in entries(c, raw, "tasks", p, ("id", "name", "metric", "target", "xp", "within_days", "unlocks",
                                              "sample")):
        metric = c.choice(t, "metric", q, tuple(METRICS))
        unit = METRICS[metric].unit
        target = c.integer(t, "target", q, low=1, high={"count": None, "bp": 10_000, "flag": 1}[unit])
        within = c.integer(t, "within_days", q, low=1, high=period) if "within_days" in t else None
        tasks.append(NoviceTask(c.text(t, "id", q), translated(c, t, "name", q), metric, target,
                                c.integer(t, "xp", q, low=1), names(c, t, "unlocks", q, allowed=known), within,
                                _sample(c, t, q)))
    unique(c, [t.id for t in tasks], f"{p}.tasks")
    levels = tuple(Level(c.text(lv, "id", q), translated(c, lv, "name", q),
                         c.integer(lv, "min_xp", q, low=0, high=1_000_000), names(c, lv, "unlocks", q, allowed=known))
                   for q, lv in entries(c, raw, "levels", p, ("id", "name", "min_xp", "unlocks")))
    unique(c, [lv.id for lv in levels], f"{p}.levels")
    if levels and levels[0].min_xp != 0:
        c.add(f"{p}.levels[0].min_xp: the first level starts at 0 XP, got {levels[0].min_xp}")
    for n in range(1, len(levels)):
        if levels[n].min_xp <= levels[n - 1].min_xp:
            c.add(f"{p}.levels[{n}].min_xp: must be above the previous level's {levels[n - 1].min_xp}")
    total = sum(t.xp for t in tasks)
    if levels and levels[-1].min_xp > total:
        c.add(f"{p}.levels[{len(levels) - 1}].min_xp: unreachable, the tasks give {total} XP in all")
    withheld = frozenset(names(c, raw, "trial_withheld", p, allowed=known))
    return NoviceRules(period, activities, tuple(tasks), levels or NoviceRules().levels, withheld)


def _sample(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> Sample | None:
    if "sample" not in raw:
        return None
    s = subsection(c, raw, "sample", path, ("metric", "at_least"))
    q = f"{path}.sample"
    return None if s is None else Sample(c.choice(s, "metric", q, tuple(METRICS)), c.integer(s, "at_least", q, low=1))


def _traffic(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> TrafficSupportRules:
    ts = subsection(c, raw, "traffic_support", path, ("min_age_days", "window_days", "min_score_hundredths",
                                                      "exclude_trial", "max_open_serious_violations",
                                                      "blocked_states", "milestones"))
    if ts is None:
        return TrafficSupportRules()
    p = f"{path}.traffic_support"
    milestones = tuple(Milestone(c.text(m, "id", q), translated(c, m, "name", q), c.integer(m, "gmv_fen", q),
                                 c.integer(m, "impressions_boost_bp", q, low=1, high=100_000))
                       for q, m in entries(c, ts, "milestones", p, ("id", "name", "gmv_fen", "impressions_boost_bp")))
    unique(c, [m.id for m in milestones], f"{p}.milestones")
    for n in range(1, len(milestones)):
        if milestones[n].gmv_fen <= milestones[n - 1].gmv_fen:
            c.add(f"{p}.milestones[{n}].gmv_fen: must be above the previous milestone's {milestones[n - 1].gmv_fen}")
    return TrafficSupportRules(
        min_age_days=c.integer(ts, "min_age_days", p, low=0, high=3650),
        window_days=c.integer(ts, "window_days", p, low=1, high=3650),
        min_score_hundredths=c.integer(ts, "min_score_hundredths", p, low=0, high=10_000),
        exclude_trial=flag(c, ts, "exclude_trial", p, default=True),
        max_open_serious_violations=c.integer(ts, "max_open_serious_violations", p, low=0, high=1000),
        blocked_states=frozenset(names(c, ts, "blocked_states", p)), milestones=milestones)


# --- readers shared by the merchant sections ---------------------------------------------------------------------

def subsection(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str,
               known: tuple[str, ...]) -> Mapping[str, Any] | None:
    """``raw[key]`` as a mapping with only ``known`` keys; None (and a problem) when it is missing or not a mapping."""
    value = raw.get(key)
    if not isinstance(value, Mapping):
        c.add(f"{path}.{key}: required, a mapping" if value is None else f"{path}.{key}: must be a mapping")
        return None
    c.unknown(value, f"{path}.{key}", known)
    return value


def entries(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str,
            known: tuple[str, ...]) -> list[tuple[str, Mapping[str, Any]]]:
    """The mappings of the non-empty list ``raw[key]``, each with its path (``path.key[n]``)."""
    value = raw.get(key)
    if not isinstance(value, list) or not value:
        c.add(f"{path}.{key}: required, a non-empty list")
        return []
    out = []
    for n, item in enumerate(value):
        q = f"{path}.{key}[{n}]"
        if not isinstance(item, Mapping):
            c.add(f"{q}: must be a mapping")
            continue
        c.unknown(item, q, known)
        out.append((q, item))
    return out


def translated(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str) -> dict[str, str]:
    """A name shown to people: ``{zh-CN: ..., en: ...}``, both required."""
    value = raw.get(key)
    if not isinstance(value, Mapping):
        c.add(f"{path}.{key}: required, a mapping {{zh-CN: ..., en: ...}}")
        return {lang: "" for lang in LANGS}
    c.unknown(value, f"{path}.{key}", LANGS)
    return {lang: c.text(value, lang, f"{path}.{key}") for lang in LANGS}


def names(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str, *,
          allowed: set[str] | None = None) -> tuple[str, ...]:
    """An optional list of ids (``allowed``: the ids it may name)."""
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        c.add(f"{path}.{key}: must be a list of names, got {value!r}")
        return ()
    for v in value:
        if allowed is not None and v not in allowed:
            c.add(f"{path}.{key}: unknown {v!r}, must be one of {sorted(allowed)}")
    unique(c, value, f"{path}.{key}")
    return tuple(value)


def unique(c: ProblemCollector, ids: list[str], path: str) -> None:
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            c.add(f"{path}: {i!r} appears more than once")
        seen.add(i)


def flag(c: ProblemCollector, raw: Mapping[str, Any], key: str, path: str, *, default: bool) -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        c.add(f"{path}.{key}: must be true or false, got {value!r}")
        return default
    return value
