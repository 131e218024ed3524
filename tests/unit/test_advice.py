"""How the workstation words, checks and groups the server's advice (hurrinet_tui/advice.py)."""

from __future__ import annotations

import numpy as np
import pytest

from hurrinet_tui.advice import (
    InputError,
    assignments,
    default_quantity,
    describe_changes,
    distance_label,
    eta_label,
    great_circle_m,
    parse_need,
    stale_resource,
    stale_unit,
    suggested_changes,
)
from hurrinet_tui.replica import Replica
from server.advice.allocation import great_circle_m as server_great_circle_m

SQUARE = {"lat": 14.0104, "lon": -60.9887}


def unit(unit_id: str, callsign: str, kind: str, state: str) -> dict:
    return {"id": unit_id, "callsign": callsign, "kind": kind, "station_id": "s1", "active": True,
            "status": {"state": state, "state_changed_at": "2026-09-01T12:00:00.000Z"}}  # fmt: skip


def replica(units=(), incidents=(), resources=()) -> Replica:
    copy = Replica()
    copy.load_snapshot({
        "seq": 1, "districts": [], "stations": [],
        "incident_types": [{"code": "STRFIRE", "description": "Structure fire", "priority": "A", "desk": "fire",
                            "plan": {"engine": 2, "ladder": 1}, "keywords": []}],
        "units": list(units), "incidents": list(incidents), "calls": [], "resources": list(resources),
    })  # fmt: skip
    return copy


def fire(units=(), needs=(), state="new") -> dict:
    return {"id": "inc1", "state": state, "incident_created": "2026-09-01T12:00:00.000Z", "incident_type": "STRFIRE",
            "incident_priority": "A", "desk": "fire", "description": "", "call_ids": [], "log": [],
            "units": list(units), "needs": list(needs)}  # fmt: skip


def recommendation(unit_id: str, callsign: str, kind: str = "engine", incident_id: str = "inc1") -> dict:
    return {"incident_id": incident_id, "unit_id": unit_id, "unit": callsign, "kind": kind}


@pytest.mark.parametrize("metres, shown", [(0, "0 m"), (316, "316 m"), (999.6, "1000 m"), (1540, "1.5 km"),
                                           (12_400, "12 km")])  # fmt: skip
def test_distances_read_at_a_glance(metres, shown):
    assert distance_label(metres) == shown


@pytest.mark.parametrize("seconds, shown", [(25, "25s"), (60, "1m00"), (185, "3m05"), (3720, "1h02")])
def test_travel_times_read_like_ages(seconds, shown):
    assert eta_label(seconds) == shown


@pytest.mark.parametrize("there", [{"lat": 14.0093, "lon": -60.9860}, {"lat": 13.7290, "lon": -60.9550}])
def test_great_circle_agrees_with_the_servers_figure(there):
    """The resources screen sorts by the distance the server's recommendations quote."""
    server = server_great_circle_m(np.array([[SQUARE["lat"], SQUARE["lon"]]]), np.array([[there["lat"], there["lon"]]]))
    assert great_circle_m(SQUARE, there) == pytest.approx(float(server[0, 0]), abs=0.01)


def test_a_recommendation_holds_while_the_unit_is_available_and_the_slot_open():
    copy = replica(units=[unit("u1", "E1", "engine", "available_station")], incidents=[fire()])
    assert stale_unit(recommendation("u1", "E1"), copy) is None


@pytest.mark.parametrize(
    "state, why",
    [("assigned_radio", "E1 is no longer available (assigned radio)"), ("unavailable", "no longer available")],
)
def test_a_unit_taken_or_gone_makes_its_recommendation_stale(state, why):
    copy = replica(units=[unit("u1", "E1", "engine", state)], incidents=[fire()])
    assert why in stale_unit(recommendation("u1", "E1"), copy)


def test_a_filled_plan_or_an_ended_incident_makes_a_recommendation_stale():
    on_it = [{"id": f"iu{n}", "unit_id": f"e{n}", "callsign": f"E{n}", "unit_assigned_at": "x"} for n in (7, 8)]
    units = [unit("u1", "E1", "engine", "available_radio"), unit("e7", "E7", "engine", "assigned_radio"),
             unit("e8", "E8", "engine", "assigned_radio")]  # fmt: skip
    e1 = recommendation("u1", "E1")

    assert stale_unit(e1, replica(units, [fire(on_it)])) == "the plan's engine slots are filled now"
    assert stale_unit(e1, replica(units, [fire(state="ended")])) == "the incident has ended"
    assert stale_unit(recommendation("zz", "E9"), replica(units, [fire()])) == "E9 is no longer in service"


def test_accepted_rows_become_one_assignment_per_incident_in_row_order():
    rows = [recommendation("u1", "M1", incident_id="a"), recommendation("u2", "E4", incident_id="b"),
            recommendation("u3", "E1", incident_id="a")]  # fmt: skip
    assert assignments(rows) == [("a", ["M1", "E1"]), ("b", ["E4"])]


def test_applying_a_suggestion_sends_only_what_differs():
    incident = {"incident_type": "FLOOD", "incident_priority": "A", "desk": "public_works"}
    suggestion = {"incident_type": "STRFIRE", "incident_priority": "A", "desk": "fire", "district": "CAS"}
    changes = suggested_changes(incident, suggestion)
    assert changes == {"incident_type": "STRFIRE", "desk": "fire"}
    assert describe_changes(changes) == "type STRFIRE, desk fire"
    assert suggested_changes(incident, {"reasons": []}) == {}  # nothing suggested, nothing to apply


@pytest.mark.parametrize("typed, need", [("shelter 40", ("SHELTER", 40)), ("Sh 40", ("SHELTER", 40)),
                                         ("waters 500", ("WATER", 500)), ("med 0", ("MEDICAL", 0)),
                                         ("supp -3", ("SUPPLIES", -3))])  # fmt: skip
def test_a_need_is_a_type_and_a_number_and_the_server_judges_the_number(typed, need):
    assert parse_need(typed) == need


@pytest.mark.parametrize("typed, problem", [
    ("", "type a resource type and a quantity"),
    ("water", "type a quantity after 'water'"),
    ("fuel", "no resource type 'fuel'"),
    ("s 4", "'s' could be SHELTER or SUPPLIES"),
    ("water 4.5", "quantity must be a whole number, got '4.5'"),
    ("water 4 litres", "a need is a type and a quantity"),
])  # fmt: skip
def test_a_mistyped_need_is_named(typed, problem):
    with pytest.raises(InputError, match=problem):
        parse_need(typed)


def test_an_allocation_proposes_what_is_needed_within_what_is_free():
    need = {"quantity": 100, "allocated": 30}
    assert default_quantity(need, {"capacity": 250, "in_use": 120}) == 70
    assert default_quantity(need, {"capacity": 250, "in_use": 200}) == 50
    assert default_quantity(need, {"capacity": 250, "in_use": 250}) == 70  # full: the server says why not


def test_a_resource_suggestion_goes_stale_when_the_room_or_the_need_is_gone():
    shelter = {"id": "r1", "name": "Marchand", "resource_type": "SHELTER", "status": "AVAILABLE", "capacity": 250,
               "in_use": 120, "out_of_service": False, "district": "CAS", "location": {}}  # fmt: skip
    need = {"id": "n1", "resource_type": "SHELTER", "quantity": 40, "allocated": 0, "allocations": []}
    line = {"incident_id": "inc1", "need_id": "n1", "resource_id": "r1", "quantity": 40}

    def why(need: dict, shelter: dict) -> str | None:
        return stale_resource(line, replica(incidents=[fire(needs=[need])], resources=[shelter]))

    assert why(need, shelter) is None
    assert why(need, {**shelter, "out_of_service": True}) == "Marchand is out of service now"
    assert why(need, {**shelter, "in_use": 230}) == "Marchand has only 20 free now"
    assert why({**need, "allocated": 40}, shelter) == "the need has 0 left to allocate now"
