"""Benchmark unit recommendations on this machine (run on demand; prints figures, asserts nothing).

    python bench/allocation.py [--repeat 3] [--seeds 5]

1. Time of `recommend_units` for 50, 200 and 1,000 waiting incidents against 500, 2,000 and
   5,000 available units (positions uniform over the demo service area, plans and priorities
   from the demo incident types), including building every cost matrix, against the bare
   dependencies doing the same job: numpy's haversine matrix of each block's shape, plus
   `linear_sum_assignment` on the very matrices the project built (captured, then re-timed
   alone). The solver alone is printed too.
2. A generated hurricane surge: incidents clustered along a landfall track across Saint Lucia,
   served by the demo fleet at its stations (and by a larger synthetic fleet). Total and
   worst-case ETA of the global, tier-by-tier assignment against the greedy policy most CAD
   systems use: incidents in priority order (then age), each slot takes the closest free unit.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from server.advice import allocation  # noqa: E402
from server.advice.allocation import UnitCandidate, WaitingIncident, recommend_units  # noqa: E402
from server.advice.geo import great_circle_m  # noqa: E402
from server.reference import DEMO, load_reference  # noqa: E402

REFERENCE = load_reference(DEMO)
AREA = REFERENCE.deployment.service_area
SPEED = REFERENCE.deployment.speed_kmh
TYPES = [t for t in REFERENCE.incident_types if t.priority != "N" and t.plan]
KINDS, KIND_SHARE = np.unique([u.kind for u in REFERENCE.units], return_counts=True)
TIERS = "ABCD"


def uniform_points(rng: np.random.Generator, n: int) -> np.ndarray:
    return np.column_stack([rng.uniform(AREA.lat_min, AREA.lat_max, n), rng.uniform(AREA.lon_min, AREA.lon_max, n)])


def synthetic_units(rng: np.random.Generator, n: int, points: np.ndarray | None = None) -> list[UnitCandidate]:
    kinds = rng.choice(KINDS, size=n, p=KIND_SHARE / KIND_SHARE.sum())
    points = uniform_points(rng, n) if points is None else points
    return [UnitCandidate(f"u{i}", f"U{i}", str(kinds[i]), True, True, (float(points[i, 0]), float(points[i, 1])), "position")
            for i in range(n)]  # fmt: skip


def incidents_at(rng: np.random.Generator, points: np.ndarray, hurricane: bool = False) -> list[WaitingIncident]:
    pool = [t for t in TYPES if t.code in HURRICANE_MIX] if hurricane else TYPES
    picks = rng.integers(0, len(pool), size=len(points))
    return [WaitingIncident(f"i{n}", pool[k].priority.value, (float(p[0]), float(p[1])), pool[k].plan)
            for n, (k, p) in enumerate(zip(picks, points, strict=True))]  # fmt: skip


# --- 1. timing -------------------------------------------------------------------------------------


def captured_matrices(incidents, units) -> list[np.ndarray]:
    seen: list[np.ndarray] = []
    real = allocation.linear_sum_assignment

    def spy(cost):
        seen.append(np.array(cost))
        return real(cost)

    allocation.linear_sum_assignment = spy
    try:
        recommend_units(incidents, units, SPEED)
    finally:
        allocation.linear_sum_assignment = real
    return seen


def best_of(repeat: int, work) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        work()
        times.append(time.perf_counter() - began)
    return min(times)


def timing(repeat: int) -> None:
    print("1. recommend_units: whole call vs bare matrix build + solver (and the solver alone)")
    print(f"   {'incidents':>9} {'units':>6} {'slots':>6} {'blocks':>6} {'largest':>11} {'total ms':>9} "
          f"{'bare ms':>8} {'ratio':>6} {'LSA ms':>8}")  # fmt: skip
    rng = np.random.default_rng(1)
    for n_incidents in (50, 200, 1000):
        for n_units in (500, 2000, 5000):
            units = synthetic_units(rng, n_units)
            incidents = incidents_at(rng, uniform_points(rng, n_incidents))
            slots = sum(len(i.open_slots()) for i in incidents)
            whole = best_of(repeat, lambda: recommend_units(incidents, units, SPEED))  # noqa: B023
            matrices = captured_matrices(incidents, units)
            solver = best_of(repeat, lambda: [allocation.linear_sum_assignment(m) for m in matrices])  # noqa: B023
            # The same blocks the project solves, built bare: a haversine matrix of each shape.
            points = uniform_points(rng, max(max(m.shape) for m in matrices))
            build = best_of(repeat, lambda p=points, ms=matrices: [great_circle_m(p[: m.shape[0]], p[: m.shape[1]]) / 10.0
                                                                   for m in ms])  # fmt: skip
            bare = build + solver
            largest = max(matrices, key=lambda m: m.size).shape
            print(f"   {n_incidents:>9} {n_units:>6} {slots:>6} {len(matrices):>6} {str(largest):>11} "
                  f"{whole * 1000:>9.1f} {bare * 1000:>8.1f} {whole / bare:>6.1f} {solver * 1000:>8.1f}")  # fmt: skip


# --- 2. hurricane surge: global vs greedy -----------------------------------------------------------

HURRICANE_MIX = ("FLOOD", "FLASHFLD", "SURGE", "WINDDMG", "WIRES", "TREEDOWN", "LANDSLD", "ROADBLK",
                 "TRAPPED", "MEDICAL", "TRAUMA", "EVAC", "SHELTER")  # fmt: skip
# The eye crosses from the south-east coast (near Micoud) to the north-west (off Castries).
TRACK = ((13.80, -60.88), (14.06, -61.04))


def surge_points(rng: np.random.Generator, n: int, spread_deg: float = 0.03) -> np.ndarray:
    along = rng.uniform(0, 1, n)[:, None]
    centre = np.array(TRACK[0]) + along * (np.array(TRACK[1]) - np.array(TRACK[0]))
    points = centre + rng.normal(0, spread_deg, (n, 2))
    points[:, 0] = points[:, 0].clip(AREA.lat_min, AREA.lat_max)
    points[:, 1] = points[:, 1].clip(AREA.lon_min, AREA.lon_max)
    return points.round(6)


def demo_fleet() -> list[UnitCandidate]:
    stations = {s.code: s.location.coordinates for s in REFERENCE.stations}
    return [UnitCandidate(u.callsign, u.callsign, u.kind, u.active, True,
                          (stations[u.station_code].lat, stations[u.station_code].lon), "station")
            for u in REFERENCE.units]  # fmt: skip


def greedy(incidents: list[WaitingIncident], units: list[UnitCandidate]) -> list[float]:
    """Priority order, then age; every slot takes the closest free unit of its kind."""
    free = {u.unit_id: u for u in sorted(units, key=lambda u: u.callsign) if u.active and u.available}
    etas = []
    for incident in sorted(incidents, key=lambda i: TIERS.index(i.priority)):  # stable: age within a tier
        for kind, _, _ in incident.open_slots():
            options = [u for u in free.values() if u.kind == kind]
            if not options:
                continue
            distance = great_circle_m(np.array([u.position for u in options]), np.array([incident.location]))[:, 0]
            best = int(np.argmin(distance))
            etas.append(float(distance[best]) / (SPEED(kind) / 3.6))
            del free[options[best].unit_id]
    return etas


def surge(seeds: int) -> None:
    print("\n2. hurricane surge along a landfall track: global (tier by tier) vs greedy closest unit")
    print(f"   {'scenario':<34} {'served':>7} {'total ETA min':>18} {'worst ETA min':>18} {'mean min':>13}")
    print(f"   {'':<34} {'':>7} {'global':>8} {'greedy':>9} {'global':>8} {'greedy':>9} {'glob':>6} {'greedy':>6}")
    scenarios = [
        ("demo fleet (56 units), 15 incidents", 15, None),
        ("demo fleet (56 units), 40 incidents", 40, None),
        ("500 units, 150 incidents", 150, 500),
        ("2,000 units, 600 incidents", 600, 2000),
    ]
    for label, n_incidents, n_units in scenarios:
        rows = []
        for seed in range(seeds):
            rng = np.random.default_rng(100 + seed)
            units = demo_fleet() if n_units is None else synthetic_units(rng, n_units)
            incidents = incidents_at(rng, surge_points(rng, n_incidents), hurricane=True)
            plan = recommend_units(incidents, units, SPEED)
            ours = [r.eta_s for r in plan.recommendations]
            theirs = greedy(incidents, units)
            assert len(ours) == len(theirs), "both policies fill as many slots per tier and kind"
            rows.append((len(ours), sum(ours), sum(theirs), max(ours), max(theirs)))
        served, g_total, c_total, g_worst, c_worst = (statistics.mean(col) for col in zip(*rows, strict=True))
        print(f"   {label:<34} {served:>7.0f} {g_total / 60:>8.0f} {c_total / 60:>9.0f} {g_worst / 60:>8.1f} "
              f"{c_worst / 60:>9.1f} {g_total / served / 60:>6.1f} {c_total / served / 60:>6.1f}")  # fmt: skip
        print(f"   {'':<34} {'':>7} total {g_total / c_total:.3f}× greedy, worst {g_worst / c_worst:.3f}× greedy "
              f"(mean of {seeds} seeds)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timing runs per size (best is kept)")
    parser.add_argument("--seeds", type=int, default=5, help="surges generated per scenario")
    args = parser.parse_args()
    timing(args.repeat)
    surge(args.seeds)
