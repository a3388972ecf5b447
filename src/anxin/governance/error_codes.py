"""Stable error codes of the governance context, each with the HTTP status it answers. Every slice adds its own
members below (the core slice owns the file's final form)."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class GovernanceErrorCode(ErrorCode):
    # listing compliance (slice B)
    INVALID_LISTING_TEXT = "governance.invalid_listing_text", 422
    UNKNOWN_CATEGORY = "governance.unknown_category", 422
    INVALID_FINDING_FILTER = "governance.invalid_finding_filter", 422
    FINDING_NOT_FOUND = "governance.finding_not_found", 404
    INVALID_FINDING_DECISION = "governance.invalid_finding_decision", 422
    FINDING_ALREADY_DECIDED = "governance.finding_already_decided", 409
