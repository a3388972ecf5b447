"""Novice tasks, creator matching and traffic support with plain objects, at the edges of every window and threshold;
the shipped programmes YAML loads and a broken one names every problem with its path."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.catalogs import reason_texts

from anxin.merchants.programme_rules import (
    Activity,
    CreatorMatchingRules,
    Level,
    Milestone,
    NoviceRules,
    NoviceTask,
    Sample,
    TrafficSupportRules,
)
from anxin.merchants.programmes import (
    DEFAULT_PROGRAMMES_PATH,
    METRICS,
    ProgrammesRules,
    ShopFacts,
    age_days,
    creator_offer,
    load_programmes,
    load_programmes_file,
    novice_progress,
    traffic_support,
)
from anxin.merchants.reasons import Reason, render
from anxin.merchants.rulebook_models import MerchantRulebookError

BJ = dt.timezone(dt.timedelta(hours=8))
OPENED = dt.datetime(2026, 1, 1, 10, 0, tzinfo=BJ).astimezone(dt.UTC)  # day 0 is 1 January (Beijing)
NAME = {"zh-CN": "名", "en": "name"}

REASON_TEXT = reason_texts("creator", "novice", "traffic")  # the pages word these reasons with them


def day(n: int, hour: int = 12) -> dt.datetime:
    """Noon (Beijing) of day ``n`` after opening, in UTC."""
    return (dt.datetime(2026, 1, 1, hour, tzinfo=BJ) + dt.timedelta(days=n)).astimezone(dt.UTC)


def midnight(n: int) -> dt.datetime:
    return (dt.datetime(2026, 1, 1, tzinfo=BJ) + dt.timedelta(days=n)).astimezone(dt.UTC)


RULES = ProgrammesRules(
    novice=NoviceRules(
        period_days=90,
        activities=(Activity("coupon_tools", NAME), Activity("flash_sale", NAME), Activity("live_room", NAME)),
        tasks=(NoviceTask("listings", NAME, "listings_published", 10, 20, ("coupon_tools",), within_days=30),
               NoviceTask("first_ship", NAME, "orders_shipped_on_time", 1, 20, ("flash_sale",), within_days=30),
               NoviceTask("chat", NAME, "chat_reply_3min_bp", 9000, 15, sample=Sample("chat_sessions", 20)),
               NoviceTask("deposit", NAME, "deposit_paid", 1, 10)),
        levels=(Level("starter", NAME, 0), Level("growing", NAME, 40, ("live_room",)), Level("top", NAME, 65)),
        trial_withheld=frozenset({"flash_sale"})),
    creator_matching=CreatorMatchingRules(within_days=60, min_listings=5, exclude_trial=True,
                                          max_open_serious_violations=0, blocked_states=frozenset({"suspended"})),
    traffic_support=TrafficSupportRules(
        min_age_days=90, window_days=90, min_score_hundredths=8500, exclude_trial=True, max_open_serious_violations=0,
        blocked_states=frozenset({"suspended"}),
        milestones=(Milestone("m10k", NAME, 1_000_000, 500), Milestone("m100k", NAME, 10_000_000, 1000))),
)


def shop(**changes: object) -> ShopFacts:
    base = ShopFacts(shop_id="s1", opened_at=OPENED, state="novice", store_type="enterprise", trial=False,
                     metrics={m: 0 for m in METRICS}, score_hundredths=9000, open_serious_violations=0,
                     gmv_since_opening_fen=0, listings=10)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def codes(reasons: tuple[Reason, ...]) -> list[str]:
    return [r.code for r in reasons]


@pytest.mark.parametrize(("opened", "at", "age"), [
    (OPENED, day(0, hour=23), 0),
    (OPENED, midnight(1), 1),  # Beijing midnight starts day 1, although it is still 1 January in UTC
    (OPENED, midnight(1) - dt.timedelta(seconds=1), 0),
    (dt.datetime(2026, 1, 1, 20, 0, tzinfo=dt.UTC), midnight(1), 0),  # opened 04:00 on 2 January, Beijing
    (OPENED, day(90), 90),
])
def test_age_counts_beijing_calendar_days(opened: dt.datetime, at: dt.datetime, age: int) -> None:
    assert age_days(opened, at) == age


# --- novice tasks -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("listings", "at", "done", "expired"), [
    (9, day(29), False, False),
    (10, day(29), True, False),
    (10, midnight(30) - dt.timedelta(microseconds=1), True, False),  # the last instant of day 29
    (10, midnight(30), False, True),  # met only once the task had closed: too late
    (9, day(31), False, True),
])
def test_a_task_counts_only_within_its_days(listings: int, at: dt.datetime, done: bool, expired: bool) -> None:
    progress = novice_progress(shop(metrics={**shop().metrics, "listings_published": listings}), at, RULES)
    task = progress.tasks[0]
    assert (task.done, task.expired, task.progress, task.target) == (done, expired, listings, 10)
    assert task.deadline == midnight(30)
    assert ("listings" in progress.newly_completed) is done
    assert codes(progress.reasons)[0] == ("novice.task_done" if done else
                                          "novice.task_expired" if expired else "novice.task_open")


def test_a_recorded_completion_stays_done_after_the_deadline_and_a_falling_metric() -> None:
    facts = shop(completed_tasks={"listings": day(3)}, metrics={**shop().metrics, "listings_published": 2})
    progress = novice_progress(facts, day(80), RULES)
    assert progress.tasks[0].done and progress.tasks[0].completed_at == day(3)
    assert progress.newly_completed == {}
    assert progress.reasons[0].params["completed_on"] == "2026-01-04"


@pytest.mark.parametrize(("sessions", "done", "code"), [
    (19, False, "novice.sample_too_small"),
    (20, True, "novice.task_done"),
])
def test_a_rate_counts_only_over_a_large_enough_sample(sessions: int, done: bool, code: str) -> None:
    facts = shop(metrics={**shop().metrics, "chat_reply_3min_bp": 9000, "chat_sessions": sessions})
    progress = novice_progress(facts, day(10), RULES)
    assert progress.tasks[2].done is done
    assert codes(progress.reasons)[2] == code


def test_a_metric_the_service_did_not_compute_is_said_so_not_taken_as_zero_silently() -> None:
    progress = novice_progress(shop(metrics={"listings_published": 3}), day(5), RULES)
    assert codes(progress.reasons)[1] == "novice.metric_unavailable"
    assert not progress.tasks[1].done


@pytest.mark.parametrize(("metrics", "xp", "level", "next_level", "unlocked"), [
    ({}, 0, "starter", "growing", ()),
    ({"listings_published": 10, "deposit_paid": 1}, 30, "starter", "growing", ("coupon_tools",)),
    ({"listings_published": 10, "orders_shipped_on_time": 1}, 40, "growing", "top",
     ("coupon_tools", "flash_sale", "live_room")),
    ({"listings_published": 10, "orders_shipped_on_time": 1, "chat_reply_3min_bp": 9500, "chat_sessions": 30,
      "deposit_paid": 1}, 65, "top", None, ("coupon_tools", "flash_sale", "live_room")),
])
def test_xp_gives_levels_and_tasks_and_levels_unlock_activities(metrics: dict[str, int], xp: int, level: str,
                                                                next_level: str | None,
                                                                unlocked: tuple[str, ...]) -> None:
    progress = novice_progress(shop(metrics={**shop().metrics, **metrics}), day(10), RULES)
    assert (progress.xp, progress.level, progress.next_level, progress.unlocked) == (xp, level, next_level, unlocked)
    assert codes(progress.reasons)[-1] == ("novice.top_level" if next_level is None else "novice.level")


def test_a_trial_shop_earns_the_xp_but_not_platform_marketing() -> None:
    facts = shop(trial=True, metrics={**shop().metrics, "orders_shipped_on_time": 1})
    progress = novice_progress(facts, day(10), RULES)
    assert progress.xp == 20 and "flash_sale" not in progress.unlocked
    assert Reason("novice.withheld_in_trial", "flash_sale", {"activity": "flash_sale"}) in progress.reasons


@pytest.mark.parametrize(("at", "in_period", "chat_expired"), [(day(89), True, False), (day(90), False, True)])
def test_tasks_without_their_own_days_close_with_the_novice_period(at: dt.datetime, in_period: bool,
                                                                   chat_expired: bool) -> None:
    progress = novice_progress(shop(), at, RULES)
    assert progress.in_period is in_period
    assert progress.tasks[2].expired is chat_expired and progress.tasks[2].deadline == midnight(90)


# --- creator matching ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "eligible", "code"), [
    (day(0), True, "creator.offered"),
    (day(59, hour=23), True, "creator.offered"),
    (day(60, hour=0), False, "creator.too_old"),
    (day(61), False, "creator.too_old"),
    (day(-1), False, "creator.not_open_yet"),
])
def test_creators_are_offered_shops_within_60_days(at: dt.datetime, eligible: bool, code: str) -> None:
    decision = creator_offer(shop(), at, RULES)
    assert decision.eligible is eligible and codes(decision.reasons) == [code]
    assert decision.until == (midnight(60) if eligible else None)


@pytest.mark.parametrize(("listings", "eligible"), [(4, False), (5, True)])
def test_creators_need_enough_listings(listings: int, eligible: bool) -> None:
    assert creator_offer(shop(listings=listings), day(10), RULES).eligible is eligible


def test_every_failing_creator_condition_is_a_reason() -> None:
    facts = shop(trial=True, listings=0, open_serious_violations=1, state="suspended")
    decision = creator_offer(facts, day(70), RULES)
    assert codes(decision.reasons) == ["creator.too_old", "creator.shop_state", "creator.in_trial",
                                       "creator.serious_violations", "creator.too_few_listings"]
    assert decision.as_dict()["facts_used"]["age_days"] == 70


# --- traffic support ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "score", "eligible", "first_code"), [
    (day(89), 9000, False, "traffic.too_young"),
    (day(90, hour=0), 9000, True, "traffic.eligible"),
    (day(91), 9000, True, "traffic.eligible"),
    (day(91), 8500, True, "traffic.eligible"),  # exactly the threshold
    (day(91), 8499, False, "traffic.score_below"),
    (day(91), None, False, "traffic.score_missing"),
    (day(179, hour=23), 9000, True, "traffic.eligible"),
    (midnight(180), 9000, False, "traffic.window_over"),
])
def test_traffic_support_is_for_shops_past_90_days_with_the_score(at: dt.datetime, score: int | None,
                                                                  eligible: bool, first_code: str) -> None:
    decision = traffic_support(shop(score_hundredths=score), at, RULES)
    assert decision.eligible is eligible and codes(decision.reasons)[0] == first_code
    assert decision.until == (midnight(180) if eligible else None)


@pytest.mark.parametrize(("gmv", "reached", "upcoming"), [
    (999_999, None, "m10k"),
    (1_000_000, "m10k", "m100k"),
    (10_000_000, "m100k", None),
])
def test_milestones_are_reached_at_their_gmv(gmv: int, reached: str | None, upcoming: str | None) -> None:
    decision = traffic_support(shop(gmv_since_opening_fen=gmv), day(100), RULES)
    assert (decision.milestone.id if decision.milestone else None) == reached
    assert (decision.next_milestone.id if decision.next_milestone else None) == upcoming
    assert decision.as_dict()["milestone"] == reached


def test_the_next_milestone_says_how_far_it_is() -> None:
    decision = traffic_support(shop(gmv_since_opening_fen=400_000), day(100), RULES)
    assert decision.reasons[-1] == Reason("traffic.next_milestone", "m10k", {
        "milestone": "m10k", "remaining_fen": 600_000, "remaining": "¥6,000.00", "boost_bp": 500, "boost": "5.00%"})


def test_every_failing_traffic_condition_is_a_reason() -> None:
    facts = shop(trial=True, score_hundredths=8000, open_serious_violations=2, state="suspended")
    assert codes(traffic_support(facts, day(30), RULES).reasons) == [
        "traffic.too_young", "traffic.shop_state", "traffic.in_trial", "traffic.serious_violations",
        "traffic.score_below"]


# --- reasons render -----------------------------------------------------------------------------------------------

def _every_reason() -> list[Reason]:
    full = {**shop().metrics, "listings_published": 10, "orders_shipped_on_time": 1, "chat_reply_3min_bp": 9500,
            "chat_sessions": 30, "deposit_paid": 1}
    progress = [novice_progress(shop(), day(5), RULES), novice_progress(shop(), day(95), RULES),
                novice_progress(shop(metrics={}), day(5), RULES),
                novice_progress(shop(trial=True, metrics={**full, "chat_sessions": 1}), day(5), RULES),
                novice_progress(shop(metrics=full), day(5), RULES)]
    decisions = [creator_offer(shop(), day(5), RULES), creator_offer(shop(), day(-2), RULES),
                 creator_offer(shop(trial=True, listings=0, open_serious_violations=1, state="suspended"), day(70),
                               RULES),
                 traffic_support(shop(gmv_since_opening_fen=2_000_000), day(100), RULES),
                 traffic_support(shop(score_hundredths=None, trial=True, state="suspended",
                                      open_serious_violations=1), day(200), RULES),
                 traffic_support(shop(score_hundredths=1), day(5), RULES)]
    return [r for d in (*progress, *decisions) for r in d.reasons]


def test_every_emitted_code_has_both_texts_and_every_text_is_emitted() -> None:
    reasons = _every_reason()
    assert {r.code for r in reasons} == set(REASON_TEXT)
    for reason in reasons:
        for lang in ("zh-CN", "en"):
            assert render(reason, REASON_TEXT, lang) != reason.code, (reason, lang)


# --- the rulebook -------------------------------------------------------------------------------------------------

def test_the_shipped_yaml_loads_with_realistic_tasks() -> None:
    rules = load_programmes_file(DEFAULT_PROGRAMMES_PATH)
    tasks = {t.id: t for t in rules.novice.tasks}
    assert tasks["publish_10_listings"].target == 10 and tasks["chat_replies_in_3min"].target == 9000
    assert {t.metric for t in tasks.values()} <= set(METRICS)
    assert rules.creator_matching.within_days == 60 and rules.traffic_support.min_age_days == 90
    assert rules.traffic_support.min_score_hundredths == 8500
    assert rules.novice.levels[-1].min_xp <= sum(t.xp for t in tasks.values())
    assert creator_offer(shop(), day(10), rules).eligible


BROKEN = {
    "novice": {
        "period_days": 90, "colour": "red",
        "activities": [{"id": "coupon_tools", "name": {"zh-CN": "券"}}, {"id": "coupon_tools", "name": NAME}],
        "tasks": [
            {"id": "a", "name": NAME, "metric": "listings_published", "target": 10, "xp": 20, "unlocks": ["nope"]},
            {"id": "b", "name": NAME, "metric": "likes", "target": 1, "xp": 5},
            {"id": "c", "name": NAME, "metric": "chat_reply_3min_bp", "target": 12000, "xp": 1.5,
             "within_days": 120, "sample": {"metric": "chat_sessions"}},
            "not a task",
        ],
        "levels": [{"id": "x", "name": NAME, "min_xp": 10}, {"id": "y", "name": NAME, "min_xp": 5},
                   {"id": "z", "name": NAME, "min_xp": 500}],
    },
    "creator_matching": {"within_days": 0, "min_listings": -1, "exclude_trial": "yes", "blocked_states": "closed"},
    "traffic_support": {"min_age_days": 90, "window_days": 90, "min_score_hundredths": 85.0,
                        "max_open_serious_violations": 0,
                        "milestones": [{"id": "m1", "name": NAME, "gmv_fen": 500, "impressions_boost_bp": 0},
                                       {"id": "m2", "name": NAME, "gmv_fen": 500, "impressions_boost_bp": 100}]},
    "extra": 1,
}


def problems_of(raw: dict[str, Any]) -> list[str]:
    try:
        load_programmes({"kind": "merchants.programmes", **raw})
    except MerchantRulebookError as exc:
        return exc.problems
    return []


def test_broken_yaml_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    expected = [  # cross-entry checks wait until their entries are valid: see the table below
        "programmes.novice.activities[0].name.en: required",
        "programmes.novice.tasks[1].metric: must be one of 'listings_published',",
        "programmes.novice.tasks[2].target: must be an integer 1–10000, got 12000",
        "programmes.novice.tasks[2].xp: must be an integer, got 1.5",
        "programmes.novice.tasks[2].sample.at_least: required",
        "programmes.novice.tasks[3]: must be a mapping",
        "programmes.novice.levels[0].min_xp: the first level starts at 0 XP, got 10",
        "programmes.novice.levels[1].min_xp: must be above the previous level's 10",
        "programmes.novice.colour: unknown key",
        "programmes.creator_matching.within_days: must be an integer 1–3650, got 0",
        "programmes.creator_matching.min_listings: must be an integer 0–100000, got -1",
        "programmes.creator_matching.exclude_trial: must be true or false, got 'yes'",
        "programmes.creator_matching.max_open_serious_violations: required",
        "programmes.creator_matching.blocked_states: must be a list, got 'closed'",
        "programmes.traffic_support.min_score_hundredths: must be an integer, got 85.0 (whole fen or hundredths",
        "programmes.traffic_support.milestones[0].impressions_boost_bp: must be an integer 1–100000, got 0",
        "programmes.extra: unknown key",
    ]
    found = problems_of(BROKEN)
    assert len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected, strict=True)), found
    path = tmp_path / "programmes.yaml"
    path.write_text("kind: merchants.programmes\nnovice: {}\n", encoding="utf-8")
    with pytest.raises(MerchantRulebookError, match=r"programmes\.creator_matching: required"):
        load_programmes_file(path)


SHIPPED = yaml.safe_load(DEFAULT_PROGRAMMES_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda r: r["novice"]["activities"].append(dict(r["novice"]["activities"][0])),
     "programmes.novice.activities[4].id: duplicate id 'coupon_tools'"),
    (lambda r: r["novice"]["tasks"][0].update(unlocks=["nope"]),
     "programmes.novice.tasks[0].unlocks: unknown 'nope', must be one of ['coupon_tools', 'flash_sale',"),
    (lambda r: r["novice"]["tasks"][0].update(unlocks=["flash_sale", "flash_sale"]),
     "programmes.novice.tasks[0].unlocks: 'flash_sale' appears more than once"),
    (lambda r: r["novice"]["tasks"][0].update(within_days=120),
     "programmes.novice.tasks[0].within_days: must be an integer 1–90, got 120"),
    (lambda r: r["novice"]["tasks"][5].update(target=2), "programmes.novice.tasks[5].target: must be an integer 1–1,"),
    (lambda r: r["novice"]["levels"][-1].update(min_xp=500),
     "programmes.novice.levels[3].min_xp: unreachable, the tasks give 100 XP in all"),
    (lambda r: r["novice"].update(trial_withheld=["tv"]), "programmes.novice.trial_withheld: unknown 'tv'"),
    (lambda r: r["traffic_support"]["milestones"][1].update(gmv_fen=1_000_000),
     "programmes.traffic_support.milestones[1].gmv_fen: must be above the previous milestone's 1000000"),
    (lambda r: r.update(kind="merchants.fees"), "programmes.kind: must be one of 'merchants.programmes'"),
])
def test_each_refusal_names_its_path(mutate: Callable[[dict[str, Any]], None], problem: str) -> None:
    raw = copy.deepcopy(SHIPPED)
    mutate(raw)
    found = problems_of(raw)
    assert len(found) == 1 and found[0].startswith(problem), found
