"""Stable error codes of the scoring context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class ScoringErrorCode(ErrorCode):
    SHOP_NOT_FOUND = "scoring.shop_not_found", 404
    SUBJECT_NOT_FOUND = "scoring.subject_not_found", 404
    NO_SNAPSHOT = "scoring.no_snapshot", 404
    UNKNOWN_INDICATOR = "scoring.unknown_indicator", 404
    INVALID_SIDE = "scoring.invalid_side", 422
    INVALID_DATE = "scoring.invalid_date", 422
    FUTURE_DATE = "scoring.future_date", 422
    UNKNOWN_ENGINE = "scoring.unknown_engine", 422
    SOURCE_NOT_FOUND = "scoring.source_not_found", 422
    SOURCE_INVALID = "scoring.source_invalid", 422
    ENGINE_UNAVAILABLE = "scoring.engine_unavailable", 422
    INVALID_DEDUCTION = "scoring.invalid_deduction", 422
    DEDUCTION_NOT_FOUND = "scoring.deduction_not_found", 404
