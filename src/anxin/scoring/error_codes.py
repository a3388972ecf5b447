"""Stable error codes of the scoring context (mapped to HTTP in anxin.web.errors)."""

from __future__ import annotations

from enum import StrEnum


class ScoringErrorCode(StrEnum):
    SHOP_NOT_FOUND = "scoring.shop_not_found"
    SUBJECT_NOT_FOUND = "scoring.subject_not_found"
    NO_SNAPSHOT = "scoring.no_snapshot"
    UNKNOWN_INDICATOR = "scoring.unknown_indicator"
    INVALID_SIDE = "scoring.invalid_side"
    INVALID_DATE = "scoring.invalid_date"
    FUTURE_DATE = "scoring.future_date"
    UNKNOWN_ENGINE = "scoring.unknown_engine"
    SOURCE_NOT_FOUND = "scoring.source_not_found"
    SOURCE_INVALID = "scoring.source_invalid"
    ENGINE_UNAVAILABLE = "scoring.engine_unavailable"
    INVALID_DEDUCTION = "scoring.invalid_deduction"
    DEDUCTION_NOT_FOUND = "scoring.deduction_not_found"
