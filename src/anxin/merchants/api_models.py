"""What the merchants API answers, as published in the OpenAPI schema.

The models describe the JSON the use cases build (issue 15). Money is integer fen (``*_fen``), rates basis points
(``*_bp``); every decision carries its reasons (``code``, ``rule_id``, ``params``) and the rulebook ``version``.
Answers forbid unknown members, so a field added to a use case's answer without its model fails the API tests
instead of vanishing from the schema; ``params``, ``facts`` and ``detail`` are open by design (they vary by rule).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from anxin.merchants.ledger import PostingKind
from anxin.merchants.lifecycle import ShopState

Open = dict[str, JsonValue]
Localised = dict[str, str]
StoreType = Literal["enterprise", "individual", "personal"]
FEN = "in fen (1 yuan = 100 fen)"


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MerchantReason(Answer):
    code: str = Field(description="stable reason code, e.g. deposit.gmv_tier")
    rule_id: str = Field(description="the rulebook entry that decided; empty when none")
    params: Open = Field(description="the numbers the reason is about (amounts in fen, with display text)")


class Screening(Answer):
    outcome: Literal["approve", "review", "reject", "platform"] = Field(
        description="platform: a shop the platform registered, not screened")
    reasons: list[MerchantReason]
    facts: Open | None = None
    trial_requested: bool | None = None
    trial_reasons: list[MerchantReason] | None = None
    version: str | None = None


class HistoryEntry(Answer):
    at: dt.datetime
    kind: str = Field(description="state | transfer | …")
    from_state: ShopState | None
    to_state: ShopState | None
    reason: str = Field(description="stable reason code")
    actor: str
    detail: Open


class ShopStatus(Answer):
    """A shop's state, licence, categories and screening, with its whole history."""

    shop_id: str
    merchant_id: str
    state: ShopState
    store_type: StoreType
    licence_no: str | None
    trial: bool = Field(description="the zero-deposit trial (0元入驻)")
    categories: list[str]
    applied_at: dt.datetime | None
    opened_at: dt.datetime | None
    state_since: dt.datetime
    screening: Screening | None
    carried: Open = Field(description="what a transfer carried over, or the application waiting for review")
    history: list[HistoryEntry] = Field(description="oldest first")


class ShopGlance(Answer):
    shop_id: str
    state: ShopState
    store_type: StoreType
    trial: bool
    deposit_state: Literal["ok", "top_up_due", "in_debt"]
    held_fen: int = Field(description=f"deposit held, {FEN}")
    required_fen: int = Field(description=f"deposit required, {FEN}")
    open_cases: int


class Requirement(Answer):
    fen: int = Field(description=f"the deposit required, {FEN}")
    base_fen: int = Field(description=f"by category and store type, {FEN}")
    tier_fen: int = Field(description=f"by sales tier (caps the base), {FEN}")
    rule_ids: list[str]
    reasons: list[MerchantReason]


class DepositStatus(Answer):
    state: Literal["ok", "top_up_due", "in_debt"]
    shortfall_fen: int = Field(description=f"what is missing to the requirement, {FEN}")
    reasons: list[MerchantReason]


class Deposit(Answer):
    """The deposit held and required (and why), the debt and the goods payment."""

    shop_id: str
    held_fen: int = Field(description=f"deposit held, {FEN}")
    debt_fen: int = Field(description=f"what the shop owes beyond its deposit, {FEN}")
    goods_fen: int = Field(description=f"goods payment not yet paid out, {FEN}")
    trial: bool
    required: Requirement
    status: DepositStatus
    listing_cap: int | None = Field(description="listings allowed; null: no cap")
    listings: int
    over_listing_cap: bool
    version: str
    categories_not_allowed: list[str] = Field(description="the shop's categories its store type may not sell")


class Movement(Deposit):
    """A money movement's answer: whether it moved now (false: the key had moved it already) and the deposit."""

    applied: bool = Field(description="false when the idempotency key had already moved this money")


class Posting(Answer):
    key: str = Field(description="the posting's idempotency key")
    kind: PostingKind
    at: dt.datetime
    memo: str
    actor: str
    legs: dict[str, int] = Field(description=f"the shop's accounts (deposit, debt, goods) and what moved, {FEN}")


class Task(Answer):
    id: str
    name: Localised
    done: bool
    progress: int
    target: int
    xp: int
    expired: bool
    deadline: dt.datetime | None
    completed_at: dt.datetime | None


class Programme(Answer):
    programme: Literal["creator_matching", "traffic_support"]
    eligible: bool
    until: dt.datetime | None
    milestone: str | None
    next_milestone: str | None
    reasons: list[MerchantReason]
    facts_used: Open


class Novice(Answer):
    shop_id: str
    version: str
    xp: int
    level: str
    next_level: str | None
    unlocked: list[str]
    in_period: bool = Field(description="still within the novice period")
    tasks: list[Task]
    reasons: list[MerchantReason]
    facts: Open
    creator_matching: Programme
    traffic_support: Programme


class StatementLine(Answer):
    code: str
    amount_fen: int = Field(description=f"signed, {FEN}")
    counts: bool = Field(description="part of the sum (false: shown to explain)")
    version: str
    rule_id: str
    params: Open
    label: Localised


class FeeEntry(Answer):
    key: str
    order_id: str
    kind: Literal["sale", "refund", "cancel"]
    at: dt.datetime
    base_fen: int = Field(description=f"fee base, {FEN}")
    fee_fen: int = Field(description=f"fee charged (negative: returned), {FEN}")
    receivable_fen: int = Field(description=f"what the shop receives, {FEN}")
    version: str
    waivers: list[str] = Field(description="waivers and rebates applied")


class KindTotals(Answer):
    count: int
    base_fen: int
    fee_fen: int
    receivable_fen: int


class PeriodStatement(Answer):
    """A shop's fees of a period (Beijing days), summed by kind and waiver; the entries are a list of their own."""

    shop_id: str
    start: dt.date
    end: dt.date
    by_kind: dict[str, KindTotals] = Field(description="sale | refund | cancel")
    orders: int
    fee_fen: int = Field(description=f"net fee, {FEN}")
    receivable_fen: int = Field(description=f"net receivable, {FEN}")
    base_fen: int = Field(description=f"net fee base, {FEN}")
    waived_by_waiver: dict[str, int] = Field(description=f"commission waived by waiver id, {FEN}")
    versions: list[str] = Field(description="rulebook versions the entries were settled under")
    lines: list[StatementLine]


class QuoteLine(Answer):
    line_no: int
    category_id: str
    gross_fen: int
    shop_coupon_fen: int
    base_fen: int
    commission_id: str
    commission_bp: int
    commission_fen: int
    charged_bp: int
    fee_fen: int
    waiver_ids: list[str]
    rebate_ids: list[str]
    waived: dict[str, int] = Field(description=f"by waiver id, {FEN}")
    reasons: list[MerchantReason]


class Quote(Answer):
    order_id: str
    shop_id: str
    paid_at: dt.datetime
    channel: str
    version: str
    platform_coupon_fen: int
    lines: list[QuoteLine]


class OrderStatement(Answer):
    """One order's settlement: the quote frozen at the sale, fee, waivers, refunds, net."""

    order_id: str
    shop_id: str
    quote: Quote
    gross_fen: int
    shop_coupon_fen: int
    platform_coupon_fen: int
    base_fen: int = Field(description=f"fee base: after shop coupons, before platform coupons, {FEN}")
    commission_fen: int
    fee_fen: int
    receivable_fen: int
    waived: dict[str, int] = Field(description=f"by waiver id, {FEN}")
    lines: list[StatementLine]
    entries: list[FeeEntry] = Field(description="the sale and what reversed it")
    net_receivable_fen: int
    net_fee_fen: int


class Offer(Answer):
    offer_id: str
    kind: Literal["loan", "early_payout", "instalment"]
    eligible: bool
    amount_fen: int | None = Field(description=f"{FEN}; null when not eligible")
    term_days: int | None
    valid_until: dt.datetime | None
    decided_at: dt.datetime
    version: str
    reasons: list[MerchantReason]
    facts: Open


class OpenCase(Answer):
    case_id: str
    order_id: str
    case_type: str
    reason: str
    amount_fen: int = Field(description=f"asked for, {FEN}")
    state: str
    opened_at: dt.datetime
    deadline_at: dt.datetime | None
    deadline_kind: str | None


class WaiverView(Answer):
    id: str
    name: Localised
    kind: Literal["waive", "rebate"]
    in_force: bool
    campaign: bool = Field(description="added by an operator (not from the rulebook)")


class FeeRules(Answer):
    version: str
    channel_fee_bp: int = Field(description="the payment-channel floor no waiver goes under, basis points")
    waivers: list[WaiverView]


class CampaignAdded(Answer):
    waiver_id: str
    spec: Open = Field(description="the campaign as given")


class SettlementRun(Answer):
    sales: int
    refunds: int
    cancellations: int
    compensations: int
    trial_top_ups: int
    failed: list[str] = Field(description="items set aside this run: sale:<order>, refund:<event> …")
