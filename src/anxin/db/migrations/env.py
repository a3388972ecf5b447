"""Alembic environment: uses the engine handed over by anxin.db.migrate, or the configured URL."""

from __future__ import annotations

from alembic import context

from anxin.db.engine import make_engine
from anxin.db.tables import metadata

config = context.config
engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
