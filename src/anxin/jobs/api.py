"""GET /v1/ops/jobs and /v1/ops/job-failures: the periodic jobs, their workers and what they set aside."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from anxin.core.principal import Principal, Role
from anxin.jobs.model import MAX_JOB
from anxin.web.auth import app_of, role_guard
from anxin.worker.service import job_status

router = APIRouter(prefix="/v1/ops", tags=["ops"])


@router.get("/job-failures", summary="Failing items of the periodic jobs",
            description="Items a periodic job (deadlines, fulfilment pass, settlement, nightly scores, delivery) "
                        "could not handle: the error, how many times in a row, since when and the next retry. "
                        "Item `*` is the whole job. Newest failure first; an item disappears once it succeeds.")
def job_failures(request: Request, job: str | None = Query(None, max_length=MAX_JOB),
                 limit: int = Query(200, ge=1, le=1000),
                 _: Principal = Depends(role_guard(Role.OPERATOR))) -> dict[str, Any]:
    jobs = app_of(request).jobs
    return {"failures": [f.as_dict() for f in jobs.list(job, limit)], "counts": jobs.counts()}


@router.get("/jobs", summary="The periodic jobs and the workers running them",
            description="Each job a worker (`anxin worker`) has registered: the worker holding its lease and until "
                        "when (`state`: running, expired — its worker is gone and another takes over once it ran out "
                        "—, idle, never_run, or shared for jobs every worker runs, like webhook delivery), its last "
                        "run (by whom, outcome, what it did), when it is next due, and how many of its items are "
                        "failing (see /v1/ops/job-failures). An empty list: no worker has run on this database yet.")
def jobs(request: Request, _: Principal = Depends(role_guard(Role.OPERATOR))) -> dict[str, Any]:
    app = app_of(request)
    counts = app.jobs.counts()
    return {"jobs": [s.as_dict() for s in job_status(app.uow_factory, now=app.clock.now(), failures=counts)],
            "failure_counts": counts}
