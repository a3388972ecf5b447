"""The operator console's page of the periodic jobs (/ops/jobs), zh-CN and en: each job's worker, lease, last run
and next run, then the failing items. Read-only: an item leaves the list once its job handles it (after its data is
fixed, or by itself on a retry)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from anxin.core.principal import Role
from anxin.web.auth import app_of
from anxin.web.render import PageRoute, render, require
from anxin.worker.service import job_status

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE_SIZE = 500


@router.get("/ops/jobs")
def failures(request: Request, job: str = "") -> Response:
    require(request, Role.OPERATOR)
    app = app_of(request)
    jobs = app.jobs
    counts = jobs.counts()
    picked = job if job in counts else None
    return render(request, "jobs/failures.html", {
        "statuses": job_status(app.uow_factory, now=app.clock.now(), failures=counts),
        "failures": jobs.list(picked, PAGE_SIZE), "counts": sorted(counts.items()), "job": picked,
        "total": sum(counts.values()), "limit": PAGE_SIZE})
