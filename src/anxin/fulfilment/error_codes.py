"""Stable error codes of the fulfilment context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class FulfilmentErrorCode(ErrorCode):
    SHOP_NOT_FOUND = "fulfilment.shop_not_found", 404
    ORDER_NOT_FOUND = "fulfilment.order_not_found", 404
    INVALID_WINDOW = "fulfilment.invalid_window", 422
