"""Stable error codes of the outbox context, each with the HTTP status it answers."""

from __future__ import annotations

from anxin.core.errors import ErrorCode


class OutboxErrorCode(ErrorCode):
    INVALID_AMOUNT = "outbox.invalid_amount", 422
    INVALID_KIND = "outbox.invalid_kind", 422
    INVALID_MESSAGE = "outbox.invalid_message", 422
    IDEMPOTENCY_CONFLICT = "outbox.idempotency_conflict", 409
    MESSAGE_NOT_FOUND = "outbox.message_not_found", 404
    NOT_REDELIVERABLE = "outbox.not_redeliverable", 409
    DELIVERY_NOT_FOUND = "outbox.delivery_not_found", 404
    ENDPOINT_NOT_FOUND = "outbox.endpoint_not_found", 404
    INVALID_ENDPOINT = "outbox.invalid_endpoint", 422
    ENDPOINT_CONFIGURED = "outbox.endpoint_configured", 409
    INVALID_FILTER = "outbox.invalid_filter", 422
