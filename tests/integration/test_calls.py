"""Call lifecycle and outcome rules over real commands."""

import pytest

from tests.support.desk import CASTRIES_SQUARE
from tests.support.postgres import both_backends

pytestmark = both_backends


def new_call(desk, **fields):
    return desk.ok("call.create", **fields)["call_id"]


def test_a_call_records_who_took_it_and_when(desk):
    call = desk.world.calls[new_call(desk, caller_name="Marie", caller_phone="758 555 0101")]
    assert call.state == "active" and call.receiving_dispatcher == "dispatcher-1"
    assert call.call_started == desk.clock.now() and call.caller_phone == "7585550101"


@pytest.mark.parametrize("digits, ok", [(15, True), (16, False)])
def test_phone_limit(desk, digits, ok):
    assert desk.send("call.create", caller_phone="7" * digits).ok is ok


def test_caller_name_limit(desk):
    assert desk.send("call.create", caller_name="n" * 100).ok
    assert desk.refused("call.create", caller_name="n" * 101)["code"] == "validation"


def test_end_needs_an_outcome_and_a_rationale(desk):
    call = new_call(desk)
    error = desk.refused("call.end", call_id=call)
    assert error["code"] == "invariant" and error["details"]["missing"] == ["outcome"]
    assert error["message"] == "the call needs an outcome before it can be ended"
    desk.ok("call.update", call_id=call, outcome="hoax")
    error = desk.refused("call.end", call_id=call)
    assert error["details"]["missing"] == ["outcome_rationale"]
    assert error["message"] == "the call needs a reason for its outcome before it can be ended"
    desk.ok("call.update", call_id=call, outcome_rationale="children playing with the phone")
    desk.clock.advance(30)
    desk.ok("call.end", call_id=call)
    ended = desk.world.calls[call]
    assert ended.state == "ended" and ended.call_ended == desk.clock.now()


@pytest.mark.parametrize("outcome", ["incident_created", "attached_to_incident", "made_up"])
def test_outcomes_set_by_actions_cannot_be_picked(desk, outcome):
    assert desk.refused("call.update", call_id=new_call(desk), outcome=outcome)["code"] == "bad_request"


def test_after_ending_outcome_and_link_are_frozen(desk):
    call = new_call(desk)
    desk.ok("call.update", call_id=call, outcome="caller_advised", outcome_rationale="told to stay indoors")
    desk.ok("call.end", call_id=call)
    assert desk.refused("call.update", call_id=call, outcome="hoax")["code"] == "invariant"
    assert desk.refused("call.attach", call_id=call, incident_id=desk.ready_incident())["code"] == "invariant"
    assert desk.refused("call.create_incident", call_id=call)["code"] == "invariant"
    assert desk.refused("call.end", call_id=call)["code"] == "invariant"


def test_create_incident_from_call_copies_location_and_description_and_logs_the_link(desk):
    # Finding 5 of issue 14: the caller's words did not reach the incident (its description was empty).
    call = new_call(desk, location=CASTRIES_SQUARE, description="water coming in the house")
    incident_id = desk.ok("call.create_incident", call_id=call)["incident_id"]
    incident, linked = desk.incident(incident_id), desk.world.calls[call]
    assert linked.outcome == "incident_created" and linked.incident_id == incident_id
    assert incident.location == linked.location and incident.call_ids == (call,)
    assert incident.description == "water coming in the house"
    assert [e.change_data["change"] for e in incident.log] == ["location", "description", "call_linked"]
    # the copies are independent: changing the call leaves the incident alone, and the other way
    desk.ok("call.update", call_id=call, location={**CASTRIES_SQUARE, "name": "Castries Market"},
            description="water to the windows now")  # fmt: skip
    assert desk.incident(incident_id).location.name == "Derek Walcott Square"
    assert desk.incident(incident_id).description == "water coming in the house"
    desk.ok("incident.update", incident_id=incident_id, description="Flooded house, family upstairs")
    assert desk.world.calls[call].description == "water to the windows now"
    error = desk.refused("call.detach", call_id=call)
    assert "never be detached" in error["message"]
    desk.ok("call.end", call_id=call)  # incident_created needs no rationale


def test_attach_detach_and_copy_location(desk):
    incident = desk.ok("incident.create", incident_type="FLOOD")["incident_id"]
    call = new_call(desk, location=CASTRIES_SQUARE)
    desk.ok("call.attach", call_id=call, incident_id=incident)
    assert desk.world.calls[call].outcome == "attached_to_incident"
    assert desk.refused("call.attach", call_id=call, incident_id=incident)["code"] == "conflict"
    desk.ok("call.copy_location", call_id=call)
    assert desk.incident(incident).location == desk.world.calls[call].location
    desk.ok("call.detach", call_id=call)
    detached = desk.world.calls[call]
    assert detached.incident_id is None and detached.outcome is None
    assert desk.incident(incident).call_ids == ()
    assert [e.change_data["change"] for e in desk.incident(incident).log][-3:] == [
        "call_linked", "location", "call_detached",
    ]  # fmt: skip


def test_changing_an_outcome_never_touches_the_linked_incident(desk):
    incident = desk.ready_incident()
    call = new_call(desk)
    desk.ok("call.attach", call_id=call, incident_id=incident)
    before = desk.incident(incident)
    desk.ok("call.update", call_id=call, outcome="caller_advised", outcome_rationale="duplicate report")
    assert desk.incident(incident) == before and desk.world.calls[call].incident_id == incident


def test_attach_to_an_ended_incident_is_refused(desk):
    incident = desk.ready_incident()
    desk.ok("incident.close", incident_id=incident)
    error = desk.refused("call.attach", call_id=new_call(desk), incident_id=incident)
    assert error["code"] == "invariant" and "has ended" in error["message"]


def test_location_entry_errors_reach_the_caller(desk):
    outside = {**CASTRIES_SQUARE, "coordinates": {"lat": 13.5, "lon": -61.0}}
    assert "outside the service area" in desk.refused("call.create", location=outside)["message"]
    assert desk.refused("call.create", description="d" * 1001)["code"] == "validation"


def test_calls_still_active_end_with_their_incident(desk):
    # Finding 5 of issue 14: calls stayed active after their incident ended.
    created = new_call(desk, description="smoke from the roof")
    incident = desk.ok("call.create_incident", call_id=created)["incident_id"]
    attached, done = new_call(desk), new_call(desk)
    desk.ok("call.attach", call_id=attached, incident_id=incident)
    desk.ok("call.attach", call_id=done, incident_id=incident)
    desk.clock.advance(30)
    desk.ok("call.end", call_id=done)
    ended_before = desk.world.calls[done].call_ended
    desk.clock.advance(600)
    outcome = desk.send("incident.close", incident_id=incident)
    assert outcome.ok
    closed_at = desk.incident(incident).incident_ended
    ended_calls = [e["data"]["call"]["id"] for e in outcome.events if e["name"] == "call.ended"]
    assert sorted(ended_calls) == sorted([created, attached])  # one event each, not for `done`
    for call_id, outcome_kept in ((created, "incident_created"), (attached, "attached_to_incident")):
        call = desk.world.calls[call_id]
        assert call.state == "ended" and call.call_ended == closed_at and call.outcome == outcome_kept
    assert desk.world.calls[done].call_ended == ended_before  # already ended: left alone
