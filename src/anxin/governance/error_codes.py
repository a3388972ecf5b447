"""Stable error codes of the governance context, each with the HTTP status it answers. Every slice adds its
members here (the lead merges the additions)."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class GovernanceErrorCode(ErrorCode):
    # sampling inspections
    INVALID_PLAN = "governance.invalid_plan", 422
    PLAN_NOT_FOUND = "governance.plan_not_found", 404
    PLAN_CONFLICT = "governance.plan_conflict", 409
    SAMPLE_NOT_FOUND = "governance.sample_not_found", 404
    INVALID_RESULT = "governance.invalid_result", 422
    RESULT_CONFLICT = "governance.result_conflict", 409
