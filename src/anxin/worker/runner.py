"""The worker process's loop: lanes of jobs run in threads of their own, leases renewed by a heartbeat.

A leased job is claimed before it runs, renewed every third of the lease's lifetime while it runs, and released
afterwards with the time it is next due. A worker killed with SIGKILL loses nothing: every job commits its work an
item (or an atomic batch) at a time, and its leases simply run out, after which another worker claims the jobs. A
graceful stop (``stop`` set, e.g. on SIGTERM) lets each lane finish the job run it is in, then releases its leases.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Iterable
from typing import IO, Any

from anxin.core.clock import Clock
from anxin.jobs.service import JobFailures, Outcome
from anxin.worker.model import Job, busy, claimable, next_due
from anxin.worker.service import Held, Leases

log = logging.getLogger("anxin.worker")


def worker_identity() -> str:
    """host:pid:random — unique per process, also across restarts that reuse a pid."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def summarize(value: Any) -> Any:
    """What a job returned, as JSON: reports with ``as_dict``, dataclasses, plain values."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "as_dict"):
        return value.as_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: summarize(v) for k, v in vars(value).items()}
    if isinstance(value, dict):
        return {str(k): summarize(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [summarize(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


class Worker:
    """Runs ``schedule`` (filtered by ``only``) as worker ``leases.holder``. ``clock`` is the wall clock of leases and
    periods; ``every`` the default period in seconds; ``trace`` receives one JSON line per leased run's start and
    finish (audits, and the reliability suite's check that runs of one job never overlap)."""

    def __init__(self, *, schedule: Iterable[Job], leases: Leases, jobs: JobFailures, clock: Clock, every: float,
                 only: Iterable[str] = (), trace: IO[str] | None = None) -> None:
        picked = set(only)
        self.schedule = [j for j in schedule if not picked or j.name in picked]
        unknown = picked - {j.name for j in self.schedule}
        if unknown:
            raise ValueError(f"no such job: {', '.join(sorted(unknown))}")
        if every <= 0:
            raise ValueError("every must be positive")
        self.leases, self.jobs, self.clock, self.every, self.trace = leases, jobs, clock, every, trace
        self.holder = leases.holder
        self._held: dict[str, Held] = {}
        self._lock = threading.Lock()
        self._registered = False

    # --- one run of one job -----------------------------------------------------------------------------------

    def register(self) -> None:
        if not self._registered:
            self.leases.ensure((j.name, j.leased) for j in self.schedule)
            self._registered = True

    def run_job(self, job: Job) -> dict[str, Any]:
        """Run ``job`` once if it is due (and, if leased, its lease could be claimed): what happened, as JSON."""
        if not job.leased:
            started = self.clock.now()
            outcome = self.jobs.run_job(job.name, job.run, skip_waiting=job.skip_waiting)
            report = _report(outcome)
            if report["outcome"] == "failed" or busy(report["summary"]):
                self._log(job, report)
                self._quietly(lambda: self.leases.record_run(job.name, started=started, outcome=report["outcome"],
                                                             summary=report["summary"]), job, "record its run")
            return report
        lease = self.leases.read(job.name)
        now = self.clock.now()
        if lease is not None and not claimable(lease, now):
            why = f"held by {lease.holder}" if lease.held(now) else "not due"
            return {"ran": False, "why": why, "next_due_at": _iso(lease.next_due_at)}
        held = self.leases.claim(job.name)
        if held is None:
            return {"ran": False, "why": "claimed by another worker"}
        with self._lock:
            self._held[job.name] = held
        self._trace("start", held)
        result: Outcome[Any] | None = None
        try:
            result = self.jobs.run_job(job.name, job.run, skip_waiting=job.skip_waiting)
        finally:
            with self._lock:
                self._held.pop(job.name, None)
            self._trace("finish", held)
            report = _report(result) if result is not None else {"ran": True, "outcome": "failed",
                                                                     "summary": {"error": "interrupted"}}
            due = next_due(held.started, self.clock.now(), job.period(self.every))
            released = self._quietly(lambda: self.leases.release(held, next_due_at=due, outcome=report["outcome"],
                                                                 summary=report["summary"]), job, "release its lease")
            if released is False:
                log.warning("job %s: lease lost to another worker while running (fenced); its run is not recorded",
                            job.name)
            report["next_due_at"] = due.isoformat()
        if report["outcome"] == "failed" or busy(report["summary"]):
            self._log(job, report)
        return report

    def run_once(self) -> dict[str, Any]:
        """Every due job once, in schedule order, in this thread: the report ``anxin worker --once`` prints."""
        self.register()
        return {"holder": self.holder, "jobs": {job.name: self.run_job(job) for job in self.schedule}}

    # --- the loop ----------------------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> None:
        """Run until ``stop`` is set; then each lane finishes the job it is in and releases its lease."""
        self.register()
        lanes: dict[str, list[Job]] = {}
        for job in self.schedule:
            lanes.setdefault(job.lane, []).append(job)
        threads = [threading.Thread(target=self._lane, args=(jobs, stop), name=f"anxin-{lane}")
                   for lane, jobs in lanes.items()]
        beat_stop = threading.Event()
        heartbeat = threading.Thread(target=self._heartbeat, args=(beat_stop,), name="anxin-heartbeat", daemon=True)
        heartbeat.start()
        for thread in threads:
            thread.start()
        log.info("worker %s running %s every %ss", self.holder, ", ".join(j.name for j in self.schedule), self.every)
        for thread in threads:
            thread.join()
        beat_stop.set()
        heartbeat.join(timeout=5)
        log.info("worker %s stopped", self.holder)

    def _lane(self, jobs: list[Job], stop: threading.Event) -> None:
        next_at = {j.name: 0.0 for j in jobs}  # unleased jobs: monotonic time of their next run in this worker
        wait = min(self.every, *(j.period(self.every).total_seconds() for j in jobs))
        while not stop.is_set():
            for job in jobs:
                if stop.is_set():
                    break
                if not job.leased:
                    if time.monotonic() < next_at[job.name]:
                        continue
                    next_at[job.name] = time.monotonic() + job.period(self.every).total_seconds()
                try:
                    self.run_job(job)
                except Exception:  # the database is away: the next round tries again
                    log.exception("job %s: could not run", job.name)
            stop.wait(wait)

    def _heartbeat(self, stop: threading.Event) -> None:
        interval = max(self.leases.ttl.total_seconds() / 3, 0.05)
        while not stop.wait(interval):
            with self._lock:
                held = list(self._held.values())
            for lease in held:
                kept = self._quietly(lambda lease=lease: self.leases.renew(lease), None, f"renew {lease.job}")
                if kept is False:
                    log.warning("job %s: lease taken over by another worker (fenced)", lease.job)

    # --- helpers ---------------------------------------------------------------------------------------------------

    def _quietly(self, fn: Any, job: Job | None, what: str) -> Any:
        try:
            return fn()
        except Exception:  # the lease then runs out by itself: nothing is lost, the job is claimed again later
            log.exception("%scould not %s", f"job {job.name}: " if job else "", what)
            return None

    def _trace(self, event: str, held: Held) -> None:
        if self.trace is None:
            return
        line = json.dumps({"event": event, "job": held.job, "holder": self.holder, "fence": held.fence,
                           "at": self.clock.now().timestamp()})
        with self._lock:
            self.trace.write(line + "\n")
            self.trace.flush()  # to the kernel: a SIGKILL right after loses nothing of it

    def _log(self, job: Job, report: dict[str, Any]) -> None:
        log.info("%s %s %s", job.name, report["outcome"], json.dumps(report["summary"], ensure_ascii=False,
                                                                      default=str))


def _report(outcome: Outcome[Any]) -> dict[str, Any]:
    if outcome.skipped:
        return {"ran": True, "outcome": "backing_off",
                "summary": {"error": outcome.failure.error if outcome.failure else None}}
    if outcome.failure is not None:
        return {"ran": True, "outcome": "failed", "summary": {"error": outcome.failure.error}}
    return {"ran": True, "outcome": "ok", "summary": summarize(outcome.value)}


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
