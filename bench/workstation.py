"""Benchmark the workstation on this machine (run on demand; prints figures, asserts nothing).

    python bench/workstation.py [--incidents 10000] [--units 2000] [--changes 200]
                                [--burst-incidents 2000] [--burst 1000]

1. Connect to first paint: from the moment the workstation's websocket reaches the server to
   the first frame that shows the board (issue 11's target), with a snapshot of N incidents and
   M units arriving in parts over a real websocket on 127.0.0.1; and beside it the whole start,
   from creating the app, which adds Textual's start and the screens' first layout.
2. One board row change to screen: an event changing a visible incident, from the server's
   send to the frame that shows it (p50, p99).
3. A burst of 1,000 events with 2,000 incidents loaded: from the first send to the frame
   after the last event is applied.
4. Keystroke to frame (↓/↑ on the board) with 2,000 incidents loaded, while a burst of 1,000
   events arrives (fed over two seconds), beside the same app idle in the same run: p50, p95
   and their ratio (target p95 ≤ 100 ms).

The server is a stand-in speaking the protocol (hello → welcome snapshot → events) so the figures
are the workstation's alone: link, JSON, replica, board and roster, Textual's compositor. The
app runs headless at 160×50; every frame is still rendered to the terminal's byte string (only
the write is skipped), so the cost of output is counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.events import Key  # noqa: E402
from websockets.asyncio.server import serve  # noqa: E402

from hurrinet_tui.app import HurriNetApp  # noqa: E402
from hurrinet_tui.link import ServerLink  # noqa: E402
from hurrinet_tui.widgets.incident_board import IncidentBoard  # noqa: E402

START = datetime(2026, 9, 1, 6, 0, tzinfo=UTC)
KINDS = ("engine", "ambulance", "police", "rescue", "public_works", "high_water")
TYPES = ("FLOOD", "WIRES", "TREEDOWN", "STRFIRE", "MEDICAL", "TRAPPED", "LANDSLD", "ROADBLK")
STATES = ("new", "queued", "active", "active", "monitored", "ended")


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def place(rng: random.Random, n: int) -> dict:
    return {"kind": "place", "district": rng.choice(["CAS", "GI", "VF", "SOU"]), "name": f"Shelter road {n}",
            "coordinates": {"lat": 13.9 + rng.random() / 5, "lon": -61.0 + rng.random() / 10}}  # fmt: skip


def incident(rng: random.Random, n: int, units: list[dict]) -> dict:
    created = START + timedelta(seconds=n * 3)
    assigned = rng.sample(units, 2)
    return {
        "id": f"I{n:07d}xxxxxxxxxxxxx", "state": rng.choice(STATES), "incident_created": iso(created),
        "incident_type": rng.choice(TYPES), "incident_priority": rng.choice("ABCDN"), "location": place(rng, n),
        "description": "Water rising around the houses, elderly couple asking for help", "desk": "fire",
        "call_ids": [], "needs": [],
        "units": [{"id": f"R{n}{u['callsign']}", "unit_id": u["id"], "callsign": u["callsign"],
                   "unit_assigned_at": iso(created), "unit_dispatched": iso(created)} for u in assigned],
    }  # fmt: skip


def log_entries(item: dict) -> list[dict]:
    return [{"id": f"L{item['id']}-{k}", "incident_id": item["id"], "log_timestamp": item["incident_created"],
             "dispatcher": "maria", "dispatcher_name": "Maria", "entry_type": "automatic",
             "change_data": {"change": "state", "value": "queued"}} for k in range(3)]  # fmt: skip


def snapshot(incidents: int, units: int, seed: int = 1) -> dict:
    rng = random.Random(seed)
    stations = [{"id": f"S{n}", "code": f"ST{n}", "name": f"Station {n}", "district": "CAS",
                 "location": place(rng, n), "active": True} for n in range(40)]  # fmt: skip
    unit_list = [{
        "id": f"U{n:05d}", "callsign": f"{KINDS[n % 6][0].upper()}{n}", "kind": KINDS[n % 6],
        "station_id": f"S{n % 40}", "active": True,
        "status": {"state": rng.choice(["available_radio", "en_route", "on_scene", "unavailable"]),
                   "state_changed_at": iso(START), "staffing": {"officers": 1, "subofficers": 1, "crew": 2}},
    } for n in range(units)]  # fmt: skip
    items = [incident(rng, n, unit_list) for n in range(incidents)]
    return {
        "seq": 0, "deployment": {"name": "Bench", "timezone": "America/St_Lucia"}, "districts": [],
        "stations": stations, "incident_types": [], "units": unit_list, "gazetteer": [], "calls": [], "resources": [],
        "incidents": items, "log_entries": [e for i in items if i["state"] != "ended" for e in log_entries(i)],
    }  # fmt: skip


def parts(data: dict, budget: int = 32 * 1024) -> list[dict]:
    """The snapshot cut as the server cuts it (protocol 2): reference data and units first, then
    open incidents with their log entries, ended incidents last."""
    reference = {k: data[k] for k in ("deployment", "districts", "stations", "incident_types", "gazetteer")}
    logs: dict[str, list] = {}
    for entry in data["log_entries"]:
        logs.setdefault(entry["incident_id"], []).append(entry)
    order = [("units", u) for u in data["units"]]
    open_first = sorted(data["incidents"], key=lambda i: i["state"] == "ended")
    for item in open_first:
        order.append(("incidents", item))
        order += [("log_entries", e) for e in logs.get(item["id"], ())]
    out, current, size = [], {**reference}, 0
    for kind, entity in order:
        length = len(json.dumps(entity))
        if size + length > budget and size:
            out.append(current)
            current, size = {}, 0
        current.setdefault(kind, []).append(entity)
        size += length
    out.append(current)
    return out


class StandIn:
    """Answers hello with the snapshot, then sends whatever events the bench puts in its queue."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.seq = data["seq"]
        self.queue: asyncio.Queue[str] = asyncio.Queue()
        self.connected_at = 0.0  # when the workstation's websocket reached it
        # Encoded before the clock starts: the server's cost of a snapshot is bench/server.py's.
        cut = parts(data)
        self.welcome = json.dumps({"type": "welcome", "user": "bench", "role": "dispatcher",
                                   "seq": self.seq, "mode": "snapshot", "parts": len(cut)})  # fmt: skip
        self.parts = [json.dumps({"type": "snapshot", "seq": self.seq, "part": n, "parts": len(cut), "data": body})
                      for n, body in enumerate(cut)]  # fmt: skip

    async def handler(self, connection) -> None:
        self.connected_at = time.perf_counter()
        await connection.recv()
        await connection.send(self.welcome)
        for n, part in enumerate(self.parts):  # two in flight, the next on each acknowledgement
            await connection.send(part)
            if n >= 1:
                await connection.recv()
        sender = asyncio.create_task(self._send(connection))
        try:
            await connection.wait_closed()
        finally:
            sender.cancel()

    async def _send(self, connection) -> None:
        while True:
            await connection.send(await self.queue.get())

    def event(self, entity: dict) -> float:
        """Queue a change of one incident (its id and the fields that changed); return the moment
        it was handed over for sending."""
        self.seq += 1
        frame = {"type": "event", "seq": self.seq, "name": "incident.updated", "at": iso(START),
                 "caused_by": None, "data": {"incident": entity}}  # fmt: skip
        self.queue.put_nowait(json.dumps(frame))
        return time.perf_counter()


def frames(app: HurriNetApp) -> list[float]:
    """Record the time of every frame, rendering it to the terminal's bytes as a terminal would."""
    shown: list[float] = []
    original = app._display

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(app.console)
            shown.append(time.perf_counter())

    app._display = display
    return shown


async def first_frame_after(shown: list[float], moment: float, condition=lambda: True, timeout: float = 30) -> float:
    """The first frame drawn after `moment` and after `condition` held (polled every millisecond)."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("condition never held")
        await asyncio.sleep(0.001)
    moment = max(moment, time.perf_counter() - 0.001)  # the condition held from the last poll on
    while time.perf_counter() < deadline:
        later = [t for t in shown if t > moment]
        if later:
            return later[0]
        await asyncio.sleep(0.001)
    raise TimeoutError("no frame")


async def run_app(data: dict, body) -> None:
    stand_in = StandIn(data)
    async with serve(stand_in.handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
        port = server.sockets[0].getsockname()[1]
        began = time.perf_counter()
        app = HurriNetApp(ServerLink(f"ws://127.0.0.1:{port}/ws", "bench", compression=False))
        shown = frames(app)
        async with app.run_test(size=(160, 50)) as pilot:
            board = app.main_screen.query_one(IncidentBoard)
            loaded = lambda: len(board.keys) > 0  # noqa: E731
            while not loaded():
                await asyncio.sleep(0.001)
            rows_at = time.perf_counter()
            painted = await first_frame_after(shown, rows_at)
            replica = app.state.link.replica
            while not replica.complete:  # the rest of the snapshot's parts, before measuring changes
                await asyncio.sleep(0.01)
            await pilot.pause(0.2)
            await body(app, pilot, stand_in, shown, began, painted)


async def first_paint(incidents: int, units: int) -> None:
    data = snapshot(incidents, units)
    size = len(json.dumps(data)) / 1e6

    async def body(app, pilot, stand_in, shown, began, painted):
        print(f"1. connect to first paint, {incidents:,} incidents + {units:,} units ({size:.1f} MB snapshot): "
              f"{(painted - stand_in.connected_at) * 1000:.0f} ms (target ≤ 1,000 ms); from creating the app "
              f"{(painted - began) * 1000:.0f} ms")  # fmt: skip

    await run_app(data, body)


async def row_changes(incidents: int, units: int, changes: int) -> None:
    data = snapshot(incidents, units)

    async def body(app, pilot, stand_in, shown, began, painted):
        board = app.main_screen.query_one(IncidentBoard)
        replica = app.state.link.replica
        delays = []
        for n in range(changes):
            row = replica.incidents[board.keys[n % 20]]  # a row on screen
            entity = {"id": row["id"], "location": {**row["location"], "name": f"Moved {n}"}}
            sent = stand_in.event(entity)
            seq = stand_in.seq
            shown_at = await first_frame_after(shown, sent, lambda s=seq: replica.seq == s)  # noqa: B023
            delays.append((shown_at - sent) * 1000)
            await asyncio.sleep(0.03)
        delays.sort()
        p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
        print(f"2. one board row change to screen ({incidents:,} incidents loaded, {changes} changes): "
              f"p50 {statistics.median(delays):.1f} ms, p99 {p99:.1f} ms, max {delays[-1]:.1f} ms (target p50 ≤ 25 ms)")  # fmt: skip

    await run_app(data, body)


async def burst(incidents: int, units: int, events: int) -> None:
    data = snapshot(incidents, units)

    async def body(app, pilot, stand_in, shown, began, painted):
        replica = app.state.link.replica
        rng = random.Random(2)
        ids = list(replica.incidents)
        first = None
        for _ in range(events):
            entity = {"id": rng.choice(ids), "state": rng.choice(STATES[:-1])}  # moves rows around the board
            sent = stand_in.event(entity)
            first = first or sent
        final = stand_in.seq
        done = await first_frame_after(shown, first, lambda: replica.seq == final, timeout=120)
        took = done - first
        print(f"3. burst of {events:,} events with {incidents:,} incidents loaded: {took * 1000:.0f} ms to the "
              f"frame after the last ({events / took:,.0f} events/s)")  # fmt: skip

    await run_app(data, body)


async def keystrokes(incidents: int, units: int, events: int, presses: int = 40) -> None:
    data = snapshot(incidents, units)

    async def body(app, pilot, stand_in, shown, began, painted):
        replica = app.state.link.replica
        board = app.main_screen.query_one(IncidentBoard)
        board.focus()
        await pilot.pause(0.1)
        ids = list(replica.incidents)
        rng = random.Random(3)

        async def press_times() -> list[float]:
            times = []
            for n in range(presses):
                before = board.cursor
                sent = time.perf_counter()
                app.post_message(Key("down" if n % 2 == 0 else "up", None))  # as the terminal delivers it
                moved = lambda before=before: board.cursor != before  # noqa: E731
                times.append((await first_frame_after(shown, sent, moved)) - sent)
                await asyncio.sleep(0.05)
            return times

        async def feed() -> None:  # the burst, arriving over two seconds as a storm's would
            for _ in range(20):
                for _ in range(events // 20):
                    stand_in.event({"id": rng.choice(ids), "state": rng.choice(STATES[:-1])})
                await asyncio.sleep(0.1)

        def p(values: list[float], q: float) -> float:
            ordered = sorted(values)
            return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000

        idle, busy = [], []
        for _ in range(2):  # interleaved rounds: idle, then under the burst
            idle += await press_times()
            feeding = asyncio.create_task(feed())
            busy += await press_times()
            await feeding
        print(f"4. keystroke to frame with {incidents:,} incidents: idle p50 {p(idle, 0.5):.1f} ms p95 {p(idle, 0.95):.1f} ms; "
              f"during a {events:,}-event burst p50 {p(busy, 0.5):.1f} ms p95 {p(busy, 0.95):.1f} ms "
              f"(p95 ×{p(busy, 0.95) / p(idle, 0.95):.1f}; target p95 ≤ 100 ms: {'met' if p(busy, 0.95) <= 100 else 'NOT met'})")  # fmt: skip

    await run_app(data, body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--burst-incidents", type=int, default=2_000)
    parser.add_argument("--burst", type=int, default=1_000)
    args = parser.parse_args()
    asyncio.run(first_paint(args.incidents, args.units))
    asyncio.run(row_changes(args.incidents, args.units, args.changes))
    asyncio.run(burst(args.burst_incidents, args.units, args.burst))
    asyncio.run(keystrokes(args.burst_incidents, args.units, args.burst))


if __name__ == "__main__":
    main()
