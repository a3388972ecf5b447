"""Bulk ingestion: the per-event path's guarantees and end state, one transaction per chunk.

``ingest()`` pays a transaction, a ``max(seq)`` query and several ORM round trips per event. Here a chunk is
validated in Python, everything it can touch is read with a few IN queries (``bulk_state``), the per-event
algorithm runs on that state in memory (de-duplicate, apply or park, release parked events breadth-first in
occurred_at order; each event through the ``bulk`` entry of its type in ``handlers``, the one table both paths
share), and the outcome is written with executemany. The same algorithm,
event by event in arrival order, over the same state is what gives ``ingest()``'s end state, counts and
rejections: tests/db/test_ingest_bulk.py compares both on random streams.

What a chunk may release is known before it runs: parked rows waiting on a key that an event of the chunk, or a
row released by it, could produce; repeating one IN query until no new row turns up finds them all.

``IngestionService.ingest_bulk`` cuts the events into chunks, one transaction each, and replays a chunk through
the per-event path when it hits a database error, or when the service has subscribers.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from anxin.db.base import table
from anxin.db.uow import UnitOfWork
from anxin.ingest import model as m
from anxin.ingest.bulk_state import ShopCredentialsHook, Subjects, parts
from anxin.ingest.error_codes import IngestErrorCode
from anxin.ingest.handlers import (
    HANDLERS,
    LifecycleError,
    Rulebook,
    attributes_of,
    failed_code,
    parse_command,
    parse_event,
)
from anxin.ingest.model import IngestResult, Rejection
from anxin.ingest.store import IngestedEventRow

EVENTS = table(IngestedEventRow)
EVENT_COLUMNS = ("event_id", "type", "occurred_at", "payload", "payload_hash", "status", "error_code", "error_message",
                 "waiting_on", "received_at", "applied_at", "seq")  # the table's order: _insert_events sends tuples
assert tuple(c.name for c in EVENTS.c) == EVENT_COLUMNS, "ingested_events changed: update EVENT_COLUMNS"


def apply_chunk(uow: UnitOfWork, now: dt.datetime, events: list[Any], rb: Rulebook, *,
                bounds: m.TimeBounds, shop_credentials: ShopCredentialsHook | None = None) -> IngestResult:
    """Apply a chunk inside ``uow`` (the caller commits); indexes in the result are positions in ``events``."""
    chunk = _Chunk(uow, now, rb, bounds)
    chunk.run(events)
    chunk.write(shop_credentials)
    return chunk.result


class _Park(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


@dataclass(slots=True)
class _Row:
    """One ingested_events row as it will stand when the chunk commits."""

    event_id: str
    type: str
    occurred_at: dt.datetime
    payload: dict[str, Any]
    payload_hash: str
    env: m.Envelope
    cmd: Any
    error: m.EventInvalid | None = None  # a stored payload that no longer parses: fails when released
    status: str = "pending"
    waiting_on: str | None = None
    seq: int = 0
    applied_at: dt.datetime | None = None
    error_code: str | None = None
    error_message: str | None = None
    new: bool = True
    dirty: bool = False


def _produces(row: _Row) -> list[str]:
    """The keys an applied event makes available, from its payload alone, so they are known before the chunk runs."""
    return [] if row.error is not None else [ref.key for ref in HANDLERS[row.type].produces(row.cmd)]


class _Chunk:
    def __init__(self, uow: UnitOfWork, now: dt.datetime, rb: Rulebook, bounds: m.TimeBounds) -> None:
        self.uow, self.now, self.rb, self.bounds = uow, now, rb, bounds
        self.result = IngestResult()
        self.seen: dict[str, str] = {}  # event id -> payload hash, for every id this chunk can meet
        self.rows: dict[str, _Row] = {}  # rows to insert (new) or update (loaded and dirty), in seq order
        self.parked: dict[str, list[_Row]] = {}
        self.next_seq = 1
        self.subjects = Subjects()

    # --- the per-event algorithm (IngestionService._ingest_one / _release / _dispatch), in memory --------------

    def run(self, events: list[Any]) -> None:
        parsed = [self._parse(index, raw) for index, raw in enumerate(events)]
        self.result.received = len(events)
        self._load([p for p in parsed if isinstance(p, _Row)])
        result = self.result
        for index, row in enumerate(parsed):
            if isinstance(row, Rejection):
                result.rejected.append(row)
                continue
            seen = self.seen.get(row.event_id)
            if seen is not None:
                if seen != row.payload_hash:
                    result.rejected.append(Rejection(index, row.event_id, IngestErrorCode.ID_CONFLICT.value,
                                                     "this event id was already used for a different event"))
                else:
                    result.duplicates += 1
                continue
            try:
                produced = self._apply(row)
            except _Park as park:
                row.waiting_on = park.key
                self._store(row)
                self.parked.setdefault(park.key, []).append(row)
                result.pending += 1
                continue
            except LifecycleError as exc:
                result.rejected.append(Rejection(index, row.event_id, IngestErrorCode.LIFECYCLE.value, str(exc)))
                continue
            row.status, row.applied_at = "applied", self.now
            self._store(row)
            result.released += self._release(produced)
            result.applied += 1

    def _parse(self, index: int, raw: object) -> _Row | Rejection:
        raw_id = raw.get("id") if isinstance(raw, dict) and isinstance(raw.get("id"), str) else None
        try:
            env, cmd = parse_event(raw, self.bounds)
        except m.EventInvalid as exc:
            return Rejection(index, raw_id, exc.code, str(exc), exc.field)
        return _Row(env.event_id, env.type, env.occurred_at, dict(raw) if isinstance(raw, dict) else {},
                    env.payload_hash, env, cmd)

    def _store(self, row: _Row) -> None:
        row.seq = self.next_seq
        self.next_seq += 1
        self.seen[row.event_id] = row.payload_hash
        self.rows[row.event_id] = row

    def _release(self, keys: list[str]) -> int:
        released, queue = 0, deque(keys)
        while queue:
            waiting = self.parked.pop(queue.popleft(), None)
            if not waiting:
                continue
            waiting.sort(key=lambda r: (r.occurred_at, r.seq))  # the order EventLog.waiting_on reads them in
            for row in waiting:
                row.dirty = True
                try:
                    produced = self._apply(row)
                except _Park as park:
                    row.waiting_on = park.key
                    self.parked.setdefault(park.key, []).append(row)
                    continue
                except (LifecycleError, m.EventInvalid) as exc:
                    row.status, row.waiting_on = "failed", None
                    row.error_code, row.error_message = failed_code(exc), str(exc)
                    continue
                row.status, row.waiting_on, row.applied_at = "applied", None, self.now
                released += 1
                queue.extend(produced)
        return released

    def _apply(self, row: _Row) -> list[str]:
        """IngestionService._apply on the chunk's rows in memory: park, or apply through the table's bulk entry."""
        if row.error is not None:
            raise row.error
        handler, subjects = HANDLERS[row.type], self.subjects
        for ref in handler.needs(row.cmd):
            if not subjects.exists(ref):
                raise _Park(ref.key)
        handler.bulk(subjects, row.env, row.cmd, self.rb)
        if handler.attributes is not None and (attributes := attributes_of(row.env, row.cmd)) is not None:
            subjects.links.append((*attributes, row.env.occurred_at, row.event_id))
        return _produces(row)

    # --- reading what the chunk can touch ------------------------------------------------------------------

    def _load(self, rows: list[_Row]) -> None:
        session = self.uow.session
        for part in parts({r.event_id for r in rows}):
            stmt = sa.select(EVENTS.c.event_id, EVENTS.c.payload_hash).where(EVENTS.c.event_id.in_(part))
            self.seen.update((event_id, digest) for event_id, digest in session.execute(stmt))
        self.next_seq = int(session.scalar(sa.select(sa.func.coalesce(sa.func.max(EVENTS.c.seq), 0))) or 0) + 1
        loaded = self._load_parked({k for r in rows for k in _produces(r)})
        self._load_subjects(rows + loaded)

    def _load_parked(self, keys: set[str]) -> list[_Row]:
        """Pending rows waiting on any key the chunk can produce, and on what those can produce in turn."""
        loaded: list[_Row] = []
        frontier = set(keys)
        while frontier:
            found = [r for part in parts(frontier) for r in self.uow.session.execute(
                sa.select(EVENTS).where(EVENTS.c.status == "pending", EVENTS.c.waiting_on.in_(part)))]
            frontier = set()
            for db in found:
                if db.event_id in self.rows:
                    continue
                env = m.parse_envelope(db.payload, HANDLERS)
                row = _Row(db.event_id, db.type, db.occurred_at, db.payload, db.payload_hash, env, None,
                           waiting_on=db.waiting_on, seq=db.seq, new=False)
                try:  # parked before times were bounded: fails on release
                    row.cmd = parse_command(env, self.bounds)
                except m.EventInvalid as exc:
                    row.error = exc
                self.rows[row.event_id] = row
                self.seen[row.event_id] = row.payload_hash
                self.parked.setdefault(db.waiting_on, []).append(row)
                loaded.append(row)
                for key in _produces(row):
                    if key not in keys:
                        keys.add(key)
                        frontier.add(key)
        return loaded

    def _load_subjects(self, rows: list[_Row]) -> None:
        """Every row the chunk's events (and the parked rows they can release) need or write."""
        refs = []
        for row in rows:
            if row.error is None:
                handler = HANDLERS[row.type]
                refs += [*handler.needs(row.cmd), *handler.owns(row.cmd)]
        self.subjects.load(self.uow, refs)

    # --- writing the outcome -----------------------------------------------------------------------------

    def write(self, shop_credentials: ShopCredentialsHook | None = None) -> None:
        uow, session = self.uow, self.uow.session
        changed = [r for r in self.rows.values() if not r.new and r.dirty]
        if changed:
            session.execute(sa.update(EVENTS).where(EVENTS.c.event_id == sa.bindparam("_id")), [{
                "_id": r.event_id, "status": r.status, "waiting_on": r.waiting_on, "applied_at": r.applied_at,
                "error_code": r.error_code, "error_message": r.error_message} for r in changed])
        self.subjects.write(uow, shop_credentials)
        self._insert_events([r for r in self.rows.values() if r.new])  # last: see its docstring

    def _insert_events(self, new: list[_Row]) -> None:
        """The log's new rows, through the driver's executemany with each column's own bind processor (UTC, JSON),
        so they are stored exactly as ``session.execute(insert(...))`` stores them, without SQLAlchemy's per-row
        parameter assembly (it costs more than SQLite's insert itself). Last write of the chunk: it bypasses the
        ORM hooks that take db.uow's SQLite writer lock, harmless only when no ORM write follows it."""
        if not new:
            return
        conn = self.uow.session.connection()
        dialect = conn.dialect
        convert: dict[str, Callable[[Any], Any]] = {
            c.name: c.type.dialect_impl(dialect).bind_processor(dialect) or (lambda v: v) for c in EVENTS.c}
        occurred, payload = convert["occurred_at"], convert["payload"]
        now = convert["received_at"](self.now)  # every new row was received, and any applied, at this instant
        rows = [(r.event_id, r.type, occurred(r.occurred_at), payload(r.payload), r.payload_hash, r.status,
                 r.error_code, r.error_message, r.waiting_on, now, None if r.applied_at is None else now, r.seq)
                for r in new]
        sql = str(sa.insert(EVENTS).compile(dialect=dialect, column_keys=list(EVENT_COLUMNS)))
        if dialect.paramstyle in ("qmark", "format"):
            conn.exec_driver_sql(sql, rows)
        else:  # named parameters (psycopg)
            conn.exec_driver_sql(sql, [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in rows])
