"""Incident operations: create, update, state changes, close, notes, resource needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server.domain.call import CallState
from server.domain.errors import InvariantViolated, ValidationFailed, join_words
from server.domain.incident import (
    FIELD_WORDS,
    Incident,
    IncidentState,
    Need,
    check_priority_n,
    check_transition,
    ensure_open,
    transitioned,
)
from server.domain.incident import ChangeKind as Kind
from server.domain.location import Location, location_from_wire
from server.domain.operations import log
from server.domain.operations.release import blocking_close, release_cleared
from server.domain.operations.resources import release_all
from server.domain.records import replace
from server.domain.reference import Priority
from server.domain.resources import ResourceType
from server.domain.values import DESCRIPTION_MAX, check_count, check_text, require_text
from server.domain.world import Change

# Fields an update may touch, in the order their log entries are written.
UPDATABLE = ("incident_type", "incident_priority", "location", "description", "desk")
# Fields the current state depends on: they may not be cleared while queued or active.
REQUIRED_WHILE = {IncidentState.QUEUED, IncidentState.ACTIVE}


def parse_location(ch: Change, value: Any) -> Location | None:
    if value is None:
        return None
    return location_from_wire(value, ch.world.districts, ch.deployment.service_area)


def _parse_priority(value: Any) -> Priority | None:
    if value is None:
        return None
    try:
        return Priority(value)
    except ValueError:
        raise ValidationFailed(
            f"the priority must be A, B, C, D or N; got {value!r}", field="incident_priority"
        ) from None


def _parse_desk(ch: Change, value: Any) -> str | None:
    if value is not None and value not in ch.deployment.desks:
        raise ValidationFailed(
            f"unknown desk {value!r}; desks are {', '.join(ch.deployment.desks)}", field="desk"
        )
    return value


# Each field an incident takes, and what checks and normalises a value given for it.
_FIELD_PARSERS: dict[str, Callable[[Change, Any], Any]] = {
    "incident_type": lambda ch, v: ch.incident_type(v).code,
    "incident_priority": lambda ch, v: _parse_priority(v),
    "location": parse_location,
    "description": lambda ch, v: check_text("description", v, DESCRIPTION_MAX) or "",
    "desk": _parse_desk,
}


def _parse_fields(ch: Change, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate the given fields; a None value means 'clear'."""
    unknown = sorted(set(fields) - _FIELD_PARSERS.keys())
    if unknown:
        raise ValidationFailed(f"an incident has no field {', '.join(unknown)}", fields=unknown)
    return {name: None if value is None and name != "description" else _FIELD_PARSERS[name](ch, value)
            for name, value in fields.items()}  # fmt: skip


def _with_type_defaults(ch: Change, incident: Incident, parsed: dict[str, Any]) -> dict[str, Any]:
    """A type brings its desk (unless one is given) and, where none is set, its priority."""
    if parsed.get("incident_type") is None:
        return parsed
    kind = ch.incident_type(parsed["incident_type"])
    defaults = {"desk": kind.desk}
    if incident.incident_priority is None:
        defaults["incident_priority"] = kind.priority
    return {**defaults, **parsed}


_KIND_OF_FIELD = {
    "incident_type": Kind.INCIDENT_TYPE,
    "incident_priority": Kind.INCIDENT_PRIORITY,
    "location": Kind.LOCATION,
    "description": Kind.DESCRIPTION,
}


def _apply_fields(ch: Change, incident: Incident, parsed: dict[str, Any]) -> tuple[Incident, list]:
    """Set each field that really changes and write the automatic entries the domain lists
    (desk is not a trigger). Returns the new incident and its new log entries, not yet stored."""
    parsed = _with_type_defaults(ch, incident, parsed)
    if incident.state in REQUIRED_WHILE:
        cleared = [n for n in ("incident_type", "incident_priority", "location") if n in parsed and parsed[n] is None]
        if cleared:
            raise InvariantViolated(
                f"a {incident.state} incident must keep its {join_words([FIELD_WORDS[n] for n in cleared])}",
                incident_id=incident.id,
                fields=cleared,
            )
    entries = []
    current = incident
    for name in UPDATABLE:
        if name not in parsed or getattr(current, name) == parsed[name]:
            continue
        current = replace(current, **{name: parsed[name]})
        if name in _KIND_OF_FIELD:
            current, entry = log.automatic(ch, current, _KIND_OF_FIELD[name], parsed[name])
            entries.append(entry)
    check_priority_n(current, has_public_calls=bool(current.call_ids))
    return current, entries


def create_incident(ch: Change, **fields: Any) -> Incident:
    """A new incident; the fields given at creation are logged like any later change."""
    parsed = _parse_fields(ch, {k: v for k, v in fields.items() if v is not None})
    incident = Incident(id=ch.new_id(), state=IncidentState.NEW, incident_created=ch.now)
    incident, _ = _apply_fields(ch, incident, parsed)
    ch.emit("incident.created", incident=ch.put_incident(incident))
    return incident


def update_incident(ch: Change, incident_id: str, fields: dict[str, Any]) -> Incident:
    incident = ch.incident(incident_id)
    ensure_open(incident)
    updated, entries = _apply_fields(ch, incident, _parse_fields(ch, fields))
    if updated == incident:
        return incident
    ch.put_incident(updated)
    for entry in entries or [None]:
        ch.emit("incident.updated", incident=updated, log_entry=entry)
    return updated


def change_state(ch: Change, incident: Incident, target: IncidentState) -> Incident:
    """Move an incident (manually or automatically) and log it."""
    moved = transitioned(incident, target, ch.now)
    return log.record(ch, moved, Kind.STATE, target.value, "incident.state_changed")


def set_state(ch: Change, incident_id: str, state: str) -> Incident:
    manual = {IncidentState.QUEUED, IncidentState.ACTIVE, IncidentState.MONITORED}
    try:
        target = IncidentState(state)
    except ValueError:
        target = None
    if target not in manual:
        hint = "; to end an incident, close it" if target is IncidentState.ENDED else ""
        raise ValidationFailed(
            f"state must be queued, active or monitored{hint}", field="state", value=state
        )
    incident = ch.incident(incident_id)
    ensure_open(incident)
    return change_state(ch, incident, target)


def close(ch: Change, incident_id: str) -> Incident:
    incident = ch.incident(incident_id)
    ensure_open(incident)
    check_transition(incident, IncidentState.ENDED, open_units_checked=False)
    release_cleared(ch, incident_id)  # units available over radio have cleared: they let go
    blocking_close(ch, incident_id)  # any other unit still holds it open, named with what to do
    incident = release_all(ch, ch.incident(incident_id))
    moved = transitioned(incident, IncidentState.ENDED, ch.now)
    closed = log.record(ch, moved, Kind.STATE, IncidentState.ENDED.value, "incident.closed")
    end_calls_with(ch, closed)
    return closed


def end_calls_with(ch: Change, incident: Incident) -> None:
    """An incident has ended: its calls still active end with it, at the same moment; their
    outcome (incident created / attached) stays as it is."""
    for call_id in incident.call_ids:
        call = ch.call(call_id)
        if not call.ended:
            ended = replace(call, state=CallState.ENDED, call_ended=incident.incident_ended)
            ch.emit("call.ended", call=ch.put_call(ended))


def note(ch: Change, incident_id: str, text: Any) -> str:
    incident = ch.incident(incident_id)
    ensure_open(incident)
    incident, entry = log.manual(ch, incident, require_text("text", text, DESCRIPTION_MAX))
    ch.emit("incident.noted", incident=incident, log_entry=entry)
    return entry.id


def add_need(ch: Change, incident_id: str, resource_type: Any, quantity: Any) -> str:
    incident = ch.incident(incident_id)
    ensure_open(incident)
    try:
        kind = ResourceType(resource_type)
    except ValueError:
        raise ValidationFailed(
            f"the resource type must be {join_words(list(ResourceType)).replace(' and ', ' or ')}", field="resource_type"
        ) from None
    need = Need(id=ch.new_id(), resource_type=kind, quantity=check_count("quantity", quantity))
    ch.emit("incident.updated", incident=ch.put_incident(incident.with_need(need)))
    return need.id
