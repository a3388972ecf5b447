"""The operators' service-report page (``/ops/reports/service``): a month and the month to compare it with, the
report laid out as in its standalone document, and downloads of it as PDF, HTML and JSON (page routes: the console's
session signs them, as it cannot sign the /v1 API). Thin: the reports facade computes, ``rendering`` writes."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from anxin.core.errors import AnxinError
from anxin.core.principal import Role
from anxin.reports import rendering
from anxin.reports.periods import last_complete, periods
from anxin.reports.render_html import report_view
from anxin.web.auth import app_of
from anxin.web.formatting import SHANGHAI
from anxin.web.i18n import translator
from anxin.web.render import PageRoute, error_status, error_view, lang_of, render, require

router = APIRouter(include_in_schema=False, route_class=PageRoute)
PAGE = "/ops/reports/service"
DOWNLOAD = "/ops/reports/service/download"
DOWNLOADS = ("pdf", "html", "json")


@router.get(PAGE)
def service_report(request: Request, period: str = "", compare: str = "") -> Response:
    who = require(request, Role.OPERATOR)
    anxin = app_of(request)
    lang = lang_of(request)
    default = last_complete(anxin.clock.now().astimezone(SHANGHAI).date())
    form = {"period": period.strip()[:16] or str(default), "compare": compare.strip()[:16]}
    try:
        p, c = periods(form["period"], form["compare"] or None)
    except AnxinError as exc:
        return render(request, "reports/console.html", {
            "who": who, "form": form, "v": None, "downloads": [],
            "error": error_view(exc, translator(lang))}, status=error_status(exc))
    form["compare"] = str(c)
    report = rendering.wired(anxin.reports).build(who, str(p), str(c))
    query = {"period": str(p), "compare": str(c)}
    return render(request, "reports/console.html", {
        "who": who, "form": form, "v": report_view(report, lang), "error": None,
        "downloads": [{"format": f, "url": f"{DOWNLOAD}?{urlencode({**query, 'format': f, 'lang': lang})}"}
                      for f in DOWNLOADS]})


@router.get(DOWNLOAD)
def download(request: Request, period: str = "", compare: str = "", format: str = "pdf") -> Response:
    who = require(request, Role.OPERATOR)
    fmt = rendering.check_format(format)
    p, c = periods(period, compare or None)
    report = rendering.wired(app_of(request).reports).build(who, str(p), str(c))
    done = rendering.render(report, fmt, lang_of(request))
    return Response(done.body, media_type=done.media_type, headers=done.headers())
