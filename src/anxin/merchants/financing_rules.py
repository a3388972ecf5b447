"""The financing section of the merchants rulebook (``rulebooks/merchants/financing.yaml``): the interest-free loan,
zero-accounting-period early payout during promotions and interest-free instalments, each with its conditions.
Validated with every problem listed by its path. Pure.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anxin.core.money import MAX_FEN
from anxin.core.rulebook_loading import ProblemCollector, load_section_file
from anxin.merchants.categories import CategoryMatch
from anxin.merchants.programme_rules import entries, flag, names, subsection, translated, unique

DEFAULT_FINANCING_PATH = Path(__file__).resolve().parent.parent / "rulebooks" / "merchants" / "financing.yaml"
STORE_TYPES = ("enterprise", "individual", "personal")  # as anxin.shops.model.STORE_TYPES
RISK_OUTCOMES = ("pass", "review", "block")


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


def load_financing_file(path: str | Path = DEFAULT_FINANCING_PATH) -> FinancingRules:
    """This section from its own YAML file; ``ValueError`` lists every problem."""
    return load_section_file(path, "financing", load_financing)


def load_financing(raw: Mapping[str, Any], problems: ProblemCollector) -> FinancingRules:
    c, p = problems, "financing"
    c.unknown(raw, p, ("kind", "loan", "early_payout", "instalments"))
    return FinancingRules(_loan(c, raw, p), _early_payout(c, raw, p), _instalments(c, raw, p))


def _loan(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> LoanRules:
    s = subsection(c, raw, "loan", path, ("name", "conditions", "amount", "term_days", "interest_bp",
                                          "offer_valid_days"))
    if s is None:
        return LoanRules()
    p = f"{path}.loan"
    amount = subsection(c, s, "amount", p, ("gmv_months", "gmv_multiple_bp", "round_down_to_fen", "min_fen",
                                            "max_fen")) or {}
    q = f"{p}.amount"
    rules = LoanRules(
        translated(c, s, "name", p), _conditions(c, s, p),
        gmv_months=c.integer(amount, "gmv_months", q, low=1, high=24),
        gmv_multiple_bp=c.integer(amount, "gmv_multiple_bp", q, low=1, high=1_000_000),
        round_down_to_fen=c.integer(amount, "round_down_to_fen", q, low=1),
        min_fen=c.integer(amount, "min_fen", q, low=1, high=MAX_FEN),
        max_fen=c.integer(amount, "max_fen", q, low=1, high=MAX_FEN),
        term_days=c.integer(s, "term_days", p, low=1, high=3650),
        interest_bp=c.integer(s, "interest_bp", p, low=0, high=10_000),
        offer_valid_days=c.integer(s, "offer_valid_days", p, low=1, high=366))
    if amount and rules.min_fen > rules.max_fen:
        c.add(f"{q}.min_fen: must not be above max_fen ({rules.max_fen}), got {rules.min_fen}")
    return rules


def _early_payout(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> EarlyPayoutRules:
    s = subsection(c, raw, "early_payout", path, ("name", "conditions", "settle_days_after_signoff", "promotions"))
    if s is None:
        return EarlyPayoutRules()
    p = f"{path}.early_payout"
    promotions = []
    for q, r in entries(c, s, "promotions", p, ("id", "name", "from", "until")):
        starts, ends = c.instant(r, "from", q), c.instant(r, "until", q)
        if starts is not None and ends is not None and ends <= starts:
            c.add(f"{q}.until: must be after from ({r.get('from')}), got {r.get('until')}")
        elif starts is not None and ends is not None:
            promotions.append(Promotion(c.text(r, "id", q), translated(c, r, "name", q), starts, ends))
    unique(c, [x.id for x in promotions], f"{p}.promotions")
    ordered = sorted(promotions, key=lambda x: x.starts)
    for a, b in itertools.pairwise(ordered):
        if b.starts < a.ends:  # one promotion in force at a time, so an offer has one end
            c.add(f"{p}.promotions: {a.id!r} and {b.id!r} overlap")
    return EarlyPayoutRules(translated(c, s, "name", p), _conditions(c, s, p),
                            c.integer(s, "settle_days_after_signoff", p, low=0, high=90), tuple(ordered))


def _instalments(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> InstalmentRules:
    s = subsection(c, raw, "instalments", path, ("name", "conditions", "offer_valid_days", "plans"))
    if s is None:
        return InstalmentRules()
    p = f"{path}.instalments"
    plans = []
    for q, r in entries(c, s, "plans", p, ("id", "name", "categories", "tags", "min_price_fen", "terms",
                                            "merchant_fee_bp")):
        terms = r.get("terms")
        if not isinstance(terms, list) or not terms or not all(isinstance(t, int) and 2 <= t <= 24 for t in terms) \
                or list(terms) != sorted(set(terms)):
            c.add(f"{q}.terms: must be a non-empty ascending list of instalment counts 2-24, got {terms!r}")
            terms = []
        fees = r.get("merchant_fee_bp")
        if not isinstance(fees, Mapping) or sorted(fees, key=str) != sorted(terms, key=str):
            c.add(f"{q}.merchant_fee_bp: must give a fee for each of the terms {terms}, got {fees!r}")
            fees = {}
        fee_bp = {int(t): c.integer(fees, t, f"{q}.merchant_fee_bp", low=0, high=10_000) for t in fees}
        match = CategoryMatch(frozenset(names(c, r, "categories", q)), frozenset(names(c, r, "tags", q)))
        plans.append(InstalmentPlan(c.text(r, "id", q), translated(c, r, "name", q), match,
                                    c.integer(r, "min_price_fen", q, low=1), tuple(terms), fee_bp))
    unique(c, [x.id for x in plans], f"{p}.plans")
    return InstalmentRules(translated(c, s, "name", p), _conditions(c, s, p),
                           c.integer(s, "offer_valid_days", p, low=1, high=366), tuple(plans))


def _conditions(c: ProblemCollector, raw: Mapping[str, Any], path: str) -> Conditions:
    s = subsection(c, raw, "conditions", path, tuple(f.name for f in Conditions.__dataclass_fields__.values()))
    if s is None:
        return Conditions()
    p = f"{path}.conditions"

    def optional(key: str, high: int) -> int | None:
        return c.integer(s, key, p, low=0, high=high) if key in s else None

    types = names(c, s, "licensed_store_types", p, allowed=set(STORE_TYPES))
    return Conditions(
        licensed_store_types=frozenset(types), min_age_days=optional("min_age_days", 3650),
        min_score_hundredths=optional("min_score_hundredths", 10_000),
        allow_without_score=flag(c, s, "allow_without_score", p, default=False),
        refund_rate_below_bp=optional("refund_rate_below_bp", 10_000),
        max_open_risk_reviews=optional("max_open_risk_reviews", 1000),
        max_deposit_debt_fen=optional("max_deposit_debt_fen", MAX_FEN),
        blocked_risk_outcomes=frozenset(names(c, s, "blocked_risk_outcomes", p, allowed=set(RISK_OUTCOMES))),
        blocked_states=frozenset(names(c, s, "blocked_states", p)))
