"""Fakes, not mocks: in-memory stand-ins for the unit of work and the event log, for use cases and the message bus
tested without a database. They keep the real contracts (nothing is visible until commit; rollback by default)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from anxin.core.events import Event
from anxin.core.messagebus import DONE, PENDING, LoggedEvent, MessageBus, NewEvent


@dataclass
class _Row:
    event: NewEvent
    status: str = PENDING
    attempts: int = 0
    next_attempt_at: dt.datetime | None = None
    lease_until: dt.datetime | None = None
    last_error: str | None = None


@dataclass
class FakeStore:
    """What a fake unit of work commits to: plain dicts, copied on begin and written back on commit."""

    rows: dict[str, _Row] = field(default_factory=dict)
    handled: set[tuple[str, str]] = field(default_factory=set)
    data: dict[str, Any] = field(default_factory=dict)


class FakeUnitOfWork:
    """``with uow: ... uow.commit()``; staged writes vanish unless committed. ``record`` and the publisher follow
    ``anxin.db.uow.UnitOfWork``: events are published in the commit and handed to the bus after the block."""

    def __init__(self, store: FakeStore, bus: MessageBus[Any] | None = None) -> None:
        self.store, self.bus = store, bus
        self.commits = 0
        self._events: list[Event] = []
        self._committed_ids: list[str] = []

    def __enter__(self) -> FakeUnitOfWork:
        self.rows = {k: replace(v) for k, v in self.store.rows.items()}
        self.handled = set(self.store.handled)
        self.data = dict(self.store.data)
        self._events, self._committed_ids = [], []
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        ids, self._committed_ids = self._committed_ids, []
        if ids and self.bus is not None:
            self.bus.after_commit(ids)

    def record(self, *events: Event) -> None:
        self._events.extend(events)

    def commit(self) -> None:
        events, self._events = self._events, []
        ids = self.bus.publish(self, events) if events and self.bus is not None else []
        self.store.rows, self.store.handled, self.store.data = self.rows, self.handled, self.data
        self.commits += 1
        self._committed_ids.extend(ids)


class FakeEventLog:
    def append(self, uow: FakeUnitOfWork, events: Sequence[NewEvent]) -> None:
        for e in events:
            uow.rows[e.event_id] = _Row(e, next_attempt_at=e.occurred_at)

    def claim(self, uow: FakeUnitOfWork, *, now: dt.datetime, lease_until: dt.datetime, limit: int,
              ids: Sequence[str] | None = None) -> list[LoggedEvent]:
        due = [r for r in uow.rows.values() if r.status == PENDING and r.next_attempt_at is not None
               and r.next_attempt_at <= now and (r.lease_until is None or r.lease_until < now)
               and (ids is None or r.event.event_id in ids)]
        due.sort(key=lambda r: (r.next_attempt_at, r.event.event_id))
        out = []
        for r in due[:limit]:
            r.lease_until = lease_until
            out.append(LoggedEvent(r.event.event_id, r.event.name, dict(r.event.payload), r.event.occurred_at,
                                   r.attempts))
        return out

    def mark_handled(self, uow: FakeUnitOfWork, event_id: str, handler: str, at: dt.datetime) -> bool:
        if (event_id, handler) in uow.handled:
            return False
        uow.handled.add((event_id, handler))
        return True

    def finish(self, uow: FakeUnitOfWork, event_id: str, lease_until: dt.datetime, *, status: str, attempts: int,
               next_attempt_at: dt.datetime, error: str | None) -> bool:
        r = uow.rows[event_id]
        if r.status != PENDING or r.lease_until != lease_until:
            return False
        r.status, r.attempts, r.next_attempt_at, r.last_error, r.lease_until = (status, attempts, next_attempt_at,
                                                                                error, None)
        return True


def statuses(store: FakeStore) -> dict[str, str]:
    return {k: r.status for k, r in store.rows.items()}


__all__ = ["DONE", "FakeEventLog", "FakeStore", "FakeUnitOfWork", "statuses"]
