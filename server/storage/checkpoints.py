"""SQLite's WAL folded back into the database file by a thread of the server's own, off the
commit path.

By default SQLite checkpoints inside whichever commit takes the WAL past 1,000 pages: that
commit copies a thousand pages and fsyncs the database file before it returns, several ms
during which its command's answer (and every frame behind it) waits. A storm's batches write
a few pages a command, so that was about one command in 300: the round trip's p99
(docs/performance.md). A serving process turns it off on its connections and checkpoints
PASSIVE (never waiting for a reader or a writer) every `interval_s` in this thread; the
shutdown's TRUNCATE checkpoint (`database.checkpoint`) stays as it was.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger("hurrinet.checkpoints")


def _no_autocheckpoint(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class Checkpointer:
    def __init__(self, engine: Engine, interval_s: float = 0.25) -> None:
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Take checkpoints over (SQLite only: PostgreSQL checkpoints on its own)."""
        if self.engine.dialect.name != "sqlite" or self._thread is not None:
            return
        sa.event.listen(self.engine, "connect", _no_autocheckpoint)
        self.engine.dispose()  # connections of the start-up reconnect with it
        self._thread = threading.Thread(target=self._run, name="hurrinet-checkpoints", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        sa.event.remove(self.engine, "connect", _no_autocheckpoint)

    def _run(self) -> None:
        raw = self.engine.raw_connection()
        try:
            while not self._stop.wait(self.interval_s):
                try:
                    raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # the next round tries again; a commit never depends on it
                    log.warning("background WAL checkpoint failed", exc_info=True)
        finally:
            raw.close()
