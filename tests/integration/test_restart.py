"""Restart the real server process: after kill -9 or a clean stop every acknowledged command is
still there. Each server is a subprocess on 127.0.0.1 with its own data directory and database
(a SQLite file, or a PostgreSQL database of the test run's own cluster)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

import pytest

from server.__main__ import main
from tests.support.client import Client
from tests.support.postgres import both_backends

pytestmark = both_backends

ROOT = Path(__file__).resolve().parents[2]


async def start_server(data_dir: Path, database_url: str) -> tuple[asyncio.subprocess.Process, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir", str(data_dir),
        "--database-url", database_url,
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    while True:
        line = (await asyncio.wait_for(process.stderr.readline(), 30)).decode()
        assert line, "server exited before listening"
        if match := re.search(r"listening on 127\.0\.0\.1:(\d+)", line):
            return process, int(match.group(1))


def add_user(data_dir: Path, database_url: str, capsys) -> str:
    assert main(["user", "add", "maria", "--role", "dispatcher", "--data-dir", str(data_dir),
                 "--database-url", database_url]) == 0  # fmt: skip
    return capsys.readouterr().out.strip().splitlines()[-1]


@pytest.mark.parametrize("stop", ["kill", "term"])
async def test_every_acknowledged_command_survives_a_restart(tmp_path, capsys, stop, server_database, backend):
    token = add_user(tmp_path, server_database, capsys)
    process, port = await start_server(tmp_path, server_database)
    try:
        client = await Client.open(port, token)
        created = []
        for n in range(10):
            created.append((await client.ok("incident.create", description=f"report {n}"))["incident_id"])
        await client.ok("incident.note", incident_id=created[0], text="acknowledged just before the crash")
        seq = client.events[-1]["seq"]
        if stop == "kill":
            process.kill()
        else:
            process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
        assert code == (-signal.SIGKILL if stop == "kill" else 0)
        if stop == "term" and backend == "sqlite":
            assert not (tmp_path / "live.db-wal").exists() or (tmp_path / "live.db-wal").stat().st_size == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    process, port = await start_server(tmp_path, server_database)
    try:
        again = await Client.open(port, token, last_seq=None)
        snapshot = again.welcome["snapshot"]
        assert snapshot["seq"] == seq
        assert {i["id"] for i in snapshot["incidents"]} == set(created)
        noted = [e for e in snapshot["log_entries"] if e["incident_id"] == created[0]]
        assert noted[-1]["description"] == "acknowledged just before the crash"
        await again.close()
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 30)
