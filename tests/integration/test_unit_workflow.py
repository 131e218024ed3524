"""Unit status rules through real commands on a real SQLite file: assignment, two-phase
dispatch, immediate transitions, reassignment, automatic unassignment, timeouts."""

import pytest
import sqlalchemy as sa

from server.domain.world import Actor
from tests.support.postgres import both_backends

pytestmark = both_backends


def test_new_units_start_unavailable(desk):
    assert {s.state for s in desk.world.unit_status.values()} == {"unavailable"}


def test_assign_only_from_available(desk):
    incident = desk.ready_incident()
    error = desk.refused("unit.assign", incident_id=incident, units=["E1"])
    assert error["code"] == "invalid_transition" and "E1 is out of service" in error["message"]
    desk.available("E1", state="available_station")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    status = desk.status("E1")
    assert status.state == "assigned_station" and status.assigned_to_incident_id == incident
    record = desk.record(incident, "E1")
    assert record.open and record.unit_assigned_at == desk.clock.now()
    assert str(record.unit_staffing) == "1+1+3"


def test_assignment_is_all_or_nothing(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    error = desk.refused("unit.assign", incident_id=incident, units=["E1", "E2"])
    assert "E2" in error["message"]
    assert desk.status("E1").state == "available_radio"
    assert desk.incident(incident).units == ()


def test_inactive_units_cannot_be_assigned(desk):
    inactive = next(u.callsign for u in desk.world.units.values() if not u.active)
    error = desk.refused("unit.assign", incident_id=desk.ready_incident(), units=[inactive])
    assert error["code"] == "invariant" and "inactive" in error["message"]


def test_dispatch_is_two_phase_and_makes_the_incident_active(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    desk.clock.advance(2)
    value = desk.ok("unit.dispatch", incident_id=incident)
    assert value == {"dispatching": ["E1"], "realerted": [], "warnings": []}
    assert desk.status("E1").state == "dispatching"
    assert desk.incident(incident).state == "active"
    assert desk.record(incident, "E1").unit_dispatched is None  # not before the acknowledgement
    desk.clock.advance(3)
    desk.ok("alert.ack", unit="E1", target_id=desk.target_of("E1"))
    assert desk.status("E1").state == "dispatched"
    assert desk.record(incident, "E1").unit_dispatched == desk.clock.now()
    # a second target's late acknowledgement changes nothing
    assert desk.ok("alert.ack", unit="E1", target_id=desk.target_of("E1")) == {"applied": False}


def test_dispatch_sends_alerts_to_active_targets_only(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    outcome = desk.send("unit.dispatch", incident_id=incident)
    unit_id = desk.world.unit_by_callsign("E1").id
    expected = {t.id for t in desk.world.alert_targets.values() if t.active and unit_id in t.unit_ids}
    assert len(outcome.alerts) == 1 and set(outcome.alerts[0].target_ids) == expected


def test_unit_without_alert_target_is_not_moved_and_can_be_confirmed_by_hand(desk):
    incident = desk.ready_incident(incident_type="MARINE")
    desk.available("B1")
    desk.ok("unit.assign", incident_id=incident, units=["B1"])
    value = desk.ok("unit.dispatch", incident_id=incident)
    assert value["dispatching"] == [] and value["warnings"][0]["unit"] == "B1"
    assert value["warnings"][0]["code"] == "no_alert_target"
    assert desk.status("B1").state == "assigned_radio"
    desk.ok("unit.confirm_dispatch", unit="B1")
    assert desk.status("B1").state == "dispatched"
    assert desk.incident(incident).state == "active"
    entry = desk.incident(incident).log[-1]
    assert entry.change_data == {"change": "dispatch_confirmed", "value": "B1"}


def test_already_dispatched_units_are_realerted_without_state_change(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="en_route")
    before = desk.status("E1")
    outcome = desk.send("unit.dispatch", incident_id=incident, units=["E1"])
    assert outcome.result == {"dispatching": [], "realerted": ["E1"], "warnings": []}
    assert outcome.events == [] and len(outcome.alerts) == 1
    assert desk.status("E1") == before


def test_dispatch_without_units_needs_an_assigned_unit(desk):
    error = desk.refused("unit.dispatch", incident_id=desk.ready_incident())
    assert error["code"] == "invariant"


def test_dispatching_to_an_incomplete_incident_is_refused_and_leaves_no_trace(desk):
    incident = desk.ok("incident.create", description="something")["incident_id"]
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    before_seq = desk.world.seq
    error = desk.refused("unit.dispatch", incident_id=incident)
    assert error["code"] == "invariant"
    assert set(error["details"]["missing"]) == {"incident_type", "incident_priority", "location"}
    assert desk.status("E1").state == "assigned_radio" and desk.world.seq == before_seq


def test_immediate_on_scene_records_every_timestamp(desk):
    incident = desk.ready_incident()
    desk.available("M1")
    desk.ok("unit.assign", incident_id=incident, units=["M1"], state="on_scene")
    record = desk.record(incident, "M1")
    now = desk.clock.now()
    assert record.unit_dispatched == record.unit_en_route == record.unit_on_scene == now
    assert desk.status("M1").state == "on_scene" and desk.incident(incident).state == "active"
    unit_id = desk.world.unit_by_callsign("M1").id
    with desk.runner.store.engine.connect() as conn:
        history = conn.execute(
            sa.text("SELECT state FROM unit_status_history WHERE unit_id = :unit ORDER BY id"), {"unit": unit_id}
        ).scalars().all()
    assert history == ["available_radio", "assigned_radio", "dispatching", "dispatched", "en_route", "on_scene"]


def test_marking_a_dispatched_unit_on_scene_walks_through_en_route(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="dispatched")
    desk.clock.advance(60)
    desk.ok("unit.set_state", unit="E1", state="on_scene")
    record = desk.record(incident, "E1")
    assert record.unit_en_route == record.unit_on_scene == desk.clock.now()
    assert record.unit_dispatched < record.unit_en_route


def test_available_radio_keeps_the_assignment_and_station_ends_it(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    desk.clock.advance(600)
    desk.ok("unit.set_state", unit="E1", state="available_radio")
    assert desk.status("E1").assigned_to_incident_id == incident
    assert desk.record(incident, "E1").unit_available == desk.clock.now()
    desk.clock.advance(900)
    desk.ok("unit.set_state", unit="E1", state="available_station")
    record = desk.record(incident, "E1")
    assert record.unit_back_at_station == record.unit_unassigned_at == desk.clock.now()
    assert desk.status("E1").assigned_to_incident_id is None


def test_unavailable_unassigns(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="en_route")
    desk.ok("unit.set_state", unit="E1", state="unavailable")
    assert not desk.record(incident, "E1").open
    assert desk.status("E1").assigned_to_incident_id is None


def test_a_unit_available_over_radio_is_unassigned_from_its_last_incident_when_assigned_again(desk):
    first, second = desk.ready_incident(), desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=first, units=["E1"], state="on_scene")
    desk.ok("unit.set_state", unit="E1", state="available_radio")
    desk.clock.advance(5)
    outcome = desk.send("unit.assign", incident_id=second, units=["E1"])
    assert [e["name"] for e in outcome.events] == ["unit.unassigned", "unit.assigned"]
    assert desk.record(first, "E1").unit_unassigned_at == desk.clock.now()
    assert desk.record(second, "E1").open


def test_explicit_unassign_only_before_dispatch(desk):
    incident = desk.ready_incident()
    desk.available("E1", "E2")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "E2"])
    desk.ok("unit.unassign", unit="E1")
    assert desk.status("E1").state == "available_radio"
    record = desk.record(incident, "E1")
    assert not record.open and record.unit_available is None  # an undone mistake, not a return
    desk.ok("unit.dispatch", incident_id=incident)
    error = desk.refused("unit.unassign", unit="E2")
    assert error["code"] == "invalid_transition"


@pytest.mark.parametrize("state", ["assigned", "dispatching", "dispatched", "en_route", "on_scene", "available_radio"])
def test_reassignment_from_any_assigned_state(desk, state):
    first, second = desk.ready_incident(), desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=first, units=["E1"])
    steps = {
        "assigned": [],
        "dispatching": [("unit.dispatch", {"incident_id": first})],
        "dispatched": [("unit.confirm_dispatch", {"unit": "E1"})],
        "en_route": [("unit.set_state", {"unit": "E1", "state": "en_route"})],
        "on_scene": [("unit.set_state", {"unit": "E1", "state": "on_scene"})],
        "available_radio": [("unit.set_state", {"unit": "E1", "state": "on_scene"}),
                            ("unit.set_state", {"unit": "E1", "state": "available_radio"})],
    }  # fmt: skip
    for name, args in steps[state]:
        desk.ok(name, **args)
    assert desk.status("E1").state == (state if state != "assigned" else "assigned_radio")
    desk.clock.advance(30)
    desk.ok("unit.reassign", unit="E1", incident_id=second, state="en_route")
    old, new = desk.record(first, "E1"), desk.record(second, "E1")
    assert not old.open and old.unit_unassigned_at == desk.clock.now()
    assert new.open and new.unit_en_route == desk.clock.now()
    status = desk.status("E1")
    assert status.state == "en_route" and status.assigned_to_incident_id == second


def test_reassign_needs_an_assigned_unit(desk):
    desk.available("E1")
    error = desk.refused("unit.reassign", unit="E1", incident_id=desk.ready_incident())
    assert error["code"] == "invalid_transition" and "not on an incident; assign it instead" in error["message"]


@pytest.mark.parametrize("state", ["assigned_radio", "assigned_station", "dispatching"])
def test_only_the_system_sets_assigned_and_dispatching(desk, state):
    desk.available("E1")
    error = desk.refused("unit.set_state", unit="E1", state=state)
    assert error["code"] == "bad_request"


def test_a_unit_cannot_change_its_own_state_while_assigned_or_dispatching(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    terminal = Actor("e1-terminal", "unit", unit="E1")
    outcome = desk.send("unit.set_state", actor=terminal, unit="E1", state="en_route")
    assert not outcome.ok and outcome.result["code"] == "forbidden"
    desk.ok("unit.dispatch", incident_id=incident)
    assert desk.send("unit.set_state", actor=terminal, unit="E1", state="en_route").result["code"] == "forbidden"
    desk.ok("alert.ack", unit="E1", target_id=desk.target_of("E1"))
    assert desk.send("unit.set_state", actor=terminal, unit="E1", state="en_route").ok


def test_dispatch_timeout_logs_once_and_only_if_still_dispatching(desk):
    incident = desk.ready_incident()
    desk.available("E1", "E2")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "E2"])
    desk.ok("unit.dispatch", incident_id=incident)
    since = desk.status("E1").state_changed_at.isoformat()
    desk.clock.advance(10)
    early = desk.runner.run_system("unit.dispatch_timeout", {"unit": "E1", "since": since})
    assert not early.ok
    desk.ok("alert.ack", unit="E2", target_id=desk.target_of("E2"))
    desk.clock.advance(40)
    fired = desk.runner.run_system("unit.dispatch_timeout", {"unit": "E1", "since": since})
    assert fired.ok and fired.result == {"timed_out": True}
    assert [e["name"] for e in fired.events] == ["unit.dispatch_timed_out"]
    assert desk.incident(incident).log[-1].change_data == {"change": "dispatch_timeout", "value": "E1"}
    assert desk.incident(incident).log[-1].dispatcher is None  # a system entry
    acked = desk.runner.run_system("unit.dispatch_timeout", {"unit": "E2", "since": since})
    assert acked.result == {"timed_out": False} and acked.events == []


def test_clients_cannot_issue_the_timer_command(desk):
    error = desk.refused("unit.dispatch_timeout", unit="E1", since="2026-09-01T12:00:00Z")
    assert error["code"] == "forbidden"


def test_staffing_is_copied_into_the_open_assignment(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    desk.ok("unit.set_staffing", unit="E1", officers=1, subofficers=0, crew=2)
    assert str(desk.status("E1").staffing) == "1+0+2"
    assert str(desk.record(incident, "E1").unit_staffing) == "1+0+2"
    assert desk.refused("unit.set_staffing", unit="E1", officers=100, subofficers=0, crew=0)["code"] == "validation"


def test_positions_must_lie_in_the_service_area(desk):
    desk.ok("unit.set_position", unit="E1", coordinates={"lat": 14.0, "lon": -60.95})
    assert desk.status("E1").coordinates.lat == 14.0
    error = desk.refused("unit.set_position", unit="E1", coordinates={"lat": 15.0, "lon": -60.95})
    assert error["code"] == "validation" and "outside the service area" in error["message"]


def test_timestamps_are_never_inferred(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    desk.ok("unit.dispatch", incident_id=incident)
    desk.ok("unit.set_state", unit="E1", state="available_station")  # dispatch aborted
    record = desk.record(incident, "E1")
    assert record.unit_dispatched is None and record.unit_en_route is None and record.unit_on_scene is None
    assert record.unit_back_at_station == record.unit_unassigned_at


# --- closing dead-ends (issue 14, finding 4) -------------------------------------------------


def on_scene_then_clear(desk, callsign: str) -> str:
    """A unit that went to an incident, worked it and reported available over the radio."""
    incident = desk.ready_incident()
    desk.available(callsign)
    desk.ok("unit.assign", incident_id=incident, units=[callsign], state="on_scene")
    desk.clock.advance(60)
    desk.available(callsign)  # "E1 clear, available" over the radio: it stays on the incident
    assert desk.status(callsign).assigned_to_incident_id == incident
    return incident


def test_release_lets_a_unit_available_over_radio_leave_its_incident(desk):
    incident = on_scene_then_clear(desk, "E1")
    desk.clock.advance(5)
    outcome = desk.send("unit.release", unit="E1")
    assert outcome.ok and outcome.result == {}
    status, record = desk.status("E1"), desk.record(incident, "E1")
    assert status.state == "available_radio" and status.assigned_to_incident_id is None
    assert record.unit_unassigned_at == desk.clock.now() and record.unit_available < record.unit_unassigned_at
    assert [e["name"] for e in outcome.events] == ["unit.unassigned"]
    assert desk.incident(incident).state == "active"  # releasing a unit changes nothing else
    desk.ok("incident.close", incident_id=incident)


def test_unassign_of_a_unit_available_over_radio_releases_it(desk):
    # `ua` used to answer "only assigned units can be unassigned": the dispatcher's word works too
    incident = on_scene_then_clear(desk, "E1")
    desk.ok("unit.unassign", unit="E1")
    assert desk.status("E1").assigned_to_incident_id is None and not desk.record(incident, "E1").open


@pytest.mark.parametrize(
    "state, said",
    [("on_scene", "E1 is on scene on its incident"), ("available_station", "E1 is available at station")],
)
def test_release_refuses_a_unit_that_has_not_cleared_or_is_on_no_incident(desk, state, said):
    incident = desk.ready_incident()
    desk.available("E1")
    if state == "on_scene":
        desk.ok("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    else:
        desk.available("E1", state=state)
    error = desk.refused("unit.release", unit="E1")
    assert error["code"] == "invalid_transition" and error["details"] == {"unit": "E1", "state": state}
    assert said in error["message"] and "only a unit available (radio)" in error["message"]
    assert "_" not in error["message"]


def test_close_releases_units_that_have_cleared(desk):
    # Finding 4: after `v` the unit stayed on the incident and `cl` said units were still assigned.
    incident = on_scene_then_clear(desk, "E1")
    desk.clock.advance(5)
    outcome = desk.send("incident.close", incident_id=incident)
    assert outcome.ok, outcome.result
    assert [e["name"] for e in outcome.events] == ["unit.unassigned", "incident.closed"]
    ended = desk.incident(incident)
    assert ended.state == "ended" and ended.open_units() == ()
    assert desk.record(incident, "E1").unit_unassigned_at == ended.incident_ended
    assert desk.status("E1").state == "available_radio" and desk.status("E1").assigned_to_incident_id is None


def test_close_is_refused_by_a_unit_that_has_not_cleared_naming_it_and_what_to_do(desk):
    incident = desk.ready_incident()
    desk.available("E1", "M1", "E2")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "M1"], state="on_scene")
    desk.ok("unit.assign", incident_id=incident, units=["E2"])
    desk.available("M1")  # M1 has cleared: it would be released, but the close is refused as a whole
    error = desk.refused("incident.close", incident_id=incident)
    assert error["code"] == "invariant" and error["details"] == {"incident_id": incident, "units": ["E1", "E2"]}
    assert error["message"] == (
        "cannot close yet: E1 (on scene) and E2 (assigned) are still on this incident; unassign E2 "
        "(not yet dispatched) and when E1 has cleared, set it available (radio) or available at station, "
        "then close it"
    )
    assert desk.status("M1").assigned_to_incident_id == incident  # nothing half-done
    assert desk.incident(incident).state == "active"
