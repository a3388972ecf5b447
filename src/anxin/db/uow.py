"""Unit of work: one transaction, rolled back unless a service says commit.

Services open one with ``with uow_factory() as uow: ... uow.commit()``. Other contexts' service
functions that must share the transaction take the open ``uow`` and never commit themselves; a unit of
work is never opened inside another (one request, one connection, one transaction).

Domain events recorded with ``uow.record(...)`` are logged by the message bus in the same commit and handed to
it once the unit of work is closed (``core.messagebus``): a handler never runs inside its publisher's
transaction, and an event exists exactly when the change that caused it does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import TracebackType
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from anxin.core.events import Event
from anxin.db.engine import begin_write


class NestedUnitOfWork(RuntimeError):
    """A unit of work opened while this thread already holds one: a second connection and transaction that the
    first waits on (pool starvation under load, a SQLite writer waiting on itself). Pass the open one instead."""


_open = threading.local()


class EventPublisher(Protocol):
    """The message bus as the unit of work sees it (``core.messagebus.MessageBus``)."""

    def publish(self, uow: UnitOfWork, events: Sequence[Event]) -> list[str]: ...

    def after_commit(self, event_ids: Sequence[str]) -> None: ...


class UnitOfWork:
    def __init__(self, session_factory: Callable[[], Session], publisher: EventPublisher | None = None) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None
        self._publisher = publisher
        self._events: list[Event] = []
        self._committed: list[str] = []
        self.published: list[Event] = []  # every event this unit of work committed, for callers and tests

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its with-block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        if getattr(_open, "uow", None) is not None:
            raise NestedUnitOfWork("a unit of work is already open in this thread: pass it on instead of "
                                   "opening another")
        self._session = self._session_factory()
        self._events, self._committed = [], []
        _open.uow = self
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._session is not None
        try:
            self._session.rollback()
            self._session.close()
        finally:
            self._session = None
            self._events = []
            _open.uow = None
        committed, self._committed = self._committed, []
        if committed and self._publisher is not None:
            self._publisher.after_commit(committed)

    def record(self, *events: Event) -> None:
        """Note that something happened; it is published if and when this unit of work commits."""
        self._events.extend(events)

    def commit(self) -> None:
        events, self._events = self._events, []
        ids = self._publisher.publish(self, events) if events and self._publisher is not None else []
        self.session.commit()
        self._committed.extend(ids)
        self.published.extend(events)

    def begin_write(self) -> None:
        """Declare that this unit of work will write what it is about to read (a balance, a case's state):
        on SQLite the write transaction starts now, so a concurrent writer cannot slip between the read and
        the write; on PostgreSQL the caller locks the rows with ``FOR UPDATE``."""
        begin_write(self.session.connection())

    @contextmanager
    def savepoint(self) -> Iterator[SessionTransaction]:
        """A nested transaction, so one bad item in a batch rolls back alone; the events it recorded go with it."""
        mark = len(self._events)
        try:
            with self.session.begin_nested() as nested:
                yield nested
        except BaseException:
            del self._events[mark:]
            raise

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


UowFactory = Callable[[], UnitOfWork]


class UnitOfWorkFactory:
    """Opens units of work on one engine. The composition root attaches the message bus once the handlers that
    need this factory exist (``publisher``); until then, and in tests without a bus, events are not published."""

    def __init__(self, engine: sa.Engine) -> None:
        self._maker = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
        self.publisher: EventPublisher | None = None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self._maker, self.publisher)


def uow_factory_for(engine: sa.Engine) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(engine)
