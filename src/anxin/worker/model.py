"""The worker's schedule entries and the lease policy. Pure: no database, no clock.

A leased job is run by one worker at a time: a worker claims its lease (free or expired, and due), renews it while
the job runs, and releases it with the time the job is next due. Every claim bumps the lease's fence, and a renewal
or a release must name the holder and the fence it claimed with: a worker whose lease expired and was taken over
cannot extend it or record over the new holder. Jobs that are not leased (outbox delivery, and the domain events
once the bus lands) run in every worker: their rows carry per-row leases of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

MAX_HOLDER: Final = 200
MAX_SUMMARY: Final = 1000
DELIVERY_LANE: Final = "deliver"
JOBS_LANE: Final = "jobs"
NIGHTLY_LANE: Final = "nightly"
# Counts of work left for later, not done: a worker without a webhook receiver defers the same messages every round,
# and that is not worth a log line every round.
IDLE_KEYS: Final = frozenset({"deferred", "still_due"})


@dataclass(frozen=True)
class Job:
    """One entry of the schedule: what to call, how often, whether one worker at a time runs it.

    ``every`` is the period in seconds (None: the worker's ``--every``). ``lane`` names the thread it runs in within
    a worker: jobs of one lane run one after the other, so a long nightly run cannot delay a refund webhook.
    ``skip_waiting`` False keeps a job running while a failure of it backs off (delivery is never put off)."""

    name: str
    run: Callable[[], Any]
    every: float | None = None
    leased: bool = True
    lane: str = JOBS_LANE
    skip_waiting: bool = True

    def __post_init__(self) -> None:
        if not self.name or len(self.name) > 64:
            raise ValueError("a job needs a name of 1 to 64 characters")
        if self.every is not None and self.every <= 0:
            raise ValueError(f"job {self.name}: every must be positive")

    def period(self, default: float) -> dt.timedelta:
        return dt.timedelta(seconds=self.every if self.every is not None else default)


@dataclass(frozen=True)
class Lease:
    """A job's lease row as read: who holds it until when, its fence, when the job is next due."""

    job: str
    holder: str | None = None
    fence: int = 0
    lease_until: dt.datetime | None = None
    next_due_at: dt.datetime | None = None

    def held(self, now: dt.datetime) -> bool:
        """Someone holds it and the lease has not run out. At ``lease_until`` itself it has."""
        return self.holder is not None and self.lease_until is not None and now < self.lease_until

    def due(self, now: dt.datetime) -> bool:
        return self.next_due_at is None or self.next_due_at <= now


def claimable(lease: Lease, now: dt.datetime) -> bool:
    """A worker may claim the job: nobody holds a live lease on it and it is due."""
    return not lease.held(now) and lease.due(now)


def claimed(lease: Lease, holder: str, now: dt.datetime, ttl: dt.timedelta) -> Lease:
    """The lease after ``holder`` claimed it: a new fence, held for ``ttl``."""
    return Lease(lease.job, holder, lease.fence + 1, now + ttl, lease.next_due_at)


def still_holds(lease: Lease, holder: str, fence: int) -> bool:
    """May ``holder`` (with the fence it claimed) renew or release the lease? Also after its expiry, as long as no
    one else claimed it meanwhile; never once another claim bumped the fence."""
    return lease.holder == holder and lease.fence == fence


def next_due(started: dt.datetime, finished: dt.datetime, period: dt.timedelta) -> dt.datetime:
    """A job is due one period after its run started, and at once if the run took longer than that."""
    return max(started + period, finished)


def busy(summary: Any) -> bool:
    """Did a run do something (a non-zero count or a non-empty list somewhere in what it returned)? The worker logs
    those runs; idle ones stay quiet."""
    if isinstance(summary, bool):
        return summary
    if isinstance(summary, int | float):
        return summary != 0
    if isinstance(summary, dict):
        return any(busy(v) for k, v in summary.items() if k not in IDLE_KEYS)
    if isinstance(summary, list | tuple):
        return len(summary) > 0
    return False
