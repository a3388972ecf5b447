"""Stable error codes of the outbox context."""

from __future__ import annotations

from enum import StrEnum


class OutboxErrorCode(StrEnum):
    INVALID_AMOUNT = "outbox.invalid_amount"
    INVALID_KIND = "outbox.invalid_kind"
    INVALID_MESSAGE = "outbox.invalid_message"
    IDEMPOTENCY_CONFLICT = "outbox.idempotency_conflict"
    MESSAGE_NOT_FOUND = "outbox.message_not_found"
    NOT_REDELIVERABLE = "outbox.not_redeliverable"
    DELIVERY_NOT_FOUND = "outbox.delivery_not_found"
    ENDPOINT_NOT_FOUND = "outbox.endpoint_not_found"
    INVALID_ENDPOINT = "outbox.invalid_endpoint"
    ENDPOINT_CONFIGURED = "outbox.endpoint_configured"
    INVALID_FILTER = "outbox.invalid_filter"
