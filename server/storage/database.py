"""Engine factory, SQLite pragmas and schema migrations (Alembic).

No engine exists at import: callers make one with `make_engine(url)` and own it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000


def sqlite_url(path: str | Path) -> str:
    return f"sqlite:///{Path(path).expanduser().resolve()}"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from pysqlite so SQLAlchemy's BEGIN/COMMIT are the real ones.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged command survives power loss
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    if connection.get_execution_options().get(READER):
        connection.exec_driver_sql("BEGIN")  # a reader never waits for a writer in WAL mode
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no upgrade deadlocks


READER = "hurrinet_reader"


def reader(engine: Engine) -> Engine:
    """The same engine for reads only: on SQLite its transactions never take the write lock,
    so a read on the event loop cannot wait behind the batch that loop holds open."""
    return engine.execution_options(**{READER: True})


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL, synchronous=FULL, busy_timeout, foreign keys."""
    # orjson for the JSON columns: start-up decodes tens of thousands of them.
    kwargs.setdefault("json_deserializer", orjson.loads)
    kwargs.setdefault("json_serializer", lambda value: orjson.dumps(value).decode())
    engine = sa.create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        sa.event.listen(engine, "begin", _sqlite_begin)
    return engine


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (from an empty database, too)."""
    command.upgrade(alembic_config(engine), revision)


def checkpoint(engine: Engine) -> None:
    """Fold the WAL back into the database file (on clean shutdown)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run in one
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
