"""The job_failures table: one row per failing item of a periodic job, deleted when the item succeeds."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from anxin.db.base import Base, after_key
from anxin.jobs.model import MAX_ITEM, MAX_JOB, JobFailure


class JobFailureRow(Base):
    __tablename__ = "job_failures"
    job: Mapped[str] = mapped_column(sa.String(MAX_JOB), primary_key=True)
    item: Mapped[str] = mapped_column(sa.String(MAX_ITEM), primary_key=True)
    error: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int]
    first_failed_at: Mapped[dt.datetime]
    last_failed_at: Mapped[dt.datetime]
    next_retry_at: Mapped[dt.datetime] = mapped_column(index=True)

    def to_model(self) -> JobFailure:
        return JobFailure(self.job, self.item, self.error, self.attempts, self.first_failed_at, self.last_failed_at,
                          self.next_retry_at)


class JobFailureRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, job: str, item: str) -> JobFailureRow | None:
        return self.session.get(JobFailureRow, (job, item))

    def of_job(self, job: str) -> list[JobFailureRow]:
        return list(self.session.scalars(sa.select(JobFailureRow).where(JobFailureRow.job == job)))

    def save(self, failure: JobFailure) -> None:
        row = self.get(failure.job, failure.item)
        if row is None:
            row = JobFailureRow(job=failure.job, item=failure.item)
            self.session.add(row)
        row.error, row.attempts = failure.error, failure.attempts
        row.first_failed_at, row.last_failed_at = failure.first_failed_at, failure.last_failed_at
        row.next_retry_at = failure.next_retry_at

    def delete(self, job: str, items: Iterable[str]) -> int:
        keys = list(items)
        deleted = 0
        for lo in range(0, len(keys), 500):
            result = self.session.execute(sa.delete(JobFailureRow).where(
                JobFailureRow.job == job, JobFailureRow.item.in_(keys[lo:lo + 500])))
            deleted += int(getattr(result, "rowcount", 0) or 0)
        return deleted

    def listing(self, job: str | None, limit: int, *,
                after: tuple[dt.datetime, str, str] | None = None) -> list[JobFailureRow]:
        t = JobFailureRow
        stmt = sa.select(t).where(after_key([(t.last_failed_at, True), (t.job, False), (t.item, False)], after))
        if job is not None:
            stmt = stmt.where(JobFailureRow.job == job)
        return list(self.session.scalars(stmt.order_by(JobFailureRow.last_failed_at.desc(), JobFailureRow.job,
                                                       JobFailureRow.item).limit(limit)))

    def counts(self) -> dict[str, int]:
        rows = self.session.execute(sa.select(JobFailureRow.job, sa.func.count()).group_by(JobFailureRow.job))
        return {job: int(n) for job, n in rows}
