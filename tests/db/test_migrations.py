"""The committed migrations build exactly the schema the code declares."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from anxin.db import migrate
from anxin.db.tables import metadata

pytestmark = pytest.mark.db


def test_migrations_match_the_models(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_database_is_at_head(engine: sa.Engine) -> None:
    assert migrate.current_revision(engine) == "0031"


def test_sqlite_runs_in_wal_mode(engine: sa.Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("WAL is a SQLite setting")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
