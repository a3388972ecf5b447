"""Pure customer-care objects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


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


# --- consultations and tickets: the vocabulary every slice uses (CARE_SPEC.md) -------------------------------------

class Channel(StrEnum):
    CONSUMER = "consumer"  # a consumer about an order, a listing or a shop
    MERCHANT = "merchant"  # a merchant to the platform


class Topic(StrEnum):
    """What the opener picked; also the key of the resolution targets in the care rulebook."""

    PRE_SALE = "pre_sale"
    ORDER = "order"
    LOGISTICS = "logistics"
    AFTER_SALE = "after_sale"
    ACCOUNT = "account"
    MERCHANT_POLICY = "merchant_policy"


# Each intent belongs to one topic.
INTENT_TOPICS: dict[str, str] = {
    "pre_sale.product_info": Topic.PRE_SALE, "pre_sale.price": Topic.PRE_SALE,
    "order.modify": Topic.ORDER, "order.cancel": Topic.ORDER,
    "logistics.where": Topic.LOGISTICS, "logistics.problem": Topic.LOGISTICS,
    "after_sale.return": Topic.AFTER_SALE, "after_sale.progress": Topic.AFTER_SALE,
    "after_sale.quality": Topic.AFTER_SALE,
    "complaint.service": Topic.ACCOUNT, "account.security": Topic.ACCOUNT,
    "merchant.policy": Topic.MERCHANT_POLICY,
}
INTENTS = tuple(INTENT_TOPICS)


class Route(StrEnum):
    MERCHANT_CS = "merchant_cs"
    PLATFORM_CS = "platform_cs"
    CASE = "case"  # the open after-sale case answers it
    PARCEL = "parcel"  # the parcel timeline answers it


class Owner(StrEnum):
    MERCHANT_CS = "merchant_cs"
    PLATFORM_CS = "platform_cs"


class TicketState(StrEnum):
    OPEN = "open"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_MERCHANT = "waiting_merchant"
    RESOLVED = "resolved"
    CLOSED = "closed"


ACTIVE_STATES = frozenset({TicketState.OPEN, TicketState.WAITING_CUSTOMER, TicketState.WAITING_MERCHANT})


class AuthorRole(StrEnum):
    CONSUMER = "consumer"
    MERCHANT = "merchant"
    PLATFORM = "platform"
    BOT = "bot"
    SYSTEM = "system"


class Source(StrEnum):
    API = "api"  # through anxin's API
    PLATFORM = "platform"  # a platform chat, ingested as events


BREACH_KINDS = ("first_reply", "resolution")


@dataclass(frozen=True)
class OpenConsultation:
    """``POST /v1/care/consultations``: ``consultation_id`` is the client's, and opening it again is a no-op."""

    consultation_id: str
    channel: str
    text: str
    topic: str | None = None
    order_id: str | None = None
    shop_id: str | None = None


@dataclass(frozen=True)
class PostMessage:
    message_id: str  # the client's: posting it again is a no-op
    text: str


@dataclass(frozen=True)
class TransitionTicket:
    to_state: str
    reason: str = ""


@dataclass(frozen=True)
class RateTicket:
    rating: int  # 1..5
    comment: str = ""


@dataclass(frozen=True)
class Consultation:
    """A question someone asked, with how it was routed (None until routed: a platform chat is stored first, then
    routed by care's handler of ``care.consultation_received``)."""

    consultation_id: str
    channel: str
    topic: str | None
    text: str
    customer_role: str  # consumer | merchant: who asked
    customer_id: str
    order_id: str | None
    shop_id: str | None
    merchant_id: str | None  # the shop's merchant (consumer channel) or the asking merchant
    opened_at: dt.datetime
    source: str
    routing: dict[str, Any] | None = None  # RoutingDecision.as_dict(), as stored
    route: str | None = None
    ticket_id: str | None = None
    fallback_owner: str | None = None  # who owns the ticket a later message opens on a case / parcel answer
    answer: dict[str, Any] | None = None  # the case / parcel answer given instead of a ticket
    routed_at: dt.datetime | None = None

    @property
    def routed(self) -> bool:
        return self.routed_at is not None


@dataclass(frozen=True)
class Ticket:
    """A consultation that needs follow-up, with its owner, state and SLA clocks (all instants UTC)."""

    ticket_id: str
    consultation_id: str
    channel: str
    topic: str  # the resolution-target key: the intent's topic
    intent: str
    owner: str
    first_owner: str  # the owner when it opened (merchant_cs tickets feed the merchant's reply rate)
    customer_role: str
    customer_id: str
    shop_id: str | None
    merchant_id: str | None
    order_id: str | None
    state: str
    opened_at: dt.datetime
    rulebook_version: str
    first_reply_from: dt.datetime  # opened, or escalated: the owner's first-reply clock starts here
    first_reply_due: dt.datetime
    resolution_from: dt.datetime  # opened, or reopened
    resolution_due: dt.datetime
    first_replied_at: dt.datetime | None = None  # by the owner's side
    merchant_replied_at: dt.datetime | None = None  # the merchant's first reply, whoever owns it
    escalated_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    close_due: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    closure_no: int = 0  # how many times it was resolved: a rating is one per closure
    first_reply_breached_at: dt.datetime | None = None
    resolution_breached_at: dt.datetime | None = None
    version: int = 1
    updated_at: dt.datetime | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """One change of a ticket: who, when, from, to, why (``data``: the rule or the facts behind it)."""

    ticket_id: str
    at: dt.datetime
    kind: str  # opened | transition | escalated | breached | first_reply | rated
    actor: str  # <role>:<id>, or system
    from_state: str | None
    to_state: str | None
    reason: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Message:
    message_id: str
    consultation_id: str
    ticket_id: str | None
    author_role: str
    author_id: str
    text: str
    posted_at: dt.datetime
    source: str
    data: dict[str, Any] = field(default_factory=dict)  # a bot answer's links (case id, parcel timeline)
    applied_at: dt.datetime | None = None  # when its effect on the ticket was applied (platform messages: later)


@dataclass(frozen=True)
class Breach:
    """An SLA missed: once per ticket and kind."""

    ticket_id: str
    kind: str  # first_reply | resolution
    due: dt.datetime
    at: dt.datetime  # when it was found (the late reply, or the job's run)
    owner: str  # who owned the ticket when it was missed
    rule_id: str
    rulebook_version: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Satisfaction:
    ticket_id: str
    closure_no: int
    rating: int
    comment: str
    rated_at: dt.datetime
    rated_by: str
