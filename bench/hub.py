"""Benchmark the hub on this machine (run on demand; prints figures, asserts nothing).

    python bench/hub.py [--sessions 50] [--commands 400] [--listeners 100] [--events 2000]

1. Command round trip (send → result) with N sessions connected and receiving every event.
2. Events per second delivered to M sessions: one client issues commands as fast as results
   come back; every listener must receive every event.
Both run against a real server process on 127.0.0.1 with a fresh SQLite file (WAL,
synchronous=FULL); the clients run in this process, so the two share the machine's 2 cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import re
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import connect  # noqa: E402

from server.__main__ import main as server_cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


@contextlib.asynccontextmanager
async def server_process(directory: Path, compression: bool):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        server_cli(["user", "add", "bench", "--role", "dispatcher", "--data-dir", str(directory)])
    token = out.getvalue().strip().splitlines()[-1]
    flags = [] if compression else ["--no-compression"]
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir", str(directory), *flags,
        cwd=ROOT, stderr=asyncio.subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    while not (match := re.search(r"listening on [\d.]+:(\d+)", (await process.stderr.readline()).decode())):
        pass
    logs = asyncio.create_task(process.stderr.read())  # keep the pipe drained
    try:
        yield int(match.group(1)), token
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        logs.cancel()


async def client(port: int, token: str, compression: str | None):
    ws = await connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"},
                       compression=compression, max_size=None)  # fmt: skip
    await ws.send(json.dumps({"type": "hello", "protocol": 1, "last_seq": None}))
    assert json.loads(await ws.recv())["type"] == "welcome"
    return ws


async def drain(ws, until_seq: int, counter: list[int]) -> None:
    while True:
        frame = json.loads(await ws.recv())
        if frame.get("type") == "event":
            counter[0] += 1
            if frame["seq"] >= until_seq:
                return


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def main(args: argparse.Namespace) -> None:
    compression = "deflate" if args.compression else None
    with tempfile.TemporaryDirectory() as directory:
        async with server_process(Path(directory), args.compression) as (port, token):
            # 1. round trip with N sessions
            sessions = [await client(port, token, compression) for _ in range(args.sessions)]
            issuer, listeners = sessions[0], sessions[1:]
            start_seq = 0
            counters = [[0] for _ in listeners]
            tasks = [asyncio.create_task(drain(ws, start_seq + args.commands, c)) for ws, c in zip(listeners, counters, strict=True)]
            times = []
            for n in range(args.commands):
                frame = {"type": "command", "command_id": f"rt-{n}", "name": "incident.create",
                         "args": {"description": f"bench {n}"}}  # fmt: skip
                began = time.perf_counter()
                await issuer.send(json.dumps(frame))
                while json.loads(await issuer.recv()).get("type") != "result":
                    pass
                times.append((time.perf_counter() - began) * 1000)
            await asyncio.gather(*tasks)
            print(f"round trip, {args.sessions} sessions, {args.commands} incident.create: "
                  f"p50 {statistics.median(times):.2f} ms, p99 {percentile(times, 99):.2f} ms, max {max(times):.2f} ms")
            for ws in sessions:
                await ws.close()

            # 2. fan-out to M listeners
            listeners = [await client(port, token, compression) for _ in range(args.listeners)]
            issuer = await client(port, token, compression)
            start_seq = args.commands
            counters = [[0] for _ in listeners]
            began = time.perf_counter()
            tasks = [asyncio.create_task(drain(ws, start_seq + args.events, c)) for ws, c in zip(listeners, counters, strict=True)]
            window = 32  # commands in flight
            sent = received = 0
            while received < args.events:
                while sent < args.events and sent - received < window:
                    frame = {"type": "command", "command_id": f"fan-{sent}", "name": "incident.create",
                             "args": {"description": "fan-out"}}  # fmt: skip
                    await issuer.send(json.dumps(frame))
                    sent += 1
                if json.loads(await issuer.recv()).get("type") == "result":
                    received += 1
            await asyncio.gather(*tasks)
            elapsed = time.perf_counter() - began
            delivered = sum(c[0] for c in counters)
            print(f"fan-out, {args.listeners} listeners, {args.events} events: {delivered} deliveries in "
                  f"{elapsed:.2f} s = {args.events / elapsed:.0f} events/s committed, "
                  f"{delivered / elapsed:.0f} deliveries/s; compression {'on' if args.compression else 'off'}")
            for ws in [*listeners, issuer]:
                await ws.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--commands", type=int, default=400)
    parser.add_argument("--listeners", type=int, default=100)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--compression", action="store_true", help="negotiate permessage-deflate")
    asyncio.run(main(parser.parse_args()))
