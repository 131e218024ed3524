"""Open a deployment: engine, migrations, reference data, live state, command runner."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from server.app import ids
from server.app.commands import Clock, CommandRunner
from server.reference import DEMO, load_reference
from server.storage.archive import Archive, default_url
from server.storage.database import make_engine, migrate
from server.storage.store import Store


def open_runner(
    database_url: str,
    reference_dir: str | Path = DEMO,
    clock: Clock | None = None,
    new_id: Callable[[], str] = ids.new_id,
    archive_url: str = "",
) -> CommandRunner:
    """Everything a server process needs to take commands, ready to go."""
    clock = clock or Clock()
    reference = load_reference(reference_dir)  # fail on bad files before touching the database
    engine = make_engine(database_url)
    migrate(engine)
    store = Store(engine)
    world = store.install_reference(reference, new_id, clock.now())
    archive = Archive(archive_url or default_url(database_url))  # opened on first use
    return CommandRunner(world, store, clock, new_id, archive)
