"""Incident rules over real commands: invariants, automatic log entries, priority N, ended."""

import pytest

from tests.support.desk import CASTRIES_SQUARE
from tests.support.postgres import both_backends

pytestmark = both_backends


def log_changes(desk, incident):
    return [e.change_data["change"] for e in desk.incident(incident).log if e.entry_type == "automatic"]


def test_a_type_brings_its_desk_and_default_priority(desk):
    incident = desk.ok("incident.create", incident_type="CARDIAC")["incident_id"]
    created = desk.incident(incident)
    assert created.state == "new" and created.desk == "ems" and created.incident_priority == "A"
    overridden = desk.ok("incident.create", incident_type="CARDIAC", incident_priority="B", desk="fire")
    assert desk.incident(overridden["incident_id"]).incident_priority == "B"
    assert desk.incident(overridden["incident_id"]).desk == "fire"


def test_queue_without_location_names_what_is_missing(desk):
    incident = desk.ok("incident.create", incident_type="FLOOD")["incident_id"]
    error = desk.refused("incident.set_state", incident_id=incident, state="queued")
    assert error["code"] == "invariant" and error["details"]["missing"] == ["location"]
    desk.ok("incident.update", incident_id=incident, location=CASTRIES_SQUARE)
    desk.ok("incident.set_state", incident_id=incident, state="queued")
    assert desk.incident(incident).state == "queued"


def test_active_by_hand_needs_a_unit(desk):
    incident = desk.ready_incident()
    error = desk.refused("incident.set_state", incident_id=incident, state="active")
    assert error["details"]["missing"] == ["units"]


def test_ended_is_only_reached_by_close(desk):
    error = desk.refused("incident.set_state", incident_id=desk.ready_incident(), state="ended")
    assert error["code"] == "bad_request"


def test_close_lists_units_still_assigned(desk):
    incident = desk.ready_incident()
    desk.available("E1", "M1")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "M1"])
    error = desk.refused("incident.close", incident_id=incident)
    assert error["code"] == "invariant" and error["details"]["units"] == ["E1", "M1"]


def test_an_ended_incident_accepts_no_change_at_all(desk):
    incident = desk.ready_incident()
    desk.clock.advance(60)
    desk.ok("incident.close", incident_id=incident)
    ended = desk.incident(incident)
    assert ended.state == "ended" and ended.incident_ended == desk.clock.now()
    call = desk.ok("call.create", description="more smoke")["call_id"]
    desk.available("E1")
    attempts = [
        ("incident.update", {"incident_id": incident, "description": "x"}),
        ("incident.set_state", {"incident_id": incident, "state": "monitored"}),
        ("incident.close", {"incident_id": incident}),
        ("incident.note", {"incident_id": incident, "text": "late note"}),
        ("incident.add_need", {"incident_id": incident, "resource_type": "WATER", "quantity": 10}),
        ("unit.assign", {"incident_id": incident, "units": ["E1"]}),
        ("call.attach", {"call_id": call, "incident_id": incident}),
    ]
    for name, args in attempts:
        error = desk.refused(name, **args)
        assert error["code"] == "invariant" and "has ended" in error["message"], name
    assert desk.incident(incident) == ended


def test_automatic_log_entries_for_exactly_the_listed_triggers(desk):
    incident = desk.ok("incident.create")["incident_id"]
    assert desk.incident(incident).log == ()
    desk.ok("incident.update", incident_id=incident, incident_type="STRFIRE")  # type, priority (default)
    desk.ok("incident.update", incident_id=incident, location=CASTRIES_SQUARE, description="smoke")
    desk.ok("incident.update", incident_id=incident, desk="police")  # desk is not a trigger
    desk.ok("incident.update", incident_id=incident, incident_priority="B")
    desk.ok("incident.set_state", incident_id=incident, state="queued")
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    desk.ok("unit.set_state", unit="E1", state="on_scene")  # state → active; no IncidentUnit entries
    desk.ok("incident.note", incident_id=incident, text="roof collapsed")
    desk.ok("unit.set_state", unit="E1", state="available_station")
    desk.ok("incident.close", incident_id=incident)
    assert log_changes(desk, incident) == [
        "incident_type", "incident_priority", "location", "description", "incident_priority",
        "state", "unit_assigned", "state", "state",
    ]  # fmt: skip
    entries = desk.incident(incident).log
    manual = [e for e in entries if e.entry_type == "manual"]
    assert [e.description for e in manual] == ["roof collapsed"]
    assert all(e.dispatcher == "dispatcher-1" for e in entries)
    assert [e.change_data["value"] for e in entries if e.change_data and e.change_data["change"] == "state"] == [
        "queued", "active", "ended",
    ]  # fmt: skip


def test_an_update_that_changes_nothing_writes_nothing(desk):
    incident = desk.ready_incident(description="smoke")
    seq = desk.world.seq
    outcome = desk.send("incident.update", incident_id=incident, description="smoke", incident_priority="A")
    assert outcome.ok and outcome.events == [] and desk.world.seq == seq


def test_null_clears_but_not_what_the_state_depends_on(desk):
    incident = desk.ready_incident(description="smoke")
    desk.ok("incident.update", incident_id=incident, description=None)
    assert desk.incident(incident).description == ""
    desk.ok("incident.set_state", incident_id=incident, state="queued")
    error = desk.refused("incident.update", incident_id=incident, location=None)
    assert error["code"] == "invariant" and error["details"]["fields"] == ["location"]


@pytest.mark.parametrize("length, ok", [(1000, True), (1001, False)])
def test_description_and_note_limit(desk, length, ok):
    outcome = desk.send("incident.create", description="x" * length)
    assert outcome.ok is ok
    incident = desk.ready_incident()
    assert desk.send("incident.note", incident_id=incident, text="y" * length).ok is ok
    if not ok:
        assert outcome.result["code"] == "validation" and "1001 characters" in outcome.result["message"]


def test_priority_n_needs_type_and_location_and_takes_no_calls(desk):
    error = desk.refused("incident.create", incident_priority="N")
    assert error["code"] == "invariant" and error["details"]["missing"] == ["incident_type", "location"]
    order = desk.ok("incident.create", incident_type="STANDBY", incident_priority="N", location=CASTRIES_SQUARE)
    call = desk.ok("call.create", description="caller")["call_id"]
    error = desk.refused("call.attach", call_id=call, incident_id=order["incident_id"])
    assert "operational order" in error["message"]
    public = desk.ready_incident()
    desk.ok("call.attach", call_id=call, incident_id=public)
    error = desk.refused("incident.update", incident_id=public, incident_priority="N")
    assert "calls from the public" in error["message"]


def test_unknown_type_desk_and_priority_are_validation_errors(desk):
    assert desk.refused("incident.create", incident_type="NOPE")["code"] == "validation"
    assert desk.refused("incident.create", desk="kitchen")["code"] == "validation"
    assert desk.refused("incident.create", incident_priority="Z")["code"] == "bad_request"


def test_needs_are_recorded(desk):
    incident = desk.ready_incident()
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=40)["need_id"]
    assert desk.incident(incident).need(need).quantity == 40
    assert desk.refused("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=0)["code"] == "validation"


def test_refusals_name_what_is_missing_in_a_dispatchers_words(desk):
    # Finding 6 of issue 14: refusals quoted `set incident_type, incident_priority…`.
    incident = desk.ok("incident.create", incident_type="FLOOD")["incident_id"]
    error = desk.refused("incident.set_state", incident_id=incident, state="queued")
    assert error["message"] == "the incident needs a location before it can be queued"
    assert error["details"]["missing"] == ["location"]
    ready = desk.ready_incident()
    desk.ok("incident.set_state", incident_id=ready, state="queued")
    error = desk.refused("incident.update", incident_id=ready, location=None, incident_priority=None)
    assert error["message"] == "a queued incident must keep its priority and location"
    assert error["details"]["fields"] == ["incident_priority", "location"]
    error = desk.refused("incident.set_state", incident_id=ready, state="active")
    assert error["message"] == "the incident needs a unit assigned before it can be made active"
