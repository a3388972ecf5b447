"""Stable error codes of the 30-day companion's outreach tasks (``care.outreach.*``), each with its HTTP status.
Beside care's own codes (``care/error_codes.py``, care-core) until the two are merged."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class CareOutreachErrorCode(ErrorCode):
    TASK_NOT_FOUND = "care.outreach.task_not_found", 404
    INVALID_FILTER = "care.outreach.invalid_filter", 422
    INVALID_TRANSITION = "care.outreach.invalid_transition", 409
    INVALID_REMEDY = "care.outreach.invalid_remedy", 422
    REMEDY_REQUIRED = "care.outreach.remedy_required", 422
    REMEDY_ALREADY_CHOSEN = "care.outreach.remedy_already_chosen", 409
    COUPON_CAP_REACHED = "care.outreach.coupon_cap_reached", 409
    INVALID_PERIOD = "care.outreach.invalid_period", 422
