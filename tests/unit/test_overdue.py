"""Overdue flags derived from state and time (pure: hurrinet_tui/overdue.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hurrinet_tui.overdue import Announcer, all_flags, announcements, describe, incident_flag, unit_flag

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
LIMITS = {
    "A": {"waiting_s": 120, "dispatched_s": 120, "en_route_s": 600, "on_scene_s": 3600},
    "D": {"waiting_s": 1800, "dispatched_s": 600, "en_route_s": 2700, "on_scene_s": 10800},
}


def ago(seconds: float) -> str:
    return (NOW - timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def incident(key="I1", state="new", priority="A", created=0.0):
    item = {"id": key, "state": state, "incident_created": ago(created), "units": []}
    return item | ({"incident_priority": priority} if priority else {})


def unit(key="U1", state="en_route", since=0.0, incident_id=None):
    status = {"state": state, "state_changed_at": ago(since)}
    return {"id": key, "callsign": key, "status": status | ({"assigned_to_incident_id": incident_id} if incident_id else {})}


def test_an_incident_waits_too_long_only_while_new_or_queued():
    assert incident_flag(incident(created=120), LIMITS, NOW) is None  # at the limit: not over it
    flag = incident_flag(incident(created=121), LIMITS, NOW)
    assert (flag.kind, flag.priority, flag.limit_s) == ("waiting", "A", 120)
    assert incident_flag(incident(state="queued", created=121), LIMITS, NOW) is not None
    for state in ("active", "monitored", "ended"):
        assert incident_flag(incident(state=state, created=99999), LIMITS, NOW) is None


def test_no_priority_takes_ds_limits():
    assert incident_flag(incident(priority=None, created=1799), LIMITS, NOW) is None
    assert incident_flag(incident(priority=None, created=1801), LIMITS, NOW).priority == "D"
    assert incident_flag(incident(priority="B", created=1801), LIMITS, NOW).priority == "B"  # no B: D's limits


def test_a_unit_by_its_incidents_priority():
    fire = incident(state="active")
    assert unit_flag(unit(state="dispatched", since=121, incident_id="I1"), fire, LIMITS, NOW).kind == "dispatched"
    assert unit_flag(unit(state="dispatched", since=119, incident_id="I1"), fire, LIMITS, NOW) is None
    assert unit_flag(unit(state="en_route", since=601, incident_id="I1"), fire, LIMITS, NOW).limit_s == 600
    assert unit_flag(unit(state="on_scene", since=3599), fire, LIMITS, NOW) is None
    assert unit_flag(unit(state="on_scene", since=3601, incident_id="I1"), fire, LIMITS, NOW) is not None
    # Without its incident the unit is judged by D's limits.
    assert unit_flag(unit(state="en_route", since=601), None, LIMITS, NOW) is None
    # States with no limit never flag (dispatching has its own dispatch timeout).
    for state in ("available_radio", "assigned_radio", "dispatching", "unavailable"):
        assert unit_flag(unit(state=state, since=99999), fire, LIMITS, NOW) is None


def test_all_flags_in_order_and_none_without_limits():
    incidents = {"I1": incident(state="active"), "I2": incident("I2", created=200), "I3": incident("I3", priority=None, created=4000)}
    units = {"U1": unit(since=700, incident_id="I1"), "U2": unit("U2", state="available_radio", since=99999)}
    flags = all_flags(incidents, units, {"overdue": LIMITS}, NOW)
    assert [(f.entity, f.key) for f in flags] == [("incident", "I2"), ("incident", "I3"), ("unit", "U1")]
    assert all_flags(incidents, units, {}, NOW) == []  # a server that sends no limits: no flags


def test_one_notification_per_flag():
    announcer = Announcer()
    assert announcer.new([]) == []  # the first look: flags standing then are not news
    flags = all_flags({"I2": incident("I2", created=200)}, {}, {"overdue": LIMITS}, NOW)
    assert announcer.new(flags) == flags
    assert announcer.new(flags) == []  # the next second: already told
    assert announcer.new([]) == []  # the flag went away…
    assert announcer.new(flags) == flags  # …and came back: a new flag
    assert describe(flags[0], "#I2", NOW) == "#I2 (A) waiting 3m (limit 2m)"


def test_flags_standing_at_the_first_look_are_not_announced():
    announcer = Announcer()
    flags = all_flags({"I2": incident("I2", created=200)}, {}, {"overdue": LIMITS}, NOW)
    assert announcer.new(flags) == []
    assert announcer.new(flags) == []


def test_a_burst_makes_one_summary():
    announcer = Announcer()
    announcer.new([])
    incidents = {f"I{n}": incident(f"I{n}", created=200) for n in range(4)}
    units = {"U1": unit(since=700)}
    texts = announcements(announcer, incidents, units, {"overdue": LIMITS}, NOW)
    assert texts == ["4 new overdue flags: see the marked (!) rows, or the supervisor screen"]
    announcer = Announcer()
    announcer.new([])
    texts = announcements(announcer, {}, {"U1": unit(state="on_scene", since=10801)}, {"overdue": LIMITS}, NOW)
    assert texts == ["unit U1 (D) on scene 3h00 (limit 3h)"]


def test_the_rules_need_no_textual():
    """Pure: importable (and testable) without the UI toolkit."""
    import subprocess
    import sys

    code = "import sys, hurrinet_tui.overdue; sys.exit(any(m.startswith('textual') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
