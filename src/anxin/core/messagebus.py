"""The message bus: domain events recorded in a unit of work, logged with its commit, handled at least once.

A service records events on its open unit of work (``uow.record(CaseApproved(...))``). On commit the unit of
work hands those that someone subscribes to to ``MessageBus.publish``, which writes them to the event log in
the same transaction: an event exists exactly when the change that caused it does. After the transaction the
bus handles them (inline, right away, in the thread that committed), and the worker's ``process_due`` picks up
whatever that missed: a crash, a failing handler, a process killed mid-way.

Each handler runs in a unit of work of its own together with the mark that it has handled that event, so a
handler's effect commits exactly once even though the event may be delivered more than once; a failing handler
is retried with backoff without repeating the others, and is dead (and shown to operators) after its budget.
Events a handler records are logged with the handler's commit and handled in turn.

Pure: the log and the unit of work are ports (``EventLogPort``, ``UnitOfWorkPort``), implemented in
``anxin.db``; tests drive the bus with fakes.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from anxin.core.clock import Clock
from anxin.core.events import Event, EventDefinitionError, event_name, from_payload, to_payload
from anxin.core.ids import new_id

log = logging.getLogger(__name__)

EV = TypeVar("EV", bound=Event)


class UnitOfWorkPort(Protocol):
    def commit(self) -> None: ...


U = TypeVar("U", bound=UnitOfWorkPort)
U_contra = TypeVar("U_contra", bound=UnitOfWorkPort, contravariant=True)


@dataclass(frozen=True)
class Subscription(Generic[EV]):
    """``handler`` reacts to ``event`` inside the unit of work it is given and never commits it. ``name`` is
    stable (the log remembers which handlers have run by it); ``context`` is the context that owns the handler.
    ``when``, a pure predicate, narrows it to some events of the type (an outbox delivery of an action, not of a
    refund): an event no subscription's predicate accepts is not logged at all."""

    event: type[EV]
    handler: Callable[[EV, Any], None]
    name: str
    context: str
    when: Callable[[EV], bool] | None = None

    @property
    def event_name(self) -> str:
        return event_name(self.event)

    def accepts(self, event: EV) -> bool:
        return self.when is None or self.when(event)


class HandlerTable:
    """Every subscription, in the order handlers run. Built once, in the composition root."""

    def __init__(self, subscriptions: Iterable[Subscription[Any]]) -> None:
        self.subscriptions = tuple(subscriptions)
        names = [s.name for s in self.subscriptions]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise EventDefinitionError(f"handler names must be unique: {duplicates}")
        self._by_event: dict[str, list[Subscription[Any]]] = {}
        for sub in self.subscriptions:
            self._by_event.setdefault(sub.event_name, []).append(sub)

    def for_event(self, name: str) -> list[Subscription[Any]]:
        return list(self._by_event.get(name, ()))

    def wants(self, event: Event) -> bool:
        """Some subscription takes this very event (its type, and its ``when`` if it has one)."""
        return any(s.accepts(event) for s in self._by_event.get(event_name(event), ()))


@dataclass(frozen=True)
class LoggedEvent:
    event_id: str
    name: str
    payload: dict[str, Any]
    occurred_at: dt.datetime
    attempts: int


@dataclass(frozen=True)
class NewEvent:
    event_id: str
    name: str
    payload: dict[str, Any]
    occurred_at: dt.datetime


class EventLogPort(Protocol[U_contra]):
    def append(self, uow: U_contra, events: Sequence[NewEvent]) -> None: ...

    def claim(self, uow: U_contra, *, now: dt.datetime, lease_until: dt.datetime, limit: int,
              ids: Sequence[str] | None = None) -> list[LoggedEvent]:
        """Lease due events (all due ones, or only ``ids``) so no other process handles them meanwhile."""
        ...

    def mark_handled(self, uow: U_contra, event_id: str, handler: str, at: dt.datetime) -> bool:
        """Record that ``handler`` has handled the event, in the handler's transaction; False if it already had."""
        ...

    def finish(self, uow: U_contra, event_id: str, lease_until: dt.datetime, *, status: str, attempts: int,
               next_attempt_at: dt.datetime, error: str | None) -> bool:
        """Release the lease with the outcome, only if the lease is still ours (fencing)."""
        ...


PENDING, DONE, DEAD = "pending", "done", "dead"


@dataclass(frozen=True)
class Backoff:
    """Seconds before the next try after the n-th failed round: base × 2^(n-1), capped; dead after ``max_attempts``."""

    base_seconds: int = 5
    max_delay_seconds: int = 3600
    max_attempts: int = 10

    def delay(self, failures: int) -> dt.timedelta:
        return dt.timedelta(seconds=min(self.max_delay_seconds, self.base_seconds * 2 ** min(max(failures - 1, 0), 20)))


@dataclass
class ProcessReport:
    handled: int = 0  # events whose every handler has now run
    failed: int = 0  # events left for a retry
    dead: int = 0  # events out of attempts
    errors: list[str] = field(default_factory=list)

    def add(self, other: ProcessReport) -> None:
        self.handled += other.handled
        self.failed += other.failed
        self.dead += other.dead
        self.errors.extend(other.errors)

    def as_dict(self) -> dict[str, Any]:
        return {"handled": self.handled, "failed": self.failed, "dead": self.dead}


_MAX_ERROR = 500


class MessageBus(Generic[U]):
    def __init__(self, *, table: HandlerTable, uow_factory: Callable[[], AbstractContextManager[U]],
                 event_log: EventLogPort[U], clock: Clock, inline: bool = True,
                 lease: dt.timedelta = dt.timedelta(seconds=60), backoff: Backoff | None = None) -> None:
        self.table = table
        self._uow_factory = uow_factory
        self._log = event_log
        self._clock = clock
        self.inline = inline
        self._lease = lease
        self._backoff = backoff or Backoff()
        self._local = threading.local()

    # --- inside the publishing transaction ---------------------------------------------------------------------

    def publish(self, uow: U, events: Sequence[Event]) -> list[str]:
        """Log the events someone handles, in ``uow``'s transaction; the others have no consequence and are
        dropped. Returns the ids logged, which ``after_commit`` then handles."""
        now = self._clock.now()
        fresh = [NewEvent(new_id("evt"), event_name(e), to_payload(e), now) for e in events
                 if self.table.wants(e)]
        if fresh:
            self._log.append(uow, fresh)
        return [e.event_id for e in fresh]

    def after_commit(self, event_ids: Sequence[str]) -> None:
        """Handle just-committed events now, when inline handling is on. Never raises: what fails here is
        retried by ``process_due``, and the caller's transaction has already committed."""
        queue: list[str] | None = getattr(self._local, "queue", None)
        if queue is not None:  # a handler's own events: the loop handling it takes them after the current one
            queue.extend(event_ids)
            return
        if not self.inline or not event_ids:
            return
        self._local.queue = queue = list(event_ids)
        try:
            while queue:
                batch = queue[:]
                del queue[:]
                try:
                    self._process(ids=batch, limit=len(batch))
                except Exception:
                    log.exception("inline handling of %d events failed; the worker will retry", len(batch))
        finally:
            self._local.queue = None

    # --- the worker's side --------------------------------------------------------------------------------------

    def process_due(self, limit: int = 100) -> ProcessReport:
        """Handle due events (new ones inline handling missed, retries, events whose lease ran out)."""
        report = ProcessReport()
        queue: list[str] = []
        self._local.queue = queue
        try:
            report.add(self._process(ids=None, limit=limit))
            while queue:  # events the handlers recorded meanwhile
                batch = queue[:]
                del queue[:]
                report.add(self._process(ids=batch, limit=len(batch)))
        finally:
            self._local.queue = None
        return report

    def _process(self, *, ids: Sequence[str] | None, limit: int) -> ProcessReport:
        now = self._clock.now()
        lease_until = now + self._lease
        with self._uow_factory() as uow:
            claimed = self._log.claim(uow, now=now, lease_until=lease_until, limit=limit, ids=ids)
            uow.commit()
        report = ProcessReport()
        for logged in claimed:
            errors = self._handle(logged)
            self._finish(logged, lease_until, errors, report)
        return report

    def _handle(self, logged: LoggedEvent) -> list[str]:
        try:
            event = from_payload(logged.name, logged.payload)
        except (EventDefinitionError, TypeError, ValueError, KeyError) as exc:
            return [f"unreadable event: {type(exc).__name__}: {exc}"]
        errors: list[str] = []
        for sub in self.table.for_event(logged.name):
            try:
                if not sub.accepts(event):  # logged for another subscriber
                    continue
                with self._uow_factory() as uow:
                    if not self._log.mark_handled(uow, logged.event_id, sub.name, self._clock.now()):
                        continue
                    sub.handler(event, uow)
                    uow.commit()
            except Exception as exc:  # one failing handler must not stop the others; it is retried alone
                log.exception("handler %s failed on %s %s", sub.name, logged.name, logged.event_id)
                errors.append(f"{sub.name}: {type(exc).__name__}: {exc}")
        return errors

    def _finish(self, logged: LoggedEvent, lease_until: dt.datetime, errors: list[str],
                report: ProcessReport) -> None:
        now = self._clock.now()
        if not errors:
            status, attempts, error = DONE, logged.attempts, None
            report.handled += 1
        else:
            attempts = logged.attempts + 1
            status = DEAD if attempts >= self._backoff.max_attempts or errors[0].startswith("unreadable") else PENDING
            error = "; ".join(errors)[:_MAX_ERROR]
            report.errors.append(f"{logged.name} {logged.event_id}: {error}")
            if status == DEAD:
                report.dead += 1
                log.error("event %s %s is dead after %d attempts: %s", logged.name, logged.event_id, attempts, error)
            else:
                report.failed += 1
        next_at = now + self._backoff.delay(attempts) if status == PENDING else now
        with self._uow_factory() as uow:
            self._log.finish(uow, logged.event_id, lease_until, status=status, attempts=attempts,
                             next_attempt_at=next_at, error=error)
            uow.commit()
