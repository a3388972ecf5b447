"""The periodic jobs' API responses: failing items, and the jobs with their workers."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from anxin.web.schema import Instant, Out


class JobFailure(Out):
    job: str
    item: str = Field(description="the item that failed; * is the whole job")
    error: str
    attempts: int = Field(description="failures in a row")
    first_failed_at: Instant
    last_failed_at: Instant
    next_retry_at: Instant


class JobStatus(Out):
    job: str
    leased: bool = Field(description="one worker at a time (false: every worker runs it)")
    holder: str | None
    lease_until: Instant | None
    heartbeat_at: Instant | None
    last_started_at: Instant | None
    last_finished_at: Instant | None
    last_holder: str | None
    last_outcome: str | None
    last_summary: Any = Field(description="what the last run did, as the job reports it")
    next_due_at: Instant | None
    failures: int = Field(description="its failing items")
    state: Literal["running", "expired", "idle", "never_run", "shared"]


class Jobs(Out):
    jobs: list[JobStatus]
    failure_counts: dict[str, int] = Field(description="job → failing items (the counts of /v1/ops/job-failures)")
