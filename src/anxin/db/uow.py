"""Unit of work: one transaction, rolled back unless a service says commit.

Services open one with ``with uow_factory() as uow: ... uow.commit()``. Other contexts' service
functions that must share the transaction take the open ``uow`` and never commit themselves; a unit of
work is never opened inside another (one request, one connection, one transaction).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

from anxin.db.engine import begin_write


class NestedUnitOfWork(RuntimeError):
    """A unit of work opened while this thread already holds one: a second connection and transaction that the
    first waits on (pool starvation under load, a SQLite writer waiting on itself). Pass the open one instead."""


_open = threading.local()


class UnitOfWork:
    def __init__(self, session_factory: Callable[[], Session]) -> None:
        self._session_factory = session_factory
        self._session: Session | None = None

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
            _open.uow = None

    def commit(self) -> None:
        self.session.commit()

    def begin_write(self) -> None:
        """Declare that this unit of work will write what it is about to read (a balance, a case's state):
        on SQLite the write transaction starts now, so a concurrent writer cannot slip between the read and
        the write; on PostgreSQL the caller locks the rows with ``FOR UPDATE``."""
        begin_write(self.session.connection())

    def savepoint(self) -> SessionTransaction:
        """A nested transaction, so one bad event in a batch rolls back alone."""
        return self.session.begin_nested()

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name


UowFactory = Callable[[], UnitOfWork]


def uow_factory_for(engine: sa.Engine) -> UowFactory:
    maker = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    return lambda: UnitOfWork(maker)
