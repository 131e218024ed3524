"""Benchmark the workstation's link over a poor link (run on demand; prints figures, asserts nothing).

    python bench/link.py [--drops 12] [--holes 4] [--hole-s 20] [--idle-s 60]

A real server process on 127.0.0.1 behind the shaping proxy (64 kbit/s each way, 300 ms round
trip), and the workstation's `ServerLink` in this process. Measured:
1. hard drops (every connection reset, new ones refused) of 2–8 s: seconds from the proxy's
   return to connected, for the link beside a bare websockets client that retries every 100 ms
   with no backoff and no probe (the floor the link's politeness is measured against);
2. black holes of --hole-s seconds: seconds until the link shows degraded, and from the link's
   return until connected, not degraded, with a command typed during the hole applied;
3. idle traffic through the proxy, bytes per minute (TCP payload, both ways).
Targets (issue 14): shown within 5 s, back within 3 s p95, idle ≤ 1 kB/min.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from bench.server import project_server  # noqa: E402
from hurrinet_tui.link import ServerLink  # noqa: E402
from server import protocol  # noqa: E402
from tests.support.shaping_proxy import ShapingProxy  # noqa: E402


async def until(condition, timeout: float = 60.0) -> float:
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)
    return time.perf_counter() - started


class BareClient:
    """Reconnects every 100 ms, no backoff, no probe, resuming from its last seq: the fastest a
    client can notice the return (and the most a dead server would be hammered)."""

    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token
        self.connected = False
        self.seq: int | None = None  # resumes like the link does, so both get a replay, not a snapshot
        self.task = asyncio.create_task(self.run())

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            try:
                async with connect(self.url, additional_headers=headers, open_timeout=2, compression="deflate",
                                   max_size=None, ping_interval=None) as ws:  # fmt: skip
                    hello = {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": self.seq}
                    await ws.send(orjson.dumps(hello).decode())
                    async for message in ws:
                        frame = orjson.loads(message)
                        if frame.get("type") in ("welcome", "event"):
                            self.seq = frame.get("seq", self.seq)
                        if frame.get("type") == "welcome":
                            self.connected = True
            except Exception:  # noqa: BLE001 — any failure is one more retry, by design
                pass
            self.connected = False
            await asyncio.sleep(0.1)


def figures(values: list[float]) -> str:
    if not values:
        return "not measured (n=0)"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"median {statistics.median(ordered):.2f} s, p95 {p95:.2f} s, max {ordered[-1]:.2f} s (n={len(ordered)})"


async def main(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="hurrinet-bench-link-"))
    rng = random.Random(14)
    async with project_server(directory, compression=True) as (port, token, _, _):
        proxy = ShapingProxy("127.0.0.1", port, rate_bps=64_000, rtt_s=0.3)
        await proxy.start()
        url = f"ws://127.0.0.1:{proxy.port}/ws"
        link = ServerLink(url, token)
        link.start()
        await until(lambda: link.status.connected)
        bare = BareClient(url, token)
        await until(lambda: bare.connected)

        ours, floor = [], []
        for _ in range(args.drops):
            await proxy.drop()
            await until(lambda: not link.status.connected and not bare.connected)
            await asyncio.sleep(rng.uniform(2.0, 8.0))
            await proxy.restore()
            link_s, bare_s = await first_true(lambda: link.status.connected, lambda: bare.connected)
            ours.append(link_s)
            floor.append(bare_s)
        bare.task.cancel()
        print(f"hard drop 2–8 s, back after the proxy returns: link {figures(ours)}")
        print(f"                                         bare retry-every-100-ms {figures(floor)}")
        if ours:
            print(f"  ratio of medians {statistics.median(ours) / statistics.median(floor):.2f}× "
                  "(target: link p95 ≤ 3 s)")  # fmt: skip

        shown, recovered = [], []
        for n in range(args.holes):
            await asyncio.sleep(1.0)
            proxy.black_hole(True)
            shown.append(await until(lambda: link.status.degraded or not link.status.connected))
            future = link.submit("incident.create", {"description": f"typed in hole {n}"})
            await asyncio.sleep(max(0.0, args.hole_s - shown[-1]))
            proxy.black_hole(False)
            started = time.perf_counter()
            await until(lambda future=future: future.done() and link.status.connected and not link.status.degraded)
            recovered.append(time.perf_counter() - started)
        print(f"black hole {args.hole_s:g} s: shown as degraded after {figures(shown)} (target ≤ 5 s)")
        print(f"  back after the link returns (connected, normal, the command typed meanwhile applied): "
              f"{figures(recovered)} (target p95 ≤ 3 s)")  # fmt: skip

        await asyncio.sleep(2.0)
        before, started = proxy.bytes_total, time.perf_counter()
        await asyncio.sleep(args.idle_s)
        per_minute = (proxy.bytes_total - before) / (time.perf_counter() - started) * 60
        print(f"idle: {per_minute:.0f} B/min through the proxy, TCP payload both ways (target ≤ 1,024)")
        await link.close()
        await proxy.stop()


async def first_true(*conditions, timeout: float = 60.0, poll_s: float = 0.01) -> list[float]:
    """Seconds until each condition first held, polled together every `poll_s`."""
    started = time.perf_counter()
    took: list[float | None] = [None] * len(conditions)
    async with asyncio.timeout(timeout):
        while None in took:
            now = time.perf_counter()
            for index, condition in enumerate(conditions):
                if took[index] is None and condition():
                    took[index] = now - started
            await asyncio.sleep(poll_s)
    return took


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drops", type=int, default=12)
    parser.add_argument("--holes", type=int, default=4)
    parser.add_argument("--hole-s", type=float, default=20.0)
    parser.add_argument("--idle-s", type=float, default=60.0)
    asyncio.run(main(parser.parse_args()))
