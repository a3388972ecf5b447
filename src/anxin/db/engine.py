"""Engines for the embedded default (SQLite, WAL) and production (PostgreSQL).

SQLite has one writer at a time. Every write, whether it comes from the ORM, a Core statement or a raw
connection, first takes a process-wide lock for its database file, held until that connection commits or rolls
back; concurrent request threads then queue on the lock fairly instead of finding each other inside SQLite's
busy handler (sleeps, p99 of seconds, and the 30 s stalls of a write that bypassed a session-level lock). Other
processes on the same file still meet SQLite's own lock and busy timeout.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

DEFAULT_URL = "sqlite:///var/anxin.db"
# Request threads and the connections they need: one connection per request, plus the background jobs.
DEFAULT_WORKERS = 16
BACKGROUND_CONNECTIONS = 4
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN IMMEDIATE",
           "BEGIN EXCLUSIVE")


def database_url() -> str:
    return os.environ.get("ANXIN_DATABASE_URL", DEFAULT_URL)


def request_workers() -> int:
    """Threads serving requests in one process (ANXIN_WORKERS); the pool is sized from it."""
    raw = os.environ.get("ANXIN_WORKERS", "")
    if raw:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"ANXIN_WORKERS must be a whole number, got {raw!r}") from None
        if not 1 <= value <= 512:
            raise ValueError(f"ANXIN_WORKERS must be between 1 and 512, got {value}")
        return value
    return DEFAULT_WORKERS


def make_engine(url: str | None = None, *, echo: bool = False, workers: int | None = None) -> sa.Engine:
    url = url or database_url()
    # Every request thread can hold one connection and the background jobs a few more; nobody waits for a
    # connection while holding another (no unit of work inside another), so this pool cannot starve.
    size = (workers or request_workers()) + BACKGROUND_CONNECTIONS
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(url, echo=echo, pool_size=size, max_overflow=0, pool_timeout=60,
                                  connect_args={"check_same_thread": False, "timeout": 30,
                                                "factory": WriterLockedConnection})
        lock = _writer_lock(str(Path(path).resolve()) if path and path != ":memory:" else f"memory:{id(engine)}")
        event.listen(engine, "connect", lambda conn, _rec: _on_connect(conn, lock))
        event.listen(engine, "before_cursor_execute", _take_writer_lock_for_writes)
        return engine
    return sa.create_engine(url, echo=echo, pool_pre_ping=True, pool_size=size, max_overflow=0, pool_timeout=60)


class NestedWriteError(RuntimeError):
    """A thread that holds the SQLite writer on one connection tried to write on another: a unit of work was
    opened inside another, which would wait on itself until SQLite's busy timeout."""


_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()
_holder = threading.local()


def _writer_lock(key: str) -> threading.RLock:
    with _locks_guard:
        return _locks.setdefault(key, threading.RLock())


class WriterLockedConnection(sqlite3.Connection):
    """A sqlite3 connection that holds its file's writer lock from its first write to commit or rollback."""

    writer_lock: threading.RLock | None = None
    holds_writer = False

    def take_writer(self) -> None:
        if self.holds_writer or self.writer_lock is None:
            return
        other = getattr(_holder, "conn", None)
        if other is not None and other is not self:
            raise NestedWriteError("this thread already writes through another connection: a unit of work was "
                                   "opened inside another")
        self.writer_lock.acquire()
        self.holds_writer = True
        _holder.conn = self

    def _release_writer(self) -> None:
        if self.holds_writer and self.writer_lock is not None:
            self.holds_writer = False
            if getattr(_holder, "conn", None) is self:
                _holder.conn = None
            self.writer_lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._release_writer()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release_writer()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release_writer()


def _on_connect(dbapi_conn: Any, lock: threading.RLock) -> None:
    if isinstance(dbapi_conn, WriterLockedConnection):
        dbapi_conn.writer_lock = lock
    # SQLite's math functions are a compile-time option; decaying counters need power() everywhere.
    dbapi_conn.create_function("power", 2, math.pow, deterministic=True)
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _take_writer_lock_for_writes(conn: sa.Connection, _cursor: Any, statement: str, _params: Any, _context: Any,
                                 _executemany: bool) -> None:
    if statement.lstrip()[:15].upper().startswith(_WRITES):
        dbapi = conn.connection.dbapi_connection
        if isinstance(dbapi, WriterLockedConnection):
            dbapi.take_writer()


def begin_write(connection: sa.Connection) -> None:
    """Start the write transaction now, before the reads it depends on. On SQLite, ``BEGIN IMMEDIATE`` takes the
    database's write lock (and this process's writer lock) so check-then-write cannot interleave; on PostgreSQL
    this does nothing and the caller locks the rows it will change (``SELECT … FOR UPDATE``)."""
    if connection.dialect.name != "sqlite":
        return
    dbapi = connection.connection.dbapi_connection
    if isinstance(dbapi, sqlite3.Connection) and not dbapi.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
