"""The storage layer on a real PostgreSQL (the test run's own cluster, tests/support/postgres.py):
URLs as operators write them, the migrations from an empty database, values that come back as
they went in (the same as on SQLite), a database restart under a live engine, and the errors an
operator gets for a wrong URL, a database that is down or a missing driver."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

from server.__main__ import main
from server.storage import models as m
from server.storage.database import (
    PG_POOL_SIZE,
    DatabaseUnavailable,
    alembic_config,
    database_url,
    make_engine,
    migrate,
    sqlite_url,
)
from server.storage.store import Store
from tests.support.client import Client
from tests.support.live import live_server
from tests.support.ports import free_port
from tests.support.postgres import BIN_ENV, REQUIRE_ENV, SUPERUSER, start_cluster_for_tests

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pg_engine(pg_database):
    engine = make_engine(pg_database)
    migrate(engine)
    yield engine
    engine.dispose()


def test_operators_urls_mean_psycopg_3():
    for url in ("postgresql://u@db.example:5433/hurrinet", "postgres://u@db.example:5433/hurrinet"):
        parsed = database_url(url)
        assert parsed.drivername == "postgresql+psycopg"
        assert (parsed.host, parsed.port, parsed.database) == ("db.example", 5433, "hurrinet")
    assert database_url("postgresql+psycopg://u@h/d").drivername == "postgresql+psycopg"
    assert database_url("sqlite:///x.db").drivername == "sqlite"


def test_a_server_engine_pools_and_checks_its_connections(pg_database):
    engine = make_engine(pg_database.replace("postgresql://", "postgres://"))
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.pool.size() == PG_POOL_SIZE and engine.pool._pre_ping
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT current_database()").scalar_one() == pg_database.rsplit("/", 1)[1]
    finally:
        engine.dispose()


def test_migrating_an_empty_database_matches_the_models(pg_engine):
    with pg_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
        head = ScriptDirectory.from_config(alembic_config(pg_engine)).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == head
        # 0005 rebuilt command_result under the old name: its key must have the usual name too.
        keys = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'command_result'").scalars()
        assert set(keys) == {"command_result_pkey"}
    migrate(pg_engine)  # again: harmless


def _round_trip(engine: sa.Engine, at: datetime, data: dict) -> tuple:
    events, results = m.EventRow.__table__, m.CommandResultRow.__table__
    with engine.begin() as conn:
        seq = conn.execute(sa.select(sa.func.coalesce(sa.func.max(events.c.seq), 0))).scalar_one() + 1
        conn.execute(events.insert(), [{"seq": seq, "name": "probe", "at": at, "caused_by": None, "data": data}])
        conn.execute(results.insert(), [{"user_key": "", "command_id": f"probe-{seq}", "name": "probe",
                                         "user_id": None, "at": at, "ok": False, "result": data}])  # fmt: skip
    with engine.connect() as conn:
        event = conn.execute(sa.select(events).where(events.c.seq == seq)).mappings().one()
        result = conn.execute(sa.select(results).where(results.c.command_id == f"probe-{seq}")).mappings().one()
    return event["at"], event["data"], result["at"], result["ok"], result["result"]


@pytest.mark.parametrize("at", [
    datetime(2026, 9, 1, 8, 15, 30, 123456, tzinfo=ZoneInfo("America/St_Lucia")),  # the deployment's zone
    datetime(2026, 11, 1, 5, 30, tzinfo=ZoneInfo("America/New_York")),  # the hour DST ends there
    datetime(2026, 9, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=5, minutes=45))),
    datetime(2026, 9, 1, 12, 0, tzinfo=UTC),
])  # fmt: skip
def test_an_aware_time_and_json_come_back_the_same_on_sqlite_and_postgresql(pg_engine, tmp_path, at):
    data = {"text": "Soufrière — 5 m³ ✓", "n": 3, "x": 14.0104, "ok": True, "none": None, "list": [1, "a", {}]}
    sqlite = make_engine(sqlite_url(tmp_path / "round-trip.db"))
    migrate(sqlite)
    try:
        on_sqlite = _round_trip(sqlite, at, data)
    finally:
        sqlite.dispose()
    on_postgres = _round_trip(pg_engine, at, data)
    # The cluster's own time zone is not UTC (tests/support/postgres.py): nothing may pass through it.
    assert on_postgres == on_sqlite == (at.astimezone(UTC), data, at.astimezone(UTC), False, data)
    assert on_postgres[0].tzinfo is UTC and on_postgres[0].utcoffset() == timedelta(0)


def test_a_database_restart_under_a_live_engine_is_reconnected(postgres, pg_engine):
    with pg_engine.connect() as conn:
        before = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    postgres.restart()  # every pooled connection is now dead
    with pg_engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != before


def test_a_database_that_is_down_or_missing_is_named_in_one_line(postgres):
    port = free_port()  # nothing listens there
    with pytest.raises(DatabaseUnavailable) as down:
        migrate(make_engine(f"postgresql://{SUPERUSER}@127.0.0.1:{port}/hurrinet"))
    assert str(down.value).startswith(f"cannot connect to the postgresql database 'hurrinet' on 127.0.0.1:{port}: ")
    assert "refused" in str(down.value) and "\n" not in str(down.value)
    with pytest.raises(DatabaseUnavailable) as missing:
        migrate(make_engine(postgres.url("no_such_database")))
    assert 'database "no_such_database" does not exist' in str(missing.value)


def _serve(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "server", "serve", "--port", "0", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "HURRINET_CONFIG": ""})  # fmt: skip


def test_serve_on_a_database_that_is_down_says_where_without_a_traceback(tmp_path):
    port = free_port()
    done = _serve("--data-dir", str(tmp_path), "--database-url", f"postgresql://ops:secret@127.0.0.1:{port}/dispatch")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("hurrinet-server serve: DatabaseUnavailable: cannot connect to the postgresql "
                                  f"database 'dispatch' on 127.0.0.1:{port}: ")  # fmt: skip
    assert "secret" not in done.stderr


def test_serve_without_the_driver_says_which_extra_to_install(tmp_path, postgres, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # unimportable, as on a machine without the extra
    assert main(["serve", "--port", "0", "--data-dir", str(tmp_path), "--database-url", postgres.url("postgres")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("hurrinet-server serve: DriverMissing: PostgreSQL needs the psycopg driver")
    assert err.rstrip().endswith("install hurrinet-dispatch[postgres]") and err.count("\n") == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
async def test_a_database_crash_keeps_every_acknowledged_command_and_the_server_carries_on(
    postgres, template_db, tmp_path, server_database
):
    async with live_server(template_db, tmp_path, server_database, alert_delay_s=0.05) as live:
        dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
        created = [(await dispatcher.ok("incident.create", description=f"before {n}"))["incident_id"] for n in range(5)]
        postgres.stop("immediate")  # the database dies without a checkpoint: it recovers from its WAL
        postgres.start()
        created.append((await dispatcher.ok("incident.create", description="after the crash"))["incident_id"])
        seq = live.world.seq
        await dispatcher.close()
    engine = make_engine(server_database)
    try:
        stored = Store(engine).load_world()
    finally:
        engine.dispose()
    assert set(stored.incidents) == set(created) and stored.seq == seq
    assert {i.description for i in stored.incidents.values()} == {*(f"before {n}" for n in range(5)), "after the crash"}



def test_without_postgresql_its_tests_skip_naming_why_unless_it_is_required(tmp_path, monkeypatch):
    monkeypatch.setenv(BIN_ENV, str(tmp_path))  # a folder without initdb
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"need PostgreSQL and psycopg: {BIN_ENV}=.* has no initdb"):
        start_cluster_for_tests()
    monkeypatch.setenv(REQUIRE_ENV, "1")  # as .ci/run sets it
    with pytest.raises(pytest.fail.Exception, match=f"PostgreSQL is required \\({REQUIRE_ENV}=1\\) but unusable"):
        start_cluster_for_tests()



def test_servers_starting_together_on_an_empty_database_migrate_it_once(postgres):
    """A cluster's servers start at the same moment: one migrates, the others wait and find it done."""
    url = postgres.url(postgres.create_database("together"))
    code = "import sys; from server.storage.database import make_engine, migrate; migrate(make_engine(sys.argv[1]))"
    starts = [subprocess.Popen([sys.executable, "-c", code, url], cwd=ROOT, stderr=subprocess.PIPE, text=True)
              for _ in range(3)]  # fmt: skip
    for start in starts:
        _, err = start.communicate(timeout=120)
        assert start.returncode == 0, err
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []
    finally:
        engine.dispose()
