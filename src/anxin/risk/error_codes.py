"""Stable error codes of the risk context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class RiskErrorCode(ErrorCode):
    FORBIDDEN_ROLE = "risk.forbidden_role", 403
    REVIEW_NOT_FOUND = "risk.review_not_found", 404
    REVIEW_DECIDED = "risk.review_already_decided", 409
    INVALID_DECISION = "risk.invalid_decision", 422
    INVALID_REASON = "risk.invalid_reason", 422
    NOTE_REQUIRED = "risk.note_required", 422
    RULE_NOT_FOUND = "risk.rule_not_found", 404
    INVALID_RULE = "risk.invalid_rule", 422
    INVALID_STATUS = "risk.invalid_status", 422
    RULE_BLOCKS_TOO_MANY = "risk.rule_blocks_too_many", 409
    RULE_REVIEWS_TOO_MANY = "risk.rule_reviews_too_many", 409
    SHOP_NOT_FOUND = "risk.shop_not_found", 404
    ALREADY_BANNED = "risk.already_banned", 409
    INVALID_FIELD = "risk.invalid_field", 422
    VERDICT_NOT_FOUND = "risk.verdict_not_found", 404
    ACCESS_BLOCKED = "risk.access_blocked", 429
