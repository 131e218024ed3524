"""Allocation: the masked assignment against brute force, the cost parts, units by priority tier,
the reasons for what stays unserved, and resources that never exceed their free capacity."""

import itertools
import math
import random

import numpy as np
import pytest

from server.advice.allocation import (
    NeedRequest,
    ResourceOffer,
    UnitCandidate,
    WaitingIncident,
    assign,
    recommend_resources,
    recommend_units,
)
from server.advice.geo import great_circle_m

CASTRIES = (14.0104, -60.9887)
SPEEDS = {"engine": 36.0, "ambulance": 72.0, "ladder": 36.0, "police": 36.0}


def speed(kind):
    return SPEEDS[kind]


def north_of(point, metres):
    """A point `metres` due north (one degree of latitude is πR/180 metres)."""
    return (point[0] + metres / (math.pi * 6_371_008.8 / 180), point[1])


def unit(callsign, kind="engine", at=CASTRIES, *, available=True, active=True, source="position"):
    return UnitCandidate(f"id-{callsign}", callsign, kind, active=active, available=available,
                         position=at, source=source if at else None)  # fmt: skip


def incident(name, priority="A", at=CASTRIES, plan=(("engine", 1),), filled=()):
    return WaitingIncident(name, priority, at, plan, filled)


def pairs(plan):
    return sorted((r.incident_id, r.callsign) for r in plan.recommendations)


# --- the assignment itself ------------------------------------------------------------------------


def brute_force(cost):
    """Most feasible pairs, then the cheapest total, by trying every matching."""
    rows, cols = cost.shape
    best = (-1, math.inf)
    small, large = (rows, cols) if rows <= cols else (cols, rows)
    for perm in itertools.permutations(range(large), small):
        chosen = [(i, j) if rows <= cols else (j, i) for i, j in enumerate(perm)]
        values = [cost[r, c] for r, c in chosen if np.isfinite(cost[r, c])]
        candidate = (len(values), sum(values))
        if candidate[0] > best[0] or (candidate[0] == best[0] and candidate[1] < best[1]):
            best = candidate
    return best


@pytest.mark.parametrize("seed", range(40))
def test_assignment_matches_brute_force_and_never_returns_an_infeasible_pair(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 7, size=2))
    cost = rng.uniform(0, 1000, size=shape)
    cost[rng.random(shape) < 0.4] = np.inf
    rows, cols = assign(cost)
    assert np.isfinite(cost[rows, cols]).all()
    assert len(set(rows.tolist())) == len(rows) and len(set(cols.tolist())) == len(cols)
    count, total = brute_force(cost)
    assert len(rows) == count
    assert cost[rows, cols].sum() == pytest.approx(total, abs=1e-6)


def test_a_rectangular_matrix_with_one_feasible_pair_returns_only_that_pair():
    cost = np.array([[np.inf, np.inf, 5.0], [np.inf, np.inf, np.inf]])
    rows, cols = assign(cost)
    assert (rows.tolist(), cols.tolist()) == ([0], [2])


def test_nothing_feasible_and_empty_matrices_give_no_pairs():
    for cost in (np.full((3, 2), np.inf), np.empty((0, 4)), np.empty((2, 0))):
        rows, cols = assign(cost)
        assert rows.size == 0 and cols.size == 0


def test_exact_ties_go_to_the_row_then_the_column_listed_first():
    rows, cols = assign(np.full((4, 2), 7.0))
    assert sorted(rows.tolist()) == [0, 1]
    rows, cols = assign(np.full((1, 3), 7.0))
    assert cols.tolist() == [0]


@pytest.mark.parametrize("bad", [[[1.0, np.nan]], [[-1.0]], [1.0, 2.0]])
def test_bad_cost_matrices_are_refused_with_a_reason(bad):
    with pytest.raises(ValueError, match="cost"):
        assign(np.array(bad))


# --- cost components -------------------------------------------------------------------------------


def test_great_circle_distance_is_haversine_for_every_pair():
    one_degree = great_circle_m(np.array([[0.0, 0.0]]), np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
    assert one_degree.shape == (1, 3)
    assert one_degree[0, 0] == pytest.approx(111_195, abs=1) and one_degree[0, 1] == pytest.approx(111_195, abs=1)
    assert one_degree[0, 2] == 0
    rng = random.Random(7)
    a = [(rng.uniform(13.7, 14.12), rng.uniform(-61.1, -60.86)) for _ in range(5)]
    b = [(rng.uniform(13.7, 14.12), rng.uniform(-61.1, -60.86)) for _ in range(4)]
    matrix = great_circle_m(np.array(a), np.array(b))
    for i, (lat1, lon1) in enumerate(a):
        for j, (lat2, lon2) in enumerate(b):
            p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
            h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
            assert matrix[i, j] == pytest.approx(2 * 6_371_008.8 * math.asin(math.sqrt(h)), rel=1e-9)


def test_eta_is_distance_over_the_kinds_speed_and_says_where_the_unit_was_placed():
    plan = recommend_units(
        [incident("fire", plan=(("engine", 1), ("ambulance", 1)))],
        [unit("E1", at=north_of(CASTRIES, 10_000)), unit("M1", "ambulance", at=north_of(CASTRIES, 10_000), source="station")],
        speed,
    )
    by_unit = {r.callsign: r for r in plan.recommendations}
    assert by_unit["E1"].distance_m == pytest.approx(10_000, abs=0.5)
    assert by_unit["E1"].eta_s == pytest.approx(1000, abs=0.1)  # 10 km at 36 km/h
    assert by_unit["M1"].eta_s == pytest.approx(500, abs=0.1)  # twice as fast
    assert (by_unit["E1"].source, by_unit["M1"].source) == ("position", "station")
    assert (by_unit["E1"].kind, by_unit["E1"].slot, by_unit["E1"].of) == ("engine", 1, 1)


# --- units: optimality, tiers, edge cases ---------------------------------------------------------


def random_scene(seed, tiers="A"):
    rng = random.Random(seed)
    kinds = ["engine", "ambulance"]
    units = [unit(f"U{n}", rng.choice(kinds), (rng.uniform(13.7, 14.1), rng.uniform(-61.08, -60.88)))
             for n in range(rng.randint(1, 5))]  # fmt: skip
    incidents = [
        incident(f"I{n}", rng.choice(tiers), (rng.uniform(13.7, 14.1), rng.uniform(-61.08, -60.88)),
                 plan=tuple((k, rng.randint(1, 2)) for k in rng.sample(kinds, rng.randint(1, 2))))
        for n in range(rng.randint(1, 3))
    ]  # fmt: skip
    return units, incidents


@pytest.mark.parametrize("seed", range(25))
def test_one_tier_is_assigned_as_well_as_brute_force(seed):
    units, incidents = random_scene(seed)
    slots = [(i, kind) for i in incidents for kind, _, _ in i.open_slots()]
    cost = np.full((len(units), len(slots)), np.inf)
    for r, u in enumerate(units):
        for c, (i, kind) in enumerate(slots):
            if u.kind == kind:
                cost[r, c] = great_circle_m(np.array([u.position]), np.array([i.location]))[0, 0] / (speed(kind) / 3.6)
    plan = recommend_units(incidents, units, speed)
    count, total = brute_force(cost)
    assert len(plan.recommendations) == count
    assert sum(r.eta_s for r in plan.recommendations) == pytest.approx(total, abs=1e-6)
    assert len({r.callsign for r in plan.recommendations}) == count  # no unit twice
    assert sum(u.missing for u in plan.unserved) == len(slots) - count


def test_priority_a_wins_a_contested_unit_over_a_nearer_b():
    plan = recommend_units(
        [incident("near-B", "B", north_of(CASTRIES, 1_000)), incident("far-A", "A", north_of(CASTRIES, 9_000))],
        [unit("E1")],
        speed,
    )
    assert pairs(plan) == [("far-A", "E1")]
    assert [(u.incident_id, u.cause) for u in plan.unserved] == [("near-B", "taken")]


def test_a_tier_gets_its_best_units_even_when_every_incident_can_be_served():
    # One sum over both incidents would send E2 (5 km) to A so that B gets E1: 14 km in all
    # instead of 16. Tier by tier, A gets the unit 1 km away.
    plan = recommend_units(
        [incident("B", "B", north_of(CASTRIES, 10_000)), incident("A", "A", CASTRIES)],
        [unit("E1", at=north_of(CASTRIES, 1_000)), unit("E2", at=north_of(CASTRIES, -5_000))],
        speed,
    )
    assert pairs(plan) == [("A", "E1"), ("B", "E2")]
    assert [r.incident_id for r in plan.recommendations] == ["A", "B"]  # listed by tier


def test_all_priorities_equal_is_one_global_assignment():
    # Greedy in list order would give I1 its nearest unit E1 and leave I2 with the far E2.
    plan = recommend_units(
        [incident("I1", "C", north_of(CASTRIES, 1_000)), incident("I2", "C", north_of(CASTRIES, 2_000))],
        [unit("E1", at=north_of(CASTRIES, 1_900)), unit("E2", at=CASTRIES)],
        speed,
    )
    assert pairs(plan) == [("I1", "E2"), ("I2", "E1")]


def test_more_incidents_than_units_serves_the_older_on_a_tie():
    plan = recommend_units([incident("older"), incident("newer")], [unit("E1")], speed)
    assert pairs(plan) == [("older", "E1")]
    assert plan.unserved[0].incident_id == "newer"
    assert plan.unserved[0].reason == "the only available engine unit is recommended for incidents of higher or equal priority"


def test_more_units_than_slots_and_ties_go_to_callsign_order_whatever_the_input_order():
    units = [unit(c) for c in ("E9", "E2", "E5")]
    for ordering in itertools.permutations(units):
        plan = recommend_units([incident("I", plan=(("engine", 2),))], ordering, speed)
        assert pairs(plan) == [("I", "E2"), ("I", "E5")]
        assert plan.unserved == ()


def test_plan_slots_already_filled_are_not_offered_again():
    waiting = incident("I", plan=(("engine", 2), ("ladder", 1)), filled=(("engine", 1), ("ladder", 1)))
    plan = recommend_units([waiting], [unit("E1"), unit("L1", "ladder")], speed)
    assert [(r.callsign, r.slot, r.of) for r in plan.recommendations] == [("E1", 2, 2)]


def test_nothing_feasible_reports_every_slot_with_its_cause():
    plan = recommend_units(
        [incident("I", plan=(("engine", 2), ("ambulance", 1), ("ladder", 1), ("police", 1)))],
        [
            unit("E1", available=False),
            unit("M1", "ambulance", at=None),
            unit("L1", "ladder", active=False),
        ],
        speed,
    )
    assert plan.recommendations == ()
    causes = {u.kind: (u.cause, u.missing) for u in plan.unserved}
    assert causes == {
        "engine": ("all_busy", 2),
        "ambulance": ("no_position", 1),
        "ladder": ("no_unit_of_kind", 1),
        "police": ("no_unit_of_kind", 1),
    }
    reasons = {u.kind: u.reason for u in plan.unserved}
    assert reasons["engine"] == "the only active engine unit is busy or unavailable"
    assert reasons["ladder"] == "no active ladder unit in the deployment"
    assert "M1" in reasons["ambulance"]
    assert [(e.callsign, "no reported position" in e.reason) for e in plan.excluded_units] == [("M1", True)]


def test_an_incident_without_coordinates_is_unserved_and_takes_no_unit():
    plan = recommend_units([incident("nowhere", at=None, plan=(("engine", 2),)), incident("here", "D")],
                           [unit("E1")], speed)  # fmt: skip
    assert pairs(plan) == [("here", "E1")]
    assert [(u.incident_id, u.cause, u.missing) for u in plan.unserved] == [("nowhere", "no_location", 2)]


def test_inactive_and_unavailable_units_are_never_recommended():
    far = north_of(CASTRIES, 30_000)
    plan = recommend_units(
        [incident("I", plan=(("engine", 1),))],
        [unit("E1", active=False), unit("E2", available=False), unit("E3", at=far)],
        speed,
    )
    assert pairs(plan) == [("I", "E3")]


# --- resources ------------------------------------------------------------------------------------


def need(name, quantity, priority="C", at=CASTRIES, kind="SHELTER"):
    return NeedRequest(f"need-{name}", name, priority, kind, quantity, at)


def offer(name, free, at=CASTRIES, kind="SHELTER", usable=True):
    return ResourceOffer(f"res-{name}", name, kind, at, free, usable)


def test_a_need_goes_whole_to_the_nearest_resource_with_room():
    plan = recommend_resources(
        [need("family", 6)],
        [offer("near-but-small", 5), offer("far", 50, north_of(CASTRIES, 8_000)), offer("farther", 50, north_of(CASTRIES, 9_000))],
    )
    [rec] = plan.recommendations
    assert (rec.name, rec.quantity, rec.of, rec.free_before) == ("far", 6, 1, 50)
    assert rec.distance_m == pytest.approx(8_000, abs=1)


def test_a_need_no_resource_can_hold_is_split_nearest_first_and_the_rest_reported():
    plan = recommend_resources(
        [need("village", 100)],
        [offer("A", 30, north_of(CASTRIES, 1_000)), offer("B", 40, north_of(CASTRIES, 2_000)), offer("full", 0)],
    )
    assert [(r.name, r.quantity, r.part, r.of) for r in plan.recommendations] == [("A", 30, 1, 2), ("B", 40, 2, 2)]
    [short] = plan.unserved
    assert (short.cause, short.missing) == ("partial", 30) and "70 of 100" in short.reason


def test_higher_priority_needs_take_the_room_first():
    plan = recommend_resources([need("low", 10, "D"), need("high", 10, "A", north_of(CASTRIES, 5_000))], [offer("S", 10)])
    assert [(r.incident_id, r.quantity) for r in plan.recommendations] == [("high", 10)]
    assert [(u.incident_id, u.cause) for u in plan.unserved] == [("low", "taken")]


def test_types_and_service_are_respected_and_explained():
    plan = recommend_resources(
        [need("thirsty", 100, kind="WATER"), need("hungry", 5, kind="SUPPLIES"), need("medic", 1, kind="MEDICAL"),
         need("nowhere", 3, at=None)],
        [offer("shelter", 500), offer("closed tank", 1000, kind="WATER", usable=False), offer("store", 0, kind="SUPPLIES")],
    )  # fmt: skip
    assert plan.recommendations == ()
    causes = {u.incident_id: u.cause for u in plan.unserved}
    assert causes == {"thirsty": "all_unavailable", "hungry": "all_full", "medic": "no_resource_of_type",
                      "nowhere": "no_location"}  # fmt: skip


@pytest.mark.parametrize("seed", range(30))
def test_capacity_is_never_exceeded(seed):
    rng = random.Random(seed)
    spot = lambda: (rng.uniform(13.7, 14.1), rng.uniform(-61.08, -60.88))  # noqa: E731
    offers = [offer(f"R{n}", rng.randint(0, 60), spot(), rng.choice(["SHELTER", "WATER"]), rng.random() > 0.1)
              for n in range(rng.randint(1, 6))]  # fmt: skip
    needs = [need(f"N{n}", rng.randint(1, 80), rng.choice("ABCD"), spot(), rng.choice(["SHELTER", "WATER"]))
             for n in range(rng.randint(1, 8))]  # fmt: skip
    plan = recommend_resources(needs, offers)
    given: dict[str, int] = {}
    for rec in plan.recommendations:
        given[rec.resource_id] = given.get(rec.resource_id, 0) + rec.quantity
        source = next(o for o in offers if o.resource_id == rec.resource_id)
        assert source.usable and source.resource_type == next(n for n in needs if n.need_id == rec.need_id).resource_type
    assert all(given[o.resource_id] <= o.free for o in offers if o.resource_id in given)
    for n in needs:
        placed = sum(r.quantity for r in plan.recommendations if r.need_id == n.need_id)
        missing = sum(u.missing for u in plan.unserved if u.need_id == n.need_id)
        assert placed + missing == n.quantity
