"""Pieces of the bulk-ingestion benchmark: fresh databases, the timed bulk run, and the raw-insert baseline.

The baseline inserts the rows the bulk run ended with, read back from its database, into a freshly migrated
database (same tables, same indexes) with the same driver the product uses: sqlite3 ``executemany`` or psycopg
``executemany`` (also psycopg ``COPY``, for information), committing every ``RAW_BATCH`` rows as the bulk
path commits every chunk. Reading the rows is not timed; only inserts and commits are. The rows are the
driver's own values (SQLite: the stored text of datetimes and JSON), so the baseline does the least work any
loader of these rows could do through that driver.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.history import Shape, chunks, history

T_NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)  # the FixedClock's instant: received_at of every event
TABLES = ("categories", "shops", "listings", "orders", "shipment_scans", "reviews", "ingested_events")
RAW_BATCH = 10_000
JSON_COLS = {"payload", "items", "tags", "services"}


@dataclass
class BulkRun:
    events: int = 0
    seconds: float = 0.0  # inside ingest_bulk only; generating the history is not timed
    wall_seconds: float = 0.0
    counts: Counter[str] = field(default_factory=Counter)
    chunk_seconds: list[float] = field(default_factory=list)


class Target:
    """A database the bench creates, fills and drops."""

    name = ""

    def fresh(self, label: str) -> str:  # returns a SQLAlchemy URL of an empty, migrated database
        raise NotImplementedError

    def raw_copy(self, src: str, dst: str, *, copy: bool = False) -> tuple[float, dict[str, int]]:
        raise NotImplementedError

    def cleanup(self) -> None:
        pass


def _migrate(url: str) -> None:
    from anxin.db import migrate
    from anxin.db.engine import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()


class SqliteTarget(Target):
    name = "sqlite"

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="anxin-bulk-"))

    def fresh(self, label: str) -> str:
        url = f"sqlite:///{self.dir / label}.db"
        _migrate(url)
        return url

    def raw_copy(self, src: str, dst: str, *, copy: bool = False) -> tuple[float, dict[str, int]]:
        read = sqlite3.connect(sa.engine.make_url(src).database or "")
        write = sqlite3.connect(sa.engine.make_url(dst).database or "")
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            write.execute(f"PRAGMA {pragma}")  # what anxin.db.engine sets on every connection
        seconds, rows = 0.0, {}
        for table in TABLES:
            cur = read.execute(f"SELECT * FROM {table} ORDER BY rowid")
            cols = [c[0] for c in cur.description]
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
            rows[table] = 0
            while batch := cur.fetchmany(RAW_BATCH):
                start = time.perf_counter()
                write.executemany(sql, batch)
                write.commit()
                seconds += time.perf_counter() - start
                rows[table] += len(batch)
        read.close()
        write.close()
        return seconds, rows

    def cleanup(self) -> None:
        for path in self.dir.glob("*"):
            path.unlink()
        self.dir.rmdir()


class PostgresTarget(Target):
    name = "postgresql"

    def __init__(self, url: str) -> None:
        self.url = sa.engine.make_url(url)
        self.created: list[str] = []

    def _dsn(self, database: str | None = None) -> str:
        u = self.url.set(drivername="postgresql")
        if database:
            u = u.set(database=database)
        return u.render_as_string(hide_password=False)

    def fresh(self, label: str) -> str:
        import psycopg

        name = f"anxin_bench_{label}"
        with psycopg.connect(self._dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        url = self.url.set(database=name).render_as_string(hide_password=False)
        _migrate(url)
        return url

    def raw_copy(self, src: str, dst: str, *, copy: bool = False) -> tuple[float, dict[str, int]]:
        import psycopg

        read = psycopg.connect(self._dsn(sa.engine.make_url(src).database))
        write = psycopg.connect(self._dsn(sa.engine.make_url(dst).database))
        seconds, rows = 0.0, {}
        for table in TABLES:
            cols = [r[0] for r in read.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s ORDER BY ordinal_position",
                (table,))]
            # JSON as its stored text: the driver then sends exactly what is stored, with no Python re-encoding.
            select = ", ".join(f"{c}::text" if c in JSON_COLS else c for c in cols)
            insert = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(['%s'] * len(cols))})"
            rows[table] = 0
            with read.cursor(name=f"read_{table}") as cur:
                cur.itersize = RAW_BATCH
                cur.execute(f"SELECT {select} FROM {table}")
                while batch := cur.fetchmany(RAW_BATCH):
                    start = time.perf_counter()
                    with write.cursor() as w:
                        if copy:
                            with w.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as out:
                                for row in batch:
                                    out.write_row(row)
                        else:
                            w.executemany(insert, batch)
                    write.commit()
                    seconds += time.perf_counter() - start
                    rows[table] += len(batch)
            read.commit()
        read.close()
        write.close()
        return seconds, rows

    def cleanup(self) -> None:
        import psycopg

        with psycopg.connect(self._dsn(), autocommit=True) as conn:
            for name in self.created:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        self.created = []


def _anxin(url: str) -> Any:
    from anxin.bootstrap import bootstrap
    from anxin.core.clock import FixedClock
    from anxin.outbox.transport import RecordingTransport
    from anxin.settings import Settings

    settings = Settings(database_url=url, evidence_dir=Path(tempfile.gettempdir()) / "anxin-bulk-unused",
                        webhook_url=None, rulebook_paths=())  # ingestion never writes evidence
    return bootstrap(settings=settings, clock=FixedClock(T_NOW), transport=RecordingTransport(), run_migrations=False)


def bulk_run(url: str, shape: Shape, chunk: int, seed: int, advance: Callable[[int], None],
             note: Callable[[str], None]) -> BulkRun:
    """Ingest the whole history through IngestionService.ingest_bulk, one call per chunk, timing only the calls."""
    anxin = _anxin(url)
    run = BulkRun()
    wall = time.perf_counter()
    for events in chunks(history(shape, seed), chunk):
        start = time.perf_counter()
        result = anxin.ingestion.ingest_bulk(events, chunk_size=len(events))
        took = time.perf_counter() - start
        run.seconds += took
        run.chunk_seconds.append(took)
        run.events += len(events)
        if result.rejected:
            raise SystemExit(f"the simulated history was rejected: {result.rejected[:3]}")
        run.counts.update({k: v for k, v in result.as_dict().items() if isinstance(v, int) and k != "received"})
        advance(len(events))
        if len(run.chunk_seconds) % 50 == 0:  # a line now and then, so a long run that is cut short still tells
            note(f"{run.events:,} events, {run.seconds:.0f} s in ingest_bulk: {run.events / run.seconds:,.0f} events/s")
    run.wall_seconds = time.perf_counter() - wall
    run.counts.update({f"log.{k}": v for k, v in anxin.ingestion.stats().items()})
    anxin.engine.dispose()
    return run


def per_event_run(url: str, shape: Shape, seed: int, n_events: int) -> tuple[int, float]:
    """For reference: the per-event path (ingest(), 500 events per call) on the first ``n_events`` events."""
    anxin = _anxin(url)
    events = list(_take(history(shape, seed), n_events))
    start = time.perf_counter()
    for lo in range(0, len(events), 500):
        anxin.ingestion.ingest(events[lo:lo + 500])
    seconds = time.perf_counter() - start
    anxin.engine.dispose()
    return len(events), seconds


def _take(events: Iterator[dict[str, Any]], n: int) -> Iterator[dict[str, Any]]:
    for i, ev in enumerate(events):
        if i >= n:
            return
        yield ev


def table_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        out = {t: int(conn.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0) for t in TABLES}
    engine.dispose()
    return out
