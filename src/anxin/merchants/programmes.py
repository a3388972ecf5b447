"""The novice period and the growth programmes after it (issue 6 §2). Pure.

Novice tasks (publish listings, ship the first order on time, ...) earn experience points (XP) and unlock activities;
XP thresholds give levels. Shops young enough are offered to creators for collaboration (精选联盟), and shops past the
novice period whose experience score meets the threshold enter traffic support with GMV milestones. Every threshold
lives in ``rulebooks/merchants/programmes.yaml``.

Days are Beijing calendar days: the opening day is day 0, "within N days" means days 0..N-1 and "past N days" means
day N onwards; windows end at local midnight, exclusive. The service computes the metrics in ``METRICS`` from opening
up to the decision time and stores ``NoviceProgress.newly_completed``, so XP once earned stays earned even if a
metric later falls (a review deleted, a listing taken down).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from anxin.core.clock import beijing_day, beijing_midnight
from anxin.core.money import format_fen
from anxin.merchants.programme_models import METRICS
from anxin.merchants.programme_rules import (
    DEFAULT_PROGRAMMES_PATH,
    Milestone,
    NoviceTask,
    ProgrammesRules,
    load_programmes,
    load_programmes_file,
)
from anxin.merchants.reasons import Reason

__all__ = ["DEFAULT_PROGRAMMES_PATH", "METRICS", "NoviceProgress", "ProgrammeDecision", "ShopFacts",
           "TaskProgress", "age_days", "creator_offer", "load_programmes", "load_programmes_file", "novice_progress",
           "traffic_support"]

CM, TS = "programmes.creator_matching", "programmes.traffic_support"  # rule ids of the reasons
def age_days(opened_at: dt.datetime, at: dt.datetime) -> int:
    """Whole Beijing calendar days since opening: 0 on the opening day."""
    return (beijing_day(at) - beijing_day(opened_at)).days


def days_after_opening(opened_at: dt.datetime, days: int) -> dt.datetime:
    """Local midnight starting day ``days`` of the shop: the exclusive end of "within ``days`` days"."""
    return beijing_midnight(beijing_day(opened_at) + dt.timedelta(days=days))


# --- facts and decisions -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ShopFacts:
    shop_id: str
    opened_at: dt.datetime
    state: str
    store_type: str
    trial: bool  # in the zero-deposit trial (0元入驻)
    metrics: Mapping[str, int]
    score_hundredths: int | None  # experience score, 8500 = 85.00; None while the shop has too few orders
    open_serious_violations: int
    gmv_since_opening_fen: int
    listings: int  # listings online now
    completed_tasks: Mapping[str, dt.datetime] = field(default_factory=dict)  # as stored from earlier progress


@dataclass(frozen=True)
class TaskProgress:
    task_id: str
    done: bool
    progress: int
    target: int
    xp: int
    expired: bool
    deadline: dt.datetime | None
    completed_at: dt.datetime | None = None


@dataclass(frozen=True)
class NoviceProgress:
    tasks: tuple[TaskProgress, ...]
    xp: int
    level: str
    next_level: str | None
    unlocked: tuple[str, ...]
    in_period: bool
    reasons: tuple[Reason, ...]
    newly_completed: Mapping[str, dt.datetime]  # the service stores these and passes them back as completed_tasks
    facts_used: Mapping[str, Any]


@dataclass(frozen=True)
class ProgrammeDecision:
    programme: str
    eligible: bool
    reasons: tuple[Reason, ...]
    until: dt.datetime | None
    facts_used: Mapping[str, Any]
    milestone: Milestone | None = None  # traffic support: the highest milestone reached
    next_milestone: Milestone | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"programme": self.programme, "eligible": self.eligible,
                "until": self.until.isoformat() if self.until else None,
                "milestone": self.milestone.id if self.milestone else None,
                "next_milestone": self.next_milestone.id if self.next_milestone else None,
                "reasons": [r.as_dict() for r in self.reasons], "facts_used": dict(self.facts_used)}


def score_text(hundredths: int) -> str:
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def bp_text(bp: int) -> str:
    return f"{bp // 100}.{bp % 100:02d}%"


def novice_progress(facts: ShopFacts, at: dt.datetime, rules: ProgrammesRules) -> NoviceProgress:
    novice = rules.novice
    age = age_days(facts.opened_at, at)
    reasons: list[Reason] = []
    tasks: list[TaskProgress] = []
    new: dict[str, dt.datetime] = {}
    for task in novice.tasks:
        days = min(task.within_days or novice.period_days, novice.period_days)
        deadline = days_after_opening(facts.opened_at, days)
        value = facts.metrics.get(task.metric, 0)
        recorded = facts.completed_tasks.get(task.id)
        sample_ok = task.sample is None or facts.metrics.get(task.sample.metric, 0) >= task.sample.at_least
        met = value >= task.target and sample_ok and task.metric in facts.metrics
        done_at = recorded if recorded is not None else (at if met and at < deadline else None)
        if done_at is not None and recorded is None:
            new[task.id] = at
        expired = done_at is None and at >= deadline
        tasks.append(TaskProgress(task.id, done_at is not None, value, task.target, task.xp, expired, deadline,
                                  done_at))
        reasons.append(_task_reason(task, facts, value, done_at, expired, sample_ok, deadline, at))
    xp = sum(t.xp for t in tasks if t.done)
    reached = [lv for lv in novice.levels if lv.min_xp <= xp]
    level = reached[-1] if reached else novice.levels[0]
    following = next((lv for lv in novice.levels if lv.min_xp > xp), None)
    if following is None:
        reasons.append(Reason("novice.top_level", level.id, {"level": level.id, "xp": xp}))
    else:
        reasons.append(Reason("novice.level", level.id, {"level": level.id, "xp": xp, "next_level": following.id,
                                                          "xp_to_next": following.min_xp - xp}))
    earned = {a for t, p in zip(novice.tasks, tasks, strict=True) if p.done for a in t.unlocks}
    earned |= {a for lv in reached for a in lv.unlocks}
    if facts.trial:
        for activity in sorted(earned & novice.trial_withheld):
            reasons.append(Reason("novice.withheld_in_trial", activity, {"activity": activity}))
        earned -= novice.trial_withheld
    unlocked = tuple(a.id for a in novice.activities if a.id in earned)
    used = {"age_days": age, "trial": facts.trial, **{f"metrics.{k}": v for k, v in sorted(facts.metrics.items())}}
    return NoviceProgress(tuple(tasks), xp, level.id, following.id if following else None, unlocked,
                          age < novice.period_days, tuple(reasons), new, used)


def _task_reason(task: NoviceTask, facts: ShopFacts, value: int, done_at: dt.datetime | None, expired: bool,
                 sample_ok: bool, deadline: dt.datetime, at: dt.datetime) -> Reason:
    if done_at is not None:
        return Reason("novice.task_done", task.id, {"task": task.id, "xp": task.xp,
                                                    "completed_on": beijing_day(done_at).isoformat()})
    if expired:
        return Reason("novice.task_expired", task.id, {
            "task": task.id, "progress": value, "target": task.target,
            "last_day": beijing_day(deadline - dt.timedelta(microseconds=1)).isoformat()})
    if task.metric not in facts.metrics:
        return Reason("novice.metric_unavailable", task.id, {"task": task.id, "metric": task.metric})
    days_left = (beijing_day(deadline) - beijing_day(at)).days
    if value >= task.target and not sample_ok and task.sample is not None:
        return Reason("novice.sample_too_small", task.id, {
            "task": task.id, "metric": task.sample.metric, "have": facts.metrics.get(task.sample.metric, 0),
            "need": task.sample.at_least, "days_left": days_left})
    return Reason("novice.task_open", task.id, {"task": task.id, "progress": value, "target": task.target,
                                                "days_left": days_left})


def _standing(facts: ShopFacts, prefix: str, section: str, *, exclude_trial: bool, max_violations: int,
              blocked_states: frozenset[str]) -> list[Reason]:
    """The conditions creator matching and traffic support share: state, trial, serious violations."""
    out = []
    if facts.state in blocked_states:
        out.append(Reason(f"{prefix}.shop_state", f"{section}.blocked_states", {"state": facts.state}))
    if exclude_trial and facts.trial:
        out.append(Reason(f"{prefix}.in_trial", f"{section}.exclude_trial"))
    if facts.open_serious_violations > max_violations:
        out.append(Reason(f"{prefix}.serious_violations", f"{section}.max_open_serious_violations", {
            "count": facts.open_serious_violations, "max": max_violations}))
    return out


def creator_offer(facts: ShopFacts, at: dt.datetime, rules: ProgrammesRules) -> ProgrammeDecision:
    cm = rules.creator_matching
    age = age_days(facts.opened_at, at)
    until = days_after_opening(facts.opened_at, cm.within_days)
    fails = _standing(facts, "creator", CM, exclude_trial=cm.exclude_trial,
                      max_violations=cm.max_open_serious_violations, blocked_states=cm.blocked_states)
    if age < 0:
        fails.insert(0, Reason("creator.not_open_yet", f"{CM}.within_days",
                               {"opens_on": beijing_day(facts.opened_at).isoformat()}))
    elif age >= cm.within_days:
        fails.insert(0, Reason("creator.too_old", f"{CM}.within_days",
                               {"age_days": age, "within_days": cm.within_days}))
    if facts.listings < cm.min_listings:
        fails.append(Reason("creator.too_few_listings", f"{CM}.min_listings",
                            {"listings": facts.listings, "min": cm.min_listings}))
    used = {"age_days": age, "state": facts.state, "trial": facts.trial, "listings": facts.listings,
            "open_serious_violations": facts.open_serious_violations}
    if fails:
        return ProgrammeDecision("creator_matching", False, tuple(fails), None, used)
    why = Reason("creator.offered", CM, {"age_days": age, "within_days": cm.within_days, "listings": facts.listings,
                                        "until": beijing_day(until - dt.timedelta(days=1)).isoformat()})
    return ProgrammeDecision("creator_matching", True, (why,), until, used)


def traffic_support(facts: ShopFacts, at: dt.datetime, rules: ProgrammesRules) -> ProgrammeDecision:
    ts = rules.traffic_support
    age = age_days(facts.opened_at, at)
    until = days_after_opening(facts.opened_at, ts.min_age_days + ts.window_days)
    fails = _standing(facts, "traffic", TS, exclude_trial=ts.exclude_trial,
                      max_violations=ts.max_open_serious_violations, blocked_states=ts.blocked_states)
    if age < ts.min_age_days:
        fails.insert(0, Reason("traffic.too_young", f"{TS}.min_age_days",
                               {"age_days": age, "min_days": ts.min_age_days}))
    elif at >= until:
        fails.insert(0, Reason("traffic.window_over", f"{TS}.window_days", {"age_days": age,
                                                            "last_day": ts.min_age_days + ts.window_days - 1}))
    if facts.score_hundredths is None:
        fails.append(Reason("traffic.score_missing", f"{TS}.min_score_hundredths",
                            {"min_score": score_text(ts.min_score_hundredths)}))
    elif facts.score_hundredths < ts.min_score_hundredths:
        fails.append(Reason("traffic.score_below", f"{TS}.min_score_hundredths", {
            "score": score_text(facts.score_hundredths), "min_score": score_text(ts.min_score_hundredths)}))
    gmv = facts.gmv_since_opening_fen
    reached = [m for m in ts.milestones if gmv >= m.gmv_fen]
    upcoming = next((m for m in ts.milestones if gmv < m.gmv_fen), None)
    used = {"age_days": age, "state": facts.state, "trial": facts.trial, "score_hundredths": facts.score_hundredths,
            "open_serious_violations": facts.open_serious_violations, "gmv_since_opening_fen": gmv}
    if fails:
        return ProgrammeDecision("traffic_support", False, tuple(fails), None, used, None, upcoming)
    assert facts.score_hundredths is not None  # a missing score is a failure above
    why = [Reason("traffic.eligible", TS, {"age_days": age, "score": score_text(facts.score_hundredths),
                                           "min_score": score_text(ts.min_score_hundredths),
                                           "until": beijing_day(until - dt.timedelta(days=1)).isoformat()})]
    why += [Reason("traffic.milestone_reached", m.id, {
        "milestone": m.id, "gmv_fen": m.gmv_fen, "gmv": format_fen(m.gmv_fen), "boost_bp": m.impressions_boost_bp,
        "boost": bp_text(m.impressions_boost_bp)}) for m in reached]
    if upcoming is not None:
        why.append(Reason("traffic.next_milestone", upcoming.id, {
            "milestone": upcoming.id, "remaining_fen": upcoming.gmv_fen - gmv,
            "remaining": format_fen(upcoming.gmv_fen - gmv), "boost_bp": upcoming.impressions_boost_bp,
            "boost": bp_text(upcoming.impressions_boost_bp)}))
    return ProgrammeDecision("traffic_support", True, tuple(why), until, used, reached[-1] if reached else None,
                             upcoming)


