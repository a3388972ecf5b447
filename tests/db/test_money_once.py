"""Money is paid once whatever the load: real threads against the real database (SQLite here, PostgreSQL in CI),
each request in its own transaction as in the server."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from tests.concurrency import all_at_once as _race
from tests.db.builders import T0, H, seed_order

from anxin.aftersales.service import FileCase
from anxin.core.errors import AnxinError
from anxin.idempotency.model import Replay, request_for

pytestmark = pytest.mark.db

ORDERS = 12
PRICE = 20000




def _instant_orders(anxin: Any, clock: Any, n: int = ORDERS) -> list[tuple[str, Any]]:
    """Orders that qualify for an instant refund, each with its own consumer (one consumer filing dozens of
    refunds at once is a risk pattern, not the race under test)."""
    orders = []
    for i in range(n):
        seed_order(anxin, order_id=f"o{i}", consumer_id=f"c{i}", services=["anxin_gou"], price_fen=PRICE)
        orders.append((f"o{i}", anxin.access.create_key("consumer", f"c{i}")[0]))
    clock.set(T0 + H)
    return orders


def _refunds_by_order(anxin: Any) -> dict[str, list[int]]:
    paid: dict[str, list[int]] = {}
    for message in anxin.outbox.list_messages(limit=10_000):
        if message.kind == "refund.issue":
            paid.setdefault(message.payload["order_id"], []).append(message.amount_fen)
    return paid


def _errors(results: list[Any]) -> list[str]:
    return [r.code.value for r in results if isinstance(r, AnxinError)]


def test_two_simultaneous_full_refunds_of_one_order_pay_once(anxin: Any, clock: Any) -> None:
    orders = _instant_orders(anxin, clock)
    calls = [lambda o=o, c=c: anxin.aftersales.file_case(c, FileCase(o, "refund_only", "other", PRICE))
             for o, c in orders for _ in range(2)]
    results = _race(calls)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, AnxinError)]
    assert unexpected == []
    refunds = _refunds_by_order(anxin)
    assert {o: sum(v) for o, v in refunds.items()} == {o: PRICE for o, _ in orders}
    assert Counter(_errors(results)) == {"aftersales.amount_exceeds_refundable": ORDERS}


def test_two_simultaneous_partial_refunds_never_exceed_what_was_paid(anxin: Any, clock: Any) -> None:
    orders = _instant_orders(anxin, clock)
    part = PRICE * 6 // 10
    results = _race([lambda o=o, c=c: anxin.aftersales.file_case(c, FileCase(o, "refund_only", "other", part))
                     for o, c in orders for _ in range(2)])
    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, AnxinError)] == []
    refunds = _refunds_by_order(anxin)
    assert {o: sum(v) for o, v in refunds.items()} == {o: part for o, _ in orders}
    # the second 60 % finds only 40 % left, whichever came second
    assert Counter(_errors(results)) == {"aftersales.amount_exceeds_refundable": ORDERS}
    keys = [m.idempotency_key for m in anxin.outbox.list_messages(limit=10_000) if m.kind == "refund.issue"]
    assert sorted(keys) == sorted(f"{o}:refund@0" for o, _ in orders)


def test_partial_refunds_in_turn_pay_each_step_under_its_own_key(anxin: Any, clock: Any) -> None:
    consumer = anxin.access.create_key("consumer", "c1")[0]
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=PRICE)
    clock.set(T0 + H)
    for amount in (5000, 7000, 8000):
        anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", amount))
    with pytest.raises(AnxinError) as excinfo:
        anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 1))
    assert excinfo.value.code.value == "aftersales.amount_exceeds_refundable"
    messages = [(m.idempotency_key, m.amount_fen) for m in anxin.outbox.list_messages(limit=100)]
    assert sorted(messages) == [("o1:refund@0", 5000), ("o1:refund@12000", 8000), ("o1:refund@5000", 7000)]


def test_a_retried_filing_with_its_key_answers_the_first_response_and_pays_once(anxin: Any, clock: Any) -> None:
    consumer = anxin.access.create_key("consumer", "c1")[0]
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=PRICE)
    clock.set(T0 + H)
    body = {"order_id": "o1", "type": "refund_only", "reason": "other", "amount_fen": 6000}
    key = request_for("consumer:c1", "retry-1", "POST", "/v1/aftersales/cases", body)
    cmd = FileCase("o1", "refund_only", "other", 6000)
    first = anxin.aftersales.file_case(consumer, cmd, request=key)
    again = [anxin.aftersales.file_case(consumer, cmd, request=key) for _ in range(3)]
    assert all(isinstance(r, Replay) and r.status == 201 and r.body == first.as_dict() for r in again)
    assert [m.amount_fen for m in anxin.outbox.list_messages(limit=100)] == [6000]
    other = request_for("consumer:c1", "retry-1", "POST", "/v1/aftersales/cases", {**body, "amount_fen": 5000})
    with pytest.raises(AnxinError) as excinfo:
        anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 5000), request=other)
    assert excinfo.value.code.value == "idempotency.key_reused"
    # keys are the caller's own: another consumer's "retry-1" is a different key
    assert request_for("consumer:c2", "retry-1", "POST", "/v1/aftersales/cases", body) != key


def test_the_same_key_sent_at_once_many_times_files_one_case(anxin: Any, clock: Any) -> None:
    consumer = anxin.access.create_key("consumer", "c1")[0]
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=PRICE)
    clock.set(T0 + H)
    body = {"order_id": "o1", "type": "refund_only", "reason": "other", "amount_fen": 6000}
    key = request_for("consumer:c1", "burst-1", "POST", "/v1/aftersales/cases", body)
    cmd = FileCase("o1", "refund_only", "other", 6000)
    results = _race([lambda: anxin.aftersales.file_case(consumer, cmd, request=key) for _ in range(6)])
    firsts = [r for r in results if not isinstance(r, (Replay, Exception))]
    replays = [r for r in results if isinstance(r, Replay)]
    assert len(firsts) == 1 and len(replays) == 5, results
    assert all(r.body == firsts[0].as_dict() for r in replays)
    assert [m.amount_fen for m in anxin.outbox.list_messages(limit=100)] == [6000]


def test_merchant_approvals_racing_the_tick_move_each_case_once(anxin: Any, clock: Any) -> None:
    merchant = anxin.access.create_key("merchant", "m1")[0]
    cases = []
    for i in range(ORDERS):
        seed_order(anxin, order_id=f"o{i}", consumer_id=f"c{i}", services=(), price_fen=PRICE)
    clock.set(T0 + H)
    for i in range(ORDERS):
        consumer = anxin.access.create_key("consumer", f"c{i}")[0]
        cases.append(anxin.aftersales.file_case(consumer, FileCase(f"o{i}", "refund_only", "other", PRICE)).case)
    assert {c.state.value for c in cases} == {"pending_merchant"}
    clock.set(T0 + 60 * H)  # every merchant deadline has passed: the tick and the merchant both want to approve
    calls: list[Callable[[], Any]] = [lambda c=c: anxin.aftersales.act(merchant, c.case_id, "approve") for c in cases]
    calls += [lambda: anxin.aftersales.tick(), lambda: anxin.aftersales.tick()]
    results = _race(calls)
    assert [r for r in results if isinstance(r, Exception) and not isinstance(r, AnxinError)] == []
    assert set(_errors(results)) <= {"aftersales.invalid_state"}
    operator = anxin.access.create_key("operator", "ops")[0]
    for case in cases:
        view = anxin.aftersales.get_case(operator, case.case_id)
        assert [e.to_state for e in view.events].count("refunded") == 1
    refunds = _refunds_by_order(anxin)
    assert {o: sum(v) for o, v in refunds.items()} == {f"o{i}": PRICE for i in range(ORDERS)}


def test_cases_follow_the_shop_to_its_new_owner(anxin: Any, clock: Any) -> None:
    consumer = anxin.access.create_key("consumer", "c1")[0]
    old_owner = anxin.access.create_key("merchant", "m1")[0]
    new_owner = anxin.access.create_key("merchant", "m2")[0]
    operator = anxin.access.create_key("operator", "ops")[0]
    for i in range(3):
        seed_order(anxin, order_id=f"o{i}", services=(), price_fen=PRICE)
    clock.set(T0 + H)
    opened = [anxin.aftersales.file_case(consumer, FileCase(f"o{i}", "refund_only", "other", 100)).case.case_id
              for i in range(3)]
    assert {v.case.case_id for v in anxin.aftersales.list_cases(old_owner)} == set(opened)
    anxin.merchants.lifecycle.transfer(operator, "s1", {"kind": "transfer", "to_merchant_id": "m2",
                                                        "licence_no": "L-NEW-2"})
    assert anxin.aftersales.list_cases(old_owner) == []
    assert {v.case.case_id for v in anxin.aftersales.list_cases(new_owner)} == set(opened)
    with pytest.raises(AnxinError):
        anxin.aftersales.get_case(old_owner, opened[0])
    with pytest.raises(AnxinError):
        anxin.aftersales.act(old_owner, opened[0], "approve")
    assert anxin.aftersales.act(new_owner, opened[0], "approve").case.state.value == "refunded"


def test_keys_are_kept_at_least_a_day_then_purged_by_the_tick(anxin: Any, clock: Any) -> None:
    consumer = anxin.access.create_key("consumer", "c1")[0]
    seed_order(anxin, order_id="o1", services=["anxin_gou"], price_fen=PRICE)
    clock.set(T0 + H)
    body = {"order_id": "o1", "type": "refund_only", "reason": "other", "amount_fen": 100}
    key = request_for("consumer:c1", "old-1", "POST", "/v1/aftersales/cases", body)
    first = anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 100), request=key)
    clock.advance(hours=24)
    anxin.tick()
    again = anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 100), request=key)
    assert isinstance(again, Replay) and again.body == first.as_dict()
    clock.advance(hours=25)
    anxin.tick()  # 49 h: forgotten; the same key is now a new request (refused on its merits, nothing paid twice)
    with pytest.raises(AnxinError) as excinfo:
        anxin.aftersales.file_case(consumer, FileCase("o1", "refund_only", "other", 20000), request=request_for(
            "consumer:c1", "old-1", "POST", "/v1/aftersales/cases", {**body, "amount_fen": 20000}))
    assert excinfo.value.code.value == "aftersales.amount_exceeds_refundable"
