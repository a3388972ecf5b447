"""GET /v1/ops/job-failures — what the periodic jobs set aside, for operators."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request

from anxin.core.principal import Principal, Role
from anxin.jobs.model import MAX_JOB
from anxin.web.auth import app_of, role_guard

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
