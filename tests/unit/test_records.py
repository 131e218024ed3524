"""The domain's `replace` makes what `dataclasses.replace` makes, checks included."""

import dataclasses
from datetime import UTC, datetime

import pytest

from server.domain.errors import ValidationFailed
from server.domain.incident import EntryType, Incident, IncidentState, LogEntry
from server.domain.records import replace
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
