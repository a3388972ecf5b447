"""Guarantee decisions at the edges of every window, with plain objects (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from anxin.aftersales.policy import Claim, OrderFacts, Outcome, coverage, decide
from anxin.aftersales.rulebook import DEFAULT_RULEBOOK, load_rulebook

RB = load_rulebook(DEFAULT_RULEBOOK)
CST = dt.timezone(dt.timedelta(hours=8))
PAID = dt.datetime(2026, 11, 1, 20, 0, tzinfo=CST)
SIGNED = dt.datetime(2026, 11, 3, 10, 0, tzinfo=CST)
H, M, D = dt.timedelta(hours=1), dt.timedelta(minutes=1), dt.timedelta(days=1)


def order(*, tags: set[str] = frozenset(), services: set[str] = frozenset({"anxin_gou"}), paid_fen: int = 9900,
          shipped: bool = True, signed: bool = True, confirmed: bool = False) -> OrderFacts:
    return OrderFacts(
        order_id="o1", consumer_id="c1", shop_id="s1", merchant_id="m1", store_type="individual",
        shop_services=frozenset(services), item_tags=frozenset(tags), paid_fen=paid_fen,
        paid_at=PAID.astimezone(dt.UTC), shipped_at=(PAID + 20 * H).astimezone(dt.UTC) if shipped else None,
        signed_at=SIGNED.astimezone(dt.UTC) if signed else None, shipped=shipped, exemption_confirmed=confirmed)


def claim(case_type: str, reason: str, amount: int = 9900, evidence: int = 1, unsealed: bool = False) -> Claim:
    return Claim(case_type, reason, amount, evidence, unsealed)


def run(o: OrderFacts, c: Claim, at: dt.datetime, *, recent: int = 0,  # type: ignore[no-untyped-def]
        credit: str = "unscored"):
    return decide(o, c, RB, at.astimezone(dt.UTC), refundable_fen=o.paid_fen, consumer_cases_30d=recent,
                  consumer_credit=credit)


def codes(decision) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.code for r in decision.reasons]


# --- instant refund: unshipped, within 6 h of payment, paid under 300 yuan, shop opted in ----------------------
UNSHIPPED = dict(shipped=False, signed=False)


@pytest.mark.parametrize(("label", "facts", "at", "outcome", "guarantee"), [
    ("5h59 after payment", order(**UNSHIPPED), PAID + 6 * H - M, Outcome.APPROVED, "G.INSTANT_REFUND"),
    ("exactly 6h after payment", order(**UNSHIPPED), PAID + 6 * H, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ("paid 299.99 yuan", order(paid_fen=29999, **UNSHIPPED), PAID + H, Outcome.APPROVED, "G.INSTANT_REFUND"),
    ("paid 300.00 yuan", order(paid_fen=30000, **UNSHIPPED), PAID + H, Outcome.PENDING_MERCHANT,
     "G.UNSHIPPED_REFUND"),
    ("shop not opted in", order(services=set(), **UNSHIPPED), PAID + H, Outcome.PENDING_MERCHANT,
     "G.UNSHIPPED_REFUND"),
    ("opted in to instant refund alone", order(services={"instant_refund"}, **UNSHIPPED), PAID + H,
     Outcome.APPROVED, "G.INSTANT_REFUND"),
    ("virtual goods", order(tags={"virtual"}, **UNSHIPPED), PAID + H, Outcome.PENDING_MERCHANT,
     "G.UNSHIPPED_REFUND"),
    ("already shipped", order(shipped=True, signed=False), PAID + H, Outcome.REJECTED, None),
])
def test_instant_refund_edges(label, facts, at, outcome, guarantee) -> None:  # type: ignore[no-untyped-def]
    d = run(facts, claim("refund_only", "other", facts.paid_fen, evidence=0), at)
    assert (d.outcome, d.guarantee_id) == (outcome, guarantee), label


def test_not_instant_explains_why_it_was_passed_over() -> None:
    d = run(order(paid_fen=30000, **UNSHIPPED), claim("refund_only", "other", 30000, 0), PAID + H)
    assert [(r.code, r.rule) for r in d.passed_over] == [
        ("instant_refund.amount_too_high", "G.INSTANT_REFUND.AMOUNT"),
        ("instant_refund.credit_not_trusted", "G.INSTANT_REFUND_TRUSTED.CREDIT"),
        ("guarantee.not_offered", "G.WORRY_FREE_INSTANT_REFUND")]  # not a worry-free order
    assert all(r.version == RB.version for r in d.passed_over)


# --- consumer credit: trusted consumers get instant refunds up to 1,000 yuan, doubtful ones go to review -------
@pytest.mark.parametrize(("credit", "paid_fen", "outcome", "guarantee"), [
    ("trusted", 29999, Outcome.APPROVED, "G.INSTANT_REFUND"),
    ("trusted", 30000, Outcome.APPROVED, "G.INSTANT_REFUND_TRUSTED"),
    ("trusted", 99999, Outcome.APPROVED, "G.INSTANT_REFUND_TRUSTED"),
    ("trusted", 100000, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ("normal", 30000, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ("unscored", 30000, Outcome.PENDING_MERCHANT, "G.UNSHIPPED_REFUND"),
    ("doubtful", 9900, Outcome.REVIEW, "G.INSTANT_REFUND"),
    ("normal", 9900, Outcome.APPROVED, "G.INSTANT_REFUND"),
])
def test_consumer_credit_extends_or_reviews_instant_refunds(credit, paid_fen, outcome, guarantee) -> None:  # type: ignore[no-untyped-def]
    d = run(order(paid_fen=paid_fen, **UNSHIPPED), claim("refund_only", "other", paid_fen, 0), PAID + H,
            credit=credit)
    assert (d.outcome, d.guarantee_id) == (outcome, guarantee)
    assert d.facts["consumer_credit"] == credit
    if outcome is Outcome.REVIEW:
        assert "review.consumer_credit_doubtful" in codes(d)


# --- 7-day no-reason return: counted from the day after sign-off, local calendar days ------------------------
# Signed 3 Nov 10:00 (+08): day 1 is 4 Nov, day 7 is 10 Nov; the window closes at 11 Nov 00:00 (+08).
CLOSE_7D = dt.datetime(2026, 11, 11, 0, 0, tzinfo=CST)


@pytest.mark.parametrize(("signed_local", "at", "open_"), [
    (SIGNED, SIGNED + M, True),                                   # sign-off day itself counts toward day 0
    (SIGNED, CLOSE_7D - dt.timedelta(seconds=1), True),           # last second of day 7
    (SIGNED, CLOSE_7D, False),                                    # midnight after day 7
    (dt.datetime(2026, 11, 3, 23, 59, tzinfo=CST), CLOSE_7D - M, True),   # signed late: same close
    (dt.datetime(2026, 11, 4, 0, 1, tzinfo=CST), CLOSE_7D + M, True),     # signed after midnight: a day later
    (dt.datetime(2026, 11, 4, 0, 1, tzinfo=CST), CLOSE_7D + D, False),
])
def test_seven_day_window_counts_from_the_day_after_sign_off(signed_local, at, open_) -> None:  # type: ignore[no-untyped-def]
    facts = replace(order(), signed_at=signed_local.astimezone(dt.UTC))
    d = run(facts, claim("return_refund", "no_reason", evidence=0), at)
    if open_:
        assert (d.outcome, d.guarantee_id) == (Outcome.PENDING_MERCHANT, "G.SEVEN_DAY")
    else:
        assert d.outcome is Outcome.REJECTED and codes(d) == ["window.closed"]


def test_seven_day_not_open_before_sign_off() -> None:
    d = run(order(signed=False), claim("return_refund", "no_reason", evidence=0), PAID + 30 * H)
    assert d.outcome is Outcome.REJECTED and codes(d) == ["window.not_open"]


@pytest.mark.parametrize(("tags", "confirmed", "unsealed", "expected"), [
    ({"fresh"}, False, False, "seven_day.exempt_by_law"),
    ({"custom_made"}, False, False, "seven_day.exempt_by_law"),
    ({"periodical"}, False, False, "seven_day.exempt_by_law"),
    ({"hygiene_sealed"}, True, False, "seven_day.exempt_confirmed_at_purchase"),
    ({"hygiene_sealed"}, False, False, None),         # not confirmed at checkout: the seller cannot refuse
    ({"near_expiry"}, True, False, "seven_day.exempt_confirmed_at_purchase"),
    ({"activation_loss"}, False, False, None),
    ({"digital"}, False, True, "seven_day.digital_unsealed"),
    ({"digital"}, False, False, None),
    ({"apparel"}, True, False, None),                 # a confirmation on an ordinary item waives nothing
])
def test_seven_day_exemptions(tags, confirmed, unsealed, expected) -> None:  # type: ignore[no-untyped-def]
    d = run(order(tags=tags, confirmed=confirmed), claim("return_refund", "no_reason", evidence=0,
                                                           unsealed=unsealed), SIGNED + D)
    if expected is None:
        assert d.outcome is Outcome.PENDING_MERCHANT
    else:
        assert d.outcome is Outcome.REJECTED and expected in codes(d)


def test_fresh_refused_no_reason_but_accepted_for_quality() -> None:
    fresh = order(tags={"fresh"})
    assert run(fresh, claim("return_refund", "no_reason", evidence=0), SIGNED + D).outcome is Outcome.REJECTED
    q = run(fresh, claim("refund_only", "quality", evidence=1), SIGNED + 3 * D)
    assert (q.outcome, q.guarantee_id) == (Outcome.PENDING_MERCHANT, "G.QUALITY")


# --- fresh spoilage: 24 h from sign-off, photo required, merchant answers in 24 h -----------------------------
@pytest.mark.parametrize(("after", "evidence", "guarantee", "answer_in", "passed_over"), [
    (23 * H + 59 * M, 1, "G.FRESH_SPOILAGE", 24, None),
    # Past 24 h the spoilage cover is gone; rotten produce is still a quality problem for the merchant.
    (24 * H + M, 1, "G.QUALITY", 48, ("window.closed", "G.FRESH_SPOILAGE")),
    (H, 0, None, None, ("evidence.required", "G.FRESH_SPOILAGE.EVIDENCE")),
])
def test_fresh_spoilage_window(after, evidence, guarantee, answer_in, passed_over) -> None:  # type: ignore[no-untyped-def]
    d = run(order(tags={"fresh"}), claim("refund_only", "spoiled", 5000, evidence), SIGNED + after)
    assert d.guarantee_id == guarantee
    if guarantee is None:
        assert d.outcome is Outcome.REJECTED and passed_over in [(r.code, r.rule) for r in d.reasons]
    else:
        assert d.outcome is Outcome.PENDING_MERCHANT and d.merchant_response_hours == answer_in
        assert passed_over is None or passed_over in [(r.code, r.rule) for r in d.passed_over]


def test_spoilage_cover_needs_the_shop_to_offer_it() -> None:
    d = run(order(tags={"fresh"}, services=set()), claim("refund_only", "spoiled", 5000, 1), SIGNED + H)
    assert (d.outcome, d.guarantee_id) == (Outcome.PENDING_MERCHANT, "G.QUALITY")
    assert ("guarantee.not_offered", "G.FRESH_SPOILAGE") in [(r.code, r.rule) for r in d.passed_over]


# --- cosmetics allergy: 60 days from sign-off --------------------------------------------------------------
@pytest.mark.parametrize(("after", "outcome"), [(60 * D - M, Outcome.PENDING_MERCHANT), (60 * D + M, Outcome.REJECTED),
                                               (29 * D, Outcome.PENDING_MERCHANT)])
def test_allergy_window(after, outcome) -> None:  # type: ignore[no-untyped-def]
    d = run(order(tags={"cosmetics"}), claim("refund_only", "allergy", 149000, 1), SIGNED + after)
    assert d.outcome is outcome


def test_counterfeit_goes_to_review_with_three_times_compensation() -> None:
    d = run(order(tags={"jewelry"}), claim("return_refund", "counterfeit", 9900, 2), SIGNED + 5 * D)
    assert (d.outcome, d.guarantee_id, d.compensation_multiplier) == (Outcome.REVIEW, "G.AUTHENTIC", 3)


@pytest.mark.parametrize(("after", "outcome", "guarantee"), [
    (15 * D - M, Outcome.PENDING_MERCHANT, "G.EXCHANGE_FOR_REPAIR"),
    (15 * D + M, Outcome.PENDING_MERCHANT, "G.QUALITY"),  # past 15 days a fault is still a quality claim
])
def test_3c_exchange_for_repair(after, outcome, guarantee) -> None:  # type: ignore[no-untyped-def]
    d = run(order(tags={"3c"}), claim("exchange", "quality", 9900, 1), SIGNED + after)
    assert (d.outcome, d.guarantee_id) == (outcome, guarantee)


def test_no_guarantee_handles_the_claim() -> None:
    d = run(order(), claim("compensation", "no_reason"), SIGNED + D)
    assert d.outcome is Outcome.REJECTED and codes(d) == ["guarantee.none_handles_claim"]


# --- review rules --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("recent", "outcome"), [(5, Outcome.APPROVED), (6, Outcome.REVIEW)])
def test_velocity_sends_even_instant_refunds_to_review(recent, outcome) -> None:  # type: ignore[no-untyped-def]
    d = run(order(**UNSHIPPED), claim("refund_only", "other", evidence=0), PAID + H, recent=recent)
    assert d.outcome is outcome
    if outcome is Outcome.REVIEW:
        assert ("review.consumer_velocity", "R.VELOCITY") in [(r.code, r.rule) for r in d.reasons]


@pytest.mark.parametrize(("shipped", "outcome"), [(True, Outcome.REVIEW), (False, Outcome.PENDING_MERCHANT)])
def test_high_value_claim_without_evidence_is_reviewed_once_there_is_something_to_photograph(
        shipped, outcome) -> None:  # type: ignore[no-untyped-def]
    o = order(paid_fen=300000, shipped=shipped, signed=False)
    reason = "not_received" if shipped else "other"
    d = run(o, claim("refund_only", reason, 300000, evidence=0), PAID + 30 * H)
    assert d.outcome is outcome
    assert ("review.high_value_without_evidence" in codes(d)) is shipped


# --- the decision explains itself ----------------------------------------------------------------------------
def test_decision_records_facts_trace_rules_and_version() -> None:
    d = run(order(tags={"fresh"}), claim("refund_only", "spoiled", 5000, 1), SIGNED + H)
    body = d.as_dict()
    assert body["rulebook_version"] == RB.version and body["guarantee"] == "G.FRESH_SPOILAGE"
    assert body["facts"]["item_tags"] == ["fresh"] and body["facts"]["amount_fen"] == 5000
    windows = {s["rule"]: s["passed"] for s in body["trace"] if s["fact"] == "now"}
    # Guarantees tried earlier are in the trace too, failing; the chosen one passed.
    assert windows == {"G.INSTANT_REFUND": False, "G.INSTANT_REFUND_TRUSTED": False,
                       "G.WORRY_FREE_INSTANT_REFUND": False, "G.UNSHIPPED_REFUND": True, "G.FRESH_SPOILAGE": True}
    assert [r["code"] for r in body["passed_over"]] == [
        "window.closed", "instant_refund.already_shipped", "window.closed", "instant_refund.already_shipped",
        "instant_refund.credit_not_trusted", "guarantee.not_offered", "window.closed",
        "instant_refund.already_shipped", "unshipped_refund.already_shipped"]
    assert all({"rule", "fact", "op", "expected", "actual", "passed"} <= set(s) for s in body["trace"])


# --- coverage shown in the Hall ------------------------------------------------------------------------------
def test_coverage_states_for_a_fresh_order() -> None:
    states = {c.guarantee.id: c for c in coverage(order(tags={"fresh"}), RB, (SIGNED + H).astimezone(dt.UTC))}
    assert states["G.SEVEN_DAY"].state == "not_applicable"
    assert states["G.SEVEN_DAY"].reasons[0].code == "seven_day.exempt_by_law"
    assert states["G.FRESH_SPOILAGE"].state == "active"
    assert states["G.FRESH_SPOILAGE"].closes_at == (SIGNED + 24 * H).astimezone(dt.UTC)
    assert states["G.INSTANT_REFUND"].state == "expired"
    assert states["G.COSMETICS_ALLERGY"].state == "not_applicable"


def test_coverage_before_shipment() -> None:
    states = {c.guarantee.id: c.state for c in coverage(order(**UNSHIPPED), RB, (PAID + H).astimezone(dt.UTC))}
    assert states["G.INSTANT_REFUND"] == "active" and states["G.SEVEN_DAY"] == "pending"
    assert states["G.QUALITY"] == "pending"
