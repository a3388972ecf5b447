"""Customer care as the platform reports it: the models of `complaint.filed` and `chat.session` data and their
thin parsers.

They raise `anxin.core.fields.FieldInvalid` (`anxin.core.payload.parse`); ingestion turns it into its error code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import model_validator

from anxin.care.model import ChatSession, Complaint, ComplaintReason
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


# The model of each event type's data (published as JSON Schema).
PAYLOADS: dict[str, type[Payload]] = {"complaint.filed": ComplaintFiled, "chat.session": ChatSessionReported}
