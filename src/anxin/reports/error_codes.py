"""Stable error codes of the reports context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class ReportsErrorCode(ErrorCode):
    FORBIDDEN_ROLE = "reports.forbidden_role", 403
    INVALID_PERIOD = "reports.invalid_period", 422
    INVALID_COMPARE = "reports.invalid_compare", 422
    FUTURE_PERIOD = "reports.future_period", 422
    UNKNOWN_ENGINE = "reports.unknown_engine", 422
    ENGINE_UNAVAILABLE = "reports.engine_unavailable", 422
    NOT_FOUND = "reports.not_found", 404
    INVALID_FORMAT = "reports.invalid_format", 422  # a format other than html, pdf, json
