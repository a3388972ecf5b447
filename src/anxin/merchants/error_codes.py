"""Stable error codes of the merchants context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class MerchantErrorCode(ErrorCode):
    SHOP_NOT_FOUND = "merchants.shop_not_found", 404  # also what another merchant's shop looks like: no leak
    FORBIDDEN_ROLE = "merchants.forbidden_role", 403
    INVALID_FIELD = "merchants.invalid_field", 422
    SHOP_EXISTS = "merchants.shop_exists", 409
    ILLEGAL_TRANSITION = "merchants.illegal_transition", 409
    TRANSFER_TO_BANNED = "merchants.transfer_to_banned", 409
    TRANSFER_SAME_OWNER = "merchants.transfer_same_owner", 409
    UPGRADE_INVALID = "merchants.upgrade_invalid", 422
    SHOP_CLOSED = "merchants.shop_closed", 409
    WITHDRAWAL_OVER_LIMIT = "merchants.withdrawal_over_limit", 422
    INSUFFICIENT_DEPOSIT = "merchants.insufficient_deposit", 409
    INSUFFICIENT_GOODS = "merchants.insufficient_goods", 409
    IDEMPOTENCY_CONFLICT = "merchants.idempotency_conflict", 409
    INVALID_AMOUNT = "merchants.invalid_amount", 422
    WAIVER_OVERLAP = "fees.waiver_overlap", 409
    INVALID_WINDOW = "fees.invalid_window", 422
    INVALID_WAIVER = "fees.invalid_waiver", 422
    INVALID_PERIOD = "merchants.invalid_period", 422
    LISTING_CAP = "merchants.listing_cap_reached", 409
    CATEGORY_NOT_ALLOWED = "merchants.category_not_allowed", 422
    ENTITY_CHANGE_INVALID = "merchants.entity_change_invalid", 422
    LICENCE_AT_LIMIT = "merchants.licence_at_limit", 409
    LICENCE_REQUIRED = "merchants.licence_required", 422
    SHOP_NOT_OPEN = "merchants.shop_not_open", 409
