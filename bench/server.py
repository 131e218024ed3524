"""The server beside its bare dependencies, measured in the same run (run on demand).

    python bench/server.py [--sizes 1000,10000] [--units 2000] [--rounds 3] [--only ROWS] [--boards DIR]

`--only start,hello` runs just those rows (durable, rtt, fanout, snapshot, start, hello, join);
`--boards DIR` keeps the generated boards there and reuses them on the next run (the 10k board
takes a while to make).

Each figure is the project and the bare dependency doing the same job on this machine, in
interleaved rounds (bare, project, bare, project, …), reported as medians with their ratio
and the target of issue 11. Servers run as their own processes on 127.0.0.1 with a fresh
SQLite file (WAL, synchronous=FULL); the clients run in this process. Nothing is asserted:
the figures are printed for a person to read.

Rows:
- durable commands/s with 32 in flight: `incident.create` against websockets + a raw sqlite
  INSERT and COMMIT per message;
- command round trip p50/p99 with 50 sessions connected and receiving every event;
- fan-out of a burst of events to 100 sessions, against `websockets.broadcast` of frames of the
  same size (the bare frame is padded to the project's event: the same bytes to deliver);
- snapshot at N incidents: the parts built from the kept encoding, against orjson of the whole;
- hello → welcome and the whole snapshot at N incidents over loopback, and how late another
  session's events arrive meanwhile;
- start to listening with N incidents, against a raw SELECT of the same rows (the server's
  modules byte-compiled first, as an installation has them);
- 500 sessions joining (connect + hello + welcome), against connect + echo on a bare server;
- server RSS with N incidents and 500 sessions, against the bare server with 500 sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import contextlib
import io
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson  # noqa: E402
from websockets.asyncio.client import connect  # noqa: E402

from server import protocol  # noqa: E402
from server.__main__ import main as server_cli  # noqa: E402
from server.app import wire  # noqa: E402
from server.app.bootstrap import open_runner  # noqa: E402
from server.app.snapshot import LiveSnapshot  # noqa: E402
from server.domain.world import Actor  # noqa: E402
from server.reference import DEMO  # noqa: E402
from server.storage.database import sqlite_url  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DISPATCHER = Actor("bench", "dispatcher")
PLACE = {"kind": "place", "district": "CAS", "name": "Derek Walcott Square",
         "coordinates": {"lat": 14.0104, "lon": -60.9887}}  # fmt: skip


# --- a storm-sized deployment -------------------------------------------------------------------
def reference_with_units(directory: Path, units: int) -> Path:
    """The demo reference data with `units` units spread over its stations."""
    target = directory / "reference"
    shutil.copytree(DEMO, target)
    stations = [line.split(",")[0] for line in (DEMO / "stations.csv").read_text().splitlines()[1:]]
    kinds = ["engine", "ambulance", "police", "rescue", "public_works"]
    lines = ["callsign,kind,station,active,officers,subofficers,crew"]
    lines += [f"B{n},{kinds[n % len(kinds)]},{stations[n % len(stations)]},true,1,1,2" for n in range(units)]
    (target / "units.csv").write_text("\n".join(lines) + "\n")
    (target / "alert_targets.csv").write_text("code,name,type,config,units,active\n")
    return target


def make_board(directory: Path, incidents: int, units: int) -> Path:
    """A database with `incidents` incidents (70 % ended, the rest open, many with a unit)."""
    reference = reference_with_units(directory, units)
    runner = open_runner(sqlite_url(directory / "hurrinet.db"), reference)
    callsigns = [u.callsign for u in runner.world.units.values()]
    batch, count = [], 0

    def send(name: str, **args) -> dict:
        nonlocal count
        count += 1
        prepared = runner.prepare(f"gen-{count}", name, args, DISPATCHER)
        batch.append(prepared)
        if len(batch) >= 500:
            runner.commit(batch)
            batch.clear()
        assert prepared.outcome.ok, (name, prepared.outcome.result)
        return prepared.outcome.result

    free = list(callsigns)
    for n in range(incidents):
        incident = send("incident.create", incident_type="STRFIRE", incident_priority="ABCD"[n % 4],
                        location=PLACE, description=f"storm incident {n}: water rising, roof gone")["incident_id"]  # fmt: skip
        if n % 10 < 7:
            send("incident.close", incident_id=incident)
        elif free:
            unit = free.pop()
            send("unit.set_state", unit=unit, state="available_radio")
            send("unit.assign", incident_id=incident, units=[unit], state="en_route")
    runner.commit(batch)
    runner.store.engine.dispose()
    return reference


# --- processes -------------------------------------------------------------------------------------
@contextlib.asynccontextmanager
async def project_server(directory: Path, reference: Path | None = None, compression: bool = False):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        server_cli(["user", "add", f"bench-{random.random()}", "--role", "dispatcher", "--data-dir", str(directory)])
    token = out.getvalue().strip().splitlines()[-1]
    extra = ["--reference-dir", str(reference)] if reference else []
    started = time.perf_counter()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir", str(directory),
        *([] if compression else ["--no-compression"]), *extra,
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    while not (match := re.search(r"listening on [\d.]+:(\d+)", (await process.stderr.readline()).decode())):
        if process.stderr.at_eof():
            raise RuntimeError("the server did not start")
    start_s = time.perf_counter() - started
    logs = asyncio.create_task(process.stderr.read())
    try:
        yield int(match.group(1)), token, process.pid, start_s
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        logs.cancel()


# The bare dependency: websockets and one durable insert per command, nothing else. Its store
# (`write(body)`, committed before the answer) is spliced in: SQLite here, psycopg in bench/cluster.py.
BARE_SERVER = r'''
import asyncio, sys
from websockets.asyncio.server import serve, broadcast
# STORE
clients = set()
async def handler(ws):
    clients.add(ws)
    try:
        async for message in ws:
            if message.startswith('{"type":"hello"'):
                await ws.send('{"type":"welcome"}')
            elif message.startswith('{"type":"fan"'):
                broadcast(clients, message)
            else:
                write(message)
                broadcast([c for c in clients if c is not ws], '{"type":"event","data":' + message + '}')
                await ws.send('{"type":"result","ok":true}')
    finally:
        clients.discard(ws)
async def main():
    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        print(server.sockets[0].getsockname()[1], flush=True)
        await asyncio.Future()
asyncio.run(main())
'''
SQLITE_STORE = r'''
import sqlite3
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=FULL")
db.execute("CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, body TEXT)")
def write(body):
    db.execute("BEGIN IMMEDIATE"); db.execute("INSERT INTO t (body) VALUES (?)", (body,)); db.execute("COMMIT")
'''


@contextlib.asynccontextmanager
async def bare_process(store: str, target: str):
    """The bare server with `store` spliced in, given `target` (its database) as argv[1]; yields
    its port and pid."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", BARE_SERVER.replace("# STORE\n", store), target, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL)  # clients that hang up make it log; only the figures matter
    port = int((await process.stdout.readline()).decode())
    try:
        yield port, process.pid
    finally:
        process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def bare_server(directory: Path):
    async with bare_process(SQLITE_STORE, str(directory / f"bare-{random.random()}.db")) as (port, pid):
        yield port, "", pid, 0.0


async def open_session(port: int, token: str, hello: bool = True, last_seq: int | None = None):
    ws = await connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"},
                       compression=None, max_size=None, open_timeout=60, ping_interval=None)  # fmt: skip
    if hello:
        await ws.send(orjson.dumps({"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": last_seq}).decode())
        welcome = orjson.loads(await ws.recv())
        for part in range(welcome.get("parts", 0)):
            await ws.recv()
            await ws.send(orjson.dumps({"type": "snapshot.ack", "part": part}).decode())
    return ws


def command_frame(n: int, bare: bool) -> str:
    return orjson.dumps({"type": "command", "command_id": f"b{n}-{random.random()}", "name": "incident.create",
                         "args": {"description": f"bench {n}"}}).decode()  # fmt: skip


async def until_result(ws) -> None:
    while True:
        frame = await ws.recv()
        if frame.startswith('{"type":"result"'):
            return


# --- the rows ------------------------------------------------------------------------------------------
async def durable(server, seconds: float = 3.0, in_flight: int = 32, connections: int = 4) -> float:
    async with server as (port, token, _, _):
        return await pipelined([port], token, seconds, in_flight, connections)


async def pipelined(ports: list[int], token: str, seconds: float, in_flight: int, connections: int) -> float:
    """Commands per second with `in_flight` outstanding, pipelined over a few connections spread
    over `ports` (each connection also receives every other connection's events, as positions do)."""
    sessions = [await open_session(ports[n % len(ports)], token) for n in range(connections)]
    done = 0
    deadline = time.perf_counter() + seconds

    async def loop(ws, share: int) -> None:
        nonlocal done
        n, outstanding = 0, 0
        for _ in range(share):
            n += 1
            outstanding += 1
            await ws.send(command_frame(n, False))
        while outstanding:
            await until_result(ws)
            outstanding -= 1
            done += 1
            if time.perf_counter() < deadline:
                n += 1
                outstanding += 1
                await ws.send(command_frame(n, False))

    shares = [in_flight // connections + (1 if n < in_flight % connections else 0) for n in range(connections)]
    started = time.perf_counter()
    await asyncio.gather(*(loop(ws, share) for ws, share in zip(sessions, shares, strict=True)))
    rate = done / (time.perf_counter() - started)
    for ws in sessions:
        await ws.close()
    return rate


async def round_trip(server, sessions: int = 50, commands: int = 300) -> tuple[float, float]:
    async with server as (port, token, _, _):
        return await round_trips([port], token, sessions, commands)


async def round_trips(ports: list[int], token: str, sessions: int, commands: int) -> tuple[float, float]:
    """p50 and p99 (ms) of one client's commands on the first port, with `sessions` connected
    over `ports` and every one receiving every event."""
    idle = [await open_session(ports[n % len(ports)], token) for n in range(1, sessions)]
    drains = [asyncio.create_task(_drain(ws)) for ws in idle]
    ws = await open_session(ports[0], token)
    times = []
    for n in range(commands):
        started = time.perf_counter()
        await ws.send(command_frame(n, False))
        await until_result(ws)
        times.append(time.perf_counter() - started)
    for task in drains:
        task.cancel()
    for client in [*idle, ws]:
        await client.close()
    times.sort()
    return times[len(times) // 2] * 1000, times[int(len(times) * 0.99)] * 1000


async def _drain(ws) -> None:
    with contextlib.suppress(Exception):
        async for _ in ws:
            pass


def _event_bytes() -> int:
    """The size of the event `incident.create` (as the bench sends it) broadcasts."""
    with tempfile.TemporaryDirectory() as tmp:
        runner = open_runner(sqlite_url(Path(tmp) / "size.db"))
        outcome = runner.run("size", "incident.create", {"description": "bench 0"}, DISPATCHER)
        runner.store.engine.dispose()
        return len(orjson.dumps({"type": "event", **outcome.events[0]}))


EVENT_BYTES = _event_bytes()


async def fan_out(server, listeners: int = 100, burst: int = 200, bare: bool = False) -> float:
    async with server as (port, token, _, _):
        sessions = [await open_session(port, token) for _ in range(listeners)]
        sender = await open_session(port, token)

        async def count(ws) -> None:
            got = 0
            while got < burst:
                frame = await ws.recv()
                if frame.startswith('{"type":"event"') or frame.startswith('{"type":"fan"'):
                    got += 1

        counters = [asyncio.create_task(count(ws)) for ws in sessions]
        started = time.perf_counter()
        for n in range(burst):
            if bare:  # a frame as large as the project's event for the same command: the same bytes to send
                frame = {"type": "fan", "seq": n, "data": {"incident": {"id": str(n), "pad": ""}}}
                frame["data"]["incident"]["pad"] = "x" * max(0, EVENT_BYTES - len(orjson.dumps(frame)))
                await sender.send(orjson.dumps(frame).decode())
            else:
                await sender.send(command_frame(n, False))
        await asyncio.gather(*counters)
        rate = burst / (time.perf_counter() - started)
        for ws in [*sessions, sender]:
            await ws.close()
        return rate


def snapshot_build(directory: Path) -> tuple[float, float, int]:
    """(project ms, bare orjson ms, compressed KB): the parts from the kept encoding, against
    orjson of the whole state as one object."""
    import zlib

    runner = open_runner(sqlite_url(directory / "hurrinet.db"), directory / "reference")
    live = LiveSnapshot(runner.world)
    whole = wire.snapshot(runner.world)
    project, bare = [], []
    for _ in range(5):
        started = time.perf_counter()
        orjson.dumps(whole)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        plan = live.plan()
        parts = [live.part(runner.world.seq, n, items, len(plan)) for n, items in enumerate(plan)]
        project.append(time.perf_counter() - started)
    compressor = zlib.compressobj(wbits=-15)
    size = sum(len(compressor.compress(p.encode())) + len(compressor.flush(zlib.Z_SYNC_FLUSH)) for p in parts)
    runner.store.engine.dispose()
    return statistics.median(project) * 1000, statistics.median(bare) * 1000, size // 1024


def raw_select(directory: Path) -> float:
    started = time.perf_counter()
    db = sqlite3.connect(directory / "hurrinet.db")
    for table in ("incident", "incident_unit", "incident_log_entry", "call", "unit_status", "unit"):
        db.execute(f"SELECT * FROM {table}").fetchall()
    db.close()
    return time.perf_counter() - started


async def hello_at_scale(port: int, token: str) -> tuple[float, float, float]:
    """(hello → welcome ms, hello → last part ms, worst delay of another session's event ms)."""
    watcher = await open_session(port, token)
    ticker = await open_session(port, token)
    delays: list[float] = []
    stop = asyncio.Event()

    async def tick() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            sent = time.perf_counter()
            await ticker.send(command_frame(n, False))
            while True:
                frame = await watcher.recv()
                if frame.startswith('{"type":"event"'):
                    delays.append(time.perf_counter() - sent)
                    break
            await until_result(ticker)
            await asyncio.sleep(0.005)

    ticking = asyncio.create_task(tick())
    await asyncio.sleep(0.2)
    delays.clear()
    ws = await connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"},
                       compression=None, max_size=None, ping_interval=None)  # fmt: skip
    started = time.perf_counter()
    await ws.send(orjson.dumps({"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": None}).decode())
    while not (frame := await ws.recv()).startswith('{"type":"welcome"'):
        pass
    welcome_ms = (time.perf_counter() - started) * 1000
    parts = orjson.loads(frame)["parts"]
    for part in range(parts):
        while not (await ws.recv()).startswith('{"type":"snapshot"'):
            pass
        await ws.send(orjson.dumps({"type": "snapshot.ack", "part": part}).decode())
    whole_ms = (time.perf_counter() - started) * 1000
    await asyncio.sleep(0.1)
    stop.set()
    await ticking
    for client in (ws, watcher, ticker):
        await client.close()
    return welcome_ms, whole_ms, max(delays) * 1000 if delays else float("nan")


async def join(server, sessions: int = 500, bare: bool = False) -> tuple[float, int]:
    """(seconds for `sessions` to connect and be welcomed, server RSS in MB with them open)."""
    async with server as (port, token, pid, _):
        started = time.perf_counter()
        seq = None
        if not bare:
            first = await open_session(port, token, hello=False)
            await first.send(orjson.dumps({"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": 0}).decode())
            seq = orjson.loads(await first.recv())["seq"]
            await first.close()
            started = time.perf_counter()
        clients = await asyncio.gather(*(open_session(port, token, last_seq=seq) for _ in range(sessions)))
        elapsed = time.perf_counter() - started
        rss = rss_mb(pid)
        await asyncio.gather(*(c.close() for c in clients))
        return elapsed, rss


def rss_mb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024
    return 0


def board_dir(boards: Path, size: int, units: int) -> Path:
    path = boards / f"board-{size}-{units}"
    path.mkdir(parents=True, exist_ok=True)
    return path


ROWS = ("durable", "rtt", "fanout", "snapshot", "start", "hello", "join")


# --- the table -------------------------------------------------------------------------------------
def median(values):
    return statistics.median(values)


def row(name: str, project: float, bare: float | None, unit: str, target: str, met: bool) -> None:
    ratio = f"{bare / project:.2f}×" if bare and unit in ("/s",) else (f"{project / bare:.2f}×" if bare else "–")
    bare_text = f"{bare:,.1f} {unit}" if bare is not None else "–"
    print(f"| {name} | {bare_text} | {project:,.1f} {unit} | {ratio} | {target} | {'met' if met else 'NOT met'} |")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000", help="board sizes (incidents), comma-separated")
    parser.add_argument("--units", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=500)
    parser.add_argument("--only", default=",".join(ROWS), help=f"rows to run, comma-separated: {','.join(ROWS)}")
    parser.add_argument("--boards", type=Path, help="keep the generated boards in this directory and reuse them")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    only = set(args.only.split(","))
    if only - set(ROWS):
        parser.error(f"--only: unknown rows {sorted(only - set(ROWS))}; known: {', '.join(ROWS)}")
    # The server runs from this tree as an installation would: its modules byte-compiled, as pip
    # compiles what it installs. With PYTHONDONTWRITEBYTECODE set (this sandbox sets it) nothing
    # else would, and every start compiled all of `server/` again: 0.15 s of the start row.
    compileall.compile_dir(ROOT / "server", quiet=1)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        print(f"# bench/server.py — {time.strftime('%Y-%m-%d %H:%M')} — {os.cpu_count()} cores, "
              f"{args.rounds} interleaved rounds, medians; server/ byte-compiled first\n")  # fmt: skip
        print("| path | bare, same run | server | ratio (server ÷ bare, or bare ÷ server for rates) | target | |")
        print("|---|---|---|---|---|---|")

        def fresh(name: str) -> Path:
            path = base / f"{name}-{random.random()}"
            path.mkdir()
            return path

        def copy_of(board: Path) -> Path:
            """The board as generated, for one server run: the runs add incidents (the hello row's
            ticker) and audit rows (every join), which a reused board would otherwise keep."""
            path = fresh("run")
            for name in ("hurrinet.db", "alert-ack.key"):
                if (board / name).exists():
                    shutil.copyfile(board / name, path / name)
            return path

        rates = {"bare": [], "project": []}
        p50s, p99s, bare_p50, bare_p99 = [], [], [], []
        fans = {"bare": [], "project": []}
        for _ in range(args.rounds):
            if "durable" in only:
                rates["bare"].append(await durable(bare_server(fresh("bare"))))
                rates["project"].append(await durable(project_server(fresh("durable"))))
            if "rtt" in only:
                b50, b99 = await round_trip(bare_server(fresh("bare")))
                bare_p50.append(b50), bare_p99.append(b99)
                p50, p99 = await round_trip(project_server(fresh("rtt")))
                p50s.append(p50), p99s.append(p99)
            if "fanout" in only:
                fans["bare"].append(await fan_out(bare_server(fresh("bare")), bare=True))
                fans["project"].append(await fan_out(project_server(fresh("fan"))))
        if "durable" in only:
            rb, rp = median(rates["bare"]), median(rates["project"])
            print(f"| durable commands/s, 32 in flight | {rb:,.0f}/s | {rp:,.0f}/s | {rp / rb:.2f}× | ≥ 0.8× | "
                  f"{'met' if rp >= 0.8 * rb else 'NOT met'} |")  # fmt: skip
        if "rtt" in only:
            print(f"| round trip at 50 sessions, p50 / p99 | {median(bare_p50):.1f} / {median(bare_p99):.1f} ms | "
                  f"{median(p50s):.1f} / {median(p99s):.1f} ms | p99 {median(p99s) / median(bare_p99):.2f}× | "
                  f"p99 ≤ 5 ms | {'met' if median(p99s) <= 5 else 'NOT met'} |")  # fmt: skip
        if "fanout" in only:
            fb, fp = median(fans["bare"]), median(fans["project"])
            print(f"| fan-out of a burst to 100 sessions | {fb:,.0f} events/s | {fp:,.0f} events/s | {fp / fb:.2f}× | "
                  f"≥ 0.8× | {'met' if fp >= 0.8 * fb else 'NOT met'} |")  # fmt: skip

        for size in sizes if only & {"snapshot", "start", "hello", "join"} else ():
            board, started = board_dir(args.boards, size, args.units) if args.boards else fresh(f"board{size}"), time.perf_counter()
            if (board / "hurrinet.db").exists():
                reference = board / "reference"
            else:
                reference = make_board(board, size, args.units)
                print(f"| (board of {size:,} incidents + {args.units:,} units generated in "
                      f"{time.perf_counter() - started:.0f} s) | | | | | |")  # fmt: skip
            if "snapshot" in only:
                project_ms, bare_ms, kb = snapshot_build(board)
                print(f"| snapshot at {size:,}: all parts from the kept encoding | orjson of the whole {bare_ms:.1f} ms | "
                      f"{project_ms:.1f} ms | {project_ms / bare_ms:.2f}× | – | |")  # fmt: skip
                print(f"| snapshot at {size:,}: compressed (deflate per part) | – | {kb:,} KB | – | ≤ 1 MB at 10k | "
                      f"{'met' if kb <= 1024 else 'NOT met'} |")  # fmt: skip
            starts, selects, hellos = [], [], []
            for _ in range(args.rounds if only & {"start", "hello"} else 0):
                selects.append(raw_select(board))
                async with project_server(copy_of(board), reference) as (port, token, _, start_s):
                    starts.append(start_s)
                    hellos.append(await hello_at_scale(port, token))
            if "start" in only:
                print(f"| start with {size:,} incidents | raw SELECT {median(selects):.2f} s | {median(starts):.2f} s | "
                      f"{median(starts) / median(selects):.1f}× | ≤ 2 s at 10k | {'met' if median(starts) <= 2 else 'NOT met'} |")  # fmt: skip
            if "hello" in only:
                welcome = median([h[0] for h in hellos])
                whole = median([h[1] for h in hellos])
                stall = median([h[2] for h in hellos])
                print(f"| hello → welcome at {size:,} (whole snapshot: {whole:,.0f} ms) | – | {welcome:.1f} ms | – | "
                      f"≤ 150 ms | {'met' if welcome <= 150 else 'NOT met'} |")  # fmt: skip
                print(f"| another session's event delayed meanwhile (worst) | – | {stall:.1f} ms | – | ≤ 20 ms | "
                      f"{'met' if stall <= 20 else 'NOT met'} |")  # fmt: skip
            if "join" not in only:
                continue
            joins_bare, joins, rss_bare, rss = [], [], [], []
            for _ in range(args.rounds):
                elapsed, memory = await join(bare_server(fresh("bare")), args.sessions, bare=True)
                joins_bare.append(elapsed), rss_bare.append(memory)
                elapsed, memory = await join(project_server(copy_of(board), reference), args.sessions)
                joins.append(elapsed), rss.append(memory)
            jb, jp = median(joins_bare), median(joins)
            print(f"| {args.sessions} sessions joining at {size:,} | {jb:.2f} s | {jp:.2f} s | {jp / jb:.1f}× | ≤ 1 s | "
                  f"{'met' if jp <= 1 else 'NOT met'} |")  # fmt: skip
            print(f"| server RSS, {size:,} incidents + {args.sessions} sessions | {median(rss_bare)} MB | {median(rss)} MB | "
                  f"– | ≤ 150 MB | {'met' if median(rss) <= 150 else 'NOT met'} |")  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
