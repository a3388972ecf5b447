"""The care rulebook (``rulebooks/care.yaml``, ``kind: care``) as a strict model: service calendars (hours per
weekday and holidays, Beijing time), the merchant first-reply SLA, the platform escalation when it is missed and
the resolution-time targets per consultation topic, and the ticket periods (auto-close after resolution, reopen and
rating windows). Validated completely on load: every problem at once, with its
path (``calendars.merchant_cs.hours.monday[1]: overlaps 09:00–23:00``). Imports only ``core``.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from anxin.core.rulebook_models import Between, Instant, NonEmpty, RulebookKind, RulebookModel, RulebookProblems, refuse

DEFAULT_CARE_RULEBOOK = Path(__file__).resolve().parents[1] / "rulebooks" / "care.yaml"

RuleId = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z][a-z0-9_.]*$")]
CalendarName = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
# "HH:MM" in Beijing time; "24:00" is the end of the day (a closing time only). Quoted in YAML: unquoted 23:00 is
# read as the base-60 integer 1380.
ClockTime = Annotated[str, Field(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
INTENTS: tuple[str, ...] = ("pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy")


def minute_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class Interval(RulebookModel):
    open: ClockTime
    close: ClockTime


def _interval_problems(where: str, intervals: Sequence[Interval]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for i, iv in enumerate(intervals):
        if iv.open == "24:00":
            found.append((f"{where}[{i}].open", "24:00 is a closing time only"))
        elif minute_of_day(iv.open) >= minute_of_day(iv.close):
            found.append((f"{where}[{i}]", f"open ({iv.open}) must be before close ({iv.close})"))
    spans = sorted((minute_of_day(iv.open), minute_of_day(iv.close), i) for i, iv in enumerate(intervals))
    for (_, a_close, a), (b_open, _, b) in itertools.pairwise(spans):
        if b_open < a_close:  # touching (12:00–12:00) is not an overlap
            first = intervals[a]
            found.append((f"{where}[{b}]", f"overlaps {first.open}–{first.close}"))
    return found


class WeekHours(RulebookModel):
    """Opening intervals per weekday; an empty list is a closed day."""

    monday: list[Interval]
    tuesday: list[Interval]
    wednesday: list[Interval]
    thursday: list[Interval]
    friday: list[Interval]
    saturday: list[Interval]
    sunday: list[Interval]

    def of(self, weekday: int) -> list[Interval]:
        """``weekday`` as ``date.weekday()`` counts: 0 is Monday."""
        day: list[Interval] = getattr(self, WEEKDAYS[weekday])
        return day

    @model_validator(mode="after")
    def _valid(self) -> WeekHours:
        found = [p for name in WEEKDAYS for p in _interval_problems(f".{name}", getattr(self, name))]
        if not found and not any(getattr(self, name) for name in WEEKDAYS):
            found.append(("", "a calendar must be open some time in the week, or no deadline is ever reached"))
        refuse(found, self)
        return self


class Holiday(RulebookModel):
    date: dt.date  # unquoted in YAML (2027-02-06): YAML reads it as a date
    name: NonEmpty
    hours: list[Interval]  # empty: closed all day; otherwise the special hours of that day


class CalendarSpec(RulebookModel):
    hours: WeekHours
    holidays: list[Holiday] = Field(default_factory=list)

    @field_validator("holidays")
    @classmethod
    def _valid_holidays(cls, holidays: list[Holiday]) -> list[Holiday]:
        # a field validator, so its problems are reported even when the weekly hours have some too
        found: list[tuple[str, str]] = []
        seen: set[dt.date] = set()
        for i, h in enumerate(holidays):
            if h.date in seen:
                found.append((f"[{i}].date", f"{h.date.isoformat()} is listed twice"))
            seen.add(h.date)
            found += _interval_problems(f"[{i}].hours", h.hours)
        refuse(found, holidays)
        return holidays


class FirstReplyRule(RulebookModel):
    id: RuleId
    calendar: CalendarName
    service_minutes: Annotated[int, Between(1, 24 * 60)]


class EscalationRule(RulebookModel):
    """When the merchant misses the first-reply SLA the consultation goes to this calendar's team."""

    id: RuleId
    to: CalendarName


class ResolutionTarget(RulebookModel):
    id: RuleId
    calendar: CalendarName
    service_hours: Annotated[int, Between(1, 24 * 30)]


class ResolutionTargets(RulebookModel):
    pre_sale: ResolutionTarget
    order: ResolutionTarget
    logistics: ResolutionTarget
    after_sale: ResolutionTarget
    account: ResolutionTarget
    merchant_policy: ResolutionTarget

    def of(self, intent: str) -> ResolutionTarget:
        if intent not in INTENTS:
            raise ValueError(f"intent must be one of {INTENTS}, got {intent!r}")
        target: ResolutionTarget = getattr(self, intent)
        return target


class HoursRule(RulebookModel):
    id: RuleId
    hours: Annotated[int, Between(1, 24 * 90)]  # wall-clock hours


class DaysRule(RulebookModel):
    id: RuleId
    days: Annotated[int, Between(1, 365)]  # wall-clock days


class TicketRules(RulebookModel):
    """The ticket state machine's periods, in wall-clock time: a resolved ticket closes by itself after
    ``close_after``; the customer may reopen it within ``reopen_window`` of its resolution and rate it within
    ``rating_window`` of its resolution."""

    close_after: HoursRule
    reopen_window: DaysRule
    rating_window: DaysRule


class CareRulebookSpec(RulebookModel):
    kind: Literal["care"]
    version: NonEmpty
    effective_from: Instant
    calendars: dict[CalendarName, CalendarSpec] = Field(min_length=1)
    first_reply: FirstReplyRule
    escalation: EscalationRule
    resolution: ResolutionTargets
    tickets: TicketRules

    @model_validator(mode="after")
    def _cross_checks(self) -> CareRulebookSpec:
        found: list[tuple[str, str]] = []
        known = sorted(self.calendars)
        refs = [(".first_reply.calendar", self.first_reply.calendar), (".escalation.to", self.escalation.to)]
        refs += [(f".resolution.{i}.calendar", self.resolution.of(i).calendar) for i in INTENTS]
        for at, name in refs:
            if name not in self.calendars:
                found.append((at, f"unknown calendar {name!r}; one of {known}"))
        ids = [self.first_reply.id, self.escalation.id, *(self.resolution.of(i).id for i in INTENTS),
               self.tickets.close_after.id, self.tickets.reopen_window.id, self.tickets.rating_window.id]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            found.append(("", f"rule ids must be distinct, repeated: {', '.join(repeated)}"))
        refuse(found, self)
        return self


class CareRulebookError(RulebookProblems):
    title = "invalid care rulebook"


CARE_KIND = RulebookKind(CareRulebookSpec, CareRulebookError, DEFAULT_CARE_RULEBOOK)
parse_care_rules = CARE_KIND.parse
load_care_rules = CARE_KIND.load  # the packaged file by default
