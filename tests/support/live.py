"""A real server on 127.0.0.1 for client tests, that a test can stop and start again on the same
port and database (what a workstation sees when the server restarts under it)."""

from __future__ import annotations

import contextlib
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

from server.config import Settings
from server.net.serve import Running, running
from server.storage.database import sqlite_url

ROLES = ("dispatcher", "supervisor", "observer", "unit")


@dataclass
class LiveServer:
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)
    current: Running | None = None
    _stack: contextlib.AsyncExitStack | None = None

    @property
    def port(self) -> int:
        return self.settings.port

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def hub(self):
        assert self.current is not None, "server not running"
        return self.current.hub

    @property
    def world(self):
        return self.hub.runner.world

    async def start(self) -> None:
        self._stack = contextlib.AsyncExitStack()
        self.current = await self._stack.enter_async_context(running(self.settings))
        # Port 0 picks a free port once; later starts reuse it so clients find the server again.
        self.settings = replace(self.settings, port=self.current.port)
        if not self.tokens:
            now = self.hub.runner.clock.now()
            self.tokens = {role: self.hub.accounts.add(role, role, now, unit="E1" if role == "unit" else None)[1]
                           for role in ROLES}

    async def stop(self) -> None:
        if self._stack is not None:
            await self._stack.aclose()
        self._stack, self.current = None, None


@contextlib.asynccontextmanager
async def live_server(template_db: Path, directory: Path, database_url: str | None = None, **settings):
    """A server on a copy of `template_db`, or on `database_url` (the `server_database` fixture:
    a loaded database of the test's backend, SQLite or PostgreSQL)."""
    if database_url is None:
        shutil.copyfile(template_db, directory / "live.db")
        database_url = sqlite_url(directory / "live.db")
    settings.setdefault("simulate_alerts", True)  # the demo's targets name no transport
    server = LiveServer(Settings(host="127.0.0.1", port=0, data_dir=directory, database_url=database_url,
                                 **settings))  # fmt: skip
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
