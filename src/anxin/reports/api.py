"""GET /v1/reports/service: the service-experience report for a month beside another, as JSON (the report's value),
a standalone HTML document or a PDF with its Chinese fonts embedded. Operators only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from anxin.core.principal import Principal, Role
from anxin.reports import api_models as out
from anxin.reports import rendering
from anxin.reports.error_codes import ReportsErrorCode as E
from anxin.reports.periods import periods
from anxin.web import i18n
from anxin.web.auth import app_of, role_guard
from anxin.web.openapi import codes

router = APIRouter(tags=["reports"])
BINARY = {"type": "string", "format": "binary"}


@router.get("/v1/reports/service", summary="The service-experience report for a month (operators)",
            description="Each figure anxin's data supports for `period`, beside `compare` (default: the month "
                        "before), with the relative change, which direction is better, and daily points where a "
                        "trend reads better than a number; the figures it cannot compute, with why; the rulebook "
                        "versions in force and the fingerprint of the facts it was computed from. `format=json` "
                        "(default) answers the report's value; `html` one standalone document (styles and charts "
                        "inline, nothing linked), `pdf` the same printed on A4 with Noto Sans CJK embedded, both in "
                        "`lang` (zh-CN or en; default: Accept-Language).",
            response_model=out.ServiceReport, response_model_exclude_none=False,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}},
                                         "application/pdf": {"schema": BINARY}}}},
            openapi_extra=codes(E.INVALID_PERIOD, E.INVALID_FORMAT))
def service_report(request: Request,
                   period: str = Query(..., max_length=16, description="the month, YYYY-MM", examples=["2026-11"]),
                   compare: str | None = Query(None, max_length=16, description="the month to compare with, YYYY-MM "
                                                                                "(default: the month before)"),
                   format: str = Query("json", max_length=8, description="json, html or pdf",
                                       json_schema_extra={"enum": list(rendering.FORMATS)}),
                   lang: str | None = Query(None, max_length=8, description="zh-CN or en, for html and pdf"),
                   who: Principal = Depends(role_guard(Role.OPERATOR))) -> Any:
    fmt = rendering.check_format(format)
    p, c = periods(period, compare)
    report = rendering.wired(app_of(request).reports).build(who, str(p), str(c))
    if fmt == "json":
        return report.as_dict()
    done = rendering.render(report, fmt, i18n.pick(lang) or i18n.negotiate(request.headers.get("accept-language")))
    return Response(done.body, media_type=done.media_type, headers=done.headers("attachment" if fmt == "pdf" else
                                                                                "inline"))
