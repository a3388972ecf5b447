"""The care API's request bodies and responses: consultations with their routing and answer, tickets with their SLA
clocks, messages, timeline, breaches and ratings, the queue's rows, and the staff's CSAT and SLA reports.

A routing decision is shown whole to staff (operators, the platform); consumers and merchants read its intent, topic,
route and owner only (the classifier's confidence, rules and facts are staff-only: null for them), and a timeline
entry's facts and actors' ids are staff-only too. The use cases cut them (``care.shared``); these models say so."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from anxin.care.model import INTENTS
from anxin.core.fields import MAX_ID, MAX_TEXT
from anxin.web.schema import Free, Instant, Out

ClientId = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ID, pattern=r"^[A-Za-z0-9_.:\-]+$",
                                      description="the client's id: sending the same again is a no-op")]
Channel = Literal["consumer", "merchant"]
Topic = Literal["pre_sale", "order", "logistics", "after_sale", "account", "merchant_policy"]
State = Literal["open", "waiting_customer", "waiting_merchant", "resolved", "closed"]
Owner = Literal["merchant_cs", "platform_cs"]
Route = Literal["merchant_cs", "platform_cs", "case", "parcel"]
AuthorRole = Literal["consumer", "merchant", "platform", "bot", "system"]
Intent = Annotated[str, Field(json_schema_extra={"enum": list(INTENTS)})]
MAX_REASON = 500
MAX_COMMENT = 1000


# --- requests ----------------------------------------------------------------------------------------------------

class OpenConsultationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    consultation_id: ClientId
    channel: Channel = Field(description="consumer: a consumer about an order, a listing or a shop (consumers); "
                                         "merchant: a merchant to the platform (merchants)")
    topic: Topic | None = Field(None, description="what the opener picked; the intent is classified from the text")
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT)
    order_id: StrictStr | None = Field(None, min_length=1, max_length=MAX_ID,
                                       description="the opener's order (its shop is the order's)")
    shop_id: StrictStr | None = Field(None, min_length=1, max_length=MAX_ID)


class PostMessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    message_id: ClientId
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT)


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_state: State
    reason: StrictStr = Field("", max_length=MAX_REASON)


class RatingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: StrictInt = Field(description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: StrictStr = Field("", max_length=MAX_COMMENT)


# --- responses ---------------------------------------------------------------------------------------------------

class Party(Out):
    role: str = Field(description="consumer or merchant (the customer); a message's author role")
    id: str


class Routing(Out):
    """Where a consultation went and why. ``confidence`` … ``facts``: staff only (absent for the others)."""

    intent: Intent
    topic: Topic
    route: Route
    owner: Owner | None = Field(description="null when the after-sale case or the parcel timeline answers it")
    confidence: float | None = Field(None, description="staff only: the classifier's probability of the intent")
    reason_codes: list[str] | None = Field(None, description="staff only")
    rule_ids: list[str] | None = Field(None, description="staff only")
    rulebook_version: str | None = Field(None, description="staff only")
    model_version: str | None = Field(None, description="staff only")
    facts: Free | None = Field(None, description="staff only: the order context used, the top intents, keyword "
                                                 "rules matched")


class AnswerLinks(Out):
    api: str
    page: str


class Answer(Out):
    """The bot's answer of a consultation routed to its open after-sale case or to its parcel's timeline."""

    kind: Literal["case", "parcel"]
    case_id: str | None = None
    case_state: str | None = Field(None, description="the case's state when it answered")
    order_id: str | None = None
    parcel_problem: str | None = Field(None, description="the parcel's finding then (parcel.stalled …), if any")
    links: AnswerLinks


class Consultation(Out):
    consultation_id: str
    channel: Channel
    topic: Topic | None
    text: str
    customer: Party
    order_id: str | None
    shop_id: str | None
    opened_at: Instant
    source: Literal["api", "platform"]
    routed: bool = Field(description="false for a platform chat until care's handler routes it (just after)")
    routed_at: Instant | None
    route: Route | None
    routing: Routing | None
    ticket_id: str | None = Field(description="the ticket it became, when it needs follow-up")
    answer: Answer | None = Field(description="the case or parcel answer, for those routes")


class FirstReply(Out):
    due: Instant
    replied_at: Instant | None = Field(description="the owner's side's first reply")
    breached_at: Instant | None
    rule_id: str


class Resolution(Out):
    due: Instant
    resolved_at: Instant | None
    breached_at: Instant | None
    rule_id: str


class SlaClocks(Out):
    first_reply: FirstReply
    merchant_replied_at: Instant | None = Field(description="the merchant's first reply, whoever owns the ticket")
    escalated_at: Instant | None = Field(description="when the missed first reply took it to platform CS")
    resolution: Resolution
    close_due: Instant | None = Field(description="a resolved ticket closes by itself then")
    closed_at: Instant | None
    reopen_window_ends_at: Instant | None
    rating_window_ends_at: Instant | None
    rulebook_version: str


class Ticket(Out):
    """A ticket as the queue lists it: its owner, state and SLA clocks."""

    ticket_id: str
    consultation_id: str
    channel: Channel
    topic: Topic
    intent: Intent
    owner: Owner
    first_owner: Owner = Field(description="the owner it opened with")
    state: State
    customer: Party
    shop_id: str | None
    order_id: str | None
    opened_at: Instant
    updated_at: Instant | None
    version: int
    next_due_at: Instant | None = Field(description="the next SLA deadline (the first reply while none came, then "
                                                    "the resolution): the queue's order; null once resolved")
    seconds_to_next_due: int | None = Field(description="wall-clock seconds from now, negative once past")
    sla: SlaClocks
    breached: bool = Field(description="an SLA of this ticket was missed")
    closure_no: int = Field(description="how many times it was resolved: one rating per resolution")


class Message(Out):
    message_id: str
    consultation_id: str
    ticket_id: str | None
    author: Party
    text: str
    posted_at: Instant
    source: Literal["api", "platform"]
    data: Free = Field(description="a bot answer's links (case id, parcel timeline)")


class TimelineEntry(Out):
    at: Instant
    kind: str = Field(description="opened, transition, escalated, breached, first_reply, rated …")
    actor: str = Field(description="staff read <role>:<id>; the others the role only, or system")
    from_state: State | None
    to_state: State | None
    reason: str
    data: Free = Field(description="the rule behind it; its facts for staff only")


class Breach(Out):
    kind: Literal["first_reply", "resolution"]
    due: Instant
    at: Instant
    owner: Owner = Field(description="who owned the ticket when it was missed")
    rule_id: str
    rulebook_version: str


class Rating(Out):
    closure_no: int
    rating: int
    comment: str
    rated_at: Instant


class RatingOut(Rating):
    ticket_id: str


class TicketDetail(Ticket):
    consultation: Consultation
    timeline: list[TimelineEntry]
    messages: list[Message]
    breaches: list[Breach]
    ratings: list[Rating]


class Opened(Out):
    """A consultation as opened: routed to a ticket, or answered (then ``ticket`` is null)."""

    consultation: Consultation
    ticket: Ticket | None
    answer: Answer | None
    messages: list[Message]


class Posted(Out):
    message: Message
    ticket: Ticket


class CsatFigures(Out):
    ratings: int
    average: float | None
    csat: float | None = Field(description="the share of ratings of 4 or 5")


class CsatGroup(CsatFigures):
    key: str | None = Field(description="the channel, intent, merchant id or owner")


class Csat(Out):
    by: Literal["channel", "intent", "merchant", "owner"]
    since: Instant
    until: Instant
    groups: list[CsatGroup]
    overall: CsatFigures


class SlaFigures(Out):
    tickets: int = Field(description="tickets opened in the period")
    first_reply_breached: int
    first_reply_breach_rate: float | None
    resolution_breached: int
    resolution_breach_rate: float | None
    escalated: int
    replied: int
    median_first_reply_seconds: float | None
    resolved: int
    median_resolution_seconds: float | None


class SlaReport(Out):
    since: Instant
    until: Instant
    rulebook_version: str
    all: SlaFigures
    merchant_cs: SlaFigures = Field(description="the tickets that opened with merchant customer service")
    platform_cs: SlaFigures = Field(description="the tickets that opened with platform customer service")
