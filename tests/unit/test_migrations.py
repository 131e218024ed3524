"""The Alembic path from an empty database yields exactly the schema the models declare."""

import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import server.storage.models  # noqa: F401
from server.storage.database import _head_on_disk, alembic_config, make_engine, migrate, sqlite_url


def test_migrating_an_empty_database_matches_the_models(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "empty.db"))
    migrate(engine)
    with engine.connect() as conn:
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_migrating_twice_is_harmless(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "twice.db"))
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == head
    engine.dispose()


def test_the_head_read_from_the_migration_files_is_alembics(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "head.db"))
    assert _head_on_disk() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    engine.dispose()


def test_a_database_behind_the_head_is_still_migrated(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "behind.db"))
    migrate(engine, "0004_log_names_and_pins")
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar_one() == _head_on_disk()
        differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_a_database_at_the_head_starts_without_importing_alembic(tmp_path):
    engine = make_engine(sqlite_url(tmp_path / "at_head.db"))
    migrate(engine)
    engine.dispose()
    script = (
        "import sys; from server.storage.database import make_engine, migrate, sqlite_url; "
        f"migrate(make_engine(sqlite_url({str(tmp_path / 'at_head.db')!r}))); print('alembic' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert ran.stdout.strip() == "False"
    script = script.replace("at_head.db", "empty.db")  # a new database still gets its schema from Alembic
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert ran.stdout.strip() == "True"
