"""The message bus with fakes: events logged with the commit, every handler at least once and its effect once,
failures retried alone with backoff until dead, chains handled in turn."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from tests.fakes import FakeEventLog, FakeStore, FakeUnitOfWork, statuses

from anxin.core.clock import FixedClock
from anxin.core.events import (
    Event,
    EventDefinitionError,
    event,
    event_name,
    from_payload,
    to_payload,
)
from anxin.core.messagebus import Backoff, HandlerTable, MessageBus, Subscription

T0 = dt.datetime(2026, 3, 1, 8, tzinfo=dt.UTC)


@event("test.parcel_lost")
@dataclass(frozen=True)
class ParcelLost(Event):
    order_id: str
    at: dt.datetime
    items: tuple[str, ...] = ()
    amount_fen: int | None = None


@event("test.refund_owed")
@dataclass(frozen=True)
class RefundOwed(Event):
    order_id: str


@event("test.nobody_listens")
@dataclass(frozen=True)
class NobodyListens(Event):
    order_id: str


def test_an_event_round_trips_through_the_log_payload() -> None:
    lost = ParcelLost("O1", T0, ("L1", "L2"), 1990)
    payload = to_payload(lost)
    assert payload == {"order_id": "O1", "at": T0.isoformat(), "items": ["L1", "L2"], "amount_fen": 1990}
    assert from_payload("test.parcel_lost", payload) == lost
    assert event_name(lost) == event_name(ParcelLost) == "test.parcel_lost"


@pytest.mark.parametrize("name", ["", "nodot", "a.b.c", "bad name.x", "ctx.has-dash"])
def test_event_names_are_context_dot_what_happened(name: str) -> None:
    with pytest.raises(EventDefinitionError):
        event(name)


def test_an_event_that_the_log_could_not_store_is_refused_at_import() -> None:
    with pytest.raises(EventDefinitionError, match="cannot be stored"):
        @event("test.bad_field")
        @dataclass(frozen=True)
        class Bad(Event):
            when: set[str]

    with pytest.raises(EventDefinitionError, match="frozen"):
        @event("test.not_frozen")
        @dataclass
        class Loose(Event):
            order_id: str

    with pytest.raises(EventDefinitionError, match="taken"):
        @event("test.parcel_lost")
        @dataclass(frozen=True)
        class Again(Event):
            order_id: str


class World:
    def __init__(self, *, inline: bool = True, max_attempts: int = 3) -> None:
        self.clock = FixedClock(T0)
        self.store = FakeStore()
        self.calls: list[tuple[str, str]] = []
        self.fail: dict[str, int] = {}  # handler -> failures left
        self.table = HandlerTable([
            Subscription(ParcelLost, self._handler("care.open_ticket"), "care.open_ticket", "care"),
            Subscription(ParcelLost, self._refund, "aftersales.owe_refund", "aftersales"),
            Subscription(RefundOwed, self._handler("merchants.hold_funds"), "merchants.hold_funds", "merchants"),
        ])
        self.bus: MessageBus[Any] = MessageBus(table=self.table, uow_factory=self.uow, event_log=FakeEventLog(),
                                               clock=self.clock, inline=inline,
                                               backoff=Backoff(base_seconds=10, max_attempts=max_attempts))

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self.store, self.bus)

    def _handler(self, name: str) -> Any:
        def handle(event: Event, uow: FakeUnitOfWork) -> None:
            if self.fail.get(name, 0) > 0:
                self.fail[name] -= 1
                raise RuntimeError(f"{name} is down")
            uow.data[f"{name}:{event.order_id}"] = uow.data.get(f"{name}:{event.order_id}", 0) + 1  # type: ignore[attr-defined]
            self.calls.append((name, event.order_id))  # type: ignore[attr-defined]
        return handle

    def _refund(self, event: ParcelLost, uow: FakeUnitOfWork) -> None:
        self._handler("aftersales.owe_refund")(event, uow)
        uow.record(RefundOwed(event.order_id))

    def publish(self, *events: Event, commit: bool = True) -> None:
        with self.uow() as uow:
            uow.record(*events)
            if commit:
                uow.commit()


def test_events_are_handled_after_the_commit_by_every_subscriber_then_chained() -> None:
    w = World()
    w.publish(ParcelLost("O1", T0))
    assert w.calls == [("care.open_ticket", "O1"), ("aftersales.owe_refund", "O1"), ("merchants.hold_funds", "O1")]
    assert set(statuses(w.store).values()) == {"done"}


def test_nothing_is_published_without_the_commit_and_unheard_events_are_not_logged() -> None:
    w = World()
    w.publish(ParcelLost("O1", T0), commit=False)
    w.publish(NobodyListens("O2"))
    assert w.calls == [] and w.store.rows == {}


def test_without_inline_handling_the_worker_handles_them() -> None:
    w = World(inline=False)
    w.publish(ParcelLost("O1", T0))
    assert w.calls == []
    report = w.bus.process_due()
    assert (report.handled, report.failed) == (2, 0)  # ParcelLost, then the RefundOwed its handler recorded
    assert len(w.calls) == 3


def test_a_failing_handler_is_retried_alone_with_backoff_and_its_effect_lands_once() -> None:
    w = World()
    w.fail["aftersales.owe_refund"] = 1
    w.publish(ParcelLost("O1", T0))
    assert w.calls == [("care.open_ticket", "O1")]
    assert list(statuses(w.store).values()) == ["pending"]
    assert w.bus.process_due().handled == 0  # not due yet: 10 s backoff
    w.clock.advance(seconds=10)
    report = w.bus.process_due()
    assert report.handled == 2
    assert w.calls == [("care.open_ticket", "O1"), ("aftersales.owe_refund", "O1"), ("merchants.hold_funds", "O1")]
    assert w.store.data == {"care.open_ticket:O1": 1, "aftersales.owe_refund:O1": 1, "merchants.hold_funds:O1": 1}


@pytest.mark.parametrize(("failures", "status"), [(2, "done"), (3, "dead")])
def test_a_handler_is_dead_after_its_attempts(failures: int, status: str) -> None:
    w = World(max_attempts=3)
    w.fail["care.open_ticket"] = failures
    w.publish(ParcelLost("O1", T0))
    for _ in range(5):
        w.clock.advance(hours=1)
        w.bus.process_due()
    (row,) = [r for r in w.store.rows.values() if r.event.name == "test.parcel_lost"]
    assert row.status == status
    assert w.store.data.get("aftersales.owe_refund:O1") == 1  # never repeated while the other one failed


def test_a_redelivered_event_does_not_run_a_handler_twice() -> None:
    w = World(inline=False)
    w.publish(ParcelLost("O1", T0))
    # A worker handled it but died before releasing the lease: handlers are marked, the row is still pending.
    (event_id,) = w.store.rows
    w.store.handled |= {(event_id, "care.open_ticket"), (event_id, "aftersales.owe_refund")}
    w.bus.process_due()
    assert w.calls == []  # both were marked done by the dead worker's commits
    assert statuses(w.store)[event_id] == "done"


def test_an_event_leased_by_another_process_waits_for_its_lease() -> None:
    w = World(inline=False)
    w.publish(ParcelLost("O1", T0))
    (row,) = w.store.rows.values()
    row.lease_until = T0 + dt.timedelta(seconds=60)
    assert w.bus.process_due().handled == 0
    w.clock.advance(seconds=61)
    assert w.bus.process_due().handled == 2


def test_handler_names_are_unique() -> None:
    def handle(event: Event, uow: object) -> None:
        return None

    with pytest.raises(EventDefinitionError, match="unique"):
        HandlerTable([Subscription(RefundOwed, handle, "x.y", "x"), Subscription(ParcelLost, handle, "x.y", "x")])


def test_a_subscription_narrowed_by_when_logs_and_runs_only_the_events_it_accepts() -> None:
    w = World()
    calls: list[tuple[str, str]] = []

    def handler(name: str) -> Any:
        return lambda event, uow: calls.append((name, event.order_id))

    w.table = HandlerTable([
        Subscription(RefundOwed, handler("big"), "merchants.big", "merchants",
                     when=lambda e: e.order_id.startswith("B")),
        Subscription(RefundOwed, handler("odd"), "merchants.odd", "merchants",
                     when=lambda e: e.order_id.endswith("1")),
    ])
    w.bus.table = w.table
    w.publish(RefundOwed("S2"))  # neither takes it: not logged at all
    assert w.store.rows == {} and calls == []
    w.publish(RefundOwed("S1"), RefundOwed("B2"))
    assert sorted(calls) == [("big", "B2"), ("odd", "S1")]  # each only what it accepts
    assert len(w.store.rows) == 2 and set(statuses(w.store).values()) == {"done"}
    assert len(w.store.handled) == 2  # the other subscriber left no mark: it never handled them
