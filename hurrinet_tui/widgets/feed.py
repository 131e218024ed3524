"""What the rest of the room is doing: other dispatchers' and the server's changes, as they land."""

from __future__ import annotations

from collections import deque
from datetime import tzinfo

from rich.text import Text
from textual.widgets import RichLog

from ..command_line import short_id
from ..format import UNIT_STATE_LABEL, clock, location_summary, log_words
from ..replica import Entity, Replica


def _whole(replica: Replica | None, table: str, part: Entity | None) -> Entity | None:
    """An event carries only what changed (protocol 2): read the entity as the replica now has it."""
    if part is None:
        return None
    return getattr(replica, table).get(part["id"], part) if replica is not None else part


def describe(event: Entity, replica: Replica | None = None) -> str | None:
    """One line for an event, or None for events that only echo another line."""
    data, name = event["data"], event["name"]
    incident = _whole(replica, "incidents", data.get("incident"))
    unit = _whole(replica, "units", data.get("unit"))
    incident_id = incident["id"] if incident else ((unit or {}).get("status") or {}).get("assigned_to_incident_id")
    ref = f"#{short_id(incident_id)}" if incident_id else ""
    if name == "incident.created" and incident is not None:
        what = incident.get("incident_type") or "incident"
        return f"{ref} new {what} {location_summary(incident.get('location'))}".rstrip()
    entries = ([data["log_entry"]] if "log_entry" in data else []) + data.get("log_entries", [])
    if entries:
        return f"{ref} {'; '.join(log_words(e) for e in entries)}"
    if name == "unit.status_changed" and unit is not None:
        return f"{unit['callsign']} → {UNIT_STATE_LABEL[unit['status']['state']]} {ref}".rstrip()
    if name == "unit.unassigned" and unit is not None:
        return f"{unit['callsign']} unassigned from {ref}"
    call = _whole(replica, "calls", data.get("call"))
    if name == "call.created" and call is not None:
        return f"call {short_id(call['id'])} from {call.get('caller_name') or 'unknown caller'}"
    if name == "call.ended" and call is not None:
        return f"call {short_id(call['id'])} ended: {(call.get('outcome') or '').replace('_', ' ')}"
    resource = _whole(replica, "resources", data.get("resource"))
    if name == "resource.updated" and resource is not None:
        return f"{resource['name']}: {resource['in_use']}/{resource['capacity']} ({resource['status']})"
    return None


class Feed(RichLog):
    """One line per change. A change is never told twice: an event replayed after a reconnect
    (its `seq` already seen) is skipped, and so is a second event of the same command that says
    the same thing in the same words (a unit's new state and the log entry recording it)."""

    def __init__(self, zone: tzinfo, replica: Replica | None = None, **kwargs) -> None:
        super().__init__(max_lines=500, wrap=False, markup=False, **kwargs)
        self.zone = zone
        self.replica = replica
        self.last_seq: int | None = None
        self._recent: deque[tuple[str | None, str]] = deque(maxlen=64)

    def add(self, event: Entity) -> None:
        seq = event.get("seq")
        if seq is not None:
            if self.last_seq is not None and seq <= self.last_seq:
                return
            self.last_seq = seq
        line = describe(event, self.replica)
        told = (event.get("caused_by"), (line or "").strip())
        if line and told in self._recent:
            return
        self._recent.append(told)
        if line:
            text = Text(f"{clock(event['at'], self.zone)} ", style="dim")
            text.append(line)
            self.write(text)
