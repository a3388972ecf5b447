"""Shared fixtures.

Database tests run on SQLite by default and on PostgreSQL when ANXIN_TEST_DATABASE_URL is set
(``.ci/run`` does both). The schema comes from the real Alembic migrations, applied once per session;
tables are emptied between tests.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from anxin.bootstrap import Anxin, bootstrap
from anxin.core.clock import FixedClock
from anxin.db import migrate
from anxin.db.engine import make_engine
from anxin.db.tables import metadata
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing

# The tests run anxin in test mode (the development webhook secret is allowed), and so do the servers and workers
# they start, which inherit the environment; tests of production mode set ANXIN_MODE themselves.
os.environ.setdefault("ANXIN_MODE", "test")


@pytest.fixture(scope="session")
def _migrated_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sa.Engine]:
    url = os.environ.get("ANXIN_TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'anxin.db'}"
    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:  # a clean slate: drop whatever an earlier run left
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(_migrated_engine: sa.Engine) -> Iterator[sa.Engine]:
    yield _migrated_engine
    with _migrated_engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def transport() -> RecordingTransport:
    return RecordingTransport()


@pytest.fixture
def anxin(engine: sa.Engine, clock: FixedClock, transport: RecordingTransport, tmp_path: Path) -> Anxin:
    settings = Settings(database_url=str(engine.url), evidence_dir=tmp_path / "evidence",
                        webhook_url="http://127.0.0.1:9/unused", webhook_secret="test-secret")
    return bootstrap(settings=settings, clock=clock, engine=engine, transport=transport, run_migrations=False)
