"""What the outbox publishes. Pure: other contexts import these to subscribe."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("outbox.message_delivered")
@dataclass(frozen=True)
class MessageDelivered(Event):
    """Every endpoint subscribed to the message answered 2xx: recorded with the delivery that completed it. Logged
    only for the kinds a subscriber asks for (the actions context: its own kinds), never for every refund."""

    message_id: str
    kind: str
    idempotency_key: str
    subject_ref: str
    delivered_at: dt.datetime
