"""The replica applies events in seq order only, and says so when one is missing."""

from __future__ import annotations

import pytest

from hurrinet_tui.replica import Replica, SeqGap

SNAPSHOT = {"seq": 3, "deployment": {"name": "x", "timezone": "UTC"}, "districts": [], "stations": [],
            "incident_types": [], "units": [{"id": "u1", "callsign": "E1", "status": {"state": "unavailable"}}],
            "incidents": [{"id": "i1", "call_ids": ["c1"], "state": "new"}], "calls": [{"id": "c1"}], "resources": []}  # fmt: skip


def event(seq: int, name: str = "incident.updated", **data) -> dict:
    return {"seq": seq, "name": name, "at": "2026-09-01T12:00:00.000Z", "caused_by": None, "data": data}


def loaded() -> Replica:
    replica = Replica()
    replica.load_snapshot(SNAPSHOT)
    return replica


def test_an_event_replaces_whole_entities_and_reports_what_changed():
    replica = loaded()
    update = replica.apply(event(4, incident={"id": "i1", "call_ids": ["c1"], "state": "queued"},
                                 unit={"id": "u1", "callsign": "E1", "status": {"state": "available_radio"}}))  # fmt: skip
    assert replica.seq == 4 and replica.incidents["i1"]["state"] == "queued"
    assert replica.unit_by_callsign["E1"]["status"]["state"] == "available_radio"
    assert (update.incidents, update.units, update.full) == ({"i1"}, {"u1"}, False)


def test_a_missing_event_is_a_gap_not_a_guess():
    replica = loaded()
    with pytest.raises(SeqGap) as gap:
        replica.apply(event(5, incident={"id": "i9", "call_ids": [], "state": "new"}))
    assert (gap.value.expected, gap.value.got) == (4, 5)
    assert "i9" not in replica.incidents and replica.seq == 3


def test_an_event_seen_before_changes_nothing():
    replica = loaded()
    update = replica.apply(event(3, incident={"id": "i1", "call_ids": [], "state": "ended"}))
    assert replica.incidents["i1"]["state"] == "new" and not update.incidents


def test_events_before_any_snapshot_are_a_gap():
    with pytest.raises(SeqGap):
        Replica().apply(event(1))


def test_archiving_drops_the_incident_and_its_calls():
    replica = loaded()
    update = replica.apply(event(4, "incident.archived", incident_id="i1"))
    assert replica.incidents == {} and replica.calls == {}
    assert update.incidents == {"i1"} and update.calls == {"c1"}


def test_a_call_archived_on_its_own_leaves_the_replica():
    replica = loaded()
    replica.apply(event(4, "call.created", call={"id": "c2", "state": "ended"}))
    update = replica.apply(event(5, "call.archived", call_id="c2"))
    assert set(replica.calls) == {"c1"} and update.calls == {"c2"}
