"""The outbox tells the actions context what it delivered, through the event log (SQLite by default, PostgreSQL
with ANXIN_TEST_DATABASE_URL): ``outbox.message_delivered`` is written in the transaction that records the
delivery, for action messages only; handled (inline or by the worker) it moves the action from issued to sent,
once, and never over an ack."""

from __future__ import annotations

import datetime as dt
import json
import threading
from typing import Any

import pytest
import sqlalchemy as sa

from anxin.actions.service import IssueAction, issue
from anxin.core.principal import Principal, Role
from anxin.outbox.model import REFUND
from anxin.outbox.service import enqueue

pytestmark = pytest.mark.db
OPERATOR = Principal("k_op", Role.OPERATOR, "ops")
PLATFORM = Principal("k_pf", Role.PLATFORM, "platform")
B = "http://b.test/hook"


def rows(engine: sa.Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def issued(anxin: Any, n: int = 1, *, prefix: str = "T") -> list[str]:
    out = []
    for i in range(n):
        with anxin.uow_factory() as uow:
            action, _ = issue(uow, IssueAction(kind="shop.restrict", target=f"shop:s{i}",
                                               parameters={"restrict": ["withdrawals"]}, cause_type="operator",
                                               cause_id=f"{prefix}-{i}"), clock=anxin.clock)
            uow.commit()
        out.append(action.action_id)
    return out


def a_refund(anxin: Any) -> None:
    with anxin.uow_factory() as uow:
        enqueue(uow, clock=anxin.clock, kind=REFUND, idempotency_key="o_1:refund@0", payload={"case_id": "as1"},
                amount_fen=9900, subject_ref="as1")
        uow.commit()


def state(anxin: Any, action_id: str) -> tuple[str, str | None]:
    a = anxin.actions.get(OPERATOR, action_id)
    return a["state"], a["sent_at"]


def payload(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else json.loads(value)


def test_the_delivery_is_logged_with_its_mark_for_actions_only_and_the_worker_marks_it_sent(
        anxin: Any, engine: sa.Engine, clock: Any) -> None:
    anxin.bus.inline = False  # as if the worker died right after the delivery's commit
    [action_id] = issued(anxin)
    a_refund(anxin)
    assert anxin.deliver()["delivered"] == 2
    [(name, body, status)] = rows(engine, "SELECT name, payload, status FROM domain_events")
    [message_id] = [m for (m,) in rows(engine, "SELECT message_id FROM outbox WHERE kind = 'shop.restrict' "
                                             "AND status = 'delivered'")]
    delivered_at = anxin.outbox.get_message(message_id).delivered_at
    assert (name, status) == ("outbox.message_delivered", "pending")
    assert {k: payload(body)[k] for k in ("message_id", "kind", "subject_ref")} == {
        "message_id": message_id, "kind": "shop.restrict", "subject_ref": "shop:s0"}
    assert state(anxin, action_id) == ("issued", None)
    clock.advance(seconds=30)
    assert anxin.process_events().handled == 1
    sent_state, sent_at = state(anxin, action_id)
    assert sent_state == "sent" and sent_at is not None
    delivered = clock.now() - dt.timedelta(seconds=30)
    assert dt.datetime.fromisoformat(sent_at) == delivered_at == delivered  # the delivery's time, not the handler's
    assert anxin.process_events().handled == 0
    assert rows(engine, "SELECT handler FROM domain_event_handlers") == [("actions.record_delivery",)]


def test_inline_the_action_is_sent_in_the_round_that_delivered_it(anxin: Any, engine: sa.Engine) -> None:
    action_ids = issued(anxin, 3)
    assert anxin.deliver()["delivered"] == 3
    assert {state(anxin, a)[0] for a in action_ids} == {"sent"}
    assert rows(engine, "SELECT status, count(*) FROM domain_events GROUP BY status") == [("done", 3)]
    assert anxin.actions.counts(OPERATOR)["sent"] == 3


def test_with_two_endpoints_the_action_is_sent_when_the_last_one_received_it(
        anxin: Any, engine: sa.Engine, clock: Any, transport: Any) -> None:
    anxin.outbox.endpoints.create(url=B, event_types=["shop.restrict"])
    transport.by_url[B] = 503
    [action_id] = issued(anxin)
    assert anxin.deliver() == {"delivered": 1, "failed": 1, "dead": 0, "failed_jobs": {}}
    assert state(anxin, action_id) == ("issued", None)
    assert rows(engine, "SELECT count(*) FROM domain_events") == [(0,)]
    del transport.by_url[B]
    clock.advance(seconds=15)  # past the first retry's 10 s
    assert anxin.deliver()["delivered"] == 1
    assert state(anxin, action_id) == ("sent", clock.now().isoformat())
    assert rows(engine, "SELECT name, status FROM domain_events") == [("outbox.message_delivered", "done")]


def test_acks_racing_the_delivery_handler_always_end_acked(anxin: Any, engine: sa.Engine) -> None:
    anxin.bus.inline = False
    action_ids = issued(anxin, 8)
    assert anxin.deliver()["delivered"] == 8
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(work: Any) -> None:
        barrier.wait()
        try:
            work()
        except BaseException as exc:  # collected: none is allowed
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(anxin.process_events,)),
               threading.Thread(target=run, args=(lambda: [anxin.actions.ack(PLATFORM, a, {"status": "done"})
                                                           for a in action_ids],))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    anxin.process_events()
    assert {state(anxin, a)[0] for a in action_ids} == {"done"}  # sent_at set or not: whichever came first
    assert rows(engine, "SELECT status, count(*) FROM domain_events GROUP BY status") == [("done", 8)]
