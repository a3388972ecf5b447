"""A merchant approving while the tick approves the same case on its deadline: one refund, one transition."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.reliability.harness import SECRET, Call, World, now, record, send_groups, setting

pytestmark = [pytest.mark.reliability, pytest.mark.slow]
CASES = int(setting("RACE_CASES", 300))


def test_merchant_approve_racing_the_tick_moves_each_case_to_refunded_once(world: World) -> None:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.settings import Settings

    # Paid 7 h ago and unshipped: past the instant-refund window, so the merchant has 48 h to answer.
    orders = world.seed_orders(CASES, prefix="race", paid_ago=dt.timedelta(hours=7), per_consumer=1)
    filed = [r for [r] in send_groups(world.base, [[world.filing(o, c)] for o, c in orders], in_flight=1)]
    assert {r.status for r in filed} == {201} and {r.body["state"] for r in filed} == {"pending_merchant"}, filed[:3]
    # A second worker process's tick (here: this process) runs at the deadline, while the merchant approves.
    ticker = bootstrap(settings=Settings(database_url=world.url, evidence_dir=world.workdir / "tick-evidence",
                                         webhook_url=None, webhook_secret=SECRET),
                       clock=FixedClock(now() + dt.timedelta(hours=49)), run_migrations=False)
    start = threading.Barrier(2)

    def tick() -> None:
        start.wait()
        ticker.aftersales.tick()

    thread = threading.Thread(target=tick)
    thread.start()
    start.wait()
    approvals = send_groups(world.base, [[Call("POST", f"/v1/aftersales/cases/{r.body['case_id']}/actions",
                                               world.keys["merchant"], {"action": "approve"})] for r in filed],
                            in_flight=8)
    thread.join()
    ticker.engine.dispose()
    assert all(a.status is not None and a.status < 500 for [a] in approvals), [a for [a] in approvals if
                                                                              not a.status or a.status >= 500][:3]
    cases = world.cases()
    twice = [c["case_id"] for c in cases if sum(e["to"] == "refunded" for e in c["timeline"]) > 1]
    record(f"approve_vs_tick_refunded_twice_of_{CASES}", len(twice))
    assert {c["state"] for c in cases} == {"refunded"}
    assert twice == [], f"{len(twice)}/{CASES} cases moved to refunded twice"
