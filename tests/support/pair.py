"""Two real server processes (`python -m server serve`) on two loopback ports, for failover tests.

Each has a database of its own, copied from one seed: the same reference data and the same
accounts (so one token works on both), and from then on separate histories. That is what a
workstation can be tested against before servers share a database: where it goes, what it says
and what it resends; not which events a second server knows (it knows only its own).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from bench.faults import Server

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Seed:
    """A database file with the demo reference data and two accounts: `token` works on both
    servers, `second_only_token` only on the second (made after the copy)."""

    first: Path
    second: Path
    token: str
    second_only_token: str


def add_user(directory: Path, name: str, role: str = "dispatcher") -> str:
    """An account made with the real CLI, as an operator would; returns its token."""
    command = [sys.executable, "-m", "server", "user", "add", name, "--role", role, "--data-dir", str(directory)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout.strip().splitlines()[-1]


def copy_database(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for file in source.glob("hurrinet.db*"):  # the WAL too, if a process left one
        shutil.copyfile(file, target / file.name)


def make_seed(template_db: Path, directory: Path) -> Seed:
    first, second = directory / "first", directory / "second"
    first.mkdir(parents=True)
    shutil.copyfile(template_db, first / "hurrinet.db")
    token = add_user(first, "failover-dispatcher")
    copy_database(first, second)
    return Seed(first, second, token, add_user(second, "second-only"))


@contextlib.asynccontextmanager
async def two_servers(seed: Seed, directory: Path):
    """Both servers started on fresh copies of the seed; stopped (SIGTERM) at the end if alive."""
    servers = []
    try:
        for name, source in (("a", seed.first), ("b", seed.second)):
            copy_database(source, directory / name)
            server = Server(directory / name)
            servers.append(server)
            await server.start()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            await server.stop()
