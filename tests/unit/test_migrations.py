"""The Alembic path from an empty database yields exactly the schema the models declare."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlmodel import SQLModel

import server.storage.models  # noqa: F401
from server.storage.database import alembic_config, make_engine, migrate, sqlite_url


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
