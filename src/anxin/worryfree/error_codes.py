"""Stable error codes of the worry-free context's stock and lots."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class WorryFreeErrorCode(ErrorCode):
    OUT_OF_STOCK = "worryfree.out_of_stock", 409  # not enough passed stock within the shelf-life rule; nothing held
    RESERVATION_CONFLICT = "worryfree.reservation_conflict", 409  # the order already holds other items
    RESERVATION_NOT_FOUND = "worryfree.reservation_not_found", 404  # the order holds nothing you may see
    NOT_RELEASABLE = "worryfree.not_releasable", 409  # already shipped: stock is gone
    LOT_NOT_FOUND = "worryfree.lot_not_found", 404
    LISTING_NOT_FOUND = "worryfree.listing_not_found", 404  # no such listing that you may see
    INVALID = "worryfree.invalid", 422  # a field is missing, out of range or not one of its values
    FORBIDDEN = "worryfree.forbidden", 403  # your role may not do this
    VERDICT_CONFLICT = "worryfree.verdict_conflict", 409  # the lot already has a verdict
