"""A failing item of a periodic job and when it is tried again. Pure: no database, no clock.

An item is whatever one job handles on its own (an order the fulfilment pass judges, a sale the settlement job
books, a case whose deadline fires); ``WHOLE_JOB`` stands for the job itself when the tick runs it isolated.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final

WHOLE_JOB: Final = "*"
MAX_JOB: Final = 64
MAX_ITEM: Final = 200
MAX_ERROR: Final = 2000
_LAST = dt.datetime.max.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff: after the n-th failure in a row the item waits base × factor^(n-1), capped. No item is
    ever given up on: a poisoned one is retried at the cap until it succeeds or an operator fixes its data."""

    base_seconds: int = 60
    factor: int = 2
    max_delay_seconds: int = 3600

    def __post_init__(self) -> None:
        if self.base_seconds <= 0 or self.factor < 1:
            raise ValueError("backoff needs base_seconds > 0 and factor >= 1")
        if self.max_delay_seconds < self.base_seconds:
            raise ValueError("max_delay_seconds must be at least base_seconds")

    def delay(self, failures: int) -> dt.timedelta:
        """The wait after ``failures`` failures in a row (1: the first)."""
        if failures < 1:
            raise ValueError("failures counts from 1")
        delay = self.base_seconds
        for _ in range(failures - 1 if self.factor > 1 else 0):  # step by step: a huge count builds no huge int
            delay *= self.factor
            if delay >= self.max_delay_seconds:
                break
        return dt.timedelta(seconds=min(delay, self.max_delay_seconds))

    def retry_at(self, failed_at: dt.datetime, failures: int) -> dt.datetime:
        try:
            return failed_at + self.delay(failures)
        except OverflowError:  # a clock near year 9999 (tick --at): the last instant
            return _LAST


# Per item: a poisoned order waits 1 min, 2, 4 … then hourly. Whole jobs in the tick: a broken job is tried again
# within seconds, then at most every 5 minutes, so a transient error delays deadlines little and a persistent one
# does not fill the log every tick.
ITEM_BACKOFF: Final = Backoff()
JOB_BACKOFF: Final = Backoff(base_seconds=10, factor=2, max_delay_seconds=300)


@dataclass(frozen=True)
class JobFailure:
    job: str
    item: str
    error: str
    attempts: int  # failures in a row
    first_failed_at: dt.datetime
    last_failed_at: dt.datetime
    next_retry_at: dt.datetime

    def waiting(self, now: dt.datetime) -> bool:
        """Still backing off: the job skips the item until next_retry_at."""
        return now < self.next_retry_at

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "item": self.item, "error": self.error, "attempts": self.attempts,
                "first_failed_at": self.first_failed_at.isoformat(), "last_failed_at": self.last_failed_at.isoformat(),
                "next_retry_at": self.next_retry_at.isoformat()}


def failed_again(previous: JobFailure | None, *, job: str, item: str, error: str, at: dt.datetime,
                 backoff: Backoff) -> JobFailure:
    """The record after one more failure of ``item``: attempts + 1, the latest error, the next wait."""
    attempts = (previous.attempts if previous else 0) + 1
    return JobFailure(job=_text(job, MAX_JOB), item=_text(item, MAX_ITEM), error=_text(error, MAX_ERROR),
                      attempts=attempts,
                      first_failed_at=previous.first_failed_at if previous else at, last_failed_at=at,
                      next_retry_at=backoff.retry_at(at, attempts))


def _text(value: str, limit: int) -> str:
    """Fits its column; a NUL (which PostgreSQL text cannot hold) from some bad data is shown escaped."""
    return value.replace("\x00", "\\x00")[:limit]


def describe(exc: BaseException) -> str:
    """The error as operators read it: its type and message (the traceback goes to the log)."""
    text = str(exc)
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:MAX_ERROR]
