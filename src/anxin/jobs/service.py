"""Isolating periodic jobs: an item (or a whole job in the tick) that raises is recorded with its error, backed off
and retried on later runs, cleared when it succeeds; the other items and jobs go on.

A job reads its recorded failures once per run (``JobFailures.start``), skips the items still backing off, wraps
each item it handles alone in ``JobRun.item`` and clears the items it handled in bulk with ``JobRun.clear`` in its
own transaction. Failures are written in a unit of work of their own, opened after the item's has closed (never one
inside another), and recording never raises: a job is not stopped by the bookkeeping of its failures either.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from anxin.core.clock import Clock
from anxin.db.uow import UnitOfWork, UowFactory
from anxin.jobs.model import ITEM_BACKOFF, JOB_BACKOFF, WHOLE_JOB, Backoff, JobFailure, describe, failed_again
from anxin.jobs.store import JobFailureRepository

log = logging.getLogger("anxin.jobs")
T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A whole job's run in the tick: its value, or the failure it raised, or skipped while backing off."""

    value: T | None = None
    failure: JobFailure | None = None
    skipped: bool = False


class JobRun:
    """One run of one job: the failures known when it started, and what this run recorded."""

    def __init__(self, failures: JobFailures, job: str, now: dt.datetime, known: dict[str, JobFailure],
                 backoff: Backoff) -> None:
        self._failures, self.job, self.now, self.known, self._backoff = failures, job, now, known, backoff
        self.failed: list[JobFailure] = []

    def waiting(self, item: str) -> bool:
        failure = self.known.get(item)
        return failure is not None and _waiting(failure, self.now)

    def waiting_items(self) -> set[str]:
        return {item for item, failure in self.known.items() if _waiting(failure, self.now)}

    def due_retries(self) -> list[str]:
        """Known failing items whose wait is over: for jobs that set a failing item aside from their own work
        list (settlement flags the order) and must pick it up again here."""
        return sorted(item for item, failure in self.known.items() if not _waiting(failure, self.now))

    @contextmanager
    def item(self, item: str) -> Iterator[None]:
        """Run the body for one item: an exception is recorded and swallowed, a success clears a known failure.
        Put the item's unit of work inside the block, so it is closed (rolled back) before the failure is written."""
        try:
            yield
        except Exception as exc:
            self.fail(item, exc)
        else:
            self.succeeded([item])

    def fail(self, item: str, exc: Exception) -> JobFailure | None:
        failure = self._failures.record(self.job, item, exc, previous=self.known.get(item), backoff=self._backoff)
        if failure is not None:
            self.known[item] = failure
            self.failed.append(failure)
        return failure

    def succeeded(self, items: Iterable[str]) -> None:
        """Clear the records of items that failed before, in a transaction of their own."""
        cleared = [i for i in items if i in self.known]
        if cleared:
            self._failures.clear(self.job, cleared)
            for item in cleared:
                del self.known[item]

    def clear(self, uow: UnitOfWork, items: Iterable[str]) -> None:
        """Clear the records of items that failed before, in the caller's transaction (with the items' success)."""
        cleared = [i for i in items if i in self.known]
        if cleared:
            JobFailureRepository(uow.session).delete(self.job, cleared)
            for item in cleared:
                del self.known[item]


def _waiting(failure: JobFailure, now: dt.datetime) -> bool:
    # A clock set back (after `anxin tick --at <future>`) does not leave an item waiting for years.
    return failure.last_failed_at <= now and failure.waiting(now)


class JobFailures:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, backoff: Backoff = ITEM_BACKOFF,
                 job_backoff: Backoff = JOB_BACKOFF) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.backoff = backoff  # for items
        self.job_backoff = job_backoff  # for whole jobs in the tick

    def start(self, job: str, now: dt.datetime | None = None) -> JobRun:
        """Begin a run of ``job`` as of ``now`` (default: the clock), reading its recorded failures once."""
        with self.uow_factory() as uow:
            known = {r.item: r.to_model() for r in JobFailureRepository(uow.session).of_job(job)
                     if r.item != WHOLE_JOB}
        return JobRun(self, job, now or self.clock.now(), known, self.backoff)

    def run_job(self, job: str, fn: Callable[[], T], *, skip_waiting: bool = True) -> Outcome[T]:
        """Run a whole job isolated (the tick): skipped while a failure of it backs off (unless ``skip_waiting``
        is False: outbox delivery is never put off); an exception is recorded and returned as the outcome; a
        success clears the job's record."""
        now = self.clock.now()
        try:
            with self.uow_factory() as uow:
                row = JobFailureRepository(uow.session).get(job, WHOLE_JOB)
                previous = row.to_model() if row is not None else None
        except Exception:  # the database is away: the job itself will say so, and be recorded if it can be
            previous = None
        if skip_waiting and previous is not None and _waiting(previous, now):
            return Outcome(failure=previous, skipped=True)
        try:
            value = fn()
        except Exception as exc:
            log.exception("job %s failed", job)
            return Outcome(failure=self.record(job, WHOLE_JOB, exc, previous=previous, backoff=self.job_backoff,
                                               logged=True))
        if previous is not None:
            self.clear(job, [WHOLE_JOB])
        return Outcome(value=value)

    def record(self, job: str, item: str, exc: Exception, *, previous: JobFailure | None, backoff: Backoff,
               logged: bool = False) -> JobFailure | None:
        """Write one more failure of ``item``; None if even that failed (logged, never raised)."""
        failure = failed_again(previous, job=job, item=item, error=describe(exc), at=self.clock.now(),
                               backoff=backoff)
        if not logged:
            log.error("job %s: item %s failed (attempt %d, next try %s)", job, item, failure.attempts,
                      failure.next_retry_at.isoformat(), exc_info=exc)
        try:
            with self.uow_factory() as uow:
                repo = JobFailureRepository(uow.session)
                stored = repo.get(failure.job, failure.item)
                if stored is not None and (previous is None or stored.attempts > previous.attempts):
                    # Another run recorded it meanwhile: count on from the stored record.
                    failure = failed_again(stored.to_model(), job=job, item=item, error=failure.error,
                                           at=failure.last_failed_at, backoff=backoff)
                repo.save(failure)
                uow.commit()
        except Exception:
            log.exception("job %s: could not record the failure of item %s", job, item)
            return None
        return failure

    def clear(self, job: str, items: list[str]) -> None:
        try:
            with self.uow_factory() as uow:
                JobFailureRepository(uow.session).delete(job, items)
                uow.commit()
        except Exception:  # the record stays; the next success clears it
            log.exception("job %s: could not clear %d recovered items", job, len(items))

    # --- operators ------------------------------------------------------------------------------------------------

    def list(self, job: str | None = None, limit: int = 200, *,
             after: tuple[dt.datetime, str, str] | None = None) -> list[JobFailure]:
        """Newest failure first; ``after``: the (last failed at, job, item) of the previous page's last."""
        with self.uow_factory() as uow:
            return [r.to_model() for r in JobFailureRepository(uow.session).listing(job, limit, after=after)]

    def counts(self) -> dict[str, int]:
        with self.uow_factory() as uow:
            return JobFailureRepository(uow.session).counts()
