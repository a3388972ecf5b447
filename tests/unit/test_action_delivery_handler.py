"""Actions move from issued to sent on the outbox's ``outbox.message_delivered`` event, without a database: the
message bus (fake log, fake unit of work) with the real handler table entry, over fake stored actions. Only the
deliveries of action messages are logged; the handler is idempotent and never overrides an ack."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from tests.fakes import ACTIONS, FakeActions, FakeEventLog, FakeStore, FakeUnitOfWork, statuses

from anxin.actions import model as m
from anxin.actions.service import ActionService, delivered_action
from anxin.core.clock import FixedClock
from anxin.core.messagebus import HandlerTable, MessageBus, Subscription
from anxin.outbox.events import MessageDelivered
from anxin.outbox.model import REFUND

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)
SENT_AT = T0 + dt.timedelta(seconds=7)


def an_action(action_id: str = "act_1", state: str = m.ISSUED, **fields: Any) -> m.Action:
    key = m.idempotency_key(m.SHOP_RESTRICT, "shop:s1", f"ban:{action_id}")
    action = m.Action(action_id=action_id, kind=m.SHOP_RESTRICT, target="shop:s1",
                      parameters={"restrict": ["new_listings"]}, reason_codes=("risk.shop_banned",),
                      rule_id="A.SHOP_BLOCKED.RESTRICT", cause_type="risk.ban", cause_id=f"ban:{action_id}",
                      note="", issued_by="system:actions", issued_at=T0, idempotency_key=key,
                      message_id=f"msg_{action_id}", state=state)
    return replace(action, **fields)


def delivered(action: m.Action, *, kind: str | None = None, message_id: str | None = None) -> MessageDelivered:
    return MessageDelivered(message_id=message_id or action.message_id, kind=kind or action.kind,
                            idempotency_key=action.idempotency_key, subject_ref=action.target, delivered_at=SENT_AT)


class World:
    """The bus wired as bootstrap wires it (the same subscription), over a fake store holding ``actions``."""

    def __init__(self, *actions: m.Action, inline: bool = True) -> None:
        self.store = FakeStore()
        self.clock = FixedClock(T0 + dt.timedelta(minutes=1))
        self.repos: list[FakeActions] = []
        self.service = ActionService(uow_factory=self.uow, clock=self.clock,  # type: ignore[arg-type]
                                     ack_timeout=dt.timedelta(minutes=60), records=self.records)
        self.bus: MessageBus[Any] = MessageBus(
            table=HandlerTable([Subscription(MessageDelivered, self.service.record_delivery,
                                             "actions.record_delivery", "actions", when=delivered_action)]),
            uow_factory=self.uow, event_log=FakeEventLog(), clock=self.clock, inline=inline)
        with self.uow() as uow:
            repo = FakeActions(uow)
            for a in actions:
                repo.add(a)
            uow.commit()

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store, self.bus)

    def records(self, uow: FakeUnitOfWork) -> FakeActions:
        repo = FakeActions(uow)
        self.repos.append(repo)
        return repo

    def publish(self, *events: MessageDelivered) -> None:
        """What the outbox does: the event recorded with the delivery's own commit."""
        with self.uow() as uow:
            uow.record(*events)
            uow.commit()

    def action(self, action: m.Action) -> m.Action:
        return self.store.data[ACTIONS][action.idempotency_key]


def test_the_delivery_of_an_action_marks_it_sent_at_the_delivery_time() -> None:
    issued = an_action()
    world = World(issued)
    world.publish(delivered(issued))
    assert (world.action(issued).state, world.action(issued).sent_at) == (m.SENT, SENT_AT)
    assert list(statuses(world.store).values()) == ["done"]
    assert [k for r in world.repos for k in r.locked] == [issued.idempotency_key]  # read for changing


def test_only_deliveries_of_action_kinds_are_logged() -> None:
    issued = an_action()
    world = World(issued)
    refund = MessageDelivered(message_id="msg_r", kind=REFUND, idempotency_key="o_1:refund@0", subject_ref="case_1",
                              delivered_at=SENT_AT)
    world.publish(refund)
    assert world.store.rows == {}  # nobody asked for refunds: no row, no handling
    world.publish(refund, delivered(issued))
    assert [r.event.payload["kind"] for r in world.store.rows.values()] == [m.SHOP_RESTRICT]
    assert world.action(issued).state == m.SENT


def test_a_delivery_handled_again_changes_nothing() -> None:
    issued = an_action()
    world = World(issued)
    world.publish(delivered(issued))
    first = world.action(issued)
    world.store.handled.clear()  # as if the handler's mark were lost: the worker runs it once more
    for row in world.store.rows.values():
        row.status = "pending"
    world.clock.advance(minutes=5)
    assert world.bus.process_due().handled == 1
    assert world.action(issued) == first and first.sent_at == SENT_AT


def test_an_action_acked_before_its_delivery_was_recorded_keeps_the_ack() -> None:
    done = an_action(state=m.DONE, acked_at=T0)
    failed = an_action("act_2", state=m.FAILED, acked_at=T0, failure_reason="shop closed")
    world = World(done, failed)
    world.publish(delivered(done), delivered(failed))
    assert world.action(done) == done and world.action(failed) == failed
    assert set(statuses(world.store).values()) == {"done"}  # handled, not failing


def test_a_message_that_is_no_actions_changes_nothing() -> None:
    issued = an_action()
    world = World(issued)
    stranger = replace(an_action("act_x"), idempotency_key="action:shop.restrict:shop:s9:other")
    world.publish(delivered(stranger), delivered(issued, message_id="msg_other"))
    assert world.action(issued) == issued
    assert set(statuses(world.store).values()) == {"done"}


def test_missed_inline_the_worker_marks_it_sent() -> None:
    issued = an_action()
    world = World(issued, inline=False)  # the process died between the delivery's commit and the handler
    world.publish(delivered(issued))
    assert world.action(issued).state == m.ISSUED and list(statuses(world.store).values()) == ["pending"]
    assert world.bus.process_due().handled == 1
    assert world.action(issued).state == m.SENT
