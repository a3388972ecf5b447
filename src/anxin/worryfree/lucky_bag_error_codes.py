"""Stable error codes of lucky bags (``worryfree.lucky_bag.*``), each with its HTTP status."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class LuckyBagErrorCode(ErrorCode):
    NOT_FOUND = "worryfree.lucky_bag.not_found", 404
    FORBIDDEN = "worryfree.lucky_bag.forbidden", 403
    INVALID = "worryfree.lucky_bag.invalid", 422
    NOT_TAGGED = "worryfree.lucky_bag.not_tagged", 422
    WRONG_SHOP = "worryfree.lucky_bag.wrong_shop", 422
    NOT_OPEN = "worryfree.lucky_bag.not_open", 409
    WINDOW_NOT_CLOSED = "worryfree.lucky_bag.window_not_closed", 409
    OWNER_WINDOW_PASSED = "worryfree.lucky_bag.owner_window_passed", 409
    CANCEL_WINDOW_PASSED = "worryfree.lucky_bag.cancel_window_passed", 409
