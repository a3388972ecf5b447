"""What customer care publishes: consultations opened (proactive care counts repeated contacts from them), SLA
breaches, tickets closed; and the two platform facts care hands itself from ingestion (a platform chat's
consultation or message stored, to be routed and applied by care's own handlers). Pure."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from anxin.core.events import Event, event


@event("care.consultation_opened")
@dataclass(frozen=True)
class ConsultationOpened(Event):
    """A consultation was routed: to a ticket (``ticket_id``) or answered by its case or parcel timeline."""

    consultation_id: str
    order_id: str | None
    shop_id: str | None
    consumer_id: str | None  # None for the merchant channel
    intent: str
    route: str
    at: dt.datetime
    channel: str
    topic: str
    ticket_id: str | None
    source: str  # api | platform


@event("care.ticket_breached")
@dataclass(frozen=True)
class TicketBreached(Event):
    """An SLA was missed (once per ticket and kind); ``escalated_to``: the team it went to, if it did."""

    ticket_id: str
    consultation_id: str
    kind: str  # first_reply | resolution
    owner: str  # who owned it when it was missed
    shop_id: str | None
    order_id: str | None
    due: dt.datetime
    at: dt.datetime
    escalated_to: str | None
    rule_id: str
    rulebook_version: str


@event("care.ticket_closed")
@dataclass(frozen=True)
class TicketClosed(Event):
    """A resolved ticket closed: confirmed by its customer, or by the clock after the close-after period."""

    ticket_id: str
    consultation_id: str
    closure_no: int
    owner: str
    channel: str
    intent: str
    shop_id: str | None
    order_id: str | None
    resolved_at: dt.datetime
    closed_at: dt.datetime
    by: str  # customer | staff | system


@event("care.consultation_received")
@dataclass(frozen=True)
class ConsultationReceived(Event):
    """A platform chat's consultation was stored by ingestion; care routes it in its handler."""

    consultation_id: str
    at: dt.datetime


@event("care.message_received")
@dataclass(frozen=True)
class MessageReceived(Event):
    """A platform chat's message was stored by ingestion; care applies it to the ticket in its handler."""

    message_id: str
    consultation_id: str
    at: dt.datetime
