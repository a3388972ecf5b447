"""The risk API's responses: reviews (the queue, one review with its verdict and linked accounts, a decision), the
rules with their backtests, bans and a shop's credentials."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from anxin.risk.model import Outcome
from anxin.risk.rulebook import Stage, Status
from anxin.web.schema import Fen, Free, Instant, Out, Texts

ReviewState = Literal["open", "cleared", "confirmed", "withdrawn"]
Mode = Literal["enforce", "shadow", "off"]


class RiskReason(Out):
    """A rule that fired."""

    rule: str
    code: str
    action: Outcome
    points: int
    status: Status
    message: Texts
    compared: list[Free] = Field(description="each fact read, its value and what it was compared with")


class SignalOut(Out):
    name: str
    value: int | bool | str
    evidence: Free


class Verdict(Out):
    verdict_id: str
    stage: Stage
    subject: str = Field(description="what was judged: case:…, shop:…, principal:…")
    case_id: str | None
    consumer_id: str | None
    shop_id: str | None
    amount_fen: Fen
    outcome: Outcome = Field(description="what was enforced")
    would_be: Outcome = Field(description="with the shadow rules live too")
    score: int = Field(description="0–1000: the live rules' points, capped")
    mode: Mode
    rulebook_version: str
    reasons: list[RiskReason]
    shadow: list[RiskReason] = Field(description="shadow rules that fired (logged, not acting)")
    signals: list[SignalOut]
    facts: Free = Field(description="the facts the verdict was judged on, as stored with it")
    decided_at: Instant


class Review(Out):
    review_id: str
    verdict_id: str
    stage: Stage
    case_id: str | None
    consumer_id: str | None
    shop_id: str | None
    outcome: Outcome = Field(description="the verdict under review: review or block")
    priority: int = Field(description="0 is the most urgent (a block)")
    state: ReviewState
    opened_at: Instant
    due_at: Instant
    overdue: bool
    decided_at: Instant | None
    decided_by: str | None
    decision_reason: str | None
    note: str
    score: int | None
    amount_fen: Fen | None
    codes: list[str] = Field(description="the reason codes of the verdict")


class Attribute(Out):
    kind: str
    value: str
    hub: bool = Field(description="shared by so many accounts it links nobody (not expanded)")


class Node(Out):
    id: str
    kind: Literal["subject", "account"]


class Edge(Out):
    account: str
    kind: str
    value: str


class Ring(Out):
    size: int
    density: float
    score: float
    is_ring: bool
    members: list[str] = Field(description="the first 60, sorted")


class Links(Out):
    subject: str
    attributes: list[Attribute]
    nodes: list[Node] = Field(description="at most 200")
    edges: list[Edge] = Field(description="at most 400")
    ring: Ring | None


class AuditEntry(Out):
    at: Instant
    actor: str
    action: str
    detail: Free


class ReviewDetail(Review):
    verdict: Verdict | None
    links: Links
    history: list[Verdict] = Field(description="the consumer's other recent verdicts")
    audit: list[AuditEntry]


class ReviewCounts(Out):
    open: int
    cleared: int
    confirmed: int
    withdrawn: int
    overdue: int = Field(description="open and past due")


class Backtest(Out):
    rule_id: str
    stage: Stage
    action: Outcome
    requests: int = Field(description="past verdicts of the stage replayed")
    not_evaluable: int = Field(description="stored without a fact the rule reads (made before it existed)")
    fired: int
    fired_per_10k: int
    newly_flagged: int = Field(description="fired where the verdict had been pass")
    fired_on_confirmed: int
    fired_on_cleared: int
    confirmed_total: int
    examples: list[str] = Field(description="verdict ids it fired on (at most 10)")
    days: int
    at: Instant
    refusal: str | None = Field(description="why it may not go live; null when within the rulebook's limits")


class RuleOut(Out):
    id: str
    stage: Stage
    code: str
    action: Outcome
    points: int
    status: Status
    file_status: Status | None = Field(description="its status in the rulebook file; null for a draft")
    draft: bool
    message: Texts
    when: Free = Field(description="the condition as written")
    backtest: Free | None = Field(description="the last backtest, as stored when it ran (see Backtest)")


class Rules(Out):
    version: str
    mode: Mode
    rules: list[RuleOut]


class RuleChange(Out):
    rule_id: str
    status: Status
    backtest: Backtest


class Ban(Out):
    shop_id: str
    banned_at: Instant
    credentials: list[str] = Field(description="the kinds of credentials that flag shops sharing them")


class Credential(Out):
    kind: str
    value: str


class ShopCredentials(Out):
    shop_id: str
    banned: bool
    credentials: list[Credential]
    onboarding: list[Verdict]
