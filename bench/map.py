"""Benchmark the live map: a repaint with 2,000 units moving (run on demand; asserts nothing).

    python bench/map.py [--units 2000] [--incidents 200] [--rounds 40] [--size 160x50]

Every round moves every unit to a new position (as a burst of `unit.status_changed` events
would) and measures, interleaved in the same run:

- bare:   the floor: the same 2,000 points projected with the same four coefficients into a
          braille byte buffer and turned into row strings (no outlines, labels, styles, widget);
- canvas: the map widget's own frame: outlines copied from the cached layer, every incident and
          unit placed with its glyph and label, the styled lines built (MapCanvas.render_line);
- screen: the whole repaint: the map screen told of the change (as the app's flush tells it) to
          the next frame Textual's compositor draws, rendered to the terminal's byte string.

The app runs headless with the demo deployment's real outlines and service area; units sit
where a storm would put them, spread over the island. Medians over the rounds; the target is
≤ 50 ms a frame (issue 15).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hurrinet_tui.app import HurriNetApp  # noqa: E402
from hurrinet_tui.link import LinkState, LinkStatus, ServerLink  # noqa: E402
from hurrinet_tui.replica import Update  # noqa: E402
from hurrinet_tui.screens.map import MapScreen  # noqa: E402
from server.app import wire  # noqa: E402
from server.reference import DEMO, load_reference  # noqa: E402

TARGET_MS = 50.0
KINDS = ("engine", "ambulance", "police", "rescue", "public_works", "high_water")
STATES = ("available_radio", "available_station", "dispatched", "en_route", "on_scene", "unavailable")
START = "2026-09-01T06:00:00.000Z"


class StillLink(ServerLink):
    """A link that never connects: the replica holds the bench's state, changed by hand."""

    def __init__(self, snapshot: dict) -> None:
        super().__init__("ws://127.0.0.1:9/ws", "unused")
        self.replica.load_snapshot(snapshot)
        self.status = LinkStatus(LinkState.CONNECTED, user="bench", role="dispatcher")

    def start(self):
        return None


def point(rng: random.Random, area: dict) -> dict:
    return {"lat": round(rng.uniform(area["lat_min"], area["lat_max"]), 6),
            "lon": round(rng.uniform(area["lon_min"] + 0.05, area["lon_max"] - 0.03), 6)}  # fmt: skip


def snapshot(units: int, incidents: int, rng: random.Random) -> dict:
    deployment = wire.deployment(load_reference(DEMO).deployment)
    area = deployment["service_area"]
    stations = [{"id": f"S{n}", "code": f"ST{n}", "name": f"Station {n}", "district": "CAS", "active": True,
                 "location": {"kind": "place", "district": "CAS", "name": f"Station {n}",
                              "coordinates": point(rng, area)}} for n in range(40)]  # fmt: skip
    unit_list = [{"id": f"U{n:05d}", "callsign": f"{KINDS[n % 6][0].upper()}{n}", "kind": KINDS[n % 6],
                  "station_id": f"S{n % 40}", "active": True,
                  "status": {"state": rng.choice(STATES), "state_changed_at": START,
                             "coordinates": point(rng, area)}} for n in range(units)]  # fmt: skip
    incident_list = [{"id": f"I{n:07d}", "state": "queued", "incident_created": START, "incident_type": "FLOOD",
                      "incident_priority": rng.choice("ABCDN"), "call_ids": [], "units": [], "log": [], "needs": [],
                      "location": {"kind": "place", "district": "CAS", "name": f"Road {n}",
                                   "coordinates": point(rng, area)}} for n in range(incidents)]  # fmt: skip
    return {"seq": 0, "deployment": deployment, "districts": [], "stations": stations, "incident_types": [],
            "units": unit_list, "incidents": incident_list, "calls": [], "resources": [], "gazetteer": []}  # fmt: skip


def move_all(replica, rng: random.Random) -> set[str]:
    """Every unit a little further on, as its next position report would have it."""
    for unit in replica.units.values():
        old = unit["status"]["coordinates"]
        unit["status"] = {**unit["status"], "coordinates": {"lat": round(old["lat"] + rng.uniform(-0.002, 0.002), 6),
                                                            "lon": round(old["lon"] + rng.uniform(-0.002, 0.002), 6)}}  # fmt: skip
    return set(replica.units)


def bare_frame(units, ax: float, bx: float, ay: float, by: float, cols: int, rows: int) -> list[str]:
    """The floor: points into braille bytes, bytes into row strings."""
    bits = ((0x01, 0x02, 0x04, 0x40), (0x08, 0x10, 0x20, 0x80))
    width, height = cols * 2, rows * 4
    cells = bytearray(cols * rows)
    for unit in units:
        c = unit["status"]["coordinates"]
        x, y = int(ax * c["lon"] + bx), int(ay * c["lat"] + by)
        if 0 <= x < width and 0 <= y < height:
            cells[(y >> 2) * cols + (x >> 1)] |= bits[x & 1][y & 3]
    return ["".join(chr(0x2800 + b) for b in cells[r * cols : (r + 1) * cols]) for r in range(rows)]


def frames(app: HurriNetApp) -> list[float]:
    """The time of every frame, rendered to the terminal's bytes as a terminal would get it."""
    shown: list[float] = []
    original = app._display

    def display(screen, renderable) -> None:
        original(screen, renderable)
        if renderable is not None and hasattr(renderable, "render_segments"):
            renderable.render_segments(app.console)
            shown.append(time.perf_counter())

    app._display = display
    return shown


async def next_frame(shown: list[float], after: float, timeout: float = 10.0) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        later = [t for t in shown if t > after]
        if later:
            return later[0]
        await asyncio.sleep(0.0005)
    raise TimeoutError("no frame")


async def run(units: int, incidents: int, rounds: int, size: tuple[int, int]) -> None:
    rng = random.Random(15)
    link = StillLink(snapshot(units, incidents, rng))
    app = HurriNetApp(link, start_link=False, idle_lock_s=None)
    shown = frames(app)
    bare, canvas_ms, screen_ms = [], [], []
    async with app.run_test(size=size) as pilot:
        first = next(iter(link.replica.incidents))
        screen = MapScreen(app.state, first)
        await app.push_screen(screen)
        await pilot.pause()
        canvas = screen.canvas
        replica = link.replica
        for n in range(rounds + 3):  # the first three warm caches and are not counted
            view = canvas.view()
            height = canvas.size.height
            # Interleaved: each round measures all three on the same positions.
            t0 = time.perf_counter()
            bare_frame(replica.units.values(), view.ax, view.bx, view.ay, view.by, view.cols, view.rows)
            t1 = time.perf_counter()
            canvas.redraw()
            for y in range(height):
                canvas.render_line(y)
            t2 = time.perf_counter()
            moved = move_all(replica, rng)
            t3 = time.perf_counter()
            screen.apply(Update(units=moved))
            drawn = await next_frame(shown, t3)
            if n >= 3:
                bare.append((t1 - t0) * 1000)
                canvas_ms.append((t2 - t1) * 1000)
                screen_ms.append((drawn - t3) * 1000)
            await asyncio.sleep(0.02)  # let Textual settle between rounds
        counts = canvas.counts
    base = statistics.median(bare)
    print(f"map repaint, {units:,} units moving + {incidents} incidents, {size[0]}×{size[1]}, {rounds} rounds "
          f"(drawn {counts.shown}, hidden {counts.hidden}, off the map {counts.off_canvas}):")  # fmt: skip
    for name, values in (("bare braille of the points", bare), ("map canvas frame", canvas_ms),
                         ("whole screen repaint", screen_ms)):  # fmt: skip
        median = statistics.median(values)
        verdict = "" if values is bare else (
            f"  ×{median / base:.1f} the bare  target ≤ {TARGET_MS:g} ms: {'met' if median <= TARGET_MS else 'NOT met'}")
        print(f"  {name:<28} median {median:6.2f} ms  max {max(values):6.2f} ms{verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=2_000)
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--size", default="160x50", help="terminal COLSxROWS")
    args = parser.parse_args()
    cols, rows = (int(v) for v in args.size.split("x"))
    asyncio.run(run(args.units, args.incidents, args.rounds, (cols, rows)))


if __name__ == "__main__":
    main()
