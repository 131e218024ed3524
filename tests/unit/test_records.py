"""The domain's `record` builds what a frozen dataclass builds, and its `replace` makes what
`dataclasses.replace` makes, checks included."""

import dataclasses
from datetime import UTC, datetime

import pytest

from server.domain.errors import ValidationFailed
from server.domain.incident import EntryType, Incident, IncidentState, LogEntry
from server.domain.records import record, replace
from server.domain.values import Coordinates

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


def test_it_builds_what_dataclasses_replace_builds_and_leaves_the_original_alone():
    entry = LogEntry(id="l1", incident_id="i1", log_timestamp=NOW, entry_type=EntryType.MANUAL, description="x")
    incident = Incident(id="i1", state=IncidentState.NEW, incident_created=NOW, log=(entry,))
    changed = replace(incident, description="flooded road", state=IncidentState.QUEUED)
    assert changed == dataclasses.replace(incident, description="flooded road", state=IncidentState.QUEUED)
    assert changed.log is incident.log and type(changed) is Incident
    assert incident.description == "" and incident.state is IncidentState.NEW


def test_the_class_checks_run_as_in_its_constructor():
    assert replace(Coordinates(13.9, -60.9), lat=14.0) == Coordinates(14.0, -60.9)
    with pytest.raises(ValidationFailed, match="coordinates.lat 91"):
        replace(Coordinates(13.9, -60.9), lat=91.0)


def test_a_field_the_record_does_not_have_is_refused():
    with pytest.raises(TypeError, match="colour"):
        replace(Coordinates(13.9, -60.9), colour="red")


def test_a_record_is_built_as_its_frozen_dataclass_would_be():
    @dataclasses.dataclass(frozen=True, slots=True)
    class Stock:
        name: str
        tags: list[str] = dataclasses.field(default_factory=list)
        size: int = 3
        derived: int = dataclasses.field(init=False, default=0)

    @record
    class Fast:
        name: str
        tags: list[str] = dataclasses.field(default_factory=list)
        size: int = 3
        derived: int = dataclasses.field(init=False, default=0)

    for args, kwargs in [(("a",), {}), (("a", ["x"], 5), {}), ((), {"name": "b", "size": 1})]:
        stock, fast = Stock(*args, **kwargs), Fast(*args, **kwargs)
        assert dataclasses.astuple(fast) == dataclasses.astuple(stock)
    assert Fast("a").tags is not Fast("a").tags  # a fresh list from the factory each time
    with pytest.raises(TypeError, match="colour"):
        Fast("a", size=1, colour="red")
    with pytest.raises(TypeError, match="name"):
        Fast()


def test_a_record_stays_frozen_and_runs_its_checks():
    coordinates = Coordinates(13.9, -60.9)
    with pytest.raises(dataclasses.FrozenInstanceError):
        coordinates.lat = 14.0  # type: ignore[misc]
    with pytest.raises(ValidationFailed, match="coordinates.lat 91"):
        Coordinates(91.0, -60.9)
    assert LogEntry("l1", "i1", NOW, EntryType.MANUAL) == LogEntry(
        id="l1", incident_id="i1", log_timestamp=NOW, entry_type=EntryType.MANUAL
    )


def test_a_class_record_cannot_build_faithfully_is_refused():
    with pytest.raises(TypeError, match="keyword-only"):

        @record
        class Keyword:
            name: str = dataclasses.field(kw_only=True)

    with pytest.raises(TypeError, match="other than its fields"):

        @record
        class InitOnly:
            name: str
            secret: dataclasses.InitVar[str] = ""
