"""The event log on the real database: events commit with their cause, concurrent handler processes never run one
handler twice, failures retry and die visibly; a risk review settles its case through the bus."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from anxin.core.clock import FixedClock
from anxin.core.events import Event, event
from anxin.core.messagebus import Backoff, HandlerTable, MessageBus, Subscription
from anxin.db.domain_events import DomainEventLog, DomainEventQueries, DomainEventRow
from anxin.db.uow import UnitOfWork, UnitOfWorkFactory

pytestmark = pytest.mark.db


@event("test.stock_counted")
@dataclass(frozen=True)
class StockCounted(Event):
    sku: str
    at: dt.datetime


class Counting:
    def __init__(self) -> None:
        self.calls: list[str] = []
        self.fail_for: set[str] = set()
        self._lock = threading.Lock()

    def handle(self, event: StockCounted, uow: UnitOfWork) -> None:
        if event.sku in self.fail_for:
            raise RuntimeError(f"cannot count {event.sku}")
        uow.session.execute(sa.text("SELECT 1"))  # work inside the handler's own transaction
        with self._lock:
            self.calls.append(event.sku)


def _bus(engine: sa.Engine, clock: FixedClock, counting: Counting, *, inline: bool) -> tuple[MessageBus[UnitOfWork],
                                                                                                UnitOfWorkFactory]:
    factory = UnitOfWorkFactory(engine)
    bus: MessageBus[UnitOfWork] = MessageBus(
        table=HandlerTable([Subscription(StockCounted, counting.handle, "test.count", "test")]),
        uow_factory=factory, event_log=DomainEventLog(), clock=clock, inline=inline,
        backoff=Backoff(base_seconds=5, max_attempts=2))
    factory.publisher = bus
    return bus, factory


def _publish(factory: UnitOfWorkFactory, clock: FixedClock, skus: list[str], *, commit: bool = True) -> None:
    with factory() as uow:
        uow.record(*[StockCounted(sku, clock.now()) for sku in skus])
        if commit:
            uow.commit()


def _statuses(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {s: n for s, n in conn.execute(sa.select(DomainEventRow.status, sa.func.count())
                                              .group_by(DomainEventRow.status))}


def test_events_commit_with_their_cause_and_are_handled_inline(engine: sa.Engine, clock: FixedClock) -> None:
    counting = Counting()
    _, factory = _bus(engine, clock, counting, inline=True)
    _publish(factory, clock, ["A"], commit=False)
    assert _statuses(engine) == {} and counting.calls == []
    _publish(factory, clock, ["A", "B"])
    assert sorted(counting.calls) == ["A", "B"]
    assert _statuses(engine) == {"done": 2}


def test_events_recorded_in_a_rolled_back_savepoint_are_not_published(engine: sa.Engine, clock: FixedClock) -> None:
    counting = Counting()
    _, factory = _bus(engine, clock, counting, inline=True)
    with factory() as uow:
        uow.record(StockCounted("kept", clock.now()))
        with pytest.raises(RuntimeError), uow.savepoint():
            uow.record(StockCounted("undone", clock.now()))
            raise RuntimeError("this item fails: its savepoint rolls back")
        with uow.savepoint():
            uow.record(StockCounted("also kept", clock.now()))
        uow.commit()
    assert sorted(counting.calls) == ["also kept", "kept"]
    assert _statuses(engine) == {"done": 2}


def test_concurrent_processes_never_run_a_handler_twice(engine: sa.Engine, clock: FixedClock) -> None:
    counting = Counting()
    bus, factory = _bus(engine, clock, counting, inline=False)
    skus = [f"S{i:03d}" for i in range(120)]
    for lo in range(0, len(skus), 40):
        _publish(factory, clock, skus[lo:lo + 40])
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            for _ in range(10):
                bus.process_due(limit=15)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(counting.calls) == skus  # every one, once
    assert _statuses(engine) == {"done": 120}


def test_a_failing_handler_retries_then_is_dead_and_an_operator_can_retry_it(engine: sa.Engine,
                                                                             clock: FixedClock) -> None:
    counting = Counting()
    counting.fail_for = {"BAD"}
    bus, factory = _bus(engine, clock, counting, inline=True)
    _publish(factory, clock, ["BAD", "OK"])
    assert counting.calls == ["OK"]
    assert _statuses(engine) == {"pending": 1, "done": 1}
    clock.advance(seconds=5)
    report = bus.process_due()
    assert (report.failed, report.dead) == (0, 1)
    with factory() as uow:
        (dead,) = DomainEventQueries(uow.session).troubled()
        assert (dead.status, dead.attempts) == ("dead", 2)
        assert "cannot count BAD" in (dead.last_error or "")
        assert DomainEventQueries(uow.session).retry(dead.event_id, clock.now())
        uow.commit()
    counting.fail_for = set()
    assert bus.process_due().handled == 1
    assert sorted(counting.calls) == ["BAD", "OK"]


def test_a_worker_that_died_holding_a_lease_is_taken_over(engine: sa.Engine, clock: FixedClock) -> None:
    counting = Counting()
    bus, factory = _bus(engine, clock, counting, inline=False)
    _publish(factory, clock, ["A"])
    with factory() as uow:  # the dead worker's claim
        DomainEventLog().claim(uow, now=clock.now(), lease_until=clock.now() + dt.timedelta(seconds=60), limit=10)
        uow.commit()
    assert bus.process_due().handled == 0
    clock.advance(seconds=61)
    assert bus.process_due().handled == 1 and counting.calls == ["A"]


def test_a_risk_review_settles_its_case_through_the_bus(anxin: Any) -> None:
    """risk publishes risk.review_decided; after-sales' handler settles the case (no call back into after-sales)."""
    table = anxin.bus.table
    assert [s.name for s in table.for_event("risk.review_decided")] == ["aftersales.settle_risk_review"]
