"""The clock acting on cases: every deadline that has passed fires its timeout action (a merchant's silence
approves, a consumer's silence closes), each case in its own transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol

from anxin.aftersales import model as m
from anxin.aftersales.transitions import CaseRecords, CaseTransitions, case_records
from anxin.core.clock import Clock
from anxin.db.uow import UnitOfWork, UowFactory

DEADLINE_JOB = "aftersales.deadlines"


class ItemRun(Protocol):
    """One run of a job over items (``jobs.service.JobRun``): a failing item is recorded and waits for its retry."""

    def item(self, item: str) -> AbstractContextManager[None]: ...

    def waiting(self, item: str) -> bool: ...

    def waiting_items(self) -> set[str]: ...


class JobRuns(Protocol):
    """``jobs.service.JobFailures``: where the items of a job that fail are recorded and retried."""

    def start(self, job: str, now: dt.datetime | None = None) -> ItemRun: ...


@dataclass
class TickReport:
    at: dt.datetime
    actions: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    @property
    def total(self) -> int:
        return sum(self.actions.values())


class DeadlineTick:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, transitions: CaseTransitions,
                 jobs: JobRuns | None = None,
                 cases: Callable[[UnitOfWork], CaseRecords] = case_records) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.transitions = transitions
        # Where a deadline that fails is recorded and retried (None: tests of after-sales alone; errors raise).
        self.jobs = jobs
        self.cases = cases

    def __call__(self, now: dt.datetime | None = None, *, batch: int = 500) -> TickReport:
        """Apply every deadline that has passed at ``now``. Each case in its own transaction; safe to rerun, also
        beside another tick (the case is locked and its state read again under the lock). A case that fails is
        recorded for operators and retried with backoff on later ticks; the others go on."""
        now = now or self.clock.now()
        report = TickReport(now)
        run = self.jobs.start(DEADLINE_JOB, now) if self.jobs is not None else None
        while True:
            with self.uow_factory() as uow:
                due = self.cases(uow).due(now, batch, excluding=run.waiting_items() if run else set())
            if not due:
                return report
            progressed = 0
            for case_id in due:
                if run is None:
                    action = self._fire(case_id, now)
                else:
                    action = None
                    with run.item(case_id):
                        action = self._fire(case_id, now)
                    if run.waiting(case_id):
                        report.errors += 1
                        progressed += 1  # set aside until its retry: the next batch is new work
                if action is not None:
                    report.actions[action.value] = report.actions.get(action.value, 0) + 1
                    progressed += 1
            if progressed == 0:
                return report

    def _fire(self, case_id: str, now: dt.datetime) -> m.Action | None:
        with self.uow_factory() as uow:
            repo = self.cases(uow)
            row = repo.get(case_id, lock=True)
            if row is None:
                return None
            case = row.to_model()
            action = m.timeout_action(case, now)  # read again under the lock: a merchant may have answered
            if action is None:
                return None
            terms = self.transitions.terms(case.rulebook_version)
            self.transitions.transition(
                uow, repo, case, action, "system", "clock", now, terms, note="",
                data={"rule": f"deadlines.{case.deadline_kind}", "version": case.rulebook_version,
                      "deadline_at": case.deadline_at.isoformat() if case.deadline_at else None})
            uow.commit()
            return action
