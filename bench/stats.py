"""Benchmark the `stats` query on this machine (run on demand; prints figures, asserts nothing).

    python bench/stats.py [--incidents 50000] [--rounds 7]

A world of N incidents over a two-day storm (demo districts, types and fleet; each incident
with its first call, one to three units whose stamps stop at a random stage, and its state
changes in the log) is asked for every figure (`stats_query`: records from the domain objects,
every stage, every breakdown, waiting, utilisation, occupancy). Beside it, in the same rounds
(interleaved, so the machine's load falls on both alike), the bare dependency: numpy's
percentile (median and 90th, nearest-rank) over the very stage arrays the query measured.
Before each round 1 % of the incidents change (as a storm goes on between two refreshes of the
supervisor screen), so the query converts those again; the first query, which converts every
incident, is printed apart. A full garbage collection runs before each round, outside the timing:
on a heap of a few million objects one takes a second or so whenever Python decides, in this
process as in the server's, and would land on one side of the comparison by chance. Target: the query within 200 ms for 50,000 incidents.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.advice.statistics import incident_records  # noqa: E402
from server.advice.stats_query import stats_query  # noqa: E402
from server.domain.call import Call, CallState, Outcome  # noqa: E402
from server.domain.incident import ChangeKind, EntryType, Incident, IncidentState, IncidentUnit, LogEntry  # noqa: E402
from server.domain.location import Place  # noqa: E402
from server.domain.reference import Priority, Unit  # noqa: E402
from server.domain.world import World  # noqa: E402
from server.reference import DEMO, load_reference  # noqa: E402

TARGET_S = 0.200
STORM_START = datetime(2026, 9, 1, tzinfo=UTC)
STORM_S = 48 * 3600


def state_entry(incident_id: str, n: int, at: datetime, state: str) -> LogEntry:
    return LogEntry(f"{incident_id}-l{n}", incident_id, at, EntryType.AUTOMATIC,
                    change_data={"change": ChangeKind.STATE.value, "value": state})  # fmt: skip


def storm_world(n: int, seed: int = 1) -> World:
    rng = np.random.default_rng(seed)
    reference = load_reference(DEMO)
    world = World(deployment=reference.deployment)
    units = [Unit(f"u{i}", u.callsign, u.kind, u.station_code) for i, u in enumerate(reference.units)]
    world.units = {u.id: u for u in units}
    districts = [d.code for d in reference.districts]
    types = [t for t in reference.incident_types if t.priority != Priority.N]
    created_s = np.sort(rng.uniform(0, STORM_S, n))
    gaps = rng.exponential([20, 60, 70, 240], size=(n, 4))  # call, alarm, turnout, travel
    reached = rng.choice(5, size=n, p=[0.1, 0.1, 0.1, 0.1, 0.6])  # stages each one got through
    for i in range(n):
        incident_id, call_id = f"i{i}", f"c{i}"
        created = STORM_START + timedelta(seconds=float(created_s[i]))
        call = Call(call_id, CallState.ENDED, None, created - timedelta(seconds=float(gaps[i, 0])),
                    created, outcome=Outcome.INCIDENT_CREATED, incident_id=incident_id)  # fmt: skip
        kind = types[i % len(types)]
        records, log = [], [state_entry(incident_id, 0, created + timedelta(seconds=5), "queued")]
        for k in range(1 + i % 3):
            unit = units[(i * 3 + k) % len(units)]
            at = created + timedelta(seconds=10)
            stamps = {}
            for stage, name in enumerate(("unit_dispatched", "unit_en_route", "unit_on_scene"), start=1):
                if reached[i] < stage:
                    break
                at += timedelta(seconds=float(gaps[i, stage]) * (1 + 0.1 * k))
                stamps[name] = at
            records.append(IncidentUnit(f"{incident_id}-u{k}", unit.id, unit.callsign, created + timedelta(seconds=10),
                                        unit_unassigned_at=at + timedelta(minutes=30), **stamps))  # fmt: skip
        if reached[i] >= 1:
            log.append(state_entry(incident_id, 1, records[0].unit_dispatched, "active"))
        world.calls[call_id] = call
        world.incidents[incident_id] = Incident(
            incident_id, IncidentState.ACTIVE, created, None, kind.code, kind.priority,
            Place(district=districts[i % len(districts)], name="somewhere"),
            call_ids=(call_id,), units=tuple(records), log=tuple(log),
        )  # fmt: skip
    return world


def stage_arrays(world: World) -> list[np.ndarray]:
    """The per-stage durations the query measures, gathered once (outside the timing)."""
    stages: list[list[float]] = [[], [], [], [], []]
    kinds = {u.id: u.kind for u in world.units.values()}
    for r in incident_records(world.incidents.values(), world.calls, kinds):
        if r.call_started is not None:
            stages[0].append(r.created - r.call_started)
        dispatched = [a.dispatched for a in r.assignments if a.dispatched is not None]
        if dispatched:
            stages[1].append(min(dispatched) - r.created)
        on_scene = [a.on_scene for a in r.assignments if a.on_scene is not None]
        if on_scene and r.call_started is not None:
            stages[4].append(min(on_scene) - r.call_started)
        for a in r.assignments:
            if a.dispatched is not None and a.en_route is not None:
                stages[2].append(a.en_route - a.dispatched)
            if a.en_route is not None and a.on_scene is not None:
                stages[3].append(a.on_scene - a.en_route)
    return [np.asarray(s) for s in stages]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    began = time.perf_counter()
    world = storm_world(args.incidents)
    arrays = stage_arrays(world)
    now = STORM_START + timedelta(seconds=STORM_S)
    print(f"world of {args.incidents:,} incidents built in {time.perf_counter() - began:.1f} s; "
          f"stage samples: {', '.join(f'{a.size:,}' for a in arrays)}")  # fmt: skip

    began = time.perf_counter()
    stats_query(world, now)
    cold = time.perf_counter() - began
    changing = list(world.incidents)
    rng = np.random.default_rng(2)

    def storm_goes_on() -> None:
        """Between two refreshes of the supervisor screen, 1 % of the incidents change."""
        for key in rng.choice(changing, size=len(changing) // 100, replace=False):
            world.incidents[key] = replace(world.incidents[key], description="updated")

    def query() -> None:
        stats_query(world, now)

    def bare() -> None:
        for values in arrays:
            np.percentile(values, [50, 90], method="inverted_cdf")

    query(), bare()  # warm up
    ours, theirs = [], []
    for _ in range(args.rounds):
        storm_goes_on()  # outside the timing; the query then converts the changed incidents
        gc.collect()  # a full collection over this big heap lands on whichever round it likes
        for work, times in ((query, ours), (bare, theirs)):
            start = time.perf_counter()
            work()
            times.append(time.perf_counter() - start)
    q, b = statistics.median(ours), statistics.median(theirs)
    print(f"stats_query, first (every incident converted)  {cold * 1000:8.1f} ms")
    print(f"stats_query (every figure, 1 % changed)       median {q * 1000:8.1f} ms over {args.rounds} rounds")
    print(f"bare numpy percentile (5 stages)              median {b * 1000:8.1f} ms")
    print(f"ratio {q / b:.0f}×; target ≤ {TARGET_S * 1000:.0f} ms: {'met' if q <= TARGET_S else 'NOT met'}")


if __name__ == "__main__":
    main()
