"""Stable error codes of the selection pool and the programme's order metrics (``worryfree.pool.*``)."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class PoolErrorCode(ErrorCode):
    INVALID_FILTER = "worryfree.pool.invalid_filter", 422
    UNKNOWN_CATEGORY = "worryfree.pool.unknown_category", 422
    INVALID_PERIOD = "worryfree.pool.invalid_period", 422
