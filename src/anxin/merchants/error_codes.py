"""Stable error codes of the merchants context (mapped to HTTP in anxin.web.errors)."""

from __future__ import annotations

from enum import StrEnum


class MerchantErrorCode(StrEnum):
    SHOP_NOT_FOUND = "merchants.shop_not_found"  # also what another merchant's shop looks like: no leak
    FORBIDDEN_ROLE = "merchants.forbidden_role"
    INVALID_FIELD = "merchants.invalid_field"
    SHOP_EXISTS = "merchants.shop_exists"
    ILLEGAL_TRANSITION = "merchants.illegal_transition"
    TRANSFER_TO_BANNED = "merchants.transfer_to_banned"
    TRANSFER_SAME_OWNER = "merchants.transfer_same_owner"
    UPGRADE_INVALID = "merchants.upgrade_invalid"
    SHOP_CLOSED = "merchants.shop_closed"
    WITHDRAWAL_OVER_LIMIT = "merchants.withdrawal_over_limit"
    INSUFFICIENT_DEPOSIT = "merchants.insufficient_deposit"
    INSUFFICIENT_GOODS = "merchants.insufficient_goods"
    IDEMPOTENCY_CONFLICT = "merchants.idempotency_conflict"
    INVALID_AMOUNT = "merchants.invalid_amount"
    WAIVER_OVERLAP = "fees.waiver_overlap"
    INVALID_WINDOW = "fees.invalid_window"
    INVALID_WAIVER = "fees.invalid_waiver"
    INVALID_PERIOD = "merchants.invalid_period"
    LISTING_CAP = "merchants.listing_cap_reached"
    CATEGORY_NOT_ALLOWED = "merchants.category_not_allowed"
    ENTITY_CHANGE_INVALID = "merchants.entity_change_invalid"
    LICENCE_AT_LIMIT = "merchants.licence_at_limit"
    LICENCE_REQUIRED = "merchants.licence_required"
    SHOP_NOT_OPEN = "merchants.shop_not_open"
