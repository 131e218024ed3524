"""Alembic environment: runs against the engine the caller handed over in the config."""

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

from server.storage import models  # noqa: F401  (registers every table on SQLModel.metadata)

# Servers of a cluster may start together on one PostgreSQL: the first to take this lock
# migrates, the others wait for its commit and then find the schema current. (SQLite needs
# none: its write lock already serialises the migration's transaction.)
MIGRATION_LOCK = int.from_bytes(b"hurrinet", "big")

config = context.config
engine = config.attributes["engine"]

with engine.begin() as connection:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
    context.configure(
        connection=connection,
        target_metadata=SQLModel.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()
