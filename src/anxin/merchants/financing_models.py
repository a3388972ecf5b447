"""The financing section's model (``rulebooks/merchants/financing.yaml``, ``kind: merchants.financing``): the
interest-free loan, early payout during promotions and interest-free instalments, each with its conditions. Money in
fen, rates in basis points, scores in hundredths of a point. Pure."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from anxin.core.clock import BEIJING
from anxin.core.money import MAX_FEN
from anxin.core.rulebook_models import Between, Instant, NonEmpty, PositiveInt, RulebookModel, Text, problem
from anxin.merchants.rulebook_models import StoreType, duplicates, refuse, repeated

Bp = Annotated[int, Between(0, 10_000)]
Amount = Annotated[int, Between(1, MAX_FEN)]
OfferDays = Annotated[int, Between(1, 366)]


def _once(values: list[str]) -> list[str]:
    refuse(repeated(values))
    return values


class ConditionsSpec(RulebookModel):
    """What a shop must meet for an offer; a condition left out is not checked."""

    licensed_store_types: list[StoreType] = Field(default_factory=list)  # and a verified business licence
    min_age_days: Annotated[int, Between(0, 3650)] | None = None
    min_score_hundredths: Bp | None = None
    allow_without_score: bool = False  # a shop with too few orders for a score may still qualify
    refund_rate_below_bp: Bp | None = None
    max_open_risk_reviews: Annotated[int, Between(0, 1000)] | None = None
    max_deposit_debt_fen: Annotated[int, Between(0, MAX_FEN)] | None = None
    blocked_risk_outcomes: list[Literal["pass", "review", "block"]] = Field(default_factory=list)
    blocked_states: list[NonEmpty] = Field(default_factory=list)  # anxin.merchants.lifecycle.ShopState values

    _lists = field_validator("licensed_store_types", "blocked_risk_outcomes", "blocked_states")(_once)


class LoanAmountSpec(RulebookModel):
    gmv_months: Annotated[int, Between(1, 24)]  # average over the last completed months
    gmv_multiple_bp: Annotated[int, Between(1, 1_000_000)]
    round_down_to_fen: PositiveInt
    min_fen: Amount
    max_fen: Amount

    @model_validator(mode="after")
    def _ordered(self) -> LoanAmountSpec:
        if self.min_fen > self.max_fen:
            raise problem(f"must not be above max_fen ({self.max_fen}), got {self.min_fen}", ".min_fen")
        return self


class LoanSpec(RulebookModel):
    name: Text
    conditions: ConditionsSpec
    amount: LoanAmountSpec
    term_days: Annotated[int, Between(1, 3650)]
    interest_bp: Bp
    offer_valid_days: OfferDays


class PromotionSpec(RulebookModel):
    id: NonEmpty
    name: Text
    from_: Instant = Field(alias="from")
    until: Instant  # excluded

    @model_validator(mode="after")
    def _window(self) -> PromotionSpec:
        if self.until <= self.from_:
            raise problem(f"must be after from ({_bj(self.from_)}), got {_bj(self.until)}", ".until")
        return self


class EarlyPayoutSpec(RulebookModel):
    name: Text
    conditions: ConditionsSpec
    settle_days_after_signoff: Annotated[int, Between(0, 90)]
    promotions: Annotated[list[PromotionSpec], Field(min_length=1)]  # they must not overlap

    @field_validator("promotions")
    @classmethod
    def _apart(cls, promotions: list[PromotionSpec]) -> list[PromotionSpec]:
        found = duplicates([p.id for p in promotions])
        ordered = sorted(promotions, key=lambda p: p.from_)
        found += [((), f"{a.id!r} and {b.id!r} overlap") for a, b in itertools.pairwise(ordered)
                  if b.from_ < a.until]  # one promotion in force at a time, so an offer has one end
        refuse(found)
        return promotions


class PlanSpec(RulebookModel):
    id: NonEmpty
    name: Text
    categories: list[NonEmpty] = Field(default_factory=list)
    tags: list[NonEmpty] = Field(default_factory=list)
    min_price_fen: PositiveInt
    terms: Annotated[list[Annotated[int, Between(2, 24)]], Field(min_length=1)]  # monthly instalments, ascending
    merchant_fee_bp: dict[int, Bp]  # per number of instalments: the merchant pays the interest

    @field_validator("terms")
    @classmethod
    def _ascending(cls, terms: list[int]) -> list[int]:
        if terms != sorted(set(terms)):
            raise problem(f"must be a non-empty ascending list of instalment counts 2-24, got {terms!r}")
        return terms

    @model_validator(mode="after")
    def _a_fee_per_term(self) -> PlanSpec:
        if sorted(self.merchant_fee_bp) != self.terms:
            raise problem(f"must give a fee for each of the terms {self.terms}, got {self.merchant_fee_bp!r}",
                          ".merchant_fee_bp")
        return self


class InstalmentsSpec(RulebookModel):
    name: Text
    conditions: ConditionsSpec
    offer_valid_days: OfferDays
    plans: Annotated[list[PlanSpec], Field(min_length=1)]  # the most specific plan covering a category wins

    @field_validator("plans")
    @classmethod
    def _unique_ids(cls, plans: list[PlanSpec]) -> list[PlanSpec]:
        refuse(duplicates([p.id for p in plans]))
        return plans


class FinancingSpec(RulebookModel):
    """The financing section file (``kind: merchants.financing``)."""

    kind: Literal["merchants.financing"]
    loan: LoanSpec
    early_payout: EarlyPayoutSpec
    instalments: InstalmentsSpec


def _bj(at: dt.datetime) -> str:
    return at.astimezone(BEIJING).isoformat()
