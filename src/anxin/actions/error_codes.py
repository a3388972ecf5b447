"""Stable error codes of the actions context (mapped to HTTP in anxin.web.errors)."""

from __future__ import annotations

from enum import StrEnum


class ActionErrorCode(StrEnum):
    UNKNOWN_KIND = "actions.unknown_kind"
    INVALID_PARAMETERS = "actions.invalid_parameters"
    INVALID_TARGET = "actions.invalid_target"
    INVALID_CAUSE = "actions.invalid_cause"
    ACTION_NOT_FOUND = "actions.action_not_found"
    INVALID_ACK = "actions.invalid_ack"
    ACK_CONFLICT = "actions.ack_conflict"
    CAUSE_CONFLICT = "actions.cause_conflict"
    INVALID_FILTER = "actions.invalid_filter"
