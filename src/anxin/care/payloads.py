"""Customer care as the platform reports it: pure parsers of ``complaint.filed`` and ``chat.session`` data.

They raise ``anxin.core.fields.FieldInvalid``; ingestion turns it into its error code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from anxin.care.model import COMPLAINT_REASONS, ChatSession, Complaint
from anxin.core import fields as f


@dataclass(frozen=True)
class FileComplaint:
    """A complaint as sent: its shop and consumer are the order's (``complaint``), not the sender's say."""

    complaint_id: str
    order_id: str
    reason: str
    filed_at: dt.datetime
    text: str

    def complaint(self, *, shop_id: str, consumer_id: str) -> Complaint:
        return Complaint(self.complaint_id, self.order_id, shop_id, consumer_id, self.reason, self.filed_at,
                         self.text)


def parse_complaint(d: Mapping[str, Any]) -> FileComplaint:
    return FileComplaint(f.text(d, "complaint_id"), f.text(d, "order_id"), f.choice(d, "reason", COMPLAINT_REASONS),
                         f.instant(d, "filed_at"), f.opt_text(d, "text") or "")


def parse_chat_session(d: Mapping[str, Any]) -> ChatSession:
    session_id, shop_id, consumer_id = f.text(d, "session_id"), f.text(d, "shop_id"), f.text(d, "consumer_id")
    order_id = f.opt_text(d, "order_id", max_len=f.MAX_ID)
    opened = f.instant(d, "opened_at")
    to_human, first_reply = f.opt_instant(d, "to_human_at"), f.opt_instant(d, "first_human_reply_at")
    closed = f.opt_instant(d, "closed_at")
    # Scores read response times as differences of these: a reply without a handoff, or a time running backwards,
    # would count as a negative or impossible wait.
    if first_reply is not None and to_human is None:
        raise f.invalid("data.first_human_reply_at", "data.first_human_reply_at needs data.to_human_at (only a "
                        "session handed to a human agent has a human reply)")
    for name, value in (("to_human_at", to_human), ("first_human_reply_at", first_reply), ("closed_at", closed)):
        if value is not None and value < opened:
            raise f.invalid(f"data.{name}", f"data.{name} is before data.opened_at")
    if first_reply is not None and to_human is not None and first_reply < to_human:
        raise f.invalid("data.first_human_reply_at", "data.first_human_reply_at is before data.to_human_at")
    return ChatSession(session_id, shop_id, consumer_id, order_id, opened, to_human, first_reply, closed)
