"""Stable error codes of the risk context (mapped to HTTP in anxin.web.errors)."""

from __future__ import annotations

from enum import StrEnum


class RiskErrorCode(StrEnum):
    FORBIDDEN_ROLE = "risk.forbidden_role"
    REVIEW_NOT_FOUND = "risk.review_not_found"
    REVIEW_DECIDED = "risk.review_already_decided"
    INVALID_DECISION = "risk.invalid_decision"
    INVALID_REASON = "risk.invalid_reason"
    NOTE_REQUIRED = "risk.note_required"
    RULE_NOT_FOUND = "risk.rule_not_found"
    INVALID_RULE = "risk.invalid_rule"
    INVALID_STATUS = "risk.invalid_status"
    RULE_BLOCKS_TOO_MANY = "risk.rule_blocks_too_many"
    RULE_REVIEWS_TOO_MANY = "risk.rule_reviews_too_many"
    SHOP_NOT_FOUND = "risk.shop_not_found"
    ALREADY_BANNED = "risk.already_banned"
    INVALID_FIELD = "risk.invalid_field"
    VERDICT_NOT_FOUND = "risk.verdict_not_found"
    ACCESS_BLOCKED = "risk.access_blocked"
