"""The ``care.sla`` job: the clock acting on tickets. Every ticket whose ``check_at`` has passed is taken in its own
transaction, locked and judged again under the lock (``tickets.due``): a missed first reply is breached once (a
merchant's ticket escalates to platform customer service), a missed resolution is breached once, a resolved ticket
past its close-after period closes. A ticket that raises is recorded in job_failures and retried with backoff on
later runs; the others go on. Safe to run beside another run: the lock and the ticket's version serialise them.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from anxin.care.shared import write_change
from anxin.care.ticket_store import TicketRepository
from anxin.care.tickets import TicketPolicy, due
from anxin.core.clock import Clock
from anxin.db.uow import UowFactory

SLA_JOB = "care.sla"


class ItemRun(Protocol):
    """One run of a job over items (``jobs.service.JobRun``)."""

    def item(self, item: str) -> AbstractContextManager[None]: ...

    def waiting(self, item: str) -> bool: ...

    def waiting_items(self) -> set[str]: ...


class JobRuns(Protocol):
    """``jobs.service.JobFailures``: where the items of a job that fail are recorded and retried."""

    def start(self, job: str, now: dt.datetime | None = None) -> ItemRun: ...


@dataclass
class SlaReport:
    at: dt.datetime
    checked: int = 0
    breaches: dict[str, int] = field(default_factory=dict)  # by kind
    escalated: int = 0
    closed: int = 0
    failed: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "checked": self.checked, "breaches": dict(self.breaches),
                "escalated": self.escalated, "closed": self.closed, "failed": list(self.failed)}


class SlaJobs:
    def __init__(self, *, uow_factory: UowFactory, clock: Clock, policy: TicketPolicy,
                 jobs: JobRuns | None = None, batch: int = 500) -> None:
        self.uow_factory = uow_factory
        self.clock = clock
        self.policy = policy
        self.jobs = jobs  # None: tests of care alone, where an error raises
        self.batch = batch

    def check_due(self, now: dt.datetime | None = None) -> SlaReport:
        """Apply the clock at ``now`` (default: the clock's) to every ticket that has something due."""
        now = now or self.clock.now()
        report = SlaReport(now)
        run = self.jobs.start(SLA_JOB, now) if self.jobs is not None else None
        seen: set[str] = set()
        while True:
            with self.uow_factory() as uow:
                waiting = run.waiting_items() if run is not None else set()
                ids = TicketRepository(uow.session).due(now, self.batch, excluding=seen | waiting)
            if not ids:
                return report
            for ticket_id in ids:
                seen.add(ticket_id)
                if run is None:
                    self._check(ticket_id, now, report)
                    continue
                done = False
                with run.item(ticket_id):  # an exception is recorded (and backed off), not raised
                    self._check(ticket_id, now, report)
                    done = True
                if not done:
                    report.failed.append(ticket_id)

    def _check(self, ticket_id: str, now: dt.datetime, report: SlaReport) -> None:
        with self.uow_factory() as uow:
            uow.begin_write()
            repo = TicketRepository(uow.session)
            ticket = repo.get_ticket(ticket_id, lock=True)
            if ticket is None:
                return
            change = due(ticket, now, self.policy)
            write_change(repo, uow, ticket, change, self.policy)
            uow.commit()
        report.checked += 1
        for b in change.breaches:
            report.breaches[b.kind] = report.breaches.get(b.kind, 0) + 1
        report.escalated += sum(1 for e in change.timeline if e.kind == "escalated")
        report.closed += sum(1 for e in change.timeline if e.to_state == "closed")
