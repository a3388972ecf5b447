"""Stable error codes of the fulfilment context (mapped to HTTP in anxin.web.errors)."""

from __future__ import annotations

from enum import StrEnum


class FulfilmentErrorCode(StrEnum):
    SHOP_NOT_FOUND = "fulfilment.shop_not_found"
    ORDER_NOT_FOUND = "fulfilment.order_not_found"
    INVALID_WINDOW = "fulfilment.invalid_window"
