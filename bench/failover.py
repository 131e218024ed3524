"""Benchmark the workstation's failover between two servers (run on demand; prints, asserts nothing).

    python bench/failover.py [--rounds 10]

Two real server processes on 127.0.0.1 (tests/support/pair.py: each its own SQLite copy of one
seed, so one token works on both and, with nobody writing, both stand at the same `seq`). The
workstation's `ServerLink`, as shipped (default backoff and heartbeat), is given both URLs. Each
round kills (SIGKILL) the server it is on and measures the seconds until it is connected to the
other one again, resumed with `last_seq`; beside it, in the same round, a bare websockets client
that on any failure connects to the other URL at once (no backoff, no probe) and resumes the same
way: the floor the link's politeness is measured against. The killed server is restarted before
the next round, and each session is let last past `LinkTiming.stable_after` (a shorter one
counts as failed and gets the long backoff: docs/workstation.md). Failover here is what a
workstation sees; on one shared database (issue 13) the resume is a replay on any server, as it
is here with nobody writing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from bench.link import first_true  # noqa: E402
from hurrinet_tui.link import ServerLink  # noqa: E402
from server import protocol  # noqa: E402
from server.app.bootstrap import open_runner  # noqa: E402
from server.storage.database import checkpoint, sqlite_url  # noqa: E402
from tests.support.pair import make_seed, two_servers  # noqa: E402


class BareFailover:
    """Round robin at once on any failure, resuming from its last seq."""

    def __init__(self, urls: list[str], token: str) -> None:
        self.urls, self.token = urls, token
        self.index = 0
        self.connected = False
        self.seq: int | None = None
        self.modes: list[str] = []
        self.task = asyncio.create_task(self.run())

    @property
    def url(self) -> str:
        return self.urls[self.index]

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            try:
                async with connect(self.url, additional_headers=headers, open_timeout=2, max_size=None,
                                   ping_interval=None) as ws:  # fmt: skip
                    hello = {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": self.seq}
                    await ws.send(orjson.dumps(hello).decode())
                    async for message in ws:
                        frame = orjson.loads(message)
                        if frame.get("type") == "snapshot":  # the first session only: take all of it
                            await ws.send(orjson.dumps({"type": "snapshot.ack", "part": frame["part"]}).decode())
                        if frame.get("type") in ("welcome", "event"):
                            self.seq = frame.get("seq", self.seq)
                        if frame.get("type") == "welcome":
                            self.modes.append(frame["mode"])
                            self.connected = True
            except Exception:  # noqa: BLE001 — any failure is a reason to move on, by design
                pass
            self.connected = False
            self.index = (self.index + 1) % len(self.urls)


def figures(values: list[float]) -> str:
    if not values:
        return "not measured (n=0)"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s (n={len(ordered)})"


async def until(condition, timeout: float = 60.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def template(directory: Path) -> Path:
    """A migrated database with the demo reference data (as tests/conftest.py makes it)."""
    path = directory / "template.db"
    runner = open_runner(sqlite_url(path))
    checkpoint(runner.store.engine)
    runner.store.engine.dispose()
    return path


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="hurrinet-bench-failover-") as folder:
        await measure(args, Path(folder))


async def measure(args: argparse.Namespace, directory: Path) -> None:
    seed = make_seed(template(directory), directory / "seed")
    rng = random.Random(13)
    async with two_servers(seed, directory) as (a, b):
        by_url = {a.url: a, b.url: b}
        link = ServerLink([a.url, b.url], seed.token)
        link.start()
        bare = BareFailover([a.url, b.url], seed.token)
        await until(lambda: link.status.connected and bare.connected)
        ours, floor = [], []
        for _ in range(args.rounds):
            # A session shorter than `stable_after` counts as failed (a server that drops everyone
            # after the welcome gets the long backoff): let it last, as a real one does.
            await asyncio.sleep(link.timing.stable_after + rng.uniform(0.5, 1.5))
            killed = by_url[link.url]
            assert bare.url == link.url, "both clients must be on the server that is killed"
            killed.kill()
            link_s, bare_s = await first_true(lambda k=killed: link.status.connected and link.url != k.url,
                                              lambda k=killed: bare.connected and bare.url != k.url,
                                              poll_s=0.005)  # fmt: skip
            ours.append(link_s)
            floor.append(bare_s)
            await killed.start()  # back for the next round, untimed
        bare.task.cancel()
        await link.close()
    print(f"server killed → resumed on the other: link (as shipped) {figures(ours)}")
    print(f"                                      bare, at once, no probe {figures(floor)}")
    if ours:
        print(f"  ratio of medians {statistics.median(ours) / statistics.median(floor):.2f}×; resumes: link "
              f"{link.welcome_modes[1:].count('replay')}/{len(ours)} replay, bare "
              f"{bare.modes[1:].count('replay')}/{len(floor)} replay")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
