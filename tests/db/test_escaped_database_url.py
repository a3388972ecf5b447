"""A PostgreSQL password with characters a URL must escape (@ : / %): `anxin db upgrade` and bootstrap (the path of
`anxin serve`) migrate through Alembic with it. Before, Alembic's config parser took the '%' of the escapes for
interpolation and every start failed with `ValueError: invalid interpolation syntax`."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from anxin.bootstrap import bootstrap
from anxin.cli.main import main
from anxin.db import migrate
from anxin.outbox.transport import RecordingTransport
from anxin.settings import Settings

pytestmark = pytest.mark.db

PASSWORD = "p@ss:w/rd%25!"
ESCAPED = "p%40ss%3Aw%2Frd%2525%21"


@pytest.fixture
def escaped_url(engine: sa.Engine):
    """A role whose password needs escaping and a database it owns, next to the test database; dropped after."""
    if engine.dialect.name != "postgresql":
        pytest.skip("passwords are a PostgreSQL matter (set ANXIN_TEST_DATABASE_URL)")
    suffix = uuid.uuid4().hex[:8]
    role, database = f"anxin_esc_{suffix}", f"{engine.url.database}_esc_{suffix}"
    admin = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE ROLE {role} LOGIN PASSWORD '{PASSWORD}'"))
        conn.execute(sa.text(f"CREATE DATABASE {database} OWNER {role}"))
    host, port = engine.url.host or "127.0.0.1", engine.url.port or 5432
    url = f"postgresql+psycopg://{role}:{ESCAPED}@{host}:{port}/{database}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_db_upgrade_and_serve_migrate_with_an_escaped_password(escaped_url: str, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ANXIN_DATABASE_URL", escaped_url)
    r = CliRunner().invoke(main, ["db", "upgrade"])
    assert r.exit_code == 0, (r.output, r.exception)
    assert PASSWORD not in r.output and ESCAPED not in r.output
    engine = sa.create_engine(escaped_url)
    try:
        assert engine.url.password == PASSWORD
        with engine.connect() as conn:  # the tables belong to the role with that password: it did the migrating
            assert conn.scalar(sa.text("SELECT current_user")) == engine.url.username
            owner = conn.scalar(sa.text("SELECT tableowner FROM pg_tables WHERE tablename = 'alembic_version'"))
        assert owner == engine.url.username
        head = migrate.current_revision(engine)
        assert head is not None
    finally:
        engine.dispose()
    # bootstrap migrates the same way when `anxin serve` starts (already at head: it checks and goes on)
    anxin = bootstrap(settings=Settings(mode="test", database_url=os.environ["ANXIN_DATABASE_URL"],
                                        evidence_dir=tmp_path / "ev"), transport=RecordingTransport())
    try:
        assert anxin.engine.url.password == PASSWORD and migrate.current_revision(anxin.engine) == head
    finally:
        anxin.engine.dispose()
