"""The webhooks API's responses: endpoints, messages with their deliveries and attempts, counts."""

from __future__ import annotations

from pydantic import Field

from anxin.outbox.model import Status
from anxin.web.schema import Fen, Free, Instant, Out


class Endpoint(Out):
    endpoint_id: str
    url: str
    description: str
    event_types: list[str] = Field(description="message kinds, or * for all")
    enabled: bool
    configured: bool = Field(description="from configuration (ANXIN_WEBHOOK_*), not made through the API")
    created_at: Instant
    updated_at: Instant
    previous_secret_until: Instant | None = Field(description="the rotated-out secret signs too until then")


class EndpointWithDeliveries(Endpoint):
    deliveries: dict[str, int] = Field(description="its deliveries by status")


class Endpoints(Out):
    endpoints: list[EndpointWithDeliveries]


class EndpointWithSecret(Out):
    endpoint: Endpoint
    secret: str = Field(description="the signing secret, shown only now")
    note: str


class EndpointChanged(Out):
    endpoint: Endpoint


class Message(Out):
    message_id: str
    idempotency_key: str
    kind: str
    subject_ref: str
    amount_fen: Fen | None = Field(description="the money the message moves, in fen; null when none")
    status: Status
    attempts: int
    created_at: Instant
    next_attempt_at: Instant
    delivered_at: Instant | None
    last_error: str | None
    payload: Free


class Attempt(Out):
    delivery_id: str
    endpoint_id: str
    attempted_at: Instant
    status_code: int | None = Field(description="the receiver's HTTP status; null when it did not answer")
    error: str | None
    duration_ms: int


class Delivery(Out):
    delivery_id: str
    message_id: str
    endpoint_id: str
    status: Status
    attempts: int
    next_attempt_at: Instant
    created_at: Instant
    delivered_at: Instant | None
    last_status_code: int | None
    last_error: str | None


class DeliveryWithAttempts(Delivery):
    url: str | None = Field(description="the endpoint's URL; null if the endpoint is gone")
    attempt_log: list[Attempt] = Field(description="its latest attempts, oldest first")


class MessageDetail(Out):
    message: Message
    deliveries: list[DeliveryWithAttempts]


class Redelivered(Out):
    delivery: Delivery


class MessageCounts(Out):
    pending: int
    delivered: int
    dead: int
