from __future__ import annotations

from pathlib import Path

import pytest

from server.app.bootstrap import open_runner
from server.storage.database import checkpoint, sqlite_url
from tests.support.desk import Desk, FakeClock, open_desk


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database migrated and loaded with the demo reference data, made once per run."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    runner = open_runner(sqlite_url(path), clock=FakeClock())
    checkpoint(runner.store.engine)  # fold the WAL in so a plain file copy is complete
    runner.store.engine.dispose()
    return path


@pytest.fixture
def desk(template_db: Path, tmp_path: Path) -> Desk:
    desk = open_desk(template_db, tmp_path)
    yield desk
    desk.runner.store.engine.dispose()
