"""Stable error codes of the reports context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class ReportsErrorCode(ErrorCode):
    INVALID_PERIOD = "reports.invalid_period", 422  # not a month written YYYY-MM, or compared with itself
    INVALID_FORMAT = "reports.invalid_format", 422  # a format other than html, pdf, json
