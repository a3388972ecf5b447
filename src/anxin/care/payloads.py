"""Customer care as the platform reports it: the models of `complaint.filed`, `chat.session`,
`care.consultation_opened` and `care.message_posted` data and their thin parsers.

They raise `anxin.core.fields.FieldInvalid` (`anxin.core.payload.parse`); ingestion turns it into its error code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import model_validator

from anxin.care.model import Channel, ChatSession, Complaint, ComplaintReason, Consultation, Message, Source, Topic
from anxin.core.payload import Id, Instant, Payload, Text, parse, rule


@dataclass(frozen=True)
class FileComplaint:
    """A complaint as sent: its shop and consumer are the order's (`complaint`), not the sender's say."""

    complaint_id: str
    order_id: str
    reason: str
    filed_at: dt.datetime
    text: str

    def complaint(self, *, shop_id: str, consumer_id: str) -> Complaint:
        return Complaint(self.complaint_id, self.order_id, shop_id, consumer_id, self.reason, self.filed_at,
                         self.text)


class ComplaintFiled(Payload):
    """`complaint.filed`: a consumer's complaint about an order (its shop and consumer are the order's)."""

    complaint_id: Id
    order_id: Id
    reason: ComplaintReason
    filed_at: Instant
    text: Text | None = None


class ChatSessionReported(Payload):
    """`chat.session`: a customer-service chat, reported when it ends and possibly again with more fields. A human
    reply needs a handoff (`to_human_at`) and does not precede it; no time precedes `opened_at`."""

    session_id: Id
    shop_id: Id
    consumer_id: Id
    order_id: Id | None = None
    opened_at: Instant
    to_human_at: Instant | None = None
    first_human_reply_at: Instant | None = None
    closed_at: Instant | None = None

    @model_validator(mode="after")
    def _times_run_forwards(self) -> Self:
        # Scores read response times as differences of these: a reply without a handoff, or a time running
        # backwards, would count as a negative or impossible wait.
        if self.first_human_reply_at is not None and self.to_human_at is None:
            raise rule("data.first_human_reply_at needs data.to_human_at (only a session handed to a human agent "
                       "has a human reply)", field="first_human_reply_at")
        for name in ("to_human_at", "first_human_reply_at", "closed_at"):
            value = getattr(self, name)
            if value is not None and value < self.opened_at:
                raise rule(f"data.{name} is before data.opened_at", field=name)
        if self.to_human_at is not None and self.first_human_reply_at is not None \
                and self.first_human_reply_at < self.to_human_at:
            raise rule("data.first_human_reply_at is before data.to_human_at", field="first_human_reply_at")
        return self


def parse_complaint(d: Mapping[str, Any]) -> FileComplaint:
    m = parse(ComplaintFiled, d)
    return FileComplaint(m.complaint_id, m.order_id, m.reason.value, m.filed_at, m.text or "")


def parse_chat_session(d: Mapping[str, Any]) -> ChatSession:
    m = parse(ChatSessionReported, d)
    return ChatSession(m.session_id, m.shop_id, m.consumer_id, m.order_id, m.opened_at, m.to_human_at,
                       m.first_human_reply_at, m.closed_at)


@dataclass(frozen=True)
class PlatformConsultation:
    """A platform chat's consultation as sent; its shop is its order's when it has one (``consultation``)."""

    consultation_id: str
    channel: str
    topic: str | None
    text: str
    customer_role: str
    customer_id: str
    order_id: str | None
    shop_id: str | None
    opened_at: dt.datetime

    def consultation(self, *, order_shop_id: str | None) -> Consultation:
        """Stored unrouted (care routes it in its handler): the order's shop, never the sender's say."""
        return Consultation(self.consultation_id, self.channel, self.topic, self.text, self.customer_role,
                            self.customer_id, self.order_id, order_shop_id or self.shop_id,
                            self.customer_id if self.channel == Channel.MERCHANT else None, self.opened_at,
                            Source.PLATFORM.value)


class ConsultationOpenedData(Payload):
    """`care.consultation_opened`: a consumer (``consumer_id``, consumer channel) or a merchant (``merchant_id``,
    merchant channel) asked the platform's customer service; anxin routes it (a ticket, or the case / parcel
    answer). Its shop is its order's when it has an order."""

    consultation_id: Id
    channel: Channel
    topic: Topic | None = None
    text: Text
    consumer_id: Id | None = None
    merchant_id: Id | None = None
    order_id: Id | None = None
    shop_id: Id | None = None
    opened_at: Instant

    @model_validator(mode="after")
    def _one_opener(self) -> Self:
        wanted, other = (("consumer_id", "merchant_id") if self.channel == Channel.CONSUMER
                         else ("merchant_id", "consumer_id"))
        if getattr(self, wanted) is None:
            raise rule(f"data.{wanted} is required on the {self.channel.value} channel", field=wanted)
        if getattr(self, other) is not None:
            raise rule(f"data.{other} is not allowed on the {self.channel.value} channel", field=other)
        return self


class MessagePostedData(Payload):
    """`care.message_posted`: a message in a platform chat whose consultation was sent as
    `care.consultation_opened` (it waits for it); ``author_role`` platform is the platform's customer service."""

    message_id: Id
    consultation_id: Id
    author_role: Literal["consumer", "merchant", "platform"]
    author_id: Id
    text: Text
    posted_at: Instant


def parse_consultation_opened(d: Mapping[str, Any]) -> PlatformConsultation:
    m = parse(ConsultationOpenedData, d)
    consumer = m.channel == Channel.CONSUMER
    opener = m.consumer_id if consumer else m.merchant_id
    assert opener is not None  # the validator
    return PlatformConsultation(m.consultation_id, m.channel.value, m.topic.value if m.topic else None, m.text,
                                m.channel.value, opener, m.order_id, m.shop_id, m.opened_at)


def parse_message_posted(d: Mapping[str, Any]) -> Message:
    """Stored unapplied: care applies it to the ticket in its handler."""
    m = parse(MessagePostedData, d)
    return Message(m.message_id, m.consultation_id, None, m.author_role, m.author_id, m.text, m.posted_at,
                   Source.PLATFORM.value)


# The model of each event type's data (published as JSON Schema).
PAYLOADS: dict[str, type[Payload]] = {"complaint.filed": ComplaintFiled, "chat.session": ChatSessionReported,
                                      "care.consultation_opened": ConsultationOpenedData,
                                      "care.message_posted": MessagePostedData}
