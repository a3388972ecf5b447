"""Stable error codes of inbound inspection (``worryfree.inspection.*``), each with its HTTP status."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class InspectionErrorCode(ErrorCode):
    LOT_NOT_FOUND = "worryfree.inspection.lot_not_found", 404
    NOT_PLANNED = "worryfree.inspection.not_planned", 409
    ALREADY_DECIDED = "worryfree.inspection.already_decided", 409
    INVALID_UNITS = "worryfree.inspection.invalid_units", 422
