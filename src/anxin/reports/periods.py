"""Report periods in Beijing time: a calendar month written ``YYYY-MM`` or an ISO week written ``YYYY-Www``; its
days, bounds and the period before. Pure.

``"2026-11"`` is 2026-11-01T00:00+08:00 up to, not including, 2026-12-01T00:00+08:00; ``"2026-W48"`` is Monday
2026-11-23 00:00+08:00 up to Monday 2026-11-30. Weeks let a month of data (the demo's) still compare one period
with the one before.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from anxin.core.clock import BEIJING
from anxin.core.errors import AnxinError
from anxin.reports.error_codes import ReportsErrorCode as E

# ASCII digits only: \d also takes ２０２６.
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")
FIRST_YEAR, LAST_YEAR = 2000, 2999
MONTH, WEEK = "month", "week"


@dataclass(frozen=True, order=True)
class Period:
    year: int
    number: int  # the month (1–12) or the ISO week (1–53)
    kind: str = MONTH

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.number:02d}" if self.kind == MONTH else f"{self.year:04d}-W{self.number:02d}"

    @property
    def first(self) -> dt.date:
        if self.kind == MONTH:
            return dt.date(self.year, self.number, 1)
        return dt.date.fromisocalendar(self.year, self.number, 1)

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.number)[1] if self.kind == MONTH else 7

    @property
    def start(self) -> dt.datetime:
        """The first instant, as an aware UTC datetime."""
        return dt.datetime.combine(self.first, dt.time(), tzinfo=BEIJING).astimezone(dt.UTC)

    @property
    def end(self) -> dt.datetime:
        """The first instant after the period (exclusive), as an aware UTC datetime."""
        last = self.first + dt.timedelta(days=self.days)
        return dt.datetime.combine(last, dt.time(), tzinfo=BEIJING).astimezone(dt.UTC)

    def previous(self) -> Period:
        if self.kind == WEEK:
            year, week, _ = (self.first - dt.timedelta(days=7)).isocalendar()
            return Period(year, week, WEEK)
        return Period(self.year - 1, 12) if self.number == 1 else Period(self.year, self.number - 1)

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)

    @classmethod
    def week_of(cls, day: dt.date) -> Period:
        year, week, _ = day.isocalendar()
        return cls(year, week, WEEK)


def parse_period(text: object, *, field: str = "period") -> Period:
    """``2026-11`` or ``2026-W48``; anything else (``2026-13``, ``2026-1``, ``Nov``, ``2026-W54``) is
    ``reports.invalid_period`` (``reports.invalid_compare`` for the comparison)."""
    raw = text.strip() if isinstance(text, str) else ""
    month, week = _MONTH.fullmatch(raw), _WEEK.fullmatch(raw)
    found: Period | None = None
    if month and 1 <= int(month[2]) <= 12:
        found = Period(int(month[1]), int(month[2]))
    elif week and 1 <= int(week[2]) <= dt.date(int(week[1]), 12, 28).isocalendar()[1]:
        found = Period(int(week[1]), int(week[2]), WEEK)
    if found is None or not FIRST_YEAR <= found.year <= LAST_YEAR:
        code = E.INVALID_PERIOD if field == "period" else E.INVALID_COMPARE
        raise AnxinError(code, f"{field} must be a month written YYYY-MM (e.g. 2026-11) or an ISO week written "
                         f"YYYY-Www (e.g. 2026-W48), got {raw[:40]!r}", field=field)
    return found


def periods(period: str | None, compare: str | None) -> tuple[Period, Period]:
    """The period and the one it is compared with: the period before unless ``compare`` names another."""
    p = parse_period(period)
    c = parse_period(compare, field="compare") if compare and compare.strip() else p.previous()
    if c == p:
        raise AnxinError(E.INVALID_COMPARE, f"compare must be another period than {p}", field="compare")
    return p, c


def last_complete(today: dt.date) -> Period:
    """The latest month that has ended by ``today`` (the default report)."""
    return Period.of(today).previous()
