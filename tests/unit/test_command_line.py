"""The dispatcher's command grammar, read against a replica of a real server's snapshot."""

from __future__ import annotations

import pytest

from hurrinet_tui.command_line import Command, CommandLineError, Context, LocalAction, complete, parse
from hurrinet_tui.replica import Replica
from server.app import wire
from tests.support.desk import CASTRIES_SQUARE


@pytest.fixture
def replica(desk) -> Replica:
    desk.runner.new_id = iter(f"Inc{n:03d}xyz" for n in range(1000)).__next__
    desk.ready_incident()
    desk.ok("incident.create", description="second")
    replica = Replica()
    replica.load_snapshot(wire.snapshot(desk.world))
    return replica


def line(text: str, replica: Replica, selected: str | None = "Inc000xyz", unit: str | None = None):
    return parse(text, Context(replica, selected, unit))


@pytest.mark.parametrize(("text", "expected"), [
    ("ni flood a @ castries market // water to the knees", Command("incident.create", {
        "incident_type": "FLOOD", "incident_priority": "A", "description": "water to the knees",
        "location": {"kind": "place", "name": "Castries Market", "district": "CAS",
                     "coordinates": {"lat": 14.0125, "lon": -60.988}}})),
    ("new", Command("incident.create", {})),
    ("ty landsl", Command("incident.update", {"incident_id": "Inc000xyz", "incident_type": "LANDSLD"})),
    ("pr #inc004 b", Command("incident.update", {"incident_id": "Inc004xyz", "incident_priority": "B"})),
    ("st q", Command("incident.set_state", {"incident_id": "Inc000xyz", "state": "queued"})),
    ("close", Command("incident.close", {"incident_id": "Inc000xyz"})),
    ("as e1 m1 os", Command("unit.assign", {"incident_id": "Inc000xyz", "units": ["E1", "M1"], "state": "on_scene"})),
    ("d", Command("unit.dispatch", {"incident_id": "Inc000xyz"})),
    ("d e1", Command("unit.dispatch", {"incident_id": "Inc000xyz", "units": ["E1"]})),
    ("cf hw1", Command("unit.confirm_dispatch", {"unit": "HW1"})),
    ("oos pw4", Command("unit.set_state", {"unit": "PW4", "state": "unavailable"})),
    ("ra e1 #inc004", Command("unit.reassign", {"unit": "E1", "incident_id": "Inc004xyz"})),
    ("no caller rang back // roof now gone", Command("incident.note", {"incident_id": "Inc000xyz",
                                                                       "text": "caller rang back roof now gone"})),
])  # fmt: skip
def test_lines_become_protocol_commands(replica, text, expected):
    assert line(text, replica) == [expected]


def test_one_line_may_move_several_units(replica):
    assert line("av e1 m1", replica) == [
        Command("unit.set_state", {"unit": "E1", "state": "available_radio"}),
        Command("unit.set_state", {"unit": "M1", "state": "available_radio"}),
    ]


def test_a_unit_verb_without_a_callsign_means_the_selected_unit(replica):
    assert line("er", replica, unit="M4") == [Command("unit.set_state", {"unit": "M4", "state": "en_route"})]


@pytest.mark.parametrize(("text", "local"), [("f flood cas", LocalAction("f", "flood cas")), ("ended", LocalAction("ended")),
                                              ("?", LocalAction("help")), ("sim", LocalAction("sim"))])  # fmt: skip
def test_local_actions(replica, text, local):
    assert line(text, replica) == local


@pytest.mark.parametrize(("text", "problem"), [
    ("", "type a command"),
    ("zap", "unknown command 'zap'"),
    ("a", "unknown command"),  # one letter never guesses
    ("as", "name at least one unit"),
    ("as zz1", "no unit 'zz1'"),
    ("as m", "'m' could be unit M1"),
    ("ty fl", "could be incident type FLASHFLD, FLOOD"),
    ("pr z", "priority is one of A, B, C, D, N"),
    ("pr a b", "expected one priority, got 2"),
    ("st ended", "no incident state 'ended'"),
    ("cl #nope", "no incident #nope"),
    ("cl #inc", "matches 2 incidents"),
    ("ra e1", "reassign needs the incident"),
    ("no", "a note needs its text"),
    ("ni flood @ ", "name a place after @"),
    ("ni flood @ narnia", "no place called 'narnia'"),
    ("ni flood @ bay", "could be"),
    ("ni flood a b", "did not understand 'b'"),
])  # fmt: skip
def test_mistakes_are_named(replica, text, problem):
    with pytest.raises(CommandLineError) as error:
        line(text, replica)
    assert problem in str(error.value)


def test_incident_verbs_need_a_selection_or_a_ref(replica):
    with pytest.raises(CommandLineError, match="select an incident"):
        line("cl", replica, selected=None)


def test_completion_offers_whole_lines(replica):
    assert complete("as E1", replica) == ["as E1", "as E11", "as E12"]  # E10 is inactive
    assert complete("ty trap", replica) == ["ty TRAPPED"]
    assert complete("cl #inc00", replica) == ["cl #Inc000", "cl #Inc004"]
    assert complete("st m", replica) == ["st monitored"]
    assert complete("ni flood @ castries mar", replica) == ["ni flood @ Castries Market"]
    assert complete("zz", replica) == []


def test_a_place_is_not_confused_with_the_castries_square(replica):
    location = line("lo derek walcott square", replica)[0].args["location"]
    assert location == CASTRIES_SQUARE

