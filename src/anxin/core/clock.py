"""Time is injected: services and rules take a Clock, never call now() themselves."""

from __future__ import annotations

import datetime as dt
from typing import Protocol

UTC = dt.UTC
# Calendar days, months and windows of the Douyin programmes are Beijing's (Asia/Shanghai: UTC+8, no daylight saving
# since 1991).
BEIJING = dt.timezone(dt.timedelta(hours=8))


def beijing_day(at: dt.datetime) -> dt.date:
    return at.astimezone(BEIJING).date()


def beijing_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant at which the Beijing calendar day ``day`` starts."""
    return dt.datetime(day.year, day.month, day.day, tzinfo=BEIJING).astimezone(UTC)


class Clock(Protocol):
    def now(self) -> dt.datetime: ...


class SystemClock:
    """The one place in anxin that reads the wall clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(UTC)


class FixedClock:
    """A clock that moves only when told to: tests, the simulator and `anxin tick --at`."""

    def __init__(self, at: dt.datetime) -> None:
        self._at = ensure_aware(at)

    def now(self) -> dt.datetime:
        return self._at

    def set(self, at: dt.datetime) -> None:
        self._at = ensure_aware(at)

    def advance(self, **delta: float) -> dt.datetime:
        self._at = self._at + dt.timedelta(**delta)
        return self._at


def ensure_aware(value: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC; everything is normalised to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def parse_instant(text: str) -> dt.datetime:
    """ISO 8601 with an offset (or Z). A missing offset is an error: ambiguous times make wrong deadlines."""
    value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"timestamp {text!r} has no UTC offset")
    try:
        return value.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59-01:00 is past the last representable instant
        raise ValueError(f"timestamp {text!r} is out of range") from None


def hours_between(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 3600.0
