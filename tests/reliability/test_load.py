"""Load without server errors: bursts of concurrent filings, and many connections for a while."""

from __future__ import annotations

import pytest

from tests.reliability.harness import Call, World, record, run_for, send_all, setting

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
BURST = int(setting("BURST", 100))
BURSTS = int(setting("BURSTS", 3))
CONNECTIONS = int(setting("CONNECTIONS", 64))
SOAK_SECONDS = setting("SOAK_SECONDS", 10)
PER_CONSUMER = 5  # keeps each consumer under the velocity rules, so decisions stay ordinary


def test_bursts_of_concurrent_filings_are_all_answered_without_server_errors(world: World) -> None:
    orders = world.seed_orders(BURST * BURSTS, prefix="burst", per_consumer=PER_CONSUMER)
    errors, unanswered = 0, 0
    for k in range(BURSTS):
        replies = send_all(world.base, [world.filing(o, c) for o, c in orders[k * BURST:(k + 1) * BURST]],
                           timeout=60)
        errors += sum(1 for r in replies if r.status is not None and r.status >= 500)
        unanswered += sum(1 for r in replies if r.status is None)
        assert all(r.status is None or r.status in (201, 409, 422) or r.status >= 500 for r in replies), replies
    record(f"burst_5xx_of_{BURST * BURSTS}", errors)
    record(f"burst_unanswered_of_{BURST * BURSTS}", unanswered)
    assert (errors, unanswered) == (0, 0), f"{errors} server errors, {unanswered} unanswered"


def test_many_connections_for_a_while_see_no_errors(world: World) -> None:
    pool = world.seed_orders(int(setting("SOAK_ORDERS", 600)), prefix="soak", per_consumer=PER_CONSUMER)
    used = {"n": 0}

    def next_call(_: int) -> Call:
        # Filings for new orders while they last, then reads of the orders' guarantees and cases.
        i = used["n"]
        used["n"] += 1
        order_id, consumer_id = pool[i % len(pool)]
        if i < len(pool):
            return world.filing(order_id, consumer_id)
        path = f"/v1/orders/{order_id}/guarantees" if i % 2 else "/v1/aftersales/cases?limit=20"
        return Call("GET", path, world.keys[consumer_id])

    replies = run_for(world.base, SOAK_SECONDS, CONNECTIONS, next_call, timeout=30)
    errors = [r for r in replies if r.status is None or r.status >= 500]
    record(f"connections_{CONNECTIONS}_errors", f"{len(errors)} of {len(replies)}")
    assert replies and errors == [], f"{len(errors)} of {len(replies)} requests failed: {errors[:3]}"
