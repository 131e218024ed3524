"""Several `hurrinet-server serve` processes on one database, for the cluster tests and bench.

Real processes (a server is killed with SIGKILL, as a machine dies), on fixed free ports so a
restarted server comes back where its clients look for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0



@dataclass
class Cluster:
    database_url: str
    directory: Path
    ports: list[int]
    settings: dict[str, str] = field(default_factory=dict)  # more HURRINET_* environment
    tokens: list[str] = field(default_factory=list)
    processes: list[subprocess.Popen[bytes] | None] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, "HURRINET_DATABASE_URL": self.database_url, "HURRINET_DATA_DIR": str(self.directory),
                **self.settings}  # fmt: skip

    def cli(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    @classmethod
    @contextlib.asynccontextmanager
    async def started(cls, database_url: str, directory: Path, servers: int = 3, users: int = 1,
                      role: str = "dispatcher", **settings: str) -> AsyncIterator[Cluster]:  # fmt: skip
        """`settings` as environment: `alert_delay_s="60"` is HURRINET_ALERT_DELAY_S=60."""
        directory.mkdir(parents=True, exist_ok=True)
        cluster = cls(database_url, directory, [free_port() for _ in range(servers)],
                      {f"HURRINET_{k.upper()}": v for k, v in settings.items()})  # fmt: skip
        cluster.cli("check")  # migrate and load the reference data once, before any server
        cluster.tokens = [cluster.cli("user", "add", f"user{n}", "--role", role).split()[-1] for n in range(users)]
        cluster.processes = [None] * servers
        try:
            await asyncio.gather(*(cluster.restart(n) for n in range(servers)))
            yield cluster
        finally:
            for n in range(servers):
                await cluster.kill(n, signal.SIGTERM)

    async def restart(self, index: int) -> None:
        log = (self.directory / f"server{index}.log").open("ab")
        self.processes[index] = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.ports[index])],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        await self._healthy(index)

    async def kill(self, index: int, how: signal.Signals = signal.SIGKILL) -> None:
        process = self.processes[index]
        if process is None or process.poll() is not None:
            return
        process.send_signal(how)
        try:
            await asyncio.to_thread(process.wait, 20)
        except subprocess.TimeoutExpired:
            process.kill()
            await asyncio.to_thread(process.wait)

    async def _healthy(self, index: int) -> None:
        url = f"http://127.0.0.1:{self.ports[index]}/healthz"
        deadline = asyncio.get_running_loop().time() + START_TIMEOUT_S
        while True:
            process = self.processes[index]
            assert process is not None and process.poll() is None, (self.directory / f"server{index}.log").read_text()
            try:
                await asyncio.to_thread(urllib.request.urlopen, url, timeout=1)
                return
            except OSError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def last_seq(self) -> int:
        def read() -> int:
            from server.storage.database import make_engine

            engine = make_engine(self.database_url)
            try:
                with engine.connect() as conn:
                    return conn.execute(sa.text("SELECT coalesce(max(seq), 0) FROM event")).scalar_one()
            finally:
                engine.dispose()

        return await asyncio.to_thread(read)

    async def count_log_entries(self, incident_id: str, change: str) -> int:
        """How many automatic log entries of this kind of change the incident has, as stored."""

        def read() -> int:
            from server.storage.database import make_engine

            engine = make_engine(self.database_url)
            try:
                with engine.connect() as conn:
                    rows = conn.execute(sa.text("SELECT change_data FROM incident_log_entry WHERE incident_id = :i"),
                                        {"i": incident_id}).scalars()  # fmt: skip
                    return sum(1 for data in rows if (data or {}).get("change") == change)
            finally:
                engine.dispose()

        return await asyncio.to_thread(read)
