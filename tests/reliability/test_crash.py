"""kill -9 of the server under refund load: nothing lost, nothing paid twice."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import httpx
import pytest

from tests.reliability.harness import CONSUMER_KEYS, World, _send, record, setting

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
KILLS = int(setting("KILLS", 2))
CLIENTS = 8


def test_kill_9_during_refund_load_loses_no_refund_and_pays_none_twice(world: World) -> None:
    orders = world.seed_orders(2 * CONSUMER_KEYS, prefix="crash", per_consumer=2)
    killed_all = threading.Event()

    def killer() -> None:
        try:
            for _ in range(KILLS):
                time.sleep(1.5)
                world.server.kill9()
                world.server.start()
            time.sleep(1.0)  # some load on the last incarnation too
        finally:
            killed_all.set()

    async def load() -> tuple[int, int]:
        queue = list(reversed(orders))
        answered, unanswered = 0, 0
        async with httpx.AsyncClient(base_url=world.base, timeout=30) as client:
            async def worker() -> None:
                nonlocal answered, unanswered
                while queue and not killed_all.is_set():
                    order_id, consumer_id = queue.pop()
                    # A client that lost its answer retries the same filing with the same key.
                    call = world.filing(order_id, consumer_id, headers={"Idempotency-Key": uuid.uuid4().hex})
                    deadline = time.monotonic() + 45
                    while (reply := await _send(client, call)).status is None and time.monotonic() < deadline:
                        await asyncio.sleep(0.2)
                    answered += reply.status is not None
                    unanswered += reply.status is None

            await asyncio.gather(*(worker() for _ in range(CLIENTS)))
        return answered, unanswered

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        answered, unanswered = asyncio.run(load())
    finally:
        thread.join()
    refunded = {c["case_id"] for c in world.cases(state="refunded")}
    # The killed server only records refunds; the worker (not killed here) delivers them, so this waits for the
    # worker to catch up with what every committed filing owed.
    missing = world.receiver.wait_for_cases(refunded, timeout=100)
    record("kill9_filings", f"{answered} answered, {unanswered} unanswered")
    record("kill9_refunds_lost", f"{len(missing)} of {len(refunded)}")
    record("kill9_paid_twice", len(world.receiver.paid_twice()))
    assert refunded, "no refund went through"
    assert not missing, f"{len(missing)}/{len(refunded)} refunds lost"
    assert world.receiver.paid_twice() == []
    assert world.receiver.over_refunded() == []
