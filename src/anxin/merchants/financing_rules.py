"""The financing section of the merchants rulebook (``rulebooks/merchants/financing.yaml``): the interest-free loan,
zero-accounting-period early payout during promotions and interest-free instalments, each with its conditions.
Validated against ``FinancingSpec`` with every problem listed by its path. Pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from anxin.merchants.categories import CategoryMatch
from anxin.merchants.financing_models import ConditionsSpec, FinancingSpec
from anxin.merchants.rulebook_models import names, parse, parse_file

DEFAULT_FINANCING_PATH = Path(__file__).resolve().parent.parent / "rulebooks" / "merchants" / "financing.yaml"


@dataclass(frozen=True)
class Conditions:
    """What a shop must meet for an offer; a condition left out of the rulebook (None, empty) is not checked."""

    licensed_store_types: frozenset[str] = frozenset()  # also needs a verified business licence
    min_age_days: int | None = None
    min_score_hundredths: int | None = None
    allow_without_score: bool = False  # a shop with too few orders for a score may still qualify
    refund_rate_below_bp: int | None = None
    max_open_risk_reviews: int | None = None
    max_deposit_debt_fen: int | None = None
    blocked_risk_outcomes: frozenset[str] = frozenset()
    blocked_states: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LoanRules:
    name: Mapping[str, str] = field(default_factory=lambda: {"zh-CN": "", "en": ""})
    conditions: Conditions = Conditions()
    gmv_months: int = 3  # average over the last completed months
    gmv_multiple_bp: int = 10_000
    round_down_to_fen: int = 10_000
    min_fen: int = 1
    max_fen: int = 0
    term_days: int = 45
    interest_bp: int = 0
    offer_valid_days: int = 1


@dataclass(frozen=True)
class Promotion:
    id: str
    name: Mapping[str, str]
    starts: dt.datetime
    ends: dt.datetime  # exclusive

    def in_force(self, at: dt.datetime) -> bool:
        return self.starts <= at < self.ends


@dataclass(frozen=True)
class EarlyPayoutRules:
    name: Mapping[str, str] = field(default_factory=lambda: {"zh-CN": "", "en": ""})
    conditions: Conditions = Conditions()
    settle_days_after_signoff: int = 0
    promotions: tuple[Promotion, ...] = ()


@dataclass(frozen=True)
class InstalmentPlan:
    id: str
    name: Mapping[str, str]
    match: CategoryMatch
    min_price_fen: int
    terms: tuple[int, ...]  # numbers of monthly instalments
    merchant_fee_bp: Mapping[int, int]  # per number of instalments: the merchant pays the interest


@dataclass(frozen=True)
class InstalmentRules:
    name: Mapping[str, str] = field(default_factory=lambda: {"zh-CN": "", "en": ""})
    conditions: Conditions = Conditions()
    offer_valid_days: int = 1
    plans: tuple[InstalmentPlan, ...] = ()


@dataclass(frozen=True)
class FinancingRules:
    loan: LoanRules = LoanRules()
    early_payout: EarlyPayoutRules = EarlyPayoutRules()
    instalments: InstalmentRules = InstalmentRules()


def financing_rules(spec: FinancingSpec) -> FinancingRules:
    """The validated section as the offers apply it."""
    loan, payout, inst = spec.loan, spec.early_payout, spec.instalments
    a = loan.amount
    return FinancingRules(
        LoanRules(names(loan.name), _conditions(loan.conditions), a.gmv_months, a.gmv_multiple_bp,
                  a.round_down_to_fen, a.min_fen, a.max_fen, loan.term_days, loan.interest_bp, loan.offer_valid_days),
        EarlyPayoutRules(names(payout.name), _conditions(payout.conditions), payout.settle_days_after_signoff,
                         tuple(sorted((Promotion(p.id, names(p.name), p.from_, p.until) for p in payout.promotions),
                                      key=lambda p: p.starts))),
        InstalmentRules(names(inst.name), _conditions(inst.conditions), inst.offer_valid_days,
                        tuple(InstalmentPlan(p.id, names(p.name),
                                             CategoryMatch(frozenset(p.categories), frozenset(p.tags)),
                                             p.min_price_fen, tuple(p.terms), dict(p.merchant_fee_bp))
                              for p in inst.plans)))


def load_financing(raw: object) -> FinancingRules:
    """The parsed ``financing.yaml``; ``MerchantRulebookError`` names every problem with its path."""
    return financing_rules(parse(FinancingSpec, raw, "financing"))


def load_financing_file(path: str | Path = DEFAULT_FINANCING_PATH) -> FinancingRules:
    """This section from its own YAML file; ``MerchantRulebookError`` lists every problem."""
    return financing_rules(parse_file(FinancingSpec, path, "financing"))


def _conditions(c: ConditionsSpec) -> Conditions:
    return Conditions(frozenset(c.licensed_store_types), c.min_age_days, c.min_score_hundredths,
                      c.allow_without_score, c.refund_rate_below_bp, c.max_open_risk_reviews, c.max_deposit_debt_fen,
                      frozenset(c.blocked_risk_outcomes), frozenset(c.blocked_states))
