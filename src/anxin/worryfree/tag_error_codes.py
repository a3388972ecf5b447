"""Stable error codes of enrolment and the worry-free tag (``worryfree.*``), each with its HTTP status."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class TagErrorCode(ErrorCode):
    LISTING_NOT_FOUND = "worryfree.unknown_listing", 404  # no such listing that you may see (enrolment, tag)
    NOT_ELIGIBLE = "worryfree.not_eligible", 422
    NOT_ENROLLED = "worryfree.not_enrolled", 409
    ENROLMENT_CONFLICT = "worryfree.enrolment_conflict", 409
    SHOP_NOT_FOUND = "worryfree.unknown_shop", 404  # no such shop that you may see
    FORBIDDEN = "worryfree.enrolment_forbidden", 403  # your role may not enrol or withdraw listings
    INVALID_FILTER = "worryfree.invalid_enrolment_filter", 422
