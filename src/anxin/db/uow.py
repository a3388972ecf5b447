"""Unit of work: one transaction, rolled back unless a service says commit.

Services open one with ``with uow_factory() as uow: ... uow.commit()``. Other contexts' service
functions that must share the transaction take the open ``uow`` and never commit themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, sessionmaker


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
        self._session = self._session_factory()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        assert self._session is not None
        self._session.rollback()
        self._session.close()
        self._session = None

    def commit(self) -> None:
        self.session.commit()

    def savepoint(self):  # type: ignore[no-untyped-def]
        """A nested transaction, so one bad event in a batch rolls back alone."""
        return self.session.begin_nested()


UowFactory = Callable[[], UnitOfWork]
_HOLDS = "anxin.write_lock"


def uow_factory_for(engine: sa.Engine) -> UowFactory:
    maker = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    if engine.dialect.name == "sqlite":
        _serialise_writers(maker)
    return lambda: UnitOfWork(maker)


def _serialise_writers(maker: sessionmaker[Session]) -> None:
    """SQLite has one writer at a time. Without this, concurrent request threads find out inside SQLite's busy
    handler, which sleeps and retries (p99 of seconds under load); a process-wide lock taken at a session's first
    write and released when its transaction ends queues them fairly instead. Readers never take it."""
    lock = threading.RLock()

    def take(session: Session) -> None:
        if not session.info.get(_HOLDS):
            lock.acquire()
            session.info[_HOLDS] = True

    @event.listens_for(maker, "before_flush")
    def _on_flush(session: Session, _ctx: object, _instances: object) -> None:
        if session.new or session.dirty or session.deleted:
            take(session)

    @event.listens_for(maker, "do_orm_execute")
    def _on_execute(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            take(state.session)

    @event.listens_for(maker, "after_transaction_end")
    def _on_end(session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None and session.info.pop(_HOLDS, False):
            lock.release()
