"""Fakes, not mocks: in-memory stand-ins for the unit of work, the event log, after-sales cases and the outbox, for
use cases and the message bus tested without a database. They keep the real contracts (nothing is visible until
commit; rollback by default; an outbox key moves money once)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any

from anxin.actions.model import ISSUED, Action
from anxin.aftersales.model import OPEN_STATES, Case, CaseEvent
from anxin.core.clock import Clock
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
        self.data = copy.deepcopy(self.store.data)  # what the block writes is its own until commit
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


# --- after-sales ---------------------------------------------------------------------------------------------

CASES, CASE_EVENTS, OUTBOX = "aftersales.cases", "aftersales.case_events", "outbox.messages"


@dataclass
class FakeCaseRow:
    """A stored case (``aftersales.transitions.StoredCase``), as ``CaseRow`` is to the real repository."""

    case: Case
    decision: dict[str, Any] = field(default_factory=dict)

    def to_model(self) -> Case:
        return self.case

    def update_from(self, case: Case) -> None:
        self.case = case

    @property
    def freight_held(self) -> bool:
        return self.case.freight_held

    @freight_held.setter
    def freight_held(self, held: bool) -> None:
        self.case = replace(self.case, freight_held=held)


class FakeCases:
    """``aftersales.transitions.CaseRecords`` over a fake unit of work's data: cases by id, the timeline in order.
    ``locked`` lists the cases read for changing (``get(..., lock=True)``), in order."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[str, FakeCaseRow] = uow.data.setdefault(CASES, {})
        self.timeline: list[tuple[str, CaseEvent]] = uow.data.setdefault(CASE_EVENTS, [])
        self.locked: list[str] = []

    def add(self, case: Case, *, decision: dict[str, Any] | None = None) -> None:
        self.rows[case.case_id] = FakeCaseRow(case, dict(decision or {}))

    def get(self, case_id: str, *, lock: bool = False) -> FakeCaseRow | None:
        if lock:
            self.locked.append(case_id)
        return self.rows.get(case_id)

    def add_event(self, case_id: str, event: CaseEvent) -> None:
        self.timeline.append((case_id, event))

    def order_money(self, order_id: str, *, excluding: str) -> tuple[int, int]:
        others = [r.case for r in self.rows.values() if r.case.order_id == order_id and r.case.case_id != excluding]
        return sum(c.refunded_fen for c in others), sum(c.compensated_fen for c in others)

    def due(self, now: dt.datetime, limit: int = 500, *, excluding: set[str] | None = None) -> list[str]:
        due = [c for c in (r.case for r in self.rows.values())
               if c.deadline_at is not None and c.deadline_at <= now and c.state in OPEN_STATES
               and c.deadline_kind != "arbitration_sla" and c.case_id not in (excluding or set())]
        return [c.case_id for c in sorted(due, key=lambda c: (c.deadline_at, c.case_id))][:limit]


@dataclass(frozen=True)
class SentMoney:
    kind: str
    amount_fen: int | None
    subject_ref: str
    payload: dict[str, Any]


class FakeOutbox:
    """``outbox.enqueue`` into a fake unit of work: idempotent on the key, a key reused for other money refused.
    ``unavailable`` names subjects (case ids) whose money cannot be written: the failure a use case must isolate."""

    def __init__(self) -> None:
        self.unavailable: set[str] = set()

    def __call__(self, uow: FakeUnitOfWork, *, clock: Clock, kind: str, idempotency_key: str,
                 payload: dict[str, Any], amount_fen: int | None, subject_ref: str) -> SentMoney:
        if subject_ref in self.unavailable:
            raise RuntimeError(f"outbox unavailable for {subject_ref}")
        sent: dict[str, SentMoney] = uow.data.setdefault(OUTBOX, {})
        message = SentMoney(kind, amount_fen, subject_ref, payload)
        known = sent.setdefault(idempotency_key, message)
        if (known.kind, known.amount_fen) != (kind, amount_fen):
            raise ValueError(f"idempotency key {idempotency_key!r} reused for other money")
        return known

    @staticmethod
    def messages(store: FakeStore) -> dict[str, tuple[str, int | None, str]]:
        """What was committed: by key, (kind, amount, subject)."""
        return {k: (m.kind, m.amount_fen, m.subject_ref) for k, m in store.data.get(OUTBOX, {}).items()}


# --- actions --------------------------------------------------------------------------------------------------

ACTIONS = "actions.actions"


class FakeActions:
    """``actions.service.DeliveryRecords`` over a fake unit of work's data: actions by idempotency key. ``locked``
    lists the keys read for changing; ``save_sent`` moves only an issued action, like the real conditional UPDATE."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.rows: dict[str, Action] = uow.data.setdefault(ACTIONS, {})
        self.locked: list[str] = []

    def add(self, action: Action) -> None:
        self.rows[action.idempotency_key] = action

    def by_key(self, idempotency_key: str, *, lock: bool = False) -> Action | None:
        if lock:
            self.locked.append(idempotency_key)
        return self.rows.get(idempotency_key)

    def save_sent(self, action: Action) -> bool:
        current = self.rows.get(action.idempotency_key)
        if current is None or current.state != ISSUED:
            return False
        self.rows[action.idempotency_key] = action
        return True


__all__ = ["ACTIONS", "DONE", "FakeActions", "FakeCaseRow", "FakeCases", "FakeEventLog", "FakeOutbox", "FakeStore",
           "FakeUnitOfWork", "SentMoney", "statuses"]
