"""Pure customer-care objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class ComplaintReason(StrEnum):
    QUALITY = "quality"
    SERVICE_ATTITUDE = "service_attitude"
    DELIVERY = "delivery"
    FALSE_ADVERTISING = "false_advertising"
    AFTER_SALES = "after_sales"
    OTHER = "other"


COMPLAINT_REASONS = tuple(r.value for r in ComplaintReason)


@dataclass(frozen=True)
class Complaint:
    """A consumer's complaint about an order; shop and consumer are the order's, not the sender's say."""

    complaint_id: str
    order_id: str
    shop_id: str
    consumer_id: str
    reason: str  # one of COMPLAINT_REASONS
    filed_at: dt.datetime
    text: str = ""


@dataclass(frozen=True)
class ChatSession:
    """A customer-service chat, reported when it ends and possibly again with more of its times."""

    session_id: str
    shop_id: str
    consumer_id: str
    order_id: str | None
    opened_at: dt.datetime
    to_human_at: dt.datetime | None = None  # handed from the bot to a human agent
    first_human_reply_at: dt.datetime | None = None  # only after a handoff
    closed_at: dt.datetime | None = None
