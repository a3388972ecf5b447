"""One case whose deadline cannot be applied stops nothing: it is recorded for operators, retried with backoff, and
every other case's deadline (and its refund) goes through."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from tests.db.builders import T0, H, seed_order

from anxin.aftersales.service import DEADLINE_JOB, FileCase

pytestmark = pytest.mark.db


def test_a_case_that_fails_its_deadline_is_set_aside_and_retried(anxin: Any, clock: Any, engine: sa.Engine) -> None:
    cases = []
    for i in range(4):
        seed_order(anxin, order_id=f"o{i}", consumer_id=f"c{i}", services=(), price_fen=5000)
    clock.set(T0 + H)
    for i in range(4):
        consumer = anxin.access.create_key("consumer", f"c{i}")[0]
        cases.append(anxin.aftersales.file_case(consumer, FileCase(f"o{i}", "refund_only", "other", 5000)).case)
    poisoned = cases[1].case_id
    with engine.begin() as conn:  # a case whose rulebook version this deployment no longer has
        conn.execute(sa.text("UPDATE aftersale_cases SET rulebook_version = 'gone' WHERE case_id = :c"),
                     {"c": poisoned})
    clock.set(T0 + 50 * H)
    report = anxin.aftersales.tick()
    assert (report.actions, report.errors) == ({"merchant_timeout": 3}, 1)
    [failure] = anxin.jobs.list(DEADLINE_JOB)
    assert (failure.item, failure.attempts) == (poisoned, 1)
    assert "gone" in failure.error
    refunded = {m.payload["order_id"] for m in anxin.outbox.list_messages() if m.kind == "refund.issue"}
    assert refunded == {"o0", "o2", "o3"}
    # backing off: the next tick a moment later leaves it alone
    clock.advance(seconds=1)
    assert anxin.aftersales.tick().errors == 0 and len(anxin.jobs.list(DEADLINE_JOB)) == 1
    # repaired, and due again after its backoff: applied and cleared
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE aftersale_cases SET rulebook_version = :v WHERE case_id = :c"),
                     {"c": poisoned, "v": cases[0].rulebook_version})
    clock.advance(hours=2)
    assert anxin.aftersales.tick().actions == {"merchant_timeout": 1}
    assert anxin.jobs.list(DEADLINE_JOB) == []
