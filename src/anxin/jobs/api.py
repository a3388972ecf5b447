"""GET /v1/ops/jobs and /v1/ops/job-failures: the periodic jobs, their workers and what they set aside."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from anxin.core.principal import Principal, Role
from anxin.jobs.api_models import JobFailure, Jobs
from anxin.jobs.model import MAX_JOB
from anxin.web.auth import app_of, role_guard
from anxin.web.openapi import codes
from anxin.web.paging import CURSOR, LIMIT, Page, cursor_instant, decode_cursor, page_of, scope_of
from anxin.worker.service import job_status

router = APIRouter(prefix="/v1/ops", tags=["ops"])


@router.get("/job-failures", summary="Failing items of the periodic jobs",
            description="Items a periodic job (deadlines, fulfilment pass, settlement, nightly scores, delivery) "
                        "could not handle: the error, how many times in a row, since when and the next retry. "
                        "Item `*` is the whole job. Newest failure first; an item disappears once it succeeds. "
                        "How many items fail per job: `failure_counts` of /v1/ops/jobs.",
            response_model=Page[JobFailure], openapi_extra=codes())
def job_failures(request: Request, job: str | None = Query(None, max_length=MAX_JOB), limit: int = LIMIT,
                 cursor: str | None = CURSOR,
                 _: Principal = Depends(role_guard(Role.OPERATOR))) -> Page[dict[str, Any]]:
    scope = scope_of("jobs.failures", job)
    key = decode_cursor(cursor, scope=scope, shape=(str, str, str))  # (last failed at, job, item)
    after = None if key is None else (cursor_instant(key[0]), str(key[1]), str(key[2]))
    rows = app_of(request).jobs.list(job, limit + 1, after=after)
    return page_of(rows, limit=limit, scope=scope, item=lambda f: f.as_dict(),
                   key=lambda f: (f.last_failed_at.isoformat(), f.job, f.item))


@router.get("/jobs", summary="The periodic jobs and the workers running them",
            description="Each job a worker (`anxin worker`) has registered: the worker holding its lease and until "
                        "when (`state`: running, expired — its worker is gone and another takes over once it ran out "
                        "—, idle, never_run, or shared for jobs every worker runs, like webhook delivery), its last "
                        "run (by whom, outcome, what it did), when it is next due, and how many of its items are "
                        "failing (see /v1/ops/job-failures). An empty list: no worker has run on this database yet.",
            response_model=Jobs, openapi_extra=codes())  # jobs has no codes of its own
def jobs(request: Request, _: Principal = Depends(role_guard(Role.OPERATOR))) -> dict[str, Any]:
    app = app_of(request)
    counts = app.jobs.counts()
    return {"jobs": [s.as_dict() for s in job_status(app.uow_factory, now=app.clock.now(), failures=counts)],
            "failure_counts": counts}
