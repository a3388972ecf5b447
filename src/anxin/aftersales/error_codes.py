"""Stable error codes of the aftersales context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class AfterSalesErrorCode(ErrorCode):
    ORDER_NOT_FOUND = "aftersales.order_not_found", 404
    CASE_NOT_FOUND = "aftersales.case_not_found", 404
    INVALID_FIELD = "aftersales.invalid_field", 422
    INVALID_CASE_TYPE = "aftersales.invalid_case_type", 422
    INVALID_REASON = "aftersales.invalid_reason", 422
    INVALID_AMOUNT = "aftersales.invalid_amount", 422
    AMOUNT_EXCEEDS_REFUNDABLE = "aftersales.amount_exceeds_refundable", 422
    ORDER_CANCELLED = "aftersales.order_cancelled", 409
    CASE_ALREADY_OPEN = "aftersales.case_already_open", 409
    EVIDENCE_NOT_FOUND = "aftersales.evidence_not_found", 422  # cited in a request but never uploaded
    NO_SUCH_EVIDENCE = "aftersales.no_such_evidence", 404  # fetched, but absent or not yours to see
    EVIDENCE_TOO_LARGE = "aftersales.evidence_too_large", 413
    EVIDENCE_NOT_IMAGE = "aftersales.evidence_not_image", 415
    TOO_MANY_EVIDENCE = "aftersales.too_many_evidence", 422
    INVALID_STATE = "aftersales.invalid_state", 409
    ACTION_NOT_ALLOWED = "aftersales.action_not_allowed", 403
    INVALID_ACTION = "aftersales.invalid_action", 422
    NOTE_REQUIRED = "aftersales.note_required", 422
    DEADLINE_PASSED = "aftersales.deadline_passed", 409
    PICKUP_NOT_COVERED = "aftersales.pickup_not_covered", 409
    TRACKING_REQUIRED = "aftersales.tracking_required", 422
    INVALID_RETURN_METHOD = "aftersales.invalid_return_method", 422
    FORBIDDEN_ROLE = "aftersales.forbidden_role", 403
    RULEBOOK_INVALID = "aftersales.rulebook_invalid", 422
    CONCURRENT_CHANGE = "aftersales.concurrent_change", 409  # the case changed under this request; read it and retry
