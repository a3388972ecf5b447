"""The SLA clock at its edges: service hours, closing and opening instants, weekends, holidays, a 24-hour calendar,
exactly 3 minutes of service time; and the care rulebook's validation."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
import yaml

from anxin.care.sla import (
    BREACHED,
    ON_TIME,
    RUNNING,
    ServiceCalendar,
    Sla,
    breached,
    deadline,
    first_reply_sla,
    resolution_sla,
    service_minutes_between,
)
from anxin.care.sla_rules import (
    DEFAULT_CARE_RULEBOOK,
    INTENTS,
    CareRulebookError,
    load_care_rules,
    parse_care_rules,
)
from anxin.core.clock import BEIJING, UTC

H = 60  # minutes in an hour, for spans
WEEKDAY: tuple[tuple[int, int], ...] = ((9 * H, 23 * H),)
# Mon–Fri 09:00–23:00, Saturday 10:00–18:00, Sunday closed; Christmas Eve 09:00–12:00, Christmas closed.
CAL = ServiceCalendar(week=(WEEKDAY,) * 5 + (((10 * H, 18 * H),), ()),
                      holidays={dt.date(2026, 12, 24): ((9 * H, 12 * H),), dt.date(2026, 12, 25): ()})
ALL_DAY = ServiceCalendar(week=(((0, 24 * H),),) * 7)
SLA = Sla("care.first_reply", "care-test", 3, CAL)


def bj(day: int, hour: int, minute: int, second: int = 0, month: int = 12) -> dt.datetime:
    """A Beijing instant in December 2026 (the 7th is a Monday)."""
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=BEIJING)


@pytest.mark.parametrize(("start", "minutes", "calendar", "expected"), [
    (bj(7, 9, 0), 3, CAL, bj(7, 9, 3)),  # at the instant of opening: counts at once
    (bj(7, 8, 59, 59), 3, CAL, bj(7, 9, 3)),  # before opening: counts from the opening
    (bj(7, 12, 0), 3, CAL, bj(7, 12, 3)),
    (bj(7, 22, 57), 3, CAL, bj(7, 23, 0)),  # the deadline falls exactly on the closing time
    (bj(7, 22, 59), 3, CAL, bj(8, 9, 2)),  # 1 minute before closing: 2 minutes after the next opening
    (bj(7, 23, 0), 3, CAL, bj(8, 9, 3)),  # at the instant of closing: already closed
    (bj(7, 23, 30), 3, CAL, bj(8, 9, 3)),  # at night
    (bj(11, 22, 59), 3, CAL, bj(12, 10, 2)),  # Friday night into Saturday's later opening
    (bj(12, 17, 59), 3, CAL, bj(14, 9, 2)),  # Saturday's early closing, Sunday closed
    (bj(13, 12, 0), 3, CAL, bj(14, 9, 3)),  # opened on a closed Sunday
    (bj(24, 11, 59), 3, CAL, bj(26, 10, 2)),  # a holiday's special hours, then a closed holiday
    (bj(25, 10, 0), 3, CAL, bj(26, 10, 3)),  # opened during a closed holiday
    (bj(7, 12, 0), 0, CAL, bj(7, 12, 0)),
    (bj(7, 23, 0), 0, CAL, bj(8, 9, 0)),  # no minutes at all still waits for the opening
    (bj(7, 9, 0), 14 * 60 + 3, CAL, bj(8, 9, 3)),  # a whole service day and 3 minutes more
    (dt.datetime(2026, 12, 7, 1, 0, tzinfo=UTC), 3, CAL, bj(7, 9, 3)),  # 01:00 UTC is 09:00 in Beijing
    (bj(7, 23, 59), 3, ALL_DAY, bj(8, 0, 2)),  # a 24-hour calendar runs through midnight
    (bj(25, 10, 0), 3, ALL_DAY, bj(25, 10, 3)),
    (bj(31, 23, 58), 3, ALL_DAY, dt.datetime(2027, 1, 1, 0, 1, tzinfo=BEIJING)),  # and the year's end
])
def test_deadline(start: dt.datetime, minutes: int, calendar: ServiceCalendar, expected: dt.datetime) -> None:
    due = deadline(start, minutes, calendar)
    assert due == expected and due.tzinfo == UTC


@pytest.mark.parametrize(("a", "b", "calendar", "minutes"), [
    (bj(7, 9, 0), bj(7, 9, 0), CAL, 0),
    (bj(7, 12, 0), bj(7, 12, 3), CAL, 3),
    (bj(7, 12, 0), bj(7, 12, 3, 1), CAL, 3 + 1 / 60),
    (bj(7, 22, 59), bj(8, 9, 2), CAL, 3),  # the night does not count
    (bj(7, 23, 0), bj(8, 9, 0), CAL, 0),  # closing to opening: nothing
    (bj(11, 22, 0), bj(14, 10, 0), CAL, 60 + 8 * 60 + 60),  # Friday's last hour, Saturday, Monday's first hour
    (bj(24, 8, 0), bj(26, 10, 30), CAL, 3 * 60 + 30),  # Christmas Eve 09–12, Christmas closed, Saturday from 10
    (bj(7, 22, 0), bj(8, 2, 0), ALL_DAY, 4 * 60),
])
def test_service_minutes_between(a: dt.datetime, b: dt.datetime, calendar: ServiceCalendar,
                                 minutes: float) -> None:
    assert service_minutes_between(a, b, calendar) == pytest.approx(minutes)


@pytest.mark.parametrize(("start", "replied_at", "now", "sla", "outcome", "used_seconds"), [
    (bj(7, 12, 0), bj(7, 12, 3), bj(8, 12, 0), SLA, ON_TIME, 180),  # exactly 3:00 of service time
    (bj(7, 12, 0), bj(7, 12, 3, 1), bj(8, 12, 0), SLA, BREACHED, 181),  # 3:00 and one second
    (bj(7, 12, 0), None, bj(7, 12, 3), SLA, RUNNING, 180),  # no reply yet, at the deadline itself
    (bj(7, 12, 0), None, bj(7, 12, 3, 1), SLA, BREACHED, 181),  # no reply, one second past it
    (bj(7, 22, 59), bj(8, 9, 2), bj(8, 12, 0), SLA, ON_TIME, 180),  # across the night
    (bj(7, 22, 59), bj(8, 9, 2, 1), bj(8, 12, 0), SLA, BREACHED, 181),
    (bj(7, 22, 59), None, bj(8, 8, 0), SLA, RUNNING, 60),  # the clock stopped overnight
    (bj(7, 22, 57), bj(7, 23, 30), bj(8, 12, 0), SLA, ON_TIME, 180),  # a reply while closed used no more time
    (bj(25, 10, 0), bj(26, 10, 3), bj(26, 12, 0), SLA, ON_TIME, 180),  # opened on a closed holiday
    (bj(25, 10, 0), bj(26, 10, 3, 1), bj(26, 12, 0), SLA, BREACHED, 181),
    (bj(13, 12, 0), None, bj(14, 9, 3), SLA, RUNNING, 180),  # opened on a closed Sunday
    (bj(7, 23, 59), bj(8, 0, 2), bj(8, 1, 0), Sla("r", "v", 3, ALL_DAY), ON_TIME, 180),
    (bj(7, 23, 59), bj(8, 0, 2, 1), bj(8, 1, 0), Sla("r", "v", 3, ALL_DAY), BREACHED, 181),
])
def test_breached(start: dt.datetime, replied_at: dt.datetime | None, now: dt.datetime, sla: Sla, outcome: str,
                  used_seconds: int) -> None:
    verdict = breached(start, replied_at, now, sla)
    assert (verdict.outcome, verdict.service_time_used) == (outcome, dt.timedelta(seconds=used_seconds))
    assert verdict.breached == (outcome == BREACHED)
    assert (verdict.rule_id, verdict.rulebook_version) == (sla.rule_id, sla.rulebook_version)
    assert verdict.deadline == deadline(start, sla.service_minutes, sla.calendar)
    assert verdict.facts["deadline"] == verdict.deadline.isoformat()
    assert verdict.facts["service_seconds_used"] == used_seconds


def test_the_verdict_explains_itself() -> None:
    verdict = breached(bj(7, 22, 59), None, bj(8, 9, 2, 1), SLA)
    assert verdict.facts == {"start": "2026-12-07T14:59:00+00:00", "replied_at": None,
                             "judged_at": "2026-12-08T01:02:01+00:00", "deadline": "2026-12-08T01:02:00+00:00",
                             "service_minutes": 3, "service_seconds_used": 181}


NAIVE = dt.datetime(2026, 12, 7, 12, 0)


@pytest.mark.parametrize("call", [
    lambda: deadline(NAIVE, 3, CAL),
    lambda: service_minutes_between(NAIVE, bj(7, 13, 0), CAL),
    lambda: service_minutes_between(bj(7, 11, 0), NAIVE, CAL),
    lambda: breached(NAIVE, None, bj(7, 13, 0), SLA),
    lambda: breached(bj(7, 11, 0), NAIVE, bj(7, 13, 0), SLA),
    lambda: breached(bj(7, 11, 0), None, NAIVE, SLA),
])
def test_naive_datetimes_are_refused(call: Any) -> None:
    with pytest.raises(ValueError, match="must be timezone-aware"):
        call()


@pytest.mark.parametrize("call", [
    lambda: breached(bj(7, 12, 0), bj(7, 11, 0), bj(7, 13, 0), SLA),
    lambda: breached(bj(7, 12, 0), None, bj(7, 11, 0), SLA),
    lambda: service_minutes_between(bj(7, 12, 0), bj(7, 11, 0), CAL),
    lambda: deadline(bj(7, 12, 0), -1, CAL),
    lambda: ServiceCalendar(week=((),) * 7),
])
def test_impossible_clocks_are_refused(call: Any) -> None:
    with pytest.raises(ValueError):
        call()


# --- the rulebook --------------------------------------------------------------------------------------------------

def test_the_packaged_care_rulebook_loads() -> None:
    book = load_care_rules()
    assert (book.kind, book.version) == ("care", "care-2026.12.1")
    sla = first_reply_sla(book)
    assert (sla.rule_id, sla.service_minutes) == ("care.first_reply", 3)
    # merchant hours 08:00–23:00: a consultation at 22:59 is due 2 minutes after the next opening
    assert deadline(bj(7, 22, 59), 3, sla.calendar) == bj(8, 8, 2)
    closed = dt.datetime(2027, 2, 6, 12, 0, tzinfo=BEIJING)  # an example holiday, closed
    assert deadline(closed, 3, sla.calendar) == dt.datetime(2027, 2, 7, 10, 3, tzinfo=BEIJING)
    assert book.escalation.to in book.calendars
    assert {resolution_sla(book, i).rule_id for i in INTENTS} == {f"care.resolution.{i}" for i in INTENTS}
    assert deadline(bj(7, 23, 59), 3, resolution_sla(book, "logistics").calendar) == bj(8, 0, 2)


RAW: dict[str, Any] = yaml.safe_load(DEFAULT_CARE_RULEBOOK.read_text(encoding="utf-8"))


def _problems(mutate: Any) -> list[str]:
    raw = copy.deepcopy(RAW)
    mutate(raw)
    with pytest.raises(CareRulebookError) as caught:
        parse_care_rules(raw)
    return caught.value.problems


def _many(raw: dict[str, Any]) -> None:
    merchant = raw["calendars"]["merchant_cs"]
    merchant["hours"]["monday"] = [{"open": "23:00", "close": "09:00"}]
    merchant["hours"]["tuesday"] = [{"open": "09:00", "close": "18:00"}, {"open": "12:00", "close": "20:00"}]
    merchant["hours"]["wednesday"] = [{"open": "24:00", "close": "24:00"}]
    merchant["holidays"].append({"date": dt.date(2027, 2, 6), "name": "again", "hours": []})
    merchant["holidays"][1]["hours"] = [{"open": "18:00", "close": "10:00"}]
    raw["first_reply"]["service_minutes"] = 0
    raw["escalation"]["to"] = "nobody"


def _all_closed(raw: dict[str, Any]) -> None:
    for day in raw["calendars"]["platform_cs"]["hours"]:
        raw["calendars"]["platform_cs"]["hours"][day] = []


def _repeated_id(raw: dict[str, Any]) -> None:
    raw["resolution"]["order"]["id"] = "care.first_reply"
    raw["resolution"]["account"]["calendar"] = "elsewhere"


def _unquoted_time(raw: dict[str, Any]) -> None:
    raw["calendars"]["platform_cs"]["hours"]["friday"] = [{"open": "00:00", "close": 1380}]
    raw["resolution"]["pre_sale"]["service_hours"] = "4"


def _missing_intent(raw: dict[str, Any]) -> None:
    del raw["resolution"]["merchant_policy"]
    raw["calendars"]["merchant_cs"]["holidays"][0]["date"] = "2027-02-06"


@pytest.mark.parametrize(("mutate", "expected"), [
    (_many, [
        "calendars.merchant_cs.hours.monday[0]: open (23:00) must be before close (09:00)",
        "calendars.merchant_cs.hours.tuesday[1]: overlaps 09:00–18:00",
        "calendars.merchant_cs.hours.wednesday[0].open: 24:00 is a closing time only",
        "calendars.merchant_cs.holidays[1].hours[0]: open (18:00) must be before close (10:00)",
        "calendars.merchant_cs.holidays[2].date: 2027-02-06 is listed twice",
        "first_reply.service_minutes: must be an integer 1–1440, got 0",
    ]),
    (_all_closed, ["calendars.platform_cs.hours: a calendar must be open some time in the week, or no deadline "
                   "is ever reached"]),
    (_repeated_id, ["resolution.account.calendar: unknown calendar 'elsewhere'; one of ['merchant_cs', "
                    "'platform_cs']", "<root>: rule ids must be distinct, repeated: care.first_reply"]),
    (_unquoted_time, ["calendars.platform_cs.hours.friday[0].close: must be a string, got 1380",
                      "resolution.pre_sale.service_hours: must be an integer, got '4'"]),
    (_missing_intent, ["calendars.merchant_cs.holidays[0].date: input should be a valid date",
                       "resolution.merchant_policy: required"]),
])
def test_rulebook_problems_are_listed_together_with_their_paths(mutate: Any, expected: list[str]) -> None:
    assert _problems(mutate) == expected
