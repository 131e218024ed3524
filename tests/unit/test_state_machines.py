"""Both state machines, every pair of states: allowed exactly where domain.md says."""

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from server.domain.errors import InvalidTransition, InvariantViolated
from server.domain.incident import Incident, IncidentState, IncidentUnit, check_transition, transitioned
from server.domain.location import Place
from server.domain.reference import Priority
from server.domain.unit_status import UnitState, UnitStatus, path_to, words

T0 = datetime(2026, 9, 1, tzinfo=UTC)

# Written out from shared/domain.md, independently of the code's tables.
INCIDENT_ALLOWED = {
    "new": {"queued", "active", "monitored", "ended"},
    "queued": {"active", "monitored", "ended"},
    "active": {"monitored", "ended"},
    "monitored": {"queued", "active", "ended"},
    "ended": set(),
}
UNIT_ALLOWED = {
    "unavailable": {"available_radio", "available_station"},
    "available_radio": {"assigned_radio", "available_station", "unavailable"},
    "available_station": {"assigned_station", "available_radio", "unavailable"},
    "assigned_radio": {"available_radio", "dispatching"},
    "assigned_station": {"available_station", "dispatching"},
    "dispatching": {"dispatched", "available_radio", "available_station", "unavailable"},
    "dispatched": {"available_radio", "available_station", "en_route", "unavailable"},
    "en_route": {"available_radio", "available_station", "on_scene", "unavailable"},
    "on_scene": {"available_radio", "available_station", "unavailable"},
}


def complete_incident(state: str) -> Incident:
    """An incident that meets every invariant, so only the table decides."""
    done = IncidentUnit("iu1", "u1", "E1", T0, unit_unassigned_at=T0 + timedelta(minutes=5))
    return Incident(
        id="i1",
        state=IncidentState(state),
        incident_created=T0,
        incident_type="STRFIRE",
        incident_priority=Priority.A,
        location=Place("CAS", "Derek Walcott Square"),
        units=(done,),
    )


@pytest.mark.parametrize("source", INCIDENT_ALLOWED)
@pytest.mark.parametrize("target", INCIDENT_ALLOWED)
def test_incident_transition_table(source, target):
    incident = complete_incident(source)
    if target in INCIDENT_ALLOWED[source]:
        moved = transitioned(incident, IncidentState(target), T0 + timedelta(hours=1))
        assert moved.state == target
        assert (moved.incident_ended is not None) == (target == "ended")
    else:
        with pytest.raises(InvalidTransition) as caught:
            check_transition(incident, IncidentState(target))
        assert caught.value.details == {"incident_id": "i1", "state": source, "to": target}


@pytest.mark.parametrize("source", UNIT_ALLOWED)
@pytest.mark.parametrize("target", UNIT_ALLOWED)
def test_unit_status_transition_table(source, target):
    status = UnitStatus("u1", UnitState(source), T0)
    if target in UNIT_ALLOWED[source]:
        moved = status.moved(UnitState(target), T0 + timedelta(seconds=1))
        assert moved.state == target and moved.state_changed_at == T0 + timedelta(seconds=1)
    else:
        # in a dispatcher's words ("from available (radio) to en route"), never the wire's names
        said = f"from {words(source)} to {words(target)}"
        with pytest.raises(InvalidTransition, match=re.escape(said)) as caught:
            status.moved(UnitState(target), T0)
        assert "_" not in caught.value.message and caught.value.details["state"] == source


@pytest.mark.parametrize("target", ["queued", "active"])
@pytest.mark.parametrize("missing", ["incident_type", "incident_priority", "location"])
def test_type_priority_location_needed_before_queued_or_active(target, missing):
    incident = replace(complete_incident("new"), **{missing: None})
    with pytest.raises(InvariantViolated) as caught:
        check_transition(incident, IncidentState(target))
    assert caught.value.details["missing"] == [missing]


def test_monitored_needs_nothing():
    bare = Incident("i1", IncidentState.NEW, T0)
    assert transitioned(bare, IncidentState.MONITORED, T0).state == "monitored"


def test_a_unit_is_needed_before_active():
    incident = replace(complete_incident("queued"), units=())
    with pytest.raises(InvariantViolated) as caught:
        check_transition(incident, IncidentState.ACTIVE)
    assert caught.value.details["missing"] == ["units"]


def test_cannot_end_with_open_assignments_and_the_error_lists_them():
    incident = complete_incident("active")
    incident = replace(incident, units=(*incident.units, IncidentUnit("iu2", "u2", "M4", T0),
                                        IncidentUnit("iu3", "u3", "P7", T0)))  # fmt: skip
    with pytest.raises(InvariantViolated) as caught:
        check_transition(incident, IncidentState.ENDED)
    assert caught.value.details["units"] == ["M4", "P7"]


def test_incident_unit_timestamps_never_decrease_and_freeze_when_unassigned():
    record = IncidentUnit("iu1", "u1", "E1", T0)
    record = record.stamped("unit_dispatched", T0 + timedelta(seconds=5))
    with pytest.raises(InvariantViolated):
        record.stamped("unit_en_route", T0 + timedelta(seconds=4))
    with pytest.raises(InvariantViolated):
        record.closed(T0)
    record = record.closed(T0 + timedelta(seconds=9))
    with pytest.raises(InvariantViolated, match="has ended"):
        record.stamped("unit_on_scene", T0 + timedelta(seconds=10))


@pytest.mark.parametrize(
    "start, target, path",
    [
        ("assigned_radio", "on_scene", ["dispatching", "dispatched", "en_route", "on_scene"]),
        ("assigned_station", "en_route", ["dispatching", "dispatched", "en_route"]),
        ("dispatching", "en_route", ["dispatched", "en_route"]),
        ("dispatched", "on_scene", ["en_route", "on_scene"]),
        ("en_route", "on_scene", ["on_scene"]),
        ("available_radio", "en_route", ["en_route"]),  # not a chain start: the table refuses it
    ],
)
def test_immediate_transitions_walk_every_intermediate_state(start, target, path):
    assert [s.value for s in path_to(UnitState(start), UnitState(target))] == path


def test_lists_and_states_in_messages_read_as_said():
    from server.domain.errors import join_words
    from server.domain.incident import needed

    assert join_words(["E1"]) == "E1" and join_words(["E1", "M1", "P2"]) == "E1, M1 and P2"
    assert needed(["incident_type", "location"]) == "a type and a location"
    assert {words(s) for s in UnitState} >= {"available (radio)", "available at station", "out of service"}
    assert not any("_" in words(s) for s in UnitState)
