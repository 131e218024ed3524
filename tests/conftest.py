from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from server.app.bootstrap import open_runner
from server.storage.database import checkpoint, sqlite_url
from tests.support.desk import Desk, FakeClock, desk_on
from tests.support.postgres import BACKENDS, PostgresCluster, start_cluster_for_tests, stop_cluster


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and loaded with the demo reference data, made once per run."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    runner = open_runner(sqlite_url(path), clock=FakeClock())
    checkpoint(runner.store.engine)  # fold the WAL in so a plain file copy is complete
    runner.store.engine.dispose()
    return path


@pytest.fixture
def desk(server_database: str) -> Desk:
    """A runner on a loaded database (SQLite, or PostgreSQL too in a `both_backends` module)."""
    desk = desk_on(server_database)
    yield desk
    desk.runner.store.engine.dispose()


# --- PostgreSQL: one throwaway cluster per worker, a fresh database per module (tests/support/postgres.py)


@pytest.fixture(scope="session")
def postgres() -> PostgresCluster:
    """A PostgreSQL cluster of this test run's own; skipped where PostgreSQL is not installed,
    except under HURRINET_REQUIRE_POSTGRES=1 (.ci/run), where that is a failure."""
    cluster = start_cluster_for_tests()
    yield cluster
    stop_cluster(cluster)


@pytest.fixture(scope="module")
def pg_database(postgres: PostgresCluster) -> str:
    """The URL of an empty database made for this test module (CREATE DATABASE … TEMPLATE template0)."""
    name = postgres.create_database("module")
    yield postgres.url(name)
    postgres.drop_database(name)


@pytest.fixture(scope="module")
def pg_template(postgres: PostgresCluster) -> str:
    """PostgreSQL's `template_db`: a fresh database for this module, migrated and loaded with the
    demo reference data; tests get copies of it (`server_database`)."""
    name = postgres.create_database("template")
    runner = open_runner(postgres.url(name), clock=FakeClock())
    runner.store.engine.dispose()  # a template must have no connections when it is copied
    yield name
    postgres.drop_database(name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marked = metafunc.definition.get_closest_marker
    # `sqlite_only` inside a both-backends module: what it tests is not the database's (CI time).
    if marked("both_backends") and not marked("sqlite_only") and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database a test's server runs on: SQLite unless the module runs on both
    (`pytestmark = both_backends`, tests/support/postgres.py)."""
    return getattr(request, "param", "sqlite")


@pytest.fixture
def server_database(backend: str, template_db: Path, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """The URL of a loaded database for one test's server, of the test's backend."""
    if backend == "sqlite":
        shutil.copyfile(template_db, tmp_path / "live.db")
        yield sqlite_url(tmp_path / "live.db")
        return
    postgres: PostgresCluster = request.getfixturevalue("postgres")
    name = postgres.create_database("test", template=request.getfixturevalue("pg_template"))
    yield postgres.url(name)
    postgres.drop_database(name)
