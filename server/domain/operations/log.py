"""Writing incident log entries: automatic ones for the listed triggers, manual notes."""

from __future__ import annotations

from typing import Any

from server.domain.incident import ChangeKind as Kind
from server.domain.incident import EntryType, Incident, LogEntry
from server.domain.location import VARIANTS, location_to_wire
from server.domain.world import Change


def loggable(value: Any) -> Any:
    """A new value as change_data records it: locations in their wire form, enums as text."""
    if value is None or isinstance(value, dict | int):
        return value
    if isinstance(value, tuple(VARIANTS.values())):
        return location_to_wire(value)
    return str(value)


def automatic(ch: Change, incident: Incident, kind: Kind, value: Any) -> tuple[Incident, LogEntry]:
    """Append an automatic entry recording `kind` and its new value (not yet stored)."""
    entry = LogEntry(
        id=ch.new_id(),
        incident_id=incident.id,
        log_timestamp=ch.now,
        entry_type=EntryType.AUTOMATIC,
        dispatcher=ch.actor.user_id,
        dispatcher_name=ch.actor.name,
        change_data={"change": kind.value, "value": loggable(value)},
    )
    return incident.logged(entry), entry


def record(ch: Change, incident: Incident, kind: Kind, value: Any, event: str, **also: Any) -> Incident:
    """Append an automatic entry, store the incident and emit `event` carrying the incident,
    the entry and any other entities given in `also`."""
    incident, entry = automatic(ch, incident, kind, value)
    ch.put_incident(incident)
    ch.emit(event, incident=incident, log_entry=entry, **also)
    return incident


def manual(ch: Change, incident: Incident, text: str) -> tuple[Incident, LogEntry]:
    entry = LogEntry(
        id=ch.new_id(),
        incident_id=incident.id,
        log_timestamp=ch.now,
        entry_type=EntryType.MANUAL,
        dispatcher=ch.actor.user_id,
        dispatcher_name=ch.actor.name,
        description=text,
    )
    return ch.put_incident(incident.logged(entry)), entry
