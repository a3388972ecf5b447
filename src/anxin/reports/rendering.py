"""A report in the format asked for — the standalone HTML document, its PDF, or the JSON value — with the name
and media type to send or save it under: what the API, the console's downloads and ``anxin report`` share."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from anxin.core.errors import AnxinError
from anxin.core.principal import Principal
from anxin.reports import render_html, render_pdf
from anxin.reports.error_codes import ReportsErrorCode as E
from anxin.reports.model import ServiceReport

FORMATS = ("html", "pdf", "json")
MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf", "json": "application/json"}


class ReportSource(Protocol):
    """Where reports come from (the reports facade, ``Anxin.reports``): computed for a period beside another, or
    read back by id."""

    def build(self, who: Principal, period: str, compare: str | None = None,
              engine: str = "duckdb") -> ServiceReport: ...

    def get(self, report_id: str) -> ServiceReport: ...


class ReportsNotWired(RuntimeError):
    """The application was put together without a reports facade (``Anxin.reports``): a wiring fault, not a
    caller's."""


def wired(source: ReportSource | None) -> ReportSource:
    if source is None:
        raise ReportsNotWired("no reports facade is wired into this application (Anxin.reports)")
    return source


@dataclass(frozen=True)
class Rendered:
    body: bytes
    media_type: str
    filename: str
    csp: str | None = None  # the Content-Security-Policy an HTML document needs for its inline styles

    def headers(self, disposition: str = "attachment") -> dict[str, str]:
        out = {"Content-Disposition": f'{disposition}; filename="{self.filename}"'}
        return out | ({"Content-Security-Policy": self.csp} if self.csp else {})


def check_format(fmt: str | None) -> str:
    value = (fmt or "json").strip().lower()
    if value not in FORMATS:
        raise AnxinError(E.INVALID_FORMAT, f"format must be one of {', '.join(FORMATS)}, got {str(fmt)[:20]!r}",
                         field="format")
    return value


def filename(report: ServiceReport, fmt: str) -> str:
    return f"anxin-service-report-{report.period}" + (f"-vs-{report.compare}" if report.compare else "") + f".{fmt}"


def render(report: ServiceReport, fmt: str, lang: str) -> Rendered:
    """The report as ``fmt`` (html, pdf, json) in ``lang`` (the JSON is the value itself, in no language)."""
    fmt = check_format(fmt)
    name = filename(report, fmt)
    if fmt == "json":
        return Rendered(json.dumps(report.as_dict(), ensure_ascii=False, indent=2).encode(), MEDIA_TYPES[fmt], name)
    html = render_html.document(report, lang)
    if fmt == "pdf":
        return Rendered(render_pdf.pdf(html), MEDIA_TYPES[fmt], name)
    return Rendered(html.encode(), MEDIA_TYPES[fmt], name, csp=render_html.content_policy(html))
