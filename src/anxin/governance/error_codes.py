"""Stable error codes of the governance context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class GovernanceErrorCode(ErrorCode):
    # listing compliance
    INVALID_LISTING_TEXT = "governance.invalid_listing_text", 422
    UNKNOWN_CATEGORY = "governance.unknown_category", 422
    INVALID_FINDING_FILTER = "governance.invalid_finding_filter", 422
    FINDING_NOT_FOUND = "governance.finding_not_found", 404
    INVALID_FINDING_DECISION = "governance.invalid_finding_decision", 422
    FINDING_ALREADY_DECIDED = "governance.finding_already_decided", 409
    # sampling inspections
    INVALID_PLAN = "governance.invalid_plan", 422
    PLAN_NOT_FOUND = "governance.plan_not_found", 404
    PLAN_CONFLICT = "governance.plan_conflict", 409
    SAMPLE_NOT_FOUND = "governance.sample_not_found", 404
    INVALID_RESULT = "governance.invalid_result", 422
    RESULT_CONFLICT = "governance.result_conflict", 409
    # violations, the ladder, the shop's record
    UNKNOWN_KIND = "governance.unknown_kind", 422
    INVALID_SUBJECT = "governance.invalid_subject", 422
    SEVERITY_REQUIRED = "governance.severity_required", 422
    EVIDENCE_MISSING = "governance.evidence_missing", 422
    NO_OWNER = "governance.no_owner", 422
    INVALID_SOURCE = "governance.invalid_source", 422
    INVALID_REQUEST = "governance.invalid_request", 422
    INVALID_FILTER = "governance.invalid_filter", 422
    SOURCE_CONFLICT = "governance.source_conflict", 409
    VIOLATION_NOT_FOUND = "governance.violation_not_found", 404
    SHOP_NOT_FOUND = "governance.shop_not_found", 404
    CREATOR_NOT_FOUND = "governance.creator_not_found", 404
    # appeals
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
