"""Loan, early-payout and instalment offers with plain objects, at the edges of every window, threshold and cap; the
shipped financing YAML loads and a broken one names every problem with its path."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.catalogs import reason_texts

from anxin.merchants.categories import CategoryMatch, CategoryRef
from anxin.merchants.financing import (
    DEFAULT_FINANCING_PATH,
    FinancingFacts,
    Offer,
    early_payout_offer,
    instalment_offer,
    instalment_plan,
    instalment_terms,
    load_financing,
    load_financing_file,
    loan_offer,
)
from anxin.merchants.financing_rules import (
    Conditions,
    EarlyPayoutRules,
    FinancingRules,
    InstalmentPlan,
    InstalmentRules,
    LoanRules,
    Promotion,
)
from anxin.merchants.reasons import Reason, render
from anxin.merchants.rulebook_models import MerchantRulebookError

BJ = dt.timezone(dt.timedelta(hours=8))
OPENED = dt.datetime(2026, 1, 1, 10, 0, tzinfo=BJ).astimezone(dt.UTC)
NAME = {"zh-CN": "名", "en": "name"}
PHONES = CategoryRef("3c-phones", ("3c",))
AUDIO = CategoryRef("3c-audio", ("3c",))
APPLES = CategoryRef("fresh-fruit", ("fresh",), frozenset({"fresh"}))

REASON_TEXT = reason_texts("early_payout", "instalment", "loan")  # the pages word these reasons with them


def day(n: int, hour: int = 12) -> dt.datetime:
    return (dt.datetime(2026, 1, 1, hour, tzinfo=BJ) + dt.timedelta(days=n)).astimezone(dt.UTC)


def bj(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BJ).astimezone(dt.UTC)


STATES = frozenset({"applied", "restricted", "suspended", "closed"})
PROMO = Promotion("p1", NAME, bj("2026-06-01T00:00"), bj("2026-06-19T00:00"))
RULES = FinancingRules(
    loan=LoanRules(NAME, Conditions(licensed_store_types=frozenset({"enterprise", "individual"}), min_age_days=30,
                                    min_score_hundredths=8000, allow_without_score=True, max_deposit_debt_fen=0,
                                    blocked_risk_outcomes=frozenset({"block"}), blocked_states=STATES),
                   gmv_months=3, gmv_multiple_bp=20_000, round_down_to_fen=10_000, min_fen=100_000,
                   max_fen=100_000_000, term_days=45, interest_bp=0, offer_valid_days=30),
    early_payout=EarlyPayoutRules(NAME, Conditions(min_age_days=30, min_score_hundredths=8000,
                                                   refund_rate_below_bp=1500, max_open_risk_reviews=0,
                                                   blocked_risk_outcomes=frozenset({"review", "block"}),
                                                   blocked_states=STATES),
                                  settle_days_after_signoff=0,
                                  promotions=(PROMO, Promotion("p2", NAME, bj("2026-11-01T00:00"),
                                                               bj("2026-11-12T00:00")))),
    instalments=InstalmentRules(NAME, Conditions(min_age_days=30, min_score_hundredths=8000,
                                                 refund_rate_below_bp=2000, blocked_states=STATES),
                                offer_valid_days=30, plans=(
        InstalmentPlan("general", NAME, CategoryMatch(), 100_000, (3,), {3: 160}),
        InstalmentPlan("electronics", NAME, CategoryMatch(frozenset({"3c"})), 50_000, (3, 6, 12),
                       {3: 160, 6: 300, 12: 550}),
        InstalmentPlan("phones", NAME, CategoryMatch(frozenset({"3c-phones"})), 100_000, (3, 6, 12, 24),
                       {3: 160, 6: 300, 12: 550, 24: 1000}),
        InstalmentPlan("fresh", NAME, CategoryMatch(tags=frozenset({"fresh"})), 20_000, (3,), {3: 100}))),
)


def facts(**changes: object) -> FinancingFacts:
    base = FinancingFacts(shop_id="s1", store_type="enterprise", licensed=True, opened_at=OPENED, state="active",
                          score_hundredths=9000, monthly_gmv_fen=(5_000_000, 4_000_000, 3_000_000),
                          deposit_debt_fen=0, risk_outcome="pass", refund_rate_bp=500, open_risk_reviews=0,
                          categories=(PHONES,))
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def codes(offer: Offer) -> list[str]:
    return [r.code for r in offer.reasons]


# --- the loan -----------------------------------------------------------------------------------------------------

def test_an_eligible_loan_says_how_much_for_how_long_and_why() -> None:
    offer = loan_offer(facts(), day(40), RULES)
    assert (offer.eligible, offer.amount_fen, offer.term_days) == (True, 8_000_000, 45)  # 2 × 40,000 yuan average
    assert offer.valid_until == bj("2026-03-12T00:00")  # 30 Beijing days after 10 February
    assert codes(offer) == ["loan.offered", "loan.amount_basis", "loan.conditions_met"]
    assert offer.reasons[0].params["until"] == "2026-03-11"
    assert json.loads(json.dumps(offer.as_dict()))["facts_used"]["monthly_gmv_fen"] == [5_000_000, 4_000_000,
                                                                                          3_000_000]


@pytest.mark.parametrize(("months", "amount", "extra"), [
    ((1_234_567, 1_234_567, 1_234_567), 2_460_000, []),  # 2,469,134 rounded down to 100 yuan
    ((50_000_000,) * 3, 100_000_000, []),  # exactly the cap
    ((50_005_000,) * 3, 100_000_000, ["loan.amount_capped"]),
    ((3_000_000,), 6_000_000, []),  # a younger shop: the months it has
    ((1_000_000, 1_000_000, 1_000_000, 90_000_000), 2_000_000, []),  # only the last three months count
    ((50_000, 50_000, 50_000), 100_000, []),  # exactly the minimum
])
def test_the_amount_is_a_multiple_of_average_monthly_gmv_rounded_down_and_capped(
        months: tuple[int, ...], amount: int, extra: list[str]) -> None:
    offer = loan_offer(facts(monthly_gmv_fen=months), day(40), RULES)
    assert offer.eligible and offer.amount_fen == amount
    assert codes(offer)[2:-1] == extra


@pytest.mark.parametrize(("months", "code"), [
    ((), "loan.no_sales"), ((0, 0, 0), "loan.no_sales"), ((49_999,) * 3, "loan.amount_below_min")])
def test_no_loan_without_enough_sales(months: tuple[int, ...], code: str) -> None:
    offer = loan_offer(facts(monthly_gmv_fen=months), day(40), RULES)
    assert not offer.eligible and codes(offer) == [code] and offer.amount_fen is None


@pytest.mark.parametrize(("changes", "eligible", "code"), [
    ({"opened_at": day(-29)}, False, "loan.too_young"),
    ({"opened_at": day(-30)}, True, None),
    ({"opened_at": day(-31)}, True, None),
    ({"score_hundredths": 7999}, False, "loan.score_below"),
    ({"score_hundredths": 8000}, True, None),  # exactly the threshold
    ({"score_hundredths": None}, True, "loan.no_score_yet"),  # new shops have no score yet
    ({"store_type": "personal"}, False, "loan.store_type"),
    ({"store_type": "individual"}, True, None),
    ({"licensed": False}, False, "loan.no_licence"),
    ({"deposit_debt_fen": 1}, False, "loan.deposit_debt"),
    ({"risk_outcome": "block"}, False, "loan.risk_outcome"),
    ({"risk_outcome": "review"}, True, None),
    ({"risk_outcome": None}, True, None),
    ({"state": "suspended"}, False, "loan.shop_state"),
    ({"state": "restricted"}, False, "loan.shop_state"),
    ({"state": "novice"}, True, None),
])
def test_loan_conditions_at_their_edges(changes: dict[str, object], eligible: bool, code: str | None) -> None:
    at = day(40) if "opened_at" not in changes else day(0)
    offer = loan_offer(facts(**changes), at, RULES)
    assert offer.eligible is eligible
    if code is not None:
        assert code in codes(offer)


def test_every_failing_loan_condition_is_a_reason() -> None:
    offer = loan_offer(facts(store_type="personal", licensed=False, opened_at=day(30), score_hundredths=5000,
                             deposit_debt_fen=20_000, risk_outcome="block", state="suspended", monthly_gmv_fen=()),
                       day(40), RULES)
    assert codes(offer) == ["loan.store_type", "loan.no_licence", "loan.too_young", "loan.score_below",
                            "loan.deposit_debt", "loan.risk_outcome", "loan.shop_state", "loan.no_sales"]
    assert offer.reasons[4].params == {"debt": "¥200.00", "max": "¥0.00"}


# --- early payout -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("at", "eligible", "first_code"), [
    (PROMO.starts - dt.timedelta(microseconds=1), False, "early_payout.next_promotion"),
    (PROMO.starts, True, "early_payout.offered"),
    (PROMO.ends - dt.timedelta(microseconds=1), True, "early_payout.offered"),
    (PROMO.ends, False, "early_payout.next_promotion"),
    (bj("2026-11-12T00:00"), False, "early_payout.no_promotion"),
])
def test_early_payout_only_while_a_promotion_is_in_force(at: dt.datetime, eligible: bool, first_code: str) -> None:
    offer = early_payout_offer(facts(), at, RULES)
    assert offer.eligible is eligible and codes(offer)[0] == first_code
    if eligible:
        assert (offer.valid_until, offer.term_days, offer.amount_fen) == (PROMO.ends, 0, None)
        assert offer.reasons[0].params["until"] == "2026-06-18"


@pytest.mark.parametrize(("changes", "eligible", "code"), [
    ({"refund_rate_bp": 1499}, True, None),
    ({"refund_rate_bp": 1500}, False, "early_payout.refund_rate"),  # must be below the threshold
    ({"open_risk_reviews": 1}, False, "early_payout.open_risk_reviews"),
    ({"risk_outcome": "review"}, False, "early_payout.risk_outcome"),
    ({"score_hundredths": None}, False, "early_payout.score_missing"),
    ({"score_hundredths": 8000}, True, None),
])
def test_early_payout_conditions_at_their_edges(changes: dict[str, object], eligible: bool, code: str | None) -> None:
    offer = early_payout_offer(facts(**changes), bj("2026-06-10T12:00"), RULES)
    assert offer.eligible is eligible
    if code is not None:
        assert codes(offer) == [code]


def test_outside_a_promotion_the_other_failures_are_listed_too() -> None:
    offer = early_payout_offer(facts(refund_rate_bp=3000), bj("2026-05-01T12:00"), RULES)
    assert codes(offer) == ["early_payout.next_promotion", "early_payout.refund_rate"]
    assert offer.reasons[0].params == {"promotion": "p1", "starts": "2026-06-01"}


# --- instalments --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("category", "plan"), [
    (PHONES, "phones"),  # the category itself beats its parent
    (AUDIO, "electronics"),
    (CategoryRef("apparel-women", ("apparel",)), "general"),
    (APPLES, "fresh"),  # a tag counts as the leaf
])
def test_the_most_specific_plan_wins(category: CategoryRef, plan: str) -> None:
    found = instalment_plan(category, RULES)
    assert found is not None and found.id == plan


@pytest.mark.parametrize(("price", "terms"), [(49_999, ()), (50_000, (3, 6, 12))])
def test_instalments_start_at_the_plans_price_floor(price: int, terms: tuple[int, ...]) -> None:
    assert instalment_terms(AUDIO, price, RULES) == terms


def test_an_instalment_offer_names_the_plan_of_each_category() -> None:
    offer = instalment_offer(facts(categories=(PHONES, AUDIO, PHONES)), day(40), RULES)
    assert offer.eligible and offer.valid_until == bj("2026-03-12T00:00")
    assert codes(offer) == ["instalment.offered", "instalment.plan", "instalment.plan", "instalment.conditions_met"]
    assert offer.reasons[1].params == {"category": "3c-phones", "plan": "phones", "min_price": "¥1,000.00",
                                       "terms": "3/6/12/24", "fees": "1.60%/3.00%/5.50%/10.00%"}


def test_no_instalments_where_no_plan_covers_the_shop() -> None:
    rules = dataclasses.replace(RULES, instalments=dataclasses.replace(RULES.instalments,
                                                                       plans=RULES.instalments.plans[1:2]))
    offer = instalment_offer(facts(categories=(APPLES,), refund_rate_bp=2000), day(40), rules)
    assert codes(offer) == ["instalment.refund_rate", "instalment.no_plan"]
    assert offer.reasons[1].params == {"categories": "fresh-fruit"}


# --- reasons render -----------------------------------------------------------------------------------------------

def _every_reason() -> list[Reason]:
    worst = facts(store_type="personal", licensed=False, opened_at=day(39), score_hundredths=100,
                  deposit_debt_fen=1, risk_outcome="block", state="closed", monthly_gmv_fen=(), refund_rate_bp=9000,
                  open_risk_reviews=3, categories=())
    no_plan = dataclasses.replace(RULES, instalments=dataclasses.replace(RULES.instalments, plans=()))
    offers = [loan_offer(facts(), day(40), RULES), loan_offer(facts(monthly_gmv_fen=(90_000_000,)), day(40), RULES),
              loan_offer(facts(score_hundredths=None), day(40), RULES),
              loan_offer(facts(monthly_gmv_fen=(1,)), day(40), RULES),
              loan_offer(worst, day(40), RULES), early_payout_offer(facts(), PROMO.starts, RULES),
              early_payout_offer(worst, PROMO.starts, RULES), early_payout_offer(facts(), day(360), RULES),
              early_payout_offer(facts(score_hundredths=None), day(10), RULES),
              instalment_offer(facts(), day(40), RULES), instalment_offer(worst, day(40), no_plan),
              instalment_offer(facts(score_hundredths=None), day(40), RULES)]
    return [r for offer in offers for r in offer.reasons]


def test_every_emitted_code_has_both_texts() -> None:
    reasons = _every_reason()
    emitted = {r.code for r in reasons}
    # conditions a section does not configure are never checked there (no licence for early payout, ...)
    unconfigured = {"early_payout.store_type", "early_payout.no_licence", "early_payout.deposit_debt",
                    "early_payout.no_score_yet", "instalment.store_type", "instalment.no_licence",
                    "instalment.deposit_debt", "instalment.open_risk_reviews", "instalment.risk_outcome",
                    "instalment.no_score_yet", "loan.refund_rate", "loan.open_risk_reviews", "loan.score_missing"}
    assert emitted == set(REASON_TEXT) - unconfigured
    for reason in reasons:
        for lang in ("zh-CN", "en"):
            assert render(reason, REASON_TEXT, lang) != reason.code, (reason, lang)


def test_conditions_every_section_can_check_render_for_every_kind() -> None:
    worst = facts(store_type="personal", licensed=False, opened_at=day(39), score_hundredths=None,
                  deposit_debt_fen=1, risk_outcome="block", state="closed", refund_rate_bp=9000, open_risk_reviews=3)
    strict = Conditions(licensed_store_types=frozenset({"enterprise"}), min_age_days=30, min_score_hundredths=8000,
                        refund_rate_below_bp=1000, max_open_risk_reviews=0, max_deposit_debt_fen=0,
                        blocked_risk_outcomes=frozenset({"block"}), blocked_states=STATES)
    rules = FinancingRules(loan=dataclasses.replace(RULES.loan, conditions=strict),
                           early_payout=dataclasses.replace(RULES.early_payout, conditions=strict),
                           instalments=dataclasses.replace(RULES.instalments, conditions=strict))
    for offer in (loan_offer(worst, day(40), rules), early_payout_offer(worst, PROMO.starts, rules),
                  instalment_offer(worst, day(40), rules)):
        assert len(offer.reasons) >= 8
        for reason in offer.reasons:
            assert render(reason, REASON_TEXT, "en") != reason.code


# --- the rulebook -------------------------------------------------------------------------------------------------

TODAY = dt.datetime(2026, 11, 22, 2, 0, tzinfo=dt.UTC)


def test_the_shipped_yaml_loads_and_a_promotion_is_in_force_today() -> None:
    rules = load_financing_file(DEFAULT_FINANCING_PATH)
    assert rules.loan.max_fen == 100_000_000 and rules.loan.term_days == 45 and rules.loan.interest_bp == 0
    assert rules.loan.conditions.licensed_store_types == {"enterprise", "individual"}
    shop = facts(opened_at=TODAY - dt.timedelta(days=200), monthly_gmv_fen=(60_000_000,) * 3)
    loan = loan_offer(shop, TODAY, rules)
    assert loan.eligible and loan.amount_fen == 100_000_000
    payout = early_payout_offer(shop, TODAY, rules)
    assert payout.eligible and payout.reasons[0].params["promotion"] == "double12-2026"
    assert payout.reasons[0].params["until"] == "2026-12-12"
    assert early_payout_offer(shop, bj("2026-11-15T12:00"), rules).reasons[0].code == "early_payout.next_promotion"
    assert instalment_terms(PHONES, 50_000, rules) == (3, 6, 12)
    assert instalment_plan(APPLES, rules) is None


BROKEN = {
    "loan": {"name": {"zh-CN": "贷"}, "conditions": {"licensed_store_types": ["enterprise", "corporate"],
                                                     "min_score_hundredths": 80.5, "typo": 1},
             "amount": {"gmv_months": 3, "gmv_multiple_bp": 20000, "round_down_to_fen": 10000, "min_fen": 500,
                        "max_fen": 100},
             "term_days": 45, "interest_bp": 0, "offer_valid_days": 30},
    "early_payout": {"name": NAME, "settle_days_after_signoff": 0,
                     "conditions": {"blocked_risk_outcomes": ["fail"]},
                     "promotions": [
                         {"id": "a", "name": NAME, "from": "2026-06-01T00:00:00+08:00",
                          "until": "2026-06-19T00:00:00+08:00"},
                         {"id": "b", "name": NAME, "from": "2026-06-10T00:00:00+08:00",
                          "until": "2026-06-30T00:00:00+08:00"},
                         {"id": "c", "name": NAME, "from": "2026-07-01T00:00:00", "until": "2026-07-02T00:00:00+08:00"},
                         {"id": "d", "name": NAME, "from": "2026-08-02T00:00:00+08:00",
                          "until": "2026-08-01T00:00:00+08:00"}]},
    "instalments": {"name": NAME, "offer_valid_days": 30,
                    "plans": [{"id": "p", "name": NAME, "categories": ["3c"], "min_price_fen": 0, "terms": [12, 3],
                               "merchant_fee_bp": {3: 160}},
                              {"id": "q", "name": NAME, "min_price_fen": 100, "terms": [3, 6],
                               "merchant_fee_bp": {3: 160}}]},
}


def problems_of(raw: dict[str, Any]) -> list[str]:
    try:
        load_financing({"kind": "merchants.financing", **raw})
    except MerchantRulebookError as exc:
        return exc.problems
    return []


def test_broken_yaml_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    expected = [  # cross-entry checks wait until their entries are valid: see the table below
        "financing.loan.name.en: required",
        "financing.loan.conditions.licensed_store_types[1]: must be one of 'enterprise', 'individual' or 'personal', "
        "got 'corporate'",
        "financing.loan.conditions.min_score_hundredths: must be an integer, got 80.5",
        "financing.loan.conditions.typo: unknown key",
        "financing.loan.amount.min_fen: must not be above max_fen (100), got 500",
        "financing.early_payout.conditions.blocked_risk_outcomes[0]: must be one of 'pass', 'review' or 'block'",
        "financing.early_payout.promotions[2].from: timestamp '2026-07-01T00:00:00' has no UTC offset",
        "financing.early_payout.promotions[3].until: must be after from (2026-08-02T00:00:00+08:00), got "
        "2026-08-01T00:00:00+08:00",
        "financing.instalments.conditions: required",
        "financing.instalments.plans[0].min_price_fen: must be a positive integer, got 0",
        "financing.instalments.plans[0].terms: must be a non-empty ascending list",
        "financing.instalments.plans[1].merchant_fee_bp: must give a fee for each of the terms [3, 6]",
    ]
    found = problems_of(BROKEN)
    assert len(found) == len(expected) and all(f.startswith(e) for f, e in zip(found, expected, strict=True)), found
    path = tmp_path / "financing.yaml"
    path.write_text("kind: merchants.financing\nloan: {}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(MerchantRulebookError, match=r"financing\.extra: unknown key") as raised:
        load_financing_file(path)
    assert "financing.early_payout: required" in raised.value.problems


SHIPPED = yaml.safe_load(DEFAULT_FINANCING_PATH.read_text(encoding="utf-8"))


@pytest.mark.parametrize(("mutate", "problem"), [
    (lambda r: r["early_payout"]["promotions"][1].update(**{"from": "2026-06-01T00:00:00+08:00"}),
     "financing.early_payout.promotions: '618-2026' and 'double11-2026' overlap"),
    (lambda r: r["early_payout"]["promotions"][1].update(id="618-2026"),
     "financing.early_payout.promotions[1].id: duplicate id '618-2026'"),
    (lambda r: r["instalments"]["plans"][0].update(terms=[3, 6]),
     "financing.instalments.plans[0].merchant_fee_bp: must give a fee for each of the terms [3, 6]"),
    (lambda r: r["instalments"]["plans"][0].update(terms=[3, 3, 6]),
     "financing.instalments.plans[0].terms: must be a non-empty ascending list"),
    (lambda r: r["instalments"]["plans"][0].update(terms=[1, 3]), "financing.instalments.plans[0].terms[0]: must be"),
    (lambda r: r["instalments"]["plans"][1].update(id="electronics"),
     "financing.instalments.plans[1].id: duplicate id 'electronics'"),
    (lambda r: r["loan"]["conditions"].update(blocked_states=["closed", "closed"]),
     "financing.loan.conditions.blocked_states: 'closed' appears more than once"),
    (lambda r: r["loan"]["amount"].update(max_fen=10**13), "financing.loan.amount.max_fen: must be an integer 1–"),
    (lambda r: r.update(kind="merchants"), "financing.kind: must be one of 'merchants.financing'"),
])
def test_each_refusal_names_its_path(mutate: Callable[[dict[str, Any]], None], problem: str) -> None:
    raw = copy.deepcopy(SHIPPED)
    mutate(raw)
    found = problems_of(raw)
    assert len(found) == 1 and found[0].startswith(problem), found
