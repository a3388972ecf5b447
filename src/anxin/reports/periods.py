"""Report periods: a calendar month written ``YYYY-MM`` (Beijing time), its days, the month before. Pure."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from anxin.core.errors import AnxinError
from anxin.reports.error_codes import ReportsErrorCode as E

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")  # ASCII digits only: \d also takes ２０２６
FIRST_YEAR, LAST_YEAR = 2000, 2999


@dataclass(frozen=True, order=True)
class Period:
    year: int
    month: int

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def days(self) -> int:
        return calendar.monthrange(self.year, self.month)[1]

    @property
    def first(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    def previous(self) -> Period:
        return Period(self.year - 1, 12) if self.month == 1 else Period(self.year, self.month - 1)

    @classmethod
    def of(cls, day: dt.date) -> Period:
        return cls(day.year, day.month)


def parse_period(text: str | None, *, field: str = "period") -> Period:
    """``2026-11`` → Period(2026, 11); anything else (``2026-13``, ``2026-1``, ``Nov``) is reports.invalid_period."""
    raw = (text or "").strip()
    match = _MONTH.fullmatch(raw)
    if match is None or not 1 <= int(match[2]) <= 12 or not FIRST_YEAR <= int(match[1]) <= LAST_YEAR:
        raise AnxinError(E.INVALID_PERIOD, f"{field} must be a month written YYYY-MM (e.g. 2026-11), got {raw[:40]!r}",
                         field=field)
    return Period(int(match[1]), int(match[2]))


def periods(period: str | None, compare: str | None) -> tuple[Period, Period]:
    """The period and the one it is compared with: the month before unless ``compare`` names another month."""
    p = parse_period(period)
    c = parse_period(compare, field="compare") if compare and compare.strip() else p.previous()
    if c == p:
        raise AnxinError(E.INVALID_PERIOD, f"compare must be another month than the period {p}", field="compare")
    return p, c


def last_complete(today: dt.date) -> Period:
    """The latest month that has ended by ``today`` (the default report)."""
    return Period.of(today).previous()
