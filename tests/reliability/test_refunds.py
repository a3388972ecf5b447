"""One payout per money movement: concurrent duplicate and partial refunds, and a client retrying a filing."""

from __future__ import annotations

import uuid

import pytest

from tests.reliability.harness import PRICE_FEN, Reply, World, record, send, send_groups, setting

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
ORDERS = 40
PAIRS_IN_FLIGHT = int(setting("PAIRS_IN_FLIGHT", 4))  # pairs filed at once: a race per pair, not a burst


def _refunded(replies: list[Reply]) -> set[str]:
    return {r.body["case_id"] for r in replies if r.status == 201 and r.body.get("state") == "refunded"}


def _file_pairs(world: World, prefix: str, amount_fen: int) -> tuple[list[Reply], set[str]]:
    orders = world.seed_orders(ORDERS, prefix=prefix)
    groups = [[world.filing(o, c, amount_fen), world.filing(o, c, amount_fen)] for o, c in orders]
    replies = [r for pair in send_groups(world.base, groups, in_flight=PAIRS_IN_FLIGHT) for r in pair]
    missing = world.receiver.wait_for_cases(_refunded(replies), timeout=30)
    return replies, missing


def _server_errors(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if r.status is None or r.status >= 500]


def test_two_simultaneous_instant_refunds_pay_an_order_once(world: World) -> None:
    replies, missing = _file_pairs(world, "dup", PRICE_FEN)
    twice, errors = world.receiver.paid_twice(), _server_errors(replies)
    record("duplicate_refunds_paid_twice_of_40", len(twice))
    record("duplicate_refunds_5xx_of_80", len(errors))
    assert not missing, f"refunds not delivered: {sorted(missing)}"
    assert twice == [], f"{len(twice)}/{ORDERS} orders paid twice"
    assert world.receiver.over_refunded() == []
    assert len(world.receiver.paid_by_order()) == ORDERS  # every order refunded once
    assert errors == []


def test_two_simultaneous_partial_refunds_never_refund_more_than_paid(world: World) -> None:
    replies, missing = _file_pairs(world, "part", PRICE_FEN * 60 // 100)
    over, errors = world.receiver.over_refunded(), _server_errors(replies)
    record("partial_refunds_over_refunded_of_40", len(over))
    assert not missing, f"refunds not delivered: {sorted(missing)}"
    assert over == [], f"{len(over)}/{ORDERS} orders over-refunded"
    assert len(world.receiver.paid_by_order()) == ORDERS
    assert errors == []


def test_a_retried_filing_with_the_same_key_is_answered_once_and_paid_once(world: World) -> None:
    orders = world.seed_orders(10, prefix="retry")
    forty = PRICE_FEN * 40 // 100
    same, reused = 0, 0
    for order_id, consumer_id in orders:
        key = {"Idempotency-Key": uuid.uuid4().hex}
        first = send(world.base, world.filing(order_id, consumer_id, forty, key))
        again = send(world.base, world.filing(order_id, consumer_id, forty, key))
        assert first.status == 201, first
        same += (again.status, again.body) == (first.status, first.body)
        other = send(world.base, world.filing(order_id, consumer_id, forty + 1, key))
        reused += other.status == 409 and other.code == "idempotency.key_reused"
    refunded = {c["case_id"] for c in world.cases(state="refunded")}
    missing = world.receiver.wait_for_cases(refunded, timeout=30)
    twice = world.receiver.paid_twice()
    record("retried_partial_refund_paid_twice_of_10", len(twice))
    assert not missing
    assert twice == [], f"{len(twice)}/10 retried filings paid twice"
    assert same == 10, f"{same}/10 retries got the first response"
    assert reused == 10, f"{reused}/10 reuses of a key with another body got 409 idempotency.key_reused"
    assert sorted(world.receiver.paid_by_order()) == sorted(o for o, _ in orders)
