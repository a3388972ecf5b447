"""The after-sales API's responses: an order's guarantees, a case as its reader may see it, an evidence upload."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from anxin.aftersales.model import CaseState
from anxin.aftersales.policy import Outcome
from anxin.aftersales.rulebook import CaseType
from anxin.aftersales.rulebook import Reason as ClaimReason
from anxin.web.schema import Fen, Free, Instant, Out, Texts


class Reason(Out):
    code: str = Field(description="a stable reason code")
    rule: str = Field(description="the rule that gave it")
    version: str = Field(description="the rulebook version of the rule")
    detail: Free


class Coverage(Out):
    id: str
    service: str
    name: Texts
    summary: Texts
    state: Literal["active", "pending", "expired", "unavailable", "not_applicable"]
    opens_at: Instant | None
    closes_at: Instant | None
    reasons: list[Reason]


class OrderGuarantees(Out):
    order_id: str
    rulebook_version: str
    guarantees: list[Coverage]


class Deadline(Out):
    at: Instant
    kind: str = Field(description="what is awaited: merchant_response, buyer_ship_return, escalation, …")


class ReturnShipment(Out):
    method: str = Field(description="self | pickup")
    carrier: str | None
    tracking_no: str | None
    freight_fen: Fen


class CaseMoney(Out):
    refunded_fen: Fen
    compensated_fen: Fen
    freight_paid_fen: Fen


class Decision(Out):
    outcome: Outcome
    reasons: list[Reason]
    passed_over: list[Reason] = Field(description="guarantees tried first that did not hold, and why")
    guarantee: str | None
    rulebook_version: str
    decided_at: Instant
    facts: Free
    trace: list[Free]
    risk: Free | None = Field(None, exclude_if=lambda v: v is None,
                              description="risk's verdict: operators and the platform only (absent for others)")


class TimelineEntry(Out):
    action: str
    actor: str = Field(description="the role that acted (consumer, merchant, operator, platform, system)")
    at: Instant
    from_: CaseState | None = Field(alias="from")
    to: CaseState
    note: str
    deadline_at: Instant | None
    deadline_kind: str | None
    data: Free


class PlatformReview(Out):
    subject: Literal["request", "freight", "return"]
    since: Instant
    hours: int | None = Field(description="the review time promised; null when there is none to promise")
    expected_by: Instant | None
    message: Texts


class Case(Out):
    """A case as its reader may see it: risk internals only for operators and the platform."""

    case_id: str
    order_id: str
    shop_id: str
    consumer_id: str
    type: CaseType
    reason: ClaimReason
    amount_fen: Fen = Field(description="the amount claimed, in fen")
    state: CaseState
    opened_at: Instant
    guarantee: str | None
    rulebook_version: str
    deadline: Deadline | None
    return_: ReturnShipment | None = Field(alias="return")
    money: CaseMoney
    listing_id: str | None
    description: str
    evidence: list[str] = Field(description="sha256 of the evidence images")
    decision: Decision
    timeline: list[TimelineEntry]
    platform_review: PlatformReview | None


class Evidence(Out):
    sha256: str
    content_type: str
    size: int = Field(description="bytes")
    width: int
    height: int
