from __future__ import annotations

from enum import StrEnum


class AfterSalesErrorCode(StrEnum):
    ORDER_NOT_FOUND = "aftersales.order_not_found"
    CASE_NOT_FOUND = "aftersales.case_not_found"
    INVALID_FIELD = "aftersales.invalid_field"
    INVALID_CASE_TYPE = "aftersales.invalid_case_type"
    INVALID_REASON = "aftersales.invalid_reason"
    INVALID_AMOUNT = "aftersales.invalid_amount"
    AMOUNT_EXCEEDS_REFUNDABLE = "aftersales.amount_exceeds_refundable"
    ORDER_CANCELLED = "aftersales.order_cancelled"
    CASE_ALREADY_OPEN = "aftersales.case_already_open"
    EVIDENCE_NOT_FOUND = "aftersales.evidence_not_found"  # cited in a request but never uploaded
    NO_SUCH_EVIDENCE = "aftersales.no_such_evidence"  # fetched, but absent or not yours to see
    EVIDENCE_TOO_LARGE = "aftersales.evidence_too_large"
    EVIDENCE_NOT_IMAGE = "aftersales.evidence_not_image"
    TOO_MANY_EVIDENCE = "aftersales.too_many_evidence"
    INVALID_STATE = "aftersales.invalid_state"
    ACTION_NOT_ALLOWED = "aftersales.action_not_allowed"
    INVALID_ACTION = "aftersales.invalid_action"
    NOTE_REQUIRED = "aftersales.note_required"
    DEADLINE_PASSED = "aftersales.deadline_passed"
    PICKUP_NOT_COVERED = "aftersales.pickup_not_covered"
    TRACKING_REQUIRED = "aftersales.tracking_required"
    INVALID_RETURN_METHOD = "aftersales.invalid_return_method"
    FORBIDDEN_ROLE = "aftersales.forbidden_role"
    RULEBOOK_INVALID = "aftersales.rulebook_invalid"
    CONCURRENT_CHANGE = "aftersales.concurrent_change"  # the case changed under this request; read it and retry
