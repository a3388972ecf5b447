"""The SLA clock: business-time arithmetic over a service calendar, from injected instants only (no now()).

Service time runs only inside a calendar's opening intervals (Beijing time, Asia/Shanghai: UTC+8 without daylight
saving since 1991); nights, closed days and holidays stop the clock. A consultation opened outside hours starts
counting at the next opening. An interval is half-open, [open, close): an instant at the closing time is outside,
an instant at the opening time is inside.

Judging an SLA by service time used, not by wall time: a reply at exactly N minutes of service time is on time,
one second more is breached. A reply sent while closed, after a deadline that fell exactly on the closing time, has
used no more than N minutes and is on time (the clock was stopped). Imports only ``core`` and the rules model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from anxin.care.sla_rules import CalendarSpec, CareRulebookSpec, Interval, minute_of_day
from anxin.core.clock import BEIJING, UTC

Span = tuple[int, int]  # minutes of the Beijing day: [open, close), close ≤ 1440

ON_TIME: Final = "on_time"
BREACHED: Final = "breached"
RUNNING: Final = "running"
_MAX_DAYS: Final = 3 * 366  # a calendar open some time every week reaches any deadline well within this


def _spans(intervals: list[Interval]) -> tuple[Span, ...]:
    return tuple(sorted((minute_of_day(i.open), minute_of_day(i.close)) for i in intervals))


@dataclass(frozen=True)
class ServiceCalendar:
    """Opening spans per weekday (0 = Monday) and per holiday date, which replace that day's hours."""

    week: tuple[tuple[Span, ...], ...]
    holidays: Mapping[dt.date, tuple[Span, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.week) != 7:
            raise ValueError(f"a week has 7 days, got {len(self.week)}")
        if not any(self.week):
            raise ValueError("a calendar must be open some time in the week")

    @classmethod
    def of(cls, spec: CalendarSpec) -> ServiceCalendar:
        return cls(week=tuple(_spans(spec.hours.of(d)) for d in range(7)),
                   holidays={h.date: _spans(h.hours) for h in spec.holidays})

    def spans_on(self, day: dt.date) -> tuple[Span, ...]:
        return self.holidays[day] if day in self.holidays else self.week[day.weekday()]


def _aware(name: str, at: dt.datetime) -> dt.datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {at.isoformat()}")
    return at


def _open_intervals(calendar: ServiceCalendar, start: dt.datetime) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """The calendar's opening intervals as Beijing instants, from the day of ``start`` on."""
    day = start.astimezone(BEIJING).date()
    for _ in range(_MAX_DAYS):
        midnight = dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING)
        for a, b in calendar.spans_on(day):
            yield midnight + dt.timedelta(minutes=a), midnight + dt.timedelta(minutes=b)
        day += dt.timedelta(days=1)


def deadline(start: dt.datetime, service_minutes: int, calendar: ServiceCalendar) -> dt.datetime:
    """The first instant (UTC) at which ``service_minutes`` of service time have elapsed since ``start``."""
    start = _aware("start", start)
    if service_minutes < 0:
        raise ValueError(f"service_minutes must not be negative, got {service_minutes}")
    remaining = dt.timedelta(minutes=service_minutes)
    for opens, closes in _open_intervals(calendar, start):
        counted_from = max(opens, start)
        if counted_from >= closes:
            continue
        if remaining <= closes - counted_from:
            return (counted_from + remaining).astimezone(UTC)
        remaining -= closes - counted_from
    raise ValueError(f"no deadline within {_MAX_DAYS} days: the calendar is closed too long")


def service_time_between(a: dt.datetime, b: dt.datetime, calendar: ServiceCalendar) -> dt.timedelta:
    """Service time inside [a, b]; ``b`` must not be before ``a``."""
    a, b = _aware("a", a), _aware("b", b)
    if b < a:
        raise ValueError(f"the end ({b.isoformat()}) is before the start ({a.isoformat()})")
    total = dt.timedelta(0)
    for opens, closes in _open_intervals(calendar, a):
        if opens >= b:
            break
        total += max(dt.timedelta(0), min(closes, b) - max(opens, a))
    return total


def service_minutes_between(a: dt.datetime, b: dt.datetime, calendar: ServiceCalendar) -> float:
    return service_time_between(a, b, calendar).total_seconds() / 60


@dataclass(frozen=True)
class Sla:
    """One SLA as the rulebook states it: N minutes of service time on a calendar."""

    rule_id: str
    rulebook_version: str
    service_minutes: int
    calendar: ServiceCalendar


def first_reply_sla(book: CareRulebookSpec) -> Sla:
    rule = book.first_reply
    return Sla(rule.id, book.version, rule.service_minutes, ServiceCalendar.of(book.calendars[rule.calendar]))


def resolution_sla(book: CareRulebookSpec, intent: str) -> Sla:
    target = book.resolution.of(intent)
    return Sla(target.id, book.version, target.service_hours * 60,
               ServiceCalendar.of(book.calendars[target.calendar]))


@dataclass(frozen=True)
class SlaVerdict:
    outcome: str  # on_time | breached | running
    rule_id: str
    rulebook_version: str
    deadline: dt.datetime
    service_time_used: dt.timedelta  # up to the reply, or up to now while none came
    facts: dict[str, Any]

    @property
    def breached(self) -> bool:
        return self.outcome == BREACHED


def breached(start: dt.datetime, replied_at: dt.datetime | None, now: dt.datetime, sla: Sla) -> SlaVerdict:
    """Judge one clock: replied within the SLA (on_time), not (breached), or no reply yet and time left (running).
    Without a reply the clock is judged at ``now``; with one, ``now`` does not matter."""
    start, now = _aware("start", start), _aware("now", now)
    end = now if replied_at is None else _aware("replied_at", replied_at)
    if end < start:
        what = "now" if replied_at is None else "replied_at"
        raise ValueError(f"{what} ({end.isoformat()}) is before the start ({start.isoformat()})")
    due = deadline(start, sla.service_minutes, sla.calendar)
    used = service_time_between(start, end, sla.calendar)
    over = used > dt.timedelta(minutes=sla.service_minutes)
    outcome = BREACHED if over else (ON_TIME if replied_at is not None else RUNNING)
    facts = {"start": start.astimezone(UTC).isoformat(),
             "replied_at": replied_at.astimezone(UTC).isoformat() if replied_at is not None else None,
             "judged_at": end.astimezone(UTC).isoformat(), "deadline": due.isoformat(),
             "service_minutes": sla.service_minutes, "service_seconds_used": int(used.total_seconds())}
    return SlaVerdict(outcome, sla.rule_id, sla.rulebook_version, due, used, facts)
