"""A Change removes an entity by an overlay value of None: reads see it gone, `changed` still
lists it (the store deletes its rows from that), and `World.apply` deletes it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from server.domain.call import Call, CallState
from server.domain.errors import NotFound
from server.domain.incident import Incident, IncidentState
from server.domain.world import Change, World

NOW = datetime(2026, 9, 1, tzinfo=UTC)


def world() -> World:
    w = World()
    w.incidents["i1"] = Incident("i1", IncidentState.ENDED, NOW, NOW, call_ids=("c1",))
    w.incidents["i2"] = Incident("i2", IncidentState.NEW, NOW)
    w.calls["c1"] = Call("c1", CallState.ENDED, None, NOW, NOW, incident_id="i1")
    return w


def test_a_removed_incident_is_not_found_but_listed_as_changed_and_deleted_on_apply():
    w = world()
    change = Change(w, NOW, lambda: "new")
    change.remove_incident("i1")
    change.remove_call("c1")
    with pytest.raises(NotFound):
        change.incident("i1")
    with pytest.raises(NotFound):
        change.call("c1")
    assert [i.id for i in change.all_incidents()] == ["i2"]
    assert change.changed("incidents") == {"i1": None} and change.changed("calls") == {"c1": None}
    assert "i1" in w.incidents  # nothing touches the world before apply
    w.apply(change)
    assert set(w.incidents) == {"i2"} and w.calls == {}


def test_removing_what_another_change_removed_already_is_harmless():
    w = world()
    first, second = Change(w, NOW, lambda: "a"), Change(w, NOW, lambda: "b")
    first.remove_incident("i1")
    second.remove_incident("i1")
    w.apply(first)
    w.apply(second)
    assert set(w.incidents) == {"i2"}
