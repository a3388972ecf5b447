"""Reference data (shops, listings, categories) cached in-process, invalidated through generation counters.

Every tracked table has a counter row in ``ref_generations``. Any change to the table made through a ``Session`` (an
ORM insert, update or delete seen at flush, or a DML statement on the table run through ``Session.execute``, as the
bulk writers do) bumps its counter in the same transaction, just before that transaction commits: the data and the
counter become visible together, in every process. A reader reads all counters once per transaction (one small
SELECT) and takes a cached value only if it was loaded at the same counters, so a committed change is seen by every
process from its next transaction on; a transaction that changed a table itself reads that table from the database.

Why counters and not a time-to-live: the shop read at filing decides who owns the case (``merchant_id``, which a
transfer changes) and which guarantees apply (``services``); serving it stale for a few seconds would give a case to
the previous owner. The price is one indexed read of three rows per transaction that uses the cache.

Writes through a raw connection bypass the counters and must call ``mark_changed`` on a session in the same
transaction. Counters are bumped in name order, so two writers never lock them in opposite orders; a counter row
created afresh (a new or emptied database) starts at a random value, so a process never mistakes a recreated table
for the one it cached from.
"""

from __future__ import annotations

import itertools
import secrets
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column

from anxin.db.base import Base, table

T = TypeVar("T")
MAX_ENTRIES = 50_000  # per database; the oldest entry goes first when full
_CHANGED = "anxin.refcache.changed"  # session.info: tracked tables this transaction wrote
_GENS = "anxin.refcache.gens"  # session.info: the counters as this transaction read them
_tracked: set[str] = set()


class GenerationRow(Base):
    __tablename__ = "ref_generations"
    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    gen: Mapped[int] = mapped_column(sa.BigInteger)


def track(*tables: sa.Table) -> None:
    """Declare tables whose changes invalidate cached reads (each store declares its own)."""
    _tracked.update(t.name for t in tables)


def mark_changed(session: Session, *tables: str) -> None:
    session.info.setdefault(_CHANGED, set()).update(tables)


def generations(session: Session) -> Mapping[str, int]:
    """Every counter, read once per transaction (before the rows it guards, so a row is never older than them)."""
    gens = session.info.get(_GENS)
    if gens is None:
        t = table(GenerationRow)
        gens = session.info[_GENS] = {name: gen for name, gen in session.execute(sa.select(t.c.name, t.c.gen))}
    return gens


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[Hashable, tuple[tuple[int, ...], Any]] = {}


_caches: weakref.WeakKeyDictionary[sa.Engine, _Cache] = weakref.WeakKeyDictionary()
_caches_guard = threading.Lock()


def cached(session: Session, key: Hashable, tables: tuple[str, ...], load: Callable[[], T | None]) -> T | None:
    """``load()``, or the value it gave earlier in this process at the current counters of ``tables``. ``None``
    (not found) is never cached, and the value must be immutable (it is shared between threads)."""
    if _changed_here(session, tables):
        return load()
    gens = generations(session)
    stamp = tuple(gens.get(name, 0) for name in tables)
    cache = _cache_for(session.get_bind())
    hit = cache.entries.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]  # type: ignore[no-any-return]
    value = load()
    if value is not None:
        with cache.lock:
            if len(cache.entries) >= MAX_ENTRIES and key not in cache.entries:
                cache.entries.pop(next(iter(cache.entries)))
            # Two threads may store the same key at different stamps; either is right for its own stamp.
            cache.entries[key] = (stamp, value)
    return value


def _cache_for(bind: Any) -> _Cache:
    engine = bind if isinstance(bind, sa.Engine) else bind.engine
    cache = _caches.get(engine)
    if cache is None:
        with _caches_guard:
            cache = _caches.setdefault(engine, _Cache())
    return cache


def _changed_here(session: Session, tables: tuple[str, ...]) -> bool:
    changed = session.info.get(_CHANGED, ())
    if any(name in changed for name in tables):
        return True
    return any(_table_of(obj) in tables for obj in _pending(session))


def _pending(session: Session) -> Iterable[object]:
    return itertools.chain(session.new, session.dirty, session.deleted)


def _table_of(obj: object) -> str | None:
    return getattr(type(obj), "__tablename__", None)


# --- hooks on every Session: what a transaction changed, and the bump before it commits --------------------------

@event.listens_for(Session, "before_flush")
def _on_flush(session: Session, _ctx: object, _instances: object) -> None:
    names = {name for obj in _pending(session) if (name := _table_of(obj)) in _tracked}
    if names:
        mark_changed(session, *names)


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        name = getattr(getattr(state.statement, "table", None), "name", None)
        if name in _tracked:
            mark_changed(state.session, name)


@event.listens_for(Session, "before_commit")
def _on_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the outer commit bumps
    if session.new or session.dirty or session.deleted:
        session.flush()
    names = session.info.pop(_CHANGED, None)
    if names:
        _bump(session, sorted(names))


@event.listens_for(Session, "after_transaction_end")
def _on_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_CHANGED, None)
        session.info.pop(_GENS, None)


def _bump(session: Session, names: list[str]) -> None:
    t = table(GenerationRow)
    insert = sqlite.insert if session.get_bind().dialect.name == "sqlite" else postgresql.insert
    for name in names:  # in name order: two writers never wait on each other's counters crosswise
        session.execute(insert(t).values(name=name, gen=secrets.randbits(48))
                        .on_conflict_do_update(index_elements=[t.c.name], set_={"gen": t.c.gen + 1}))
