"""The 30-day companion's decisions at their edges: the window after payment, once per order and trouble, the
thresholds, the hold-out hash, the coupon caps and the task's moves."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml

from anxin.care.companion_policy import (
    CONTACTED,
    DONE,
    EXPIRED,
    HELD,
    HELD_OUT,
    OPEN,
    OPENED,
    SKIPPED,
    MoveRefused,
    OrderFacts,
    TroubleSeen,
    check_move,
    coupon_amount,
    decide,
    held_out,
    holdout_bucket,
    in_window,
)
from anxin.care.companion_rules import (
    DEFAULT_COMPANION_RULEBOOK,
    TROUBLES,
    load_companion_rules,
    parse_companion_rules,
)

RB = load_companion_rules()
PAID = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
S = dt.timedelta(seconds=1)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def order_ids(*, held: bool, n: int) -> list[str]:
    """Order ids the hold-out hash puts in the group asked for (the hash decides; the test only searches)."""
    out = [f"o{i}" for i in range(2000) if held_out(f"o{i}", RB) is held]
    return out[:n]


CARED = order_ids(held=False, n=3)[0]
HELD_ORDER = order_ids(held=True, n=1)[0]


def order(order_id: str = CARED, *, paid_fen: int = 9900, cancelled: bool = False) -> OrderFacts:
    return OrderFacts(order_id, "s1", "c1", PAID, paid_fen, cancelled)


def seen(trouble: str = "late_shipment", at: dt.datetime = PAID + D, order_id: str = CARED,
         **facts: Any) -> TroubleSeen:
    return TroubleSeen(trouble, order_id, at, "test.event", "src1", facts)


@pytest.mark.parametrize(("at", "outcome", "code"), [
    (PAID - S, SKIPPED, "companion.outside_window"),  # before payment
    (PAID, OPENED, "companion.late_shipment"),  # the payment's instant is inside
    (PAID + 30 * D - S, OPENED, "companion.late_shipment"),  # the last second of the 30 days
    (PAID + 30 * D, SKIPPED, "companion.outside_window"),  # exactly 30 days: outside
    (PAID + 31 * D, SKIPPED, "companion.outside_window"),
])
def test_the_window_runs_from_payment_for_30_days(at, outcome, code):
    d = decide(seen(at=at), order(), RB)
    assert (d.outcome, d.reason_codes) == (outcome, (code,))
    assert in_window(PAID, at, RB) is (outcome == OPENED)
    if outcome == OPENED:
        assert d.rule_ids == ("companion.window", "companion.trouble.late_shipment")
        assert d.facts["window_end"] == (PAID + 30 * D).isoformat()


@pytest.mark.parametrize("trouble", TROUBLES)
def test_every_trouble_opens_a_task_with_the_rulebooks_remedy_priority_and_due_time(trouble):
    facts = {"contacts": 3} if trouble == "repeated_contacts" else {"rating": 1} if trouble == "bad_review" else {}
    d = decide(seen(trouble, **facts), order(), RB)
    rule = RB.troubles.of(trouble)
    assert d.outcome == OPENED and d.stored
    assert (d.remedy, d.priority, d.due_at) == (rule.remedy.kind, rule.priority, PAID + D + rule.due_hours * H)
    assert d.expires_at == d.due_at + RB.expire_after_hours * H
    assert d.coupon_fen == (rule.remedy.amount_fen if rule.remedy.kind == "coupon" else None)
    assert d.rulebook_version == "care-companion-2026.12" and rule.id in d.rule_ids
    assert d.as_dict()["due_at"] == d.due_at.isoformat()


def test_once_per_order_and_trouble():
    assert decide(seen(), order(), RB, existing=True).reason_codes == ("companion.already_open",)


@pytest.mark.parametrize(("contacts", "outcome"), [(1, SKIPPED), (2, SKIPPED), (3, OPENED), (7, OPENED)])
def test_repeated_contacts_need_the_rulebooks_count(contacts, outcome):
    d = decide(seen("repeated_contacts", contacts=contacts), order(), RB)
    assert d.outcome == outcome
    if outcome == SKIPPED:
        assert d.reason_codes == ("companion.below_threshold",) and d.facts["min_contacts"] == 3


@pytest.mark.parametrize(("rating", "outcome"), [(1, OPENED), (2, OPENED), (3, SKIPPED), (5, SKIPPED),
                                                 (None, SKIPPED)])
def test_a_bad_review_is_rated_two_or_less(rating, outcome):
    facts = {} if rating is None else {"rating": rating}
    assert decide(seen("bad_review", **facts), order(), RB).outcome == outcome


@pytest.mark.parametrize(("order_facts", "trouble", "code"), [
    (None, "late_shipment", "companion.order_unknown"),
    (order(cancelled=True), "late_shipment", "companion.order_cancelled"),
    (order(), "something_else", "companion.unknown_trouble"),
])
def test_what_opens_nothing(order_facts, trouble, code):
    d = decide(seen(trouble), order_facts, RB)
    assert (d.outcome, d.reason_codes, d.stored) == (SKIPPED, (code,), False)


def test_a_disabled_trouble_opens_nothing():
    raw = yaml.safe_load(DEFAULT_COMPANION_RULEBOOK.read_text(encoding="utf-8"))
    raw["troubles"]["bad_review"]["enabled"] = False
    rb = parse_companion_rules(raw)
    assert decide(seen("bad_review", rating=1), order(), rb).reason_codes == ("companion.trouble_disabled",)


def test_the_hold_out_is_a_deterministic_hash_of_the_order_and_keeps_the_suggestion():
    assert holdout_bucket("o1", "salt") == holdout_bucket("o1", "salt") != holdout_bucket("o1", "other")
    d = decide(seen(order_id=HELD_ORDER), order(HELD_ORDER), RB)
    assert (d.outcome, d.reason_codes, d.stored) == (HELD, ("companion.held_out",), True)
    assert d.rule_ids[-1] == "companion.holdout" and d.facts["holdout_bucket"] < 1000
    assert d.remedy == "coupon" and d.expires_at is None  # what it would have been; never expires: never worked
    share = sum(held_out(f"order-{i}", RB) for i in range(20_000)) / 20_000
    assert 0.09 < share < 0.11  # 10 % of orders, as the rulebook says


@pytest.mark.parametrize(("wanted", "paid", "issued", "amount"), [
    (500, 9900, 0, 500),
    (500, 20_000, 1600, 400),  # the 20-yuan cap leaves 4 yuan
    (500, 9900, 1600, 380),  # 20 % of 99 yuan is 19.80 yuan: 3.80 left
    (500, 20_000, 2000, 0),  # nothing left
    (500, 2000, 0, 400),  # 20 % of 20 yuan
    (500, 2500, 0, 500),  # 20 % of 25 yuan is exactly 5 yuan
    (500, 0, 0, 0),
])
def test_coupons_stay_within_the_orders_caps(wanted, paid, issued, amount):
    assert coupon_amount(wanted, paid_fen=paid, issued_fen=issued, rb=RB) == amount


@pytest.mark.parametrize(("state", "to", "chosen", "remedy", "result"), [
    (OPEN, CONTACTED, None, None, None),
    (OPEN, CONTACTED, None, "coupon", "coupon"),
    (OPEN, DONE, None, "none", "none"),
    (CONTACTED, DONE, "coupon", None, "coupon"),
    (CONTACTED, DONE, "coupon", "coupon", "coupon"),  # the same again: no change
    (CONTACTED, None, None, "case_escalation", "case_escalation"),  # the remedy only
    (OPEN, DONE, None, None, "remedy_required"),
    (OPEN, None, None, None, "remedy_required"),
    (CONTACTED, DONE, "coupon", "none", "remedy_already_chosen"),
    (OPEN, CONTACTED, None, "cash", "invalid_remedy"),
    (CONTACTED, CONTACTED, None, None, "invalid_transition"),
    (CONTACTED, OPEN, None, None, "invalid_transition"),
    (OPEN, EXPIRED, None, None, "invalid_transition"),  # the expiry job's alone
    (DONE, DONE, "none", None, "invalid_transition"),
    (EXPIRED, None, None, "coupon", "invalid_transition"),
    (HELD_OUT, CONTACTED, None, None, "invalid_transition"),  # never worked
    (OPEN, "lost", None, None, "invalid_transition"),
])
def test_task_moves(state, to, chosen, remedy, result):
    if result in ("remedy_required", "remedy_already_chosen", "invalid_remedy", "invalid_transition"):
        with pytest.raises(MoveRefused) as exc:
            check_move(state, to, remedy_chosen=chosen, remedy=remedy)
        assert exc.value.code == result
    else:
        assert check_move(state, to, remedy_chosen=chosen, remedy=remedy) == result
