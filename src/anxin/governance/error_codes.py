"""Stable error codes of the governance context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class GovernanceErrorCode(ErrorCode):
    # IP complaints (slice F)
    INVALID_IP_COMPLAINT = "governance.invalid_ip_complaint", 422
    IP_PROOF_INVALID = "governance.ip_proof_invalid", 422
    IP_LISTING_UNKNOWN = "governance.ip_listing_unknown", 422
    IP_LISTINGS_SPAN_SHOPS = "governance.ip_listings_span_shops", 422
    IP_TOO_MANY_LISTINGS = "governance.ip_too_many_listings", 422
    IP_COMPLAINT_NOT_FOUND = "governance.ip_complaint_not_found", 404
    IP_COMPLAINT_KEY_REUSED = "governance.ip_complaint_key_reused", 409
    INVALID_IP_COUNTER_NOTICE = "governance.invalid_ip_counter_notice", 422
    IP_COUNTER_NOTICE_CLOSED = "governance.ip_counter_notice_closed", 409
    INVALID_IP_DECISION = "governance.invalid_ip_decision", 422
    IP_WINDOW_OPEN = "governance.ip_window_open", 409
    IP_COMPLAINT_CLOSED = "governance.ip_complaint_closed", 409
    IP_INVALID_FILTER = "governance.ip_invalid_filter", 422
