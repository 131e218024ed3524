"""The serving process's own WAL checkpoints: none inside a commit, all in the background thread."""

from __future__ import annotations

import time

from server.storage.checkpoints import Checkpointer
from server.storage.database import make_engine, sqlite_url


def test_commits_leave_the_wal_to_the_background_thread(tmp_path):
    path = tmp_path / "wal.db"
    engine = make_engine(sqlite_url(path))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    checkpoints = Checkpointer(engine, interval_s=3600)  # started, but not due during the writes
    checkpoints.start()
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
        before = path.stat().st_size
        for _round in range(40):  # ~2.5 MB through the WAL: past SQLite's own 1,000-page checkpoint
            with engine.begin() as conn:
                conn.exec_driver_sql("INSERT INTO t (body) VALUES (?)", [("x" * 1000,) for _ in range(64)])
        assert path.stat().st_size == before, "a commit checkpointed"
    finally:
        checkpoints.stop()
    checkpoints = Checkpointer(engine, interval_s=0.05)
    checkpoints.start()
    try:
        deadline = time.monotonic() + 10
        while path.stat().st_size < 2_500_000 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert path.stat().st_size >= 2_500_000, "the background thread did not checkpoint"
    finally:
        checkpoints.stop()
        engine.dispose()
