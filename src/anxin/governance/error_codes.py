"""Stable error codes of the governance context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class GovernanceErrorCode(ErrorCode):
    # appeals (slice E)
    VIOLATION_NOT_FOUND = "governance.violation_not_found", 404
    APPEAL_NOT_FOUND = "governance.appeal_not_found", 404
    NOT_APPEALABLE = "governance.not_appealable", 409
    VIOLATION_NOT_ACTIVE = "governance.violation_not_active", 409
    APPEAL_CHANNEL_CLOSED = "governance.appeal_channel_closed", 409
    APPEAL_OPEN = "governance.appeal_open", 409
    APPEAL_LIMIT_REACHED = "governance.appeal_limit_reached", 409
    APPEAL_WINDOW_CLOSED = "governance.appeal_window_closed", 409
    INVALID_APPEAL = "governance.invalid_appeal", 422
    INVALID_DECISION = "governance.invalid_decision", 422
    APPEAL_ALREADY_DECIDED = "governance.appeal_already_decided", 409
    INVALID_PERIOD = "governance.invalid_period", 422
    INVALID_FILTER = "governance.invalid_filter", 422
