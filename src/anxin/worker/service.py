"""Lease use cases for the worker, and the job status operators read.

Each call is one short unit of work of its own, never opened inside a job's: a worker claims, renews and releases
between (or beside, in its heartbeat thread) the transactions of the job itself.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from anxin.core.clock import Clock
from anxin.db.uow import UowFactory
from anxin.worker.model import Lease
from anxin.worker.store import LeaseRepository, WorkerLeaseRow


@dataclass(frozen=True)
class Held:
    """A lease this worker holds: the job and the fence it claimed with."""

    job: str
    fence: int
    started: dt.datetime


class Leases:
    """Claims, renews and releases job leases for one worker (``holder``) on the wall clock ``clock``."""

    def __init__(self, *, uow_factory: UowFactory, clock: Clock, holder: str, ttl: dt.timedelta) -> None:
        if ttl <= dt.timedelta(0):
            raise ValueError("a lease needs a positive lifetime")
        self.uow_factory, self.clock, self.holder, self.ttl = uow_factory, clock, holder, ttl

    def ensure(self, jobs: Iterable[tuple[str, bool]]) -> None:
        with self.uow_factory() as uow:
            LeaseRepository(uow.session).ensure(jobs)
            uow.commit()

    def claim(self, job: str) -> Held | None:
        now = self.clock.now()
        with self.uow_factory() as uow:
            fence = LeaseRepository(uow.session).claim(job, self.holder, now, now + self.ttl)
            uow.commit()
        return Held(job, fence, now) if fence is not None else None

    def renew(self, held: Held) -> bool:
        """Extend the lease by its lifetime; False if another worker claimed it since (this one was fenced)."""
        now = self.clock.now()
        with self.uow_factory() as uow:
            kept = LeaseRepository(uow.session).renew(held.job, self.holder, held.fence, now, now + self.ttl)
            uow.commit()
        return kept

    def release(self, held: Held, *, next_due_at: dt.datetime, outcome: str, summary: Any) -> bool:
        """Free the lease and record the run; False (nothing written) if this worker was fenced off meanwhile."""
        with self.uow_factory() as uow:
            done = LeaseRepository(uow.session).release(
                held.job, self.holder, held.fence, finished=self.clock.now(), next_due_at=next_due_at,
                outcome=outcome, summary=_text(summary))
            uow.commit()
        return done

    def record_run(self, job: str, *, started: dt.datetime, outcome: str, summary: Any) -> None:
        with self.uow_factory() as uow:
            LeaseRepository(uow.session).record_run(job, self.holder, started=started, finished=self.clock.now(),
                                                    outcome=outcome, summary=_text(summary))
            uow.commit()

    def read(self, job: str) -> Lease | None:
        with self.uow_factory() as uow:
            row = LeaseRepository(uow.session).get(job)
            return row.to_lease() if row is not None else None


def _text(summary: Any) -> str:
    return json.dumps(summary, ensure_ascii=False, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class JobStatus:
    """One periodic job as operators see it: its lease, its last run, when it is next due, its failing items."""

    job: str
    leased: bool
    holder: str | None
    lease_until: dt.datetime | None
    heartbeat_at: dt.datetime | None
    last_started_at: dt.datetime | None
    last_finished_at: dt.datetime | None
    last_holder: str | None
    last_outcome: str | None
    last_summary: Any
    next_due_at: dt.datetime | None
    failures: int
    state: str  # running | expired (its holder is gone?) | idle | never_run | shared (not leased: every worker)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in vars(self).items():
            out[key] = value.isoformat() if isinstance(value, dt.datetime) else value
        return out


def job_status(uow_factory: UowFactory, *, now: dt.datetime, failures: dict[str, int]) -> list[JobStatus]:
    """Every job a worker has registered, with its lease and last run, and ``failures`` (job → failing items)."""
    with uow_factory() as uow:
        return [_status(r, now, failures.get(r.job, 0)) for r in LeaseRepository(uow.session).listing()]


def _status(row: WorkerLeaseRow, now: dt.datetime, failures: int) -> JobStatus:
    if not row.leased:
        state = "shared"
    elif row.holder is not None:
        state = "running" if row.to_lease().held(now) else "expired"
    else:
        state = "idle" if row.last_started_at is not None else "never_run"
    try:
        summary = json.loads(row.last_summary) if row.last_summary else None
    except ValueError:  # cut at the column's length: shown as text
        summary = row.last_summary
    return JobStatus(job=row.job, leased=row.leased, holder=row.holder, lease_until=row.lease_until,
                     heartbeat_at=row.heartbeat_at, last_started_at=row.last_started_at,
                     last_finished_at=row.last_finished_at, last_holder=row.last_holder,
                     last_outcome=row.last_outcome, last_summary=summary, next_due_at=row.next_due_at,
                     failures=failures, state=state)
