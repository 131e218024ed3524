"""The rules the workstation shows in advance match the server's own."""

from hurrinet_tui import rules
from server.domain.call import NEEDS_RATIONALE, PICKABLE
from server.domain.incident import INCIDENT_TRANSITIONS


def test_incident_transitions_mirror_the_server():
    server = {state.value: sorted(s.value for s in targets) for state, targets in INCIDENT_TRANSITIONS.items()}
    assert {state: sorted(targets) for state, targets in rules.INCIDENT_TRANSITIONS.items()} == server


def test_pickable_outcomes_and_their_reasons_match_the_server():
    assert set(rules.PICKABLE_OUTCOMES) == {o.value for o in PICKABLE}
    assert {o.value for o in NEEDS_RATIONALE} == rules.NEEDS_RATIONALE


def test_a_call_needs_an_outcome_and_for_a_picked_one_its_reason():
    assert rules.missing_to_end({"outcome": None}) == ["outcome"]
    assert rules.missing_to_end({"outcome": "hoax"}) == ["outcome_rationale"]
    assert rules.missing_to_end({"outcome": "hoax"}, rationale="  ") == ["outcome_rationale"]
    assert rules.missing_to_end({"outcome": "hoax", "outcome_rationale": "kids"}) == []
    assert rules.missing_to_end({"outcome": "incident_created"}) == []
    assert rules.missing_to_end({"outcome": None}, outcome="accidental", rationale="dropped it") == []


def test_only_states_reachable_now_are_offered_and_missing_fields_named():
    assert rules.transitions_now({"state": "active"}) == ("monitored",)
    assert rules.transitions_now({"state": "ended"}) == ()
    assert rules.missing_for({"incident_type": "FLOOD"}, "queued") == ["incident_priority", "location"]
    assert rules.missing_for({}, "monitored") == []
