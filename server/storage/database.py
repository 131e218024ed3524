"""Engine factory, SQLite pragmas and schema migrations (Alembic).

No engine exists at import: callers make one with `make_engine(url)` and own it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

if TYPE_CHECKING:  # Alembic is imported when a migration runs, not by every start (see `migrate`)
    from alembic.config import Config

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
    connection.exec_driver_sql("BEGIN IMMEDIATE")  # take the write lock up front: no upgrade deadlocks


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
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (from an empty database, too). A database already at the
    head is left alone without Alembic: importing and running it cost about 0.3 s of every
    start (docs/performance.md); anything else (older, newer, several heads, unreadable
    migration headers) goes through Alembic as before."""
    if revision == "head" and (head := _head_on_disk()) is not None and _stored_revisions(engine) == [head]:
        return
    from alembic import command

    command.upgrade(alembic_config(engine), revision)


_HEADER = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _head_on_disk() -> str | None:
    """The one revision no other follows, from the migration files' `revision` and
    `down_revision` lines; None when that is not one plain answer (Alembic decides then)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    try:
        for path in (MIGRATIONS / "versions").glob("*.py"):
            header = dict(match.groups() for match in _HEADER.finditer(path.read_text()))
            if "revision" not in header:
                continue
            revisions.add(ast.literal_eval(header["revision"]))
            down = ast.literal_eval(header.get("down_revision", "None"))
            parents.update(down if isinstance(down, tuple | list) else () if down is None else (down,))
    except (OSError, ValueError, SyntaxError):
        return None
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revisions(engine: Engine) -> list[str] | None:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return [row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")]


def checkpoint(engine: Engine) -> None:
    """Fold the WAL back into the database file (on clean shutdown)."""
    if engine.dialect.name == "sqlite":
        raw = engine.raw_connection()  # outside any transaction: a checkpoint cannot run in one
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
