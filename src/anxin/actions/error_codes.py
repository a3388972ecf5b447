"""Stable error codes of the actions context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class ActionErrorCode(ErrorCode):
    UNKNOWN_KIND = "actions.unknown_kind", 422
    INVALID_PARAMETERS = "actions.invalid_parameters", 422
    INVALID_TARGET = "actions.invalid_target", 422
    INVALID_CAUSE = "actions.invalid_cause", 422
    ACTION_NOT_FOUND = "actions.action_not_found", 404
    INVALID_ACK = "actions.invalid_ack", 422
    ACK_CONFLICT = "actions.ack_conflict", 409
    CAUSE_CONFLICT = "actions.cause_conflict", 409
    INVALID_FILTER = "actions.invalid_filter", 422
