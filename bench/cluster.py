"""Servers on one PostgreSQL beside bare psycopg, measured in the same run (run on demand).

    python bench/cluster.py [--rounds 3] [--seconds 3] [--kills 8]

Starts a throwaway PostgreSQL cluster of its own (tests/support/postgres.py: Debian's
binaries, a temporary folder, fsync on) and, in interleaved rounds (bare, 1 server, 2, 3, …):
- durable commands/s with 32 in flight, the connections spread over the servers, against
  websockets + psycopg INSERT and COMMIT per message in one process;
- command round trip p50/p99 with 50 sessions spread over the servers (every session receives
  every event), against the same bare server;
- failover: a client's server killed (SIGKILL) → the client resumed on another server, p50/p95.
Nothing is asserted: the figures are printed for a person to read (issue 13's closing note).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.server import bare_process, pipelined, round_trips  # noqa: E402
from tests.support.cluster import Cluster  # noqa: E402
from tests.support.failover_client import FailoverClient  # noqa: E402
from tests.support.postgres import PostgresCluster, start_cluster, stop_cluster  # noqa: E402

PSYCOPG_STORE = r'''
import psycopg
db = psycopg.connect(sys.argv[1], autocommit=False)
db.execute("CREATE TABLE IF NOT EXISTS t (id bigserial PRIMARY KEY, body text)"); db.commit()
def write(body):
    db.execute("INSERT INTO t (body) VALUES (%s)", (body,)); db.commit()
'''


@contextlib.asynccontextmanager
async def bare(pg: PostgresCluster):
    async with bare_process(PSYCOPG_STORE, pg.url(pg.create_database("bare"))) as (port, _):
        yield [port], ""


@contextlib.asynccontextmanager
async def project(pg: PostgresCluster, servers: int, directory: Path):
    url = pg.url(pg.create_database("project"))
    async with Cluster.started(url, directory / f"{servers}-{random.random()}", servers=servers,
                               compression="false") as cluster:  # fmt: skip
        yield cluster.ports, cluster.tokens[0]


async def durable(server, seconds: float) -> float:
    async with server as (ports, token):
        return await pipelined(ports, token, seconds, in_flight=32, connections=6)


async def round_trip(server) -> tuple[float, float]:
    async with server as (ports, token):
        return await round_trips(ports, token, sessions=50, commands=300)


async def failover(pg: PostgresCluster, directory: Path, kills: int) -> list[float]:
    """Seconds from SIGKILL of a client's server to its welcome on another one."""
    url = pg.url(pg.create_database("failover"))
    times = []
    async with Cluster.started(url, directory / "failover", servers=3) as cluster:
        client = FailoverClient(cluster.ports, cluster.tokens[0], "bench")
        client.start()
        for n in range(kills):
            await client.settled(0)
            victim = client.server_index % len(cluster.ports)
            killed = time.perf_counter()
            await cluster.kill(victim, signal.SIGKILL)
            while client.ready.is_set():  # the client has not noticed yet
                await asyncio.sleep(0.001)
            await client.ready.wait()
            times.append(time.perf_counter() - killed)
            await client.command("incident.create", f"after-kill-{n}", description=f"after kill {n}")
            await cluster.restart(victim)
        await client.stop()
    return times


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * q))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--kills", type=int, default=8)
    args = parser.parse_args()
    pg = start_cluster()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            rates: dict[str, list[float]] = {}
            trips: dict[str, list[tuple[float, float]]] = {}
            kinds = {"bare": lambda: bare(pg), **{f"{n} server{'s' * (n > 1)}": (lambda n=n: project(pg, n, directory))
                                                  for n in (1, 2, 3)}}  # fmt: skip
            for _ in range(args.rounds):
                for name, make in kinds.items():
                    rates.setdefault(name, []).append(await durable(make(), args.seconds))
                    trips.setdefault(name, []).append(await round_trip(make()))
            downs = await failover(pg, directory, args.kills)
    finally:
        stop_cluster(pg)
    print(f"# bench/cluster.py — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} cores, PostgreSQL "
          f"(fsync on), {args.rounds} interleaved rounds, medians\n")  # fmt: skip
    print("| | durable commands/s (32 in flight) | ÷ bare | round trip p50 / p99, 50 sessions | p99 ÷ bare |")
    print("|---|---|---|---|---|")
    bare_rate = statistics.median(rates["bare"])
    bare_p99 = statistics.median(p99 for _, p99 in trips["bare"])
    for name in kinds:
        rate = statistics.median(rates[name])
        p50 = statistics.median(p50 for p50, _ in trips[name])
        p99 = statistics.median(p99 for _, p99 in trips[name])
        print(f"| {name} | {rate:,.0f} | {rate / bare_rate:.2f}× | {p50:.1f} / {p99:.1f} ms | {p99 / bare_p99:.2f}× |")
    print(f"\nfailover (server killed → client resumed elsewhere), {len(downs)} kills: "
          f"p50 {pct(downs, 0.5) * 1000:.0f} ms, p95 {pct(downs, 0.95) * 1000:.0f} ms")


if __name__ == "__main__":
    asyncio.run(main())
