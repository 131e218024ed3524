"""Several servers on one database: wake this one when another commits.

The event table is the truth (design.md § Persistence, beyond one machine). A batch that
opens takes the database's write lock and reads what the others appended since our last
`seq` (the command runner does that), so nothing here is needed for correctness of writes.
What this adds is liveness for a server nobody is typing on: PostgreSQL's LISTEN wakes it
when another server commits, and it catches up and sends those events to its sessions.
A notification carries nothing; the events are read from the table. A slow poll backs the
listener up, so a lost connection delays events by a poll period at most, and it keeps
trying to listen again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from sqlalchemy.engine import Engine

from server.storage.store import NOTIFY_CHANNEL

log = logging.getLogger("hurrinet.cluster")

POLL_S = 2.0  # the longest another server's event waits here if notifications fail
RETRY_S = 1.0


class Follower:
    """Calls `wake` (on the event loop) when another server may have committed events."""

    def __init__(self, engine: Engine, wake: Callable[[], None], behind: Callable[[], bool]) -> None:
        self.engine = engine
        self.wake = wake
        self.behind = behind  # a cheap read: does the table hold events we have not applied?
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._poll())]
        if self.engine.dialect.name == "postgresql":
            self._tasks.append(asyncio.create_task(self._listen()))

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            self._wake_if_behind()

    def _wake_if_behind(self) -> None:
        # Notifications come one per commit; most find the events already read by a batch.
        try:
            if self.behind():
                self.wake()
        except Exception:  # the database is down: the next command will say so
            log.debug("could not read the event table's last seq", exc_info=True)

    async def _listen(self) -> None:
        import psycopg  # only a PostgreSQL deployment has it (the `postgres` extra)

        # The engine's own connection arguments: several hosts and target_session_attrs included.
        args, kwargs = self.engine.dialect.create_connect_args(self.engine.url)
        while True:
            try:
                async with await psycopg.AsyncConnection.connect(*args, **{**kwargs, "autocommit": True}) as conn:
                    await conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self._wake_if_behind()  # whatever was committed while we were not listening
                    async for _ in conn.notifies():
                        self._wake_if_behind()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("lost the database's notifications (%s); polling every %g s meanwhile", error, POLL_S)
            await asyncio.sleep(RETRY_S)
