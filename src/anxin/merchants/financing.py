"""Financing and payout offers (issue 6 §5): the 45-day interest-free loan for licensed shops, zero-accounting-period
early payout during promotions, and interest-free instalments. Pure.

anxin decides eligibility and records the offer; the lender, the payment channel and the checkout are outside. Each
offer lists every condition the shop fails (so a merchant sees all there is to fix), and an eligible offer says why
and how its figures were reached. Thresholds live in ``rulebooks/merchants/financing.yaml``; days are Beijing
calendar days (the opening day is day 0), offers lapse at local midnight.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from anxin.core.clock import beijing_day, beijing_midnight
from anxin.core.money import format_fen
from anxin.merchants.categories import CategoryRef
from anxin.merchants.financing_rules import (
    DEFAULT_FINANCING_PATH,
    Conditions,
    FinancingRules,
    InstalmentPlan,
    load_financing,
    load_financing_file,
)
from anxin.merchants.programmes import age_days, bp_text, score_text
from anxin.merchants.reasons import Reason

__all__ = ["DEFAULT_FINANCING_PATH", "FinancingFacts", "Offer", "early_payout_offer",
           "instalment_offer", "instalment_plan", "instalment_terms", "load_financing", "load_financing_file",
           "loan_offer"]


@dataclass(frozen=True)
class FinancingFacts:
    shop_id: str
    store_type: str
    licensed: bool  # a verified business licence
    opened_at: dt.datetime
    state: str
    score_hundredths: int | None  # experience score, 8500 = 85.00; None while the shop has too few orders
    monthly_gmv_fen: tuple[int, ...]  # completed Beijing calendar months, most recent first
    deposit_debt_fen: int  # what the shop owes on the deposit ledger (0: nothing)
    risk_outcome: str | None  # the shop's latest risk verdict: pass | review | block; None: never screened
    refund_rate_bp: int
    open_risk_reviews: int
    categories: tuple[CategoryRef, ...] = ()  # the categories the shop sells in


@dataclass(frozen=True)
class Offer:
    kind: str  # loan | early_payout | instalment
    eligible: bool
    amount_fen: int | None
    term_days: int | None  # loan: days to repay; early payout: days from sign-off to payout
    valid_until: dt.datetime | None
    reasons: tuple[Reason, ...]
    facts_used: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "eligible": self.eligible, "amount_fen": self.amount_fen,
                "term_days": self.term_days, "valid_until": self.valid_until.isoformat() if self.valid_until else None,
                "reasons": [r.as_dict() for r in self.reasons], "facts_used": dict(self.facts_used)}


def _rule(kind: str) -> str:
    """The rulebook path of an offer kind's section (the rule id of its reasons)."""
    return "financing." + {"instalment": "instalments"}.get(kind, kind)


def unmet_conditions(kind: str, facts: FinancingFacts, at: dt.datetime,
                     cond: Conditions) -> tuple[list[Reason], dict[str, Any]]:
    """Every condition of ``cond`` the shop fails, as reasons coded ``<kind>.<condition>``, and the facts read."""
    fails: list[Reason] = []
    rule = f"{_rule(kind)}.conditions"

    def fail(code: str, key: str, **params: int | str) -> None:
        fails.append(Reason(f"{kind}.{code}", f"{rule}.{key}", params))

    age = age_days(facts.opened_at, at)
    used: dict[str, Any] = {"shop_id": facts.shop_id, "age_days": age, "state": facts.state,
                            "score_hundredths": facts.score_hundredths, "risk_outcome": facts.risk_outcome}
    if cond.licensed_store_types:
        used |= {"store_type": facts.store_type, "licensed": facts.licensed}
        if facts.store_type not in cond.licensed_store_types:
            fail("store_type", "licensed_store_types", store_type=facts.store_type,
                 allowed="/".join(sorted(cond.licensed_store_types)))
        if not facts.licensed:
            fail("no_licence", "licensed_store_types")
    if cond.min_age_days is not None and age < cond.min_age_days:
        fail("too_young", "min_age_days", age_days=age, min_days=cond.min_age_days)
    if cond.min_score_hundredths is not None:
        minimum = score_text(cond.min_score_hundredths)
        if facts.score_hundredths is None and not cond.allow_without_score:
            fail("score_missing", "min_score_hundredths", min_score=minimum)
        elif facts.score_hundredths is not None and facts.score_hundredths < cond.min_score_hundredths:
            fail("score_below", "min_score_hundredths", score=score_text(facts.score_hundredths), min_score=minimum)
    if cond.refund_rate_below_bp is not None:
        used["refund_rate_bp"] = facts.refund_rate_bp
        if facts.refund_rate_bp >= cond.refund_rate_below_bp:
            fail("refund_rate", "refund_rate_below_bp", rate=bp_text(facts.refund_rate_bp),
                 limit=bp_text(cond.refund_rate_below_bp))
    if cond.max_open_risk_reviews is not None:
        used["open_risk_reviews"] = facts.open_risk_reviews
        if facts.open_risk_reviews > cond.max_open_risk_reviews:
            fail("open_risk_reviews", "max_open_risk_reviews", count=facts.open_risk_reviews,
                 max=cond.max_open_risk_reviews)
    if cond.max_deposit_debt_fen is not None:
        used["deposit_debt_fen"] = facts.deposit_debt_fen
        if facts.deposit_debt_fen > cond.max_deposit_debt_fen:
            fail("deposit_debt", "max_deposit_debt_fen", debt=format_fen(facts.deposit_debt_fen),
                 max=format_fen(cond.max_deposit_debt_fen))
    if facts.risk_outcome in cond.blocked_risk_outcomes:
        fail("risk_outcome", "blocked_risk_outcomes", outcome=str(facts.risk_outcome))
    if facts.state in cond.blocked_states:
        fail("shop_state", "blocked_states", state=facts.state)
    return fails, used


def _conditions_met(kind: str, facts: FinancingFacts, at: dt.datetime, cond: Conditions) -> list[Reason]:
    rule = f"{_rule(kind)}.conditions"
    score = "-" if facts.score_hundredths is None else score_text(facts.score_hundredths)
    met = [Reason(f"{kind}.conditions_met", rule, {"age_days": age_days(facts.opened_at, at), "score": score})]
    if facts.score_hundredths is None and cond.min_score_hundredths is not None:
        met.append(Reason(f"{kind}.no_score_yet", f"{rule}.allow_without_score",
                          {"min_score": score_text(cond.min_score_hundredths)}))
    return met


def _lapses(at: dt.datetime, days: int) -> dt.datetime:
    return beijing_midnight(beijing_day(at) + dt.timedelta(days=days))


def _last_day(ends: dt.datetime) -> str:
    """The last Beijing day of something that ends (exclusively) at ``ends``."""
    return beijing_day(ends - dt.timedelta(microseconds=1)).isoformat()


def loan_offer(facts: FinancingFacts, at: dt.datetime, rules: FinancingRules) -> Offer:
    """The interest-free loan: a multiple of the average monthly GMV, rounded down and capped."""
    loan = rules.loan
    fails, used = unmet_conditions("loan", facts, at, loan.conditions)
    months = facts.monthly_gmv_fen[:loan.gmv_months]
    used["monthly_gmv_fen"] = list(months)
    average = sum(months) // len(months) if months else 0
    computed = average * loan.gmv_multiple_bp // 10_000 // loan.round_down_to_fen * loan.round_down_to_fen
    amount = min(computed, loan.max_fen)
    if average <= 0:
        fails.append(Reason("loan.no_sales", "financing.loan.amount.gmv_months", {"months": loan.gmv_months}))
    elif amount < loan.min_fen:
        fails.append(Reason("loan.amount_below_min", "financing.loan.amount.min_fen", {"amount": format_fen(amount),
                                                          "min": format_fen(loan.min_fen)}))
    if fails:
        return Offer("loan", False, None, None, None, tuple(fails), used)
    until = _lapses(at, loan.offer_valid_days)
    why = [Reason("loan.offered", "financing.loan", {
        "amount_fen": amount, "amount": format_fen(amount), "term_days": loan.term_days,
        "interest": bp_text(loan.interest_bp), "until": _last_day(until)}),
           Reason("loan.amount_basis", "financing.loan.amount", {"average": format_fen(average), "months": len(months),
                                            "multiple": bp_text(loan.gmv_multiple_bp),
                                            "step": format_fen(loan.round_down_to_fen),
                                            "computed": format_fen(computed)})]
    if computed > loan.max_fen:
        why.append(Reason("loan.amount_capped", "financing.loan.amount.max_fen", {"computed": format_fen(computed),
                                                     "cap": format_fen(loan.max_fen)}))
    why += _conditions_met("loan", facts, at, loan.conditions)
    return Offer("loan", True, amount, loan.term_days, until, tuple(why), used)


def early_payout_offer(facts: FinancingFacts, at: dt.datetime, rules: FinancingRules) -> Offer:
    """Goods payments at sign-off instead of after the accounting period, while a promotion is in force."""
    ep = rules.early_payout
    fails, used = unmet_conditions("early_payout", facts, at, ep.conditions)
    current = next((p for p in ep.promotions if p.in_force(at)), None)
    used["promotion"] = current.id if current else None
    if current is None:
        upcoming = next((p for p in ep.promotions if p.starts > at), None)
        fails.insert(0, Reason("early_payout.no_promotion", "financing.early_payout.promotions") if upcoming is None
                     else Reason("early_payout.next_promotion", upcoming.id, {
                         "promotion": upcoming.id, "starts": beijing_day(upcoming.starts).isoformat()}))
    if fails:
        return Offer("early_payout", False, None, None, None, tuple(fails), used)
    assert current is not None  # no promotion is a failure above
    why = [Reason("early_payout.offered", current.id, {
        "promotion": current.id, "settle_days": ep.settle_days_after_signoff, "until": _last_day(current.ends)})]
    why += _conditions_met("early_payout", facts, at, ep.conditions)
    return Offer("early_payout", True, None, ep.settle_days_after_signoff, current.ends, tuple(why), used)


def instalment_plan(category: CategoryRef, rules: FinancingRules) -> InstalmentPlan | None:
    """The most specific plan covering ``category`` (the first declared wins a tie); None: no instalments there."""
    best: tuple[int, InstalmentPlan] | None = None
    for plan in rules.instalments.plans:
        depth = plan.match.depth(category)
        if depth is not None and (best is None or depth < best[0]):
            best = (depth, plan)
    return best[1] if best else None


def instalment_terms(category: CategoryRef, price_fen: int, rules: FinancingRules) -> tuple[int, ...]:
    """At checkout: the instalment counts an item of this category and price may be paid in (empty: none)."""
    plan = instalment_plan(category, rules)
    return plan.terms if plan is not None and price_fen >= plan.min_price_fen else ()


def instalment_offer(facts: FinancingFacts, at: dt.datetime, rules: FinancingRules) -> Offer:
    """Whether the shop may offer interest-free instalments, and on which of its categories and terms."""
    inst = rules.instalments
    fails, used = unmet_conditions("instalment", facts, at, inst.conditions)
    used["categories"] = [c.category_id for c in facts.categories]
    covered = []
    for ref in dict.fromkeys(facts.categories):
        plan = instalment_plan(ref, rules)
        if plan is not None:
            covered.append(Reason("instalment.plan", plan.id, {
                "category": ref.category_id, "plan": plan.id, "min_price": format_fen(plan.min_price_fen),
                "terms": "/".join(str(t) for t in plan.terms),
                "fees": "/".join(bp_text(plan.merchant_fee_bp.get(t, 0)) for t in plan.terms)}))
    if not covered:
        fails.append(Reason("instalment.no_plan", "financing.instalments.plans",
                            {"categories": ", ".join(used["categories"]) or "-"}))
    if fails:
        return Offer("instalment", False, None, None, None, tuple(fails), used)
    until = _lapses(at, inst.offer_valid_days)
    why = [Reason("instalment.offered", "financing.instalments", {"plans": len(covered),
                                             "until": _last_day(until)}),
           *covered, *_conditions_met("instalment", facts, at, inst.conditions)]
    return Offer("instalment", True, None, None, until, tuple(why), used)


_CONDITION_TEXT: dict[str, dict[str, str]] = {
    "store_type": {"zh-CN": "店铺类型为 {store_type}，仅限 {allowed} 店铺",
                   "en": "A {store_type} shop; only {allowed} shops qualify"},
    "no_licence": {"zh-CN": "营业执照尚未认证", "en": "No verified business licence"},
    "too_young": {"zh-CN": "开店 {age_days} 天，需满 {min_days} 天", "en": "Open {age_days} days; {min_days} needed"},
    "score_missing": {"zh-CN": "暂无体验分，需达到 {min_score}", "en": "No experience score yet; {min_score} needed"},
    "score_below": {"zh-CN": "体验分 {score} 低于 {min_score}", "en": "Experience score {score} is below {min_score}"},
    "refund_rate": {"zh-CN": "退款率 {rate}，需低于 {limit}", "en": "Refund rate {rate}; it must be below {limit}"},
    "open_risk_reviews": {"zh-CN": "有 {count} 项风控审核未结（最多 {max} 项）",
                          "en": "{count} open risk reviews (at most {max})"},
    "deposit_debt": {"zh-CN": "保证金欠款 {debt}（最多 {max}）", "en": "{debt} owed on the deposit (at most {max})"},
    "risk_outcome": {"zh-CN": "风控结论为 {outcome}", "en": "The latest risk verdict is {outcome}"},
    "shop_state": {"zh-CN": "店铺状态为 {state}", "en": "The shop is {state}"},
    "conditions_met": {"zh-CN": "条件均满足：开店 {age_days} 天，体验分 {score}",
                       "en": "Every condition met: open {age_days} days, experience score {score}"},
    "no_score_yet": {"zh-CN": "暂无体验分（订单不足），新店无需达到 {min_score}",
                     "en": "No experience score yet (too few orders); new shops need not reach {min_score}"},
}

