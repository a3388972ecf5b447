"""The worker_leases table: one row per periodic job, its lease (holder, fence, until when) and its last run.

Claims, renewals and releases are single conditional UPDATEs, atomic on SQLite (one writer at a time) and on
PostgreSQL (a concurrent UPDATE of the row waits for the first to commit, then re-checks the WHERE clause on the
row as that left it), so two workers never both see their claim succeed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base
from anxin.worker.model import MAX_HOLDER, MAX_SUMMARY, Lease


class WorkerLeaseRow(Base):
    __tablename__ = "worker_leases"
    job: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    leased: Mapped[bool] = mapped_column(default=True)  # False: run by every worker, shown for its last run only
    holder: Mapped[str | None] = mapped_column(sa.String(MAX_HOLDER))
    fence: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    lease_until: Mapped[dt.datetime | None]
    heartbeat_at: Mapped[dt.datetime | None]
    next_due_at: Mapped[dt.datetime | None]
    last_started_at: Mapped[dt.datetime | None]
    last_finished_at: Mapped[dt.datetime | None]
    last_holder: Mapped[str | None] = mapped_column(sa.String(MAX_HOLDER))
    last_outcome: Mapped[str | None] = mapped_column(sa.String(16))  # ok | failed | backing_off
    last_summary: Mapped[str | None] = mapped_column(sa.String(MAX_SUMMARY))

    def to_lease(self) -> Lease:
        return Lease(self.job, self.holder, self.fence, self.lease_until, self.next_due_at)


class LeaseRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def ensure(self, jobs: Iterable[tuple[str, bool]]) -> None:
        """A row for each (job, leased), free and due; rows that exist are left as they are."""
        rows = [{"job": job, "leased": leased, "fence": 0} for job, leased in jobs]
        if not rows:
            return
        dialect = self.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        self.session.execute(insert(WorkerLeaseRow).values(rows).on_conflict_do_nothing(index_elements=["job"]))

    def get(self, job: str) -> WorkerLeaseRow | None:
        return self.session.get(WorkerLeaseRow, job)

    def claim(self, job: str, holder: str, now: dt.datetime, until: dt.datetime) -> int | None:
        """Take the lease if it is free (or expired) and the job is due: the new fence, or None."""
        t = WorkerLeaseRow
        result = self.session.execute(
            sa.update(t).where(t.job == job, t.leased.is_(True),
                               sa.or_(t.holder.is_(None), t.lease_until.is_(None), t.lease_until <= now),
                               sa.or_(t.next_due_at.is_(None), t.next_due_at <= now))
            .values(holder=holder, fence=t.fence + 1, lease_until=until, heartbeat_at=now, last_started_at=now,
                    last_holder=holder)
            .execution_options(synchronize_session=False))
        if _rowcount(result) != 1:
            return None
        return int(self.session.scalar(sa.select(t.fence).where(t.job == job)) or 0)

    def renew(self, job: str, holder: str, fence: int, now: dt.datetime, until: dt.datetime) -> bool:
        t = WorkerLeaseRow
        result = self.session.execute(
            sa.update(t).where(t.job == job, t.holder == holder, t.fence == fence)
            .values(lease_until=until, heartbeat_at=now).execution_options(synchronize_session=False))
        return _rowcount(result) == 1

    def release(self, job: str, holder: str, fence: int, *, finished: dt.datetime, next_due_at: dt.datetime,
                outcome: str, summary: str) -> bool:
        """Free the lease and record the run, only if ``holder`` still holds it with ``fence``."""
        t = WorkerLeaseRow
        result = self.session.execute(
            sa.update(t).where(t.job == job, t.holder == holder, t.fence == fence)
            .values(holder=None, lease_until=None, heartbeat_at=finished, next_due_at=next_due_at,
                    last_finished_at=finished, last_outcome=outcome, last_summary=summary[:MAX_SUMMARY])
            .execution_options(synchronize_session=False))
        return _rowcount(result) == 1

    def record_run(self, job: str, holder: str, *, started: dt.datetime, finished: dt.datetime, outcome: str,
                   summary: str) -> None:
        """The last run of a job that is not leased (every worker runs it): last writer wins."""
        t = WorkerLeaseRow
        self.session.execute(
            sa.update(t).where(t.job == job)
            .values(last_started_at=started, last_finished_at=finished, last_holder=holder, last_outcome=outcome,
                    last_summary=summary[:MAX_SUMMARY]).execution_options(synchronize_session=False))

    def listing(self) -> list[WorkerLeaseRow]:
        return list(self.session.scalars(sa.select(WorkerLeaseRow).order_by(WorkerLeaseRow.job)))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
