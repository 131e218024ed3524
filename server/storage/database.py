"""Engine factory, SQLite pragmas, PostgreSQL connection pooling and schema migrations (Alembic).

No engine exists at import: callers make one with `make_engine(url)` and own it. URLs are taken
as operators write them: `postgresql://` and `postgres://` mean psycopg 3 (docs/postgres.md).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

if TYPE_CHECKING:  # Alembic is imported when a migration runs, not by every start (see `migrate`)
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000
# A server's pool: the event loop's reads and the committing thread, with room for bursts;
# several servers share one PostgreSQL, whose default max_connections is 100.
PG_POOL_SIZE = 5
PG_MAX_OVERFLOW = 5
PG_CONNECT_TIMEOUT_S = 10  # a database that does not answer is reported, not waited on forever
# The spellings operators and libpq use, mapped to the driver the `postgres` extra installs.
_PG_SCHEMES = {"postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


class DatabaseError(ValueError):
    """A database that cannot be used as configured, in an operator's words (one line)."""


class DriverMissing(DatabaseError, ImportError):
    """The URL names a database whose driver is not installed."""


class DatabaseUnavailable(DatabaseError, ConnectionError):
    """The database did not accept a connection: down, unreachable, wrong name or credentials."""


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


def database_url(url: str) -> URL:
    """`url` parsed, with `postgresql://` and `postgres://` meaning psycopg 3."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        raise DatabaseError(f"not a database URL: {url!r} (e.g. postgresql://user:password@host:5432/hurrinet "
                            "or sqlite:////path/hurrinet.db)") from None  # fmt: skip
    return parsed.set(drivername=_PG_SCHEMES.get(parsed.drivername, parsed.drivername))


def describe(url: URL) -> str:
    """Where a URL points, without its password: for error messages and logs."""
    if url.get_backend_name() == "sqlite":
        return f"SQLite database {url.database or ':memory:'}"
    return f"{url.get_backend_name()} database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL, synchronous=FULL, busy_timeout, foreign keys;
    PostgreSQL gets a server's connection pool that survives a database restart."""
    # orjson for the JSON columns: start-up decodes tens of thousands of them.
    kwargs.setdefault("json_deserializer", orjson.loads)
    kwargs.setdefault("json_serializer", lambda value: orjson.dumps(value).decode())
    parsed = database_url(url)
    if parsed.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_size", PG_POOL_SIZE)
        kwargs.setdefault("max_overflow", PG_MAX_OVERFLOW)
        # A pooled connection is checked before use, so a restarted database is reconnected to
        # instead of failing the next command.
        kwargs.setdefault("pool_pre_ping", True)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args.setdefault("connect_timeout", PG_CONNECT_TIMEOUT_S)
        connect_args.setdefault("application_name", "hurrinet-server")
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except ImportError as error:
        if parsed.get_backend_name() == "postgresql":
            raise DriverMissing(f"PostgreSQL needs the psycopg driver ({error}): "
                                "install hurrinet-dispatch[postgres]") from None  # fmt: skip
        raise
    except sa.exc.NoSuchModuleError:
        raise DatabaseError(f"unknown database kind {parsed.drivername!r} in the database URL "
                            "(postgresql:// or sqlite:///)") from None  # fmt: skip
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


def check_reachable(engine: Engine) -> None:
    """Connect once; a database that refuses says where and why, in one line."""
    try:
        with engine.connect():
            pass
    except sa.exc.DBAPIError as error:
        lines = str(error.orig or error).strip().splitlines()
        reason = lines[0] if lines else type(error.orig or error).__name__
        raise DatabaseUnavailable(f"cannot connect to the {describe(engine.url)}: {reason}") from None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision` (from an empty database, too). Every start-up comes here
    first, so an unreachable database is reported here (DatabaseUnavailable). A database already
    at the head is left alone without Alembic: importing and running it cost about 0.3 s of every
    start (docs/performance.md); anything else (older, newer, several heads, unreadable
    migration headers) goes through Alembic as before."""
    check_reachable(engine)
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
