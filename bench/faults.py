"""Fault harness: a real `python -m server serve` on 127.0.0.1, attacked four ways.

    python bench/faults.py --short                 # the preset the test suite runs (< 1 min)
    python bench/faults.py                         # the long run: the sizes below
    python bench/faults.py --disconnects 1000 --kills 100 --fuzz 10000 --storm 200 --clients 20

1. disconnects: clients issue commands and drop their TCP connection abruptly (often right after
   sending, so the answer is in doubt), reconnect with `last_seq` and resend every unanswered
   command under its original id.
2. kills: the same clients while the server is killed with SIGKILL during writes and restarted.
3. fuzz: random, malformed and hostile frames (nesting, lone surrogates, huge names and ids,
   wrong types, oversize) on dispatcher and observer sessions; every frame must be answered (or
   the session closed with a documented code) and the domain tables must not change.
4. storm: N clients through a server restart: all must resync and keep a gap-free seq.

After each it prints what it tried and what was lost, duplicated or inconsistent: every client
saw seq 1..N exactly once, every acknowledged command is applied exactly once (one contiguous
batch of events caused by its id; one incident or log entry carrying its id), every command got
an answer, every applied command has an audit row, no unit is on two open incidents, and
`PRAGMA integrity_check` is ok. Exit status 0 only if all held.

It speaks the documented protocol only (docs/protocol.md), with nothing from the workstation's
link: hello {protocol, last_seq} → welcome (mode replay or snapshot; a snapshot's parts may follow
in later frames, which it skips: it counts events by seq only), command → result, event {seq}.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import hashlib
import itertools
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from websockets.asyncio.client import ClientConnection, connect  # noqa: E402
from websockets.exceptions import ConnectionClosed, InvalidHandshake  # noqa: E402

from server import protocol  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PRESETS = {
    "short": {"clients": 6, "disconnects": 40, "kills": 2, "fuzz": 400, "storm": 30},
    "long": {"clients": 20, "disconnects": 1000, "kills": 100, "fuzz": 10_000, "storm": 200},
}
PLACE = {"kind": "place", "district": "CAS", "name": "Derek Walcott Square",
         "coordinates": {"lat": 14.0104, "lon": -60.9887}}  # fmt: skip
DOMAIN_TABLES = ("incident", "incident_unit", "incident_log_entry", "call", "unit_status", "unit_status_history",
                 "resource", "resource_need", "resource_allocation", "event")  # fmt: skip
# A session closed for these reasons was closed on purpose, as documented (docs/protocol.md).
DOCUMENTED_CLOSES = {protocol.CLOSE_INVALID_FRAMES: "too many invalid frames", 1009: "frame over 1 MiB",
                     4001: "too slow", 1001: "server shutting down"}  # fmt: skip


def _dumps(frame: Any) -> str:
    return json.dumps(frame, separators=(",", ":"))


# --- the server process ---------------------------------------------------------------------------


class Server:
    """`python -m server serve` on a fixed loopback port, so clients find it after a restart."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "serve.log"
        self.starts = 0

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def database(self) -> Path:
        return self.data_dir / "hurrinet.db"

    async def start(self) -> float:
        """Start it and wait until /healthz answers; returns the seconds that took."""
        began = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--data-dir", str(self.data_dir), "--no-compression"],
                cwd=ROOT, stdout=log, stderr=log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )  # fmt: skip
        self.starts += 1
        while not await _healthy(self.port):
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log}")
            if time.monotonic() - began > 60:
                raise RuntimeError(f"the server did not answer /healthz within 60 s; see {self.log}")
            await asyncio.sleep(0.05)
        return time.monotonic() - began

    def kill(self) -> None:
        """SIGKILL: no shutdown, no checkpoint, whatever was being written."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
            self.process = None

    async def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.process.wait, 30)
            except subprocess.TimeoutExpired:
                self.kill()
            self.process = None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _healthy(port: int) -> bool:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 1)
    except (OSError, TimeoutError):
        return False
    try:
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        return (await asyncio.wait_for(reader.read(64), 2)).startswith(b"HTTP/1.1 200")
    except (OSError, TimeoutError):
        return False
    finally:
        writer.close()


def make_accounts(directory: Path) -> dict[str, str]:
    """The harness's accounts in a new data dir, made with the real CLI; returns their tokens."""
    tokens = {}
    for role in ("dispatcher", "observer"):
        done = subprocess.run([sys.executable, "-m", "server", "user", "add", f"faults-{role}", "--role", role,
                               "--data-dir", str(directory)], cwd=ROOT, capture_output=True, text=True, check=True)  # fmt: skip
        tokens[role] = done.stdout.strip().splitlines()[-1]
    return tokens


# --- a protocol client that keeps what it needs to resume and resend -----------------------------


class Client:
    def __init__(self, name: str, url: str, token: str, last_seq: int = 0) -> None:
        self.name, self.url, self.token = name, url, token
        self.first_seq = last_seq + 1  # it must see every event from here on, once
        self.last_seq = last_seq
        self.seen: collections.Counter[int] = collections.Counter()
        self.out_of_order = 0
        self.snapshots = 0
        self.sent: dict[str, str] = {}  # command_id → frame, every command ever sent
        self.pending: dict[str, str] = {}  # command_id → frame, until answered
        self.answers: dict[str, dict[str, Any]] = {}
        self.resent = 0
        self.closes: collections.Counter[int | None] = collections.Counter()
        self.ws: ClientConnection | None = None
        self.reader: asyncio.Task[None] | None = None
        self._answered: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._progress = asyncio.Event()

    @property
    def connected(self) -> bool:
        return self.reader is not None and not self.reader.done()

    async def connect(self, deadline_s: float = 300.0) -> float:
        """Connect (retrying with full-jitter backoff while the server is away), hello with
        last_seq, then resend every unanswered command under its id. Returns the seconds taken."""
        loop = asyncio.get_running_loop()
        began, backoff = loop.time(), 0.05
        while True:
            try:
                ws = await connect(self.url, additional_headers={"Authorization": f"Bearer {self.token}"},
                                   compression=None, open_timeout=10, max_size=None, ping_interval=None)  # fmt: skip
                await ws.send(_dumps({"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": self.last_seq}))
                welcome = json.loads(await asyncio.wait_for(ws.recv(), 30))
                break
            except (OSError, InvalidHandshake, ConnectionClosed, TimeoutError):
                if loop.time() - began > deadline_s:
                    raise
                await asyncio.sleep(random.uniform(0, backoff))
                backoff = min(backoff * 2, 1.0)
        assert welcome.get("type") == "welcome", welcome
        if welcome.get("mode") != "replay":  # a snapshot (its parts, if any, are skipped by seq)
            self.snapshots += 1
            self.last_seq = welcome["seq"]
        self.ws = ws
        self.reader = asyncio.create_task(self._read(ws))
        for text in list(self.pending.values()):
            self.resent += 1
            with contextlib.suppress(ConnectionClosed):
                await ws.send(text)
        return loop.time() - began

    async def _read(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "event":
                    self._event(frame["seq"])
                elif kind == "result":
                    self._result(frame)
        except ConnectionClosed:
            pass
        finally:
            self.closes[ws.close_code] += 1
            self._progress.set()

    def _event(self, seq: int) -> None:
        if seq != self.last_seq + 1:
            self.out_of_order += 1
        self.seen[seq] += 1
        self.last_seq = max(self.last_seq, seq)
        self._progress.set()

    def _result(self, frame: dict[str, Any]) -> None:
        command_id = frame.get("command_id")
        if command_id in self.pending:
            del self.pending[command_id]
            self.answers[command_id] = frame
            future = self._answered.pop(command_id, None)
            if future is not None and not future.done():
                future.set_result(frame)

    def abort(self) -> None:
        """Drop the TCP connection abruptly: no close frame, whatever was in flight."""
        if self.ws is not None:
            self.ws.transport.abort()

    def new_id(self) -> str:
        return f"{self.name}-{next(self._ids)}"

    async def send(self, name: str, args: dict[str, Any], command_id: str | None = None) -> str:
        command_id = command_id or self.new_id()
        text = _dumps({"type": "command", "command_id": command_id, "name": name, "args": args})
        self.sent[command_id] = text
        return await self.resend(command_id)

    async def resend(self, command_id: str) -> str:
        """(Re)send a command under its id; its answer is awaited with `answer`."""
        text = self.sent[command_id]
        self.pending[command_id] = text
        self._answered[command_id] = asyncio.get_running_loop().create_future()
        if self.ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self.ws.send(text)
        return command_id

    async def answer(self, command_id: str, timeout: float = 60.0) -> dict[str, Any] | None:
        """Wait for the answer, reconnecting (and so resending) whenever the link drops."""
        if command_id in self.answers:
            return self.answers[command_id]
        future = self._answered[command_id]
        deadline = asyncio.get_running_loop().time() + timeout
        while not future.done():
            if not self.connected:
                await self.connect()
                continue
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return None
            await asyncio.wait({future, self.reader}, timeout=left, return_when=asyncio.FIRST_COMPLETED)
        return future.result()

    async def catch_up(self, seq: int, timeout: float = 60.0) -> bool:
        deadline = asyncio.get_running_loop().time() + timeout
        while self.last_seq < seq:
            if not self.connected:
                await self.connect()
                continue
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                return False
            self._progress.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._progress.wait(), left)
        return True

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


# --- checks on the database ---------------------------------------------------------------------


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)


def final_seq(path: Path) -> int:
    with contextlib.closing(_read_only(path)) as db:
        return db.execute("SELECT coalesce(max(seq), 0) FROM event").fetchone()[0]


def fingerprint(path: Path) -> str:
    digest = hashlib.sha256()
    with contextlib.closing(_read_only(path)) as db:
        for table in DOMAIN_TABLES:
            for row in db.execute(f"SELECT * FROM {table} ORDER BY rowid"):  # noqa: S608 (our constants)
                digest.update(repr(row).encode())
    return digest.hexdigest()


@dataclass
class Verdict:
    """What one scenario found; `problems` empty means it held."""

    name: str
    tried: dict[str, Any]
    found: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def check(self, what: str, value: Any, expected: Any = 0) -> None:
        self.found[what] = value
        if value != expected:
            self.problems.append(f"{what}: {value} (expected {expected})")

    def print(self) -> None:
        tried = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in self.tried.items())
        found = ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in self.found.items())
        print(f"{self.name}: tried {tried}", flush=True)
        print(f"  found {found}", flush=True)
        print(f"  {'OK' if not self.problems else 'FAILED: ' + '; '.join(self.problems)}", flush=True)


def check_database(verdict: Verdict, path: Path, clients: list[Client]) -> None:
    """Every acknowledged command once, every applied one audited, units, integrity."""
    sent = {cid for c in clients for cid in c.sent}
    acknowledged = {cid: frame for c in clients for cid, frame in c.answers.items()}
    with contextlib.closing(_read_only(path)) as db:
        verdict.check("integrity_check", db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        batches: dict[str, list[int]] = collections.defaultdict(list)
        for seq, caused_by in db.execute("SELECT seq, caused_by FROM event WHERE caused_by IS NOT NULL"):
            if caused_by in sent:
                batches[caused_by].append(seq)
        carried = collections.Counter(
            text for (text,) in db.execute("SELECT description FROM incident UNION ALL "
                                           "SELECT description FROM incident_log_entry")  # fmt: skip
            if text in sent
        )
        audited = {cid for (cid,) in db.execute("SELECT command_id FROM audit WHERE kind = 'command' AND result = 'ok'")}
        doubled = db.execute(
            "SELECT iu.unit_id FROM incident_unit iu JOIN incident i ON i.id = iu.incident_id "
            "WHERE iu.unit_unassigned_at IS NULL AND i.incident_ended IS NULL "
            "GROUP BY iu.unit_id HAVING count(DISTINCT iu.incident_id) > 1"
        ).fetchall()
    ok = {cid for cid, frame in acknowledged.items() if frame.get("ok")}
    lost = sum(1 for cid in ok if cid not in batches)
    # Applied twice: two separate batches of events for one id, or two rows carrying it.
    duplicated = sum(1 for seqs in batches.values() if max(seqs) - min(seqs) + 1 != len(seqs))
    duplicated += sum(1 for n in carried.values() if n > 1)
    refused_yet_applied = sum(1 for cid, frame in acknowledged.items() if not frame.get("ok") and cid in batches)
    verdict.check("lost", lost)
    verdict.check("duplicated", duplicated)
    verdict.check("refused yet applied", refused_yet_applied)
    verdict.check("unanswered", sum(len(c.pending) for c in clients))
    verdict.check("unaudited", sum(1 for cid in batches if cid not in audited))
    verdict.check("units on two open incidents", len(doubled))


def check_sequences(verdict: Verdict, clients: list[Client], top: int) -> None:
    """Each client saw every seq from its first hello to `top` exactly once (a client that had to
    take a snapshot is counted apart: it cannot have seen what the snapshot replaced)."""
    replayed = [c for c in clients if not c.snapshots]
    missing = sum(1 for c in replayed for s in range(c.first_seq, top + 1) if c.seen[s] == 0)
    twice = sum(n - 1 for c in clients for n in c.seen.values() if n > 1)
    verdict.found["seq"] = f"{min(c.first_seq for c in clients):,}..{top:,}"
    verdict.check("clients with every seq once", sum(1 for c in replayed if not missing and c.last_seq == top),
                  len(replayed))  # fmt: skip
    verdict.check("events missed", missing)
    verdict.check("events seen twice", twice)
    verdict.check("events out of order", sum(c.out_of_order for c in clients))
    verdict.found["snapshot resyncs"] = sum(c.snapshots for c in clients)


# --- the workload -------------------------------------------------------------------------------


class Workload:
    """What a dispatcher client does: incidents, notes, and assigning/unassigning a small shared
    pool of units (so clients contend for them), every command with its id in the data."""

    UNITS = ("E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8", "E9", "E11", "E12", "L1")

    def __init__(self, client: Client, rng: random.Random) -> None:
        self.client, self.rng = client, rng
        self.incidents: list[str] = []

    def step(self, command_id: str) -> tuple[str, dict[str, Any]]:
        """The next command; its id goes into the data (an incident's description, a note's text)
        so the database itself tells whether it was applied once."""
        roll = self.rng.random()
        if not self.incidents or roll < 0.35:
            return "incident.create", {"incident_type": "STRFIRE", "location": PLACE, "description": command_id}
        incident = self.rng.choice(self.incidents)
        if roll < 0.65:
            return "incident.note", {"incident_id": incident, "text": command_id}
        unit = self.rng.choice(self.UNITS)
        if roll < 0.85:
            return "unit.assign", {"incident_id": incident, "units": [unit]}
        return "unit.unassign", {"unit": unit}

    async def run_one(self, disconnect_p: float = 0.0) -> bool:
        """Issue one command and wait for its answer, maybe dropping the link meanwhile (before,
        while or after the server runs it). Returns whether it dropped the link."""
        client = self.client
        command_id = client.new_id()
        name, args = self.step(command_id)
        await client.send(name, args, command_id)
        dropped = bool(disconnect_p) and self.rng.random() < disconnect_p
        if dropped:
            await asyncio.sleep(self.rng.choice((0, 0, 0.001, 0.005, 0.02)))
            client.abort()
        result = await client.answer(command_id)
        if result is not None and result.get("ok") and name == "incident.create":
            self.incidents.append(result["value"]["incident_id"])
        return dropped


# --- the four scenarios -------------------------------------------------------------------------


@dataclass
class Options:
    clients: int
    disconnects: int
    kills: int
    fuzz: int
    storm: int
    seed: int = 12
    keep: bool = False  # keep the data directories (for a post-mortem)


async def _units_on_duty(client: Client) -> None:
    for unit in Workload.UNITS:
        await client.answer(await client.send("unit.set_state", {"unit": unit, "state": "available_radio"}))


async def _all_connected(clients: list[Client], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not all(c.connected for c in clients) and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def _settle(verdict: Verdict, server: Server, clients: list[Client]) -> None:
    """Every client catches up to the last seq; a sample of answers is asked again (a resend
    must get the same answer); then the database is checked (read-only, beside the server)."""
    top = final_seq(server.database)
    caught = await asyncio.gather(*(c.catch_up(top) for c in clients))
    verdict.check("clients not caught up", caught.count(False))
    changed = asked = 0
    for client in clients:
        sample = random.Random(client.name).sample(sorted(client.answers), min(10, len(client.answers)))
        for command_id in sample:
            first = client.answers.pop(command_id)
            again = await client.answer(await client.resend(command_id))
            asked += 1
            changed += again is None or _gist(again) != _gist(first)
    verdict.tried["answers asked again"] = asked
    verdict.check("answers changed on resend", changed)
    await asyncio.gather(*(c.close() for c in clients))
    check_sequences(verdict, clients, top)
    check_database(verdict, server.database, clients)


def _gist(result: dict[str, Any]) -> Any:
    return (result.get("ok"), result.get("value") if result.get("ok") else result.get("error", {}).get("code"))


async def run_disconnects(server: Server, tokens: dict[str, str], options: Options) -> Verdict:
    start = final_seq(server.database)
    clients = [Client(f"d{n}", server.url, tokens["dispatcher"], start) for n in range(options.clients)]
    await asyncio.gather(*(c.connect() for c in clients))
    await _units_on_duty(clients[0])
    left, issued = [options.disconnects], [0]

    async def work(client: Client, seed: int) -> None:
        workload = Workload(client, random.Random(seed))
        while left[0] > 0:
            issued[0] += 1
            if await workload.run_one(disconnect_p=0.25):
                left[0] -= 1

    began = time.monotonic()
    await asyncio.gather(*(work(c, options.seed * 1000 + n) for n, c in enumerate(clients)))
    verdict = Verdict("disconnects", {"clients": options.clients, "abrupt disconnects": options.disconnects,
                                      "commands": issued[0], "resends": sum(c.resent for c in clients),
                                      "seconds": round(time.monotonic() - began, 1)})  # fmt: skip
    await _settle(verdict, server, clients)
    return verdict


async def run_kills(server: Server, tokens: dict[str, str], options: Options) -> Verdict:
    start = final_seq(server.database)
    clients = [Client(f"k{n}", server.url, tokens["dispatcher"], start) for n in range(options.clients)]
    await asyncio.gather(*(c.connect() for c in clients))
    await _units_on_duty(clients[0])
    stop, issued = asyncio.Event(), [0]

    async def work(client: Client, seed: int) -> None:
        workload = Workload(client, random.Random(seed))
        while not stop.is_set():
            issued[0] += 1
            await workload.run_one()

    rng = random.Random(options.seed)
    began = time.monotonic()
    workers = [asyncio.create_task(work(c, options.seed * 1000 + n)) for n, c in enumerate(clients)]
    restarts = []
    for _ in range(options.kills):
        await _all_connected(clients)  # so the kill lands while every client is writing
        await asyncio.sleep(rng.uniform(0.3, 1.2))
        server.kill()
        restarts.append(await server.start())
    await asyncio.sleep(0.5)
    stop.set()
    await asyncio.gather(*workers)
    verdict = Verdict("kills", {"clients": options.clients, "kill -9 during writes": options.kills,
                                "commands": issued[0], "resends": sum(c.resent for c in clients),
                                "restart median s": round(statistics.median(restarts), 2) if restarts else 0,
                                "seconds": round(time.monotonic() - began, 1)})  # fmt: skip
    await _settle(verdict, server, clients)
    return verdict


async def run_storm(server: Server, tokens: dict[str, str], options: Options) -> Verdict:
    start = final_seq(server.database)
    writer = Client("w", server.url, tokens["dispatcher"], start)
    await writer.connect()
    listeners = [Client(f"s{n}", server.url, tokens["observer"], start) for n in range(options.storm)]
    gate = asyncio.Semaphore(50)

    async def join(client: Client) -> None:
        async with gate:
            await client.connect()

    await asyncio.gather(*(join(c) for c in listeners))
    workload = Workload(writer, random.Random(options.seed))
    for _ in range(20):
        await workload.run_one()
    everyone = [writer, *listeners]
    await asyncio.gather(*(c.catch_up(final_seq(server.database)) for c in everyone))
    await server.stop()  # every session is closed (1001); each client starts retrying at once
    done_at: dict[str, float] = {}

    async def back(client: Client) -> None:
        await client.connect()
        done_at[client.name] = time.monotonic()

    returning = [asyncio.create_task(back(c)) for c in everyone]
    await server.start()
    ready = time.monotonic()
    await asyncio.gather(*returning)
    for _ in range(20):
        await workload.run_one()
    waits = sorted(max(0.0, t - ready) for t in done_at.values())
    verdict = Verdict("storm", {"clients through a restart": len(everyone), "commands": 40})
    verdict.check("resynced", len(done_at), len(everyone))
    verdict.found["resync p50 s"] = round(statistics.median(waits), 2)
    verdict.found["resync p95 s"] = round(waits[int(0.95 * (len(waits) - 1))], 2)
    await _settle(verdict, server, everyone)
    return verdict


def fuzz_frame(rng: random.Random, n: int) -> tuple[str | bytes, bool]:
    """One hostile frame, and whether it may be a legal query (for an observer only)."""
    names = list(protocol.COMMANDS)
    escape = rng.choice((r"\ud800", r"\udfff", r"\ud83d", r"\udc00x", r"ok\ud800ok"))
    command_id = f'"fz-{n}"'
    kind = rng.randrange(13)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 200)), False
    if kind == 1:
        return "".join(rng.choice("{}[]\":,ab01\\ \n") for _ in range(rng.randrange(1, 200))), False
    if kind == 2:
        text = _dumps({"type": "command", "command_id": f"fz-{n}", "name": rng.choice(names), "args": {"x": 1}})
        return text[: rng.randrange(1, len(text))], False
    if kind == 3:
        depth = rng.choice((protocol.MAX_FRAME_DEPTH + 1, 100, 1_000, 1_025, 3_000, 30_000))
        opener, closer = rng.choice((("[", "]"), ('{"a":', "}"), ('[{"a":', "}]")))
        depth = min(depth, 60_000 // len(opener))
        where = rng.randrange(2)
        inner = opener * depth + "1" + closer * depth
        if where:
            return f'{{"type":"command","command_id":{command_id},"name":"incident.create","args":{{"description":{inner}}}}}', False
        return inner, False
    if kind == 4:
        field_ = rng.randrange(5)
        parts = {"command_id": command_id, "name": '"incident.create"', "args": '{"description":"x"}'}
        if field_ == 0:
            parts["command_id"] = f'"fz-{n}{escape}"'
        elif field_ == 1:
            parts["name"] = f'"incident.{escape}"'
        elif field_ == 2:
            parts["args"] = f'{{"description":"fire {escape}"}}'
        elif field_ == 3:
            parts["args"] = f'{{"{escape}":1}}'
        else:
            parts["args"] = f'{{"location":{{"kind":"place","district":"CAS","name":"{escape}"}}}}'
        return '{{"type":"command","command_id":{command_id},"name":{name},"args":{args}}}'.format(**parts), False
    if kind == 5:
        if rng.randrange(3) == 0:  # giant or countless field names: a refusal names unexpected fields
            args = {"k" * rng.randrange(100, 60_000): 1} if rng.randrange(2) else {f"f{i}": 0 for i in range(3_000)}
            return _dumps({"type": "command", "command_id": f"fz-{n}", "name": rng.choice(names), "args": args}), False
        if rng.randrange(2):
            name = rng.choice("xyz.") * rng.randrange(100, 60_000)
            return _dumps({"type": "command", "command_id": f"fz-{n}", "name": name, "args": {}}), False
        long_id = "i" * rng.randrange(protocol.MAX_COMMAND_ID_CHARS + 1, 60_000)
        return _dumps({"type": "command", "command_id": long_id, "name": "incident.create", "args": {}}), False
    if kind == 6:
        odd = (None, 1, -1, 2.5, True, "", [], {}, "command ", "COMMAND", ["command"])
        # `fuzz_extra`: with an odd but usable id, a query that takes no arguments (`stats`,
        # `recommend.units`) would otherwise be answered, rightly; no command takes it.
        frame: dict[str, Any] = {"type": "command", "command_id": f"fz-{n}", "name": rng.choice(names),
                                 "args": {"fuzz_extra": 1}}
        key = rng.choice(("type", "command_id", "name", "args"))
        frame[key] = rng.choice(odd if key != "args" else (None, 1, "x", [], [1, 2], True))
        if rng.randrange(3) == 0:
            del frame[rng.choice(("type", "command_id", "name"))]
        return _dumps(frame), False
    if kind == 7:
        return rng.choice(("1", "[]", '"command"', "null", "true", "{}", "[{}]", '{"type":null}', "   ")), False
    if kind == 8:
        values = (None, -1, 10**6, "", "x" * 5_000, [], {}, [None], {"lat": "a"}, True, "E1", "nope")
        args = {f: rng.choice(values) for f in rng.sample(("incident_id", "unit", "units", "state", "text", "call_id",
                                                                 "location", "description", "quantity"), 3)}  # fmt: skip
        args["fuzz_extra"] = rng.choice(values)  # no command takes it: never applicable
        return _dumps({"type": "command", "command_id": f"fz-{n}", "name": rng.choice(names), "args": args}), False
    if kind == 9:
        size = 1_100_000 if rng.randrange(50) == 0 else rng.randrange(protocol.MAX_FRAME_BYTES + 1, 200_000)
        return _dumps({"type": "command", "command_id": f"fz-{n}", "name": "incident.create",
                       "args": {"description": "x" * size}}), False  # fmt: skip
    if kind == 10:
        number = rng.choice(("NaN", "Infinity", "-Infinity", "1e999", "9" * 5_000, "-0", "1.5e-400"))
        return f'{{"type":"command","command_id":{command_id},"name":"unit.set_staffing","args":{{"unit":"E1","officers":{number},"subofficers":0,"crew":0,"fuzz_extra":1}}}}', False
    if kind == 11:
        version = rng.choice((0, -1, "1", None, 99, 1.5, [1]))
        return _dumps({"type": "hello", "protocol": version, "last_seq": rng.choice((None, -5, "x", 10**12))}), False
    # a real command with arbitrary arguments: refused (or, for an observer's query, answered)
    values = (None, 0, "E1", "x", [], {}, {"kind": "place"})
    name = rng.choice(names)
    args = {f: rng.choice(values) for f in rng.sample(("incident_id", "unit", "units", "state", "text", "query"), 2)}
    return _dumps({"type": "command", "command_id": f"fz-{n}", "name": name, "args": args}), True


async def run_fuzz(server: Server, tokens: dict[str, str], options: Options) -> Verdict:
    before = fingerprint(server.database)
    rng = random.Random(options.seed)
    frames = [fuzz_frame(rng, n) for n in range(options.fuzz)]
    queue = collections.deque(enumerate(frames))
    outcome: collections.Counter[str] = collections.Counter()
    closes: collections.Counter[int | None] = collections.Counter()
    traffic = {"sent": 0, "received": 0, "largest answer": 0}

    async def open_(role: str) -> ClientConnection:
        return await connect(server.url, additional_headers={"Authorization": f"Bearer {tokens[role]}"},
                             compression=None, open_timeout=10, max_size=None, ping_interval=None)  # fmt: skip

    async def fuzzer(role: str) -> None:
        ws = await open_(role)
        while queue:
            n, (frame, legal) = queue.popleft()
            if legal and role != "observer":
                frame = frame.replace('"args":{', '"args":{"fuzz_extra":1,', 1)  # type: ignore[union-attr]
            try:
                await ws.send(frame)
            except ConnectionClosed:  # closed after answering the frame before (the limit)
                closes[ws.close_code] += 1
                if ws.close_code not in DOCUMENTED_CLOSES:
                    outcome["session broken"] += 1
                ws = await open_(role)
                await ws.send(frame)
            traffic["sent"] += len(frame)
            try:
                raw = await asyncio.wait_for(ws.recv(), 15)
            except ConnectionClosed:
                code = ws.close_code
                closes[code] += 1
                outcome["closed as documented" if code in DOCUMENTED_CLOSES else "session broken"] += 1
                ws = await open_(role)
                continue
            except TimeoutError:
                outcome["unanswered"] += 1
                await ws.close()
                ws = await open_(role)
                continue
            traffic["received"] += len(raw)
            traffic["largest answer"] = max(traffic["largest answer"], len(raw))
            answer = json.loads(raw)
            if answer.get("type") == "welcome":
                outcome["welcome"] += 1
            elif answer.get("type") == "result" and answer.get("ok"):
                outcome["ok (an observer's query)" if role == "observer" else "accepted"] += 1
            elif answer.get("type") == "result":
                outcome[answer["error"]["code"]] += 1
            else:
                outcome[f"other: {answer.get('type')}"] += 1
        await ws.close()

    began = time.monotonic()
    await asyncio.gather(*(fuzzer(role) for role in ("dispatcher", "dispatcher", "observer", "observer")))
    verdict = Verdict("fuzz", {"frames": options.fuzz, "bytes sent": traffic["sent"],
                               "seconds": round(time.monotonic() - began, 1)})  # fmt: skip
    verdict.found.update(sorted(outcome.items()))
    verdict.found["closes"] = dict(closes)
    verdict.found["bytes answered"] = traffic["received"]
    verdict.found["largest answer"] = traffic["largest answer"]
    verdict.check("unanswered frames", outcome["unanswered"])
    verdict.check("sessions broken (undocumented close)", outcome["session broken"])
    verdict.check("accepted (should be refused)", outcome["accepted"])
    # Hostile values run to 5,000–60,000 characters: an answer over 2 KiB would be echoing one.
    verdict.check("answers over 2 KiB", int(traffic["largest answer"] > 2048))
    verdict.check("domain tables changed", int(fingerprint(server.database) != before))
    probe = Client("probe", server.url, tokens["observer"], final_seq(server.database))
    await probe.connect(deadline_s=10)  # the server still serves
    await probe.close()
    with contextlib.closing(_read_only(server.database)) as db:
        verdict.check("integrity_check", db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
        verdict.found["audit rows"] = db.execute("SELECT count(*) FROM audit").fetchone()[0]
    verdict.found["database bytes"] = sum(f.stat().st_size for f in server.data_dir.glob("hurrinet.db*"))
    return verdict


# --- running it ---------------------------------------------------------------------------------

SCENARIOS = (("disconnects", run_disconnects), ("kills", run_kills), ("fuzz", run_fuzz), ("storm", run_storm))


async def run(options: Options, only: tuple[str, ...] = ()) -> list[Verdict]:
    root = Path(tempfile.mkdtemp(prefix="hurrinet-faults-"))
    print(f"fault harness: protocol {protocol.PROTOCOL_VERSION}, `python -m server serve` on 127.0.0.1, "
          f"data in {root}, seed {options.seed}", flush=True)  # fmt: skip
    verdicts = []
    # One server process for all four (each scenario's clients start at the seq it finds), so
    # the run pays for few starts: on a busy machine a start takes seconds.
    server = Server(root)
    try:
        tokens = await asyncio.to_thread(make_accounts, root)
        await server.start()
        for name, scenario in SCENARIOS:
            if getattr(options, name) and (not only or name in only):
                verdict = await scenario(server, tokens, options)
                verdict.print()
                verdicts.append(verdict)
        await server.stop()
        with contextlib.closing(_read_only(server.database)) as db:  # after a clean stop, too
            if db.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                verdicts.append(Verdict("final", {}, problems=["integrity_check after the last stop"]))
        if not options.keep and all(not v.problems for v in verdicts):  # else kept for a post-mortem
            shutil.rmtree(root, ignore_errors=True)
    finally:
        server.kill()
    failed = [v.name for v in verdicts if v.problems]
    print(f"fault harness: {'all held' if not failed else 'FAILED: ' + ', '.join(failed)}", flush=True)
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the small preset the test suite runs")
    long = PRESETS["long"]
    for name in ("clients", "disconnects", "kills", "fuzz", "storm"):
        parser.add_argument(f"--{name}", type=int, help=f"default {long[name]:,} ({PRESETS['short'][name]} with --short)")
    parser.add_argument("--only", nargs="*", default=(), choices=[n for n, _ in SCENARIOS])
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--keep", action="store_true", help="keep the data directories")
    args = parser.parse_args(argv)
    sizes = dict(PRESETS["short" if args.short else "long"])
    sizes.update({k: getattr(args, k) for k in sizes if getattr(args, k) is not None})
    verdicts = asyncio.run(run(Options(**sizes, seed=args.seed, keep=args.keep), tuple(args.only)))
    return 0 if all(not v.problems for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
