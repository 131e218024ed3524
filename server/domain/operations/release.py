"""Releasing a unit from its incident: it stays as it is (available over radio) and its
assignment there ends. Used by `unit.release`, by assigning a released-in-all-but-name unit
elsewhere, and by closing an incident (units that have cleared it no longer hold it open)."""

from __future__ import annotations

from server.domain.errors import InvariantViolated, join_words
from server.domain.reference import Unit
from server.domain.unit_status import ASSIGNED, UnitState, UnitStatus, words
from server.domain.world import Change


def leave_incident(ch: Change, unit: Unit, status: UnitStatus) -> UnitStatus:
    """End the open assignment of a unit still attached to an incident (no state change)."""
    if status.assigned_to_incident_id is None:
        return status
    incident = ch.incident(status.assigned_to_incident_id)
    record = incident.open_unit_for(unit.id)
    assert record is not None, "an attached unit always has an open IncidentUnit"
    incident = ch.put_incident(incident.with_unit(record.closed(ch.now)))
    status = ch.put_status(status.detached())
    ch.emit("unit.unassigned", unit=status, incident=incident)
    return status


def release_cleared(ch: Change, incident_id: str) -> None:
    """Release every unit of the incident that is available over radio (it has cleared)."""
    for record in ch.incident(incident_id).open_units():
        status = ch.status(record.unit_id)
        if status.state is UnitState.AVAILABLE_RADIO:
            leave_incident(ch, ch.world.units[record.unit_id], status)


def blocking_close(ch: Change, incident_id: str) -> None:
    """Refuse to close while a unit that has not cleared is on the incident, naming each unit,
    where it is, and what to do about it."""
    still = [(r.callsign, ch.status(r.unit_id)) for r in ch.incident(incident_id).open_units()]
    if not still:
        return
    named = join_words([f"{callsign} ({words(status.state)})" for callsign, status in still])
    hints = []
    waiting = [c for c, s in still if s.state in ASSIGNED]
    busy = [c for c, s in still if s.state not in ASSIGNED]
    if waiting:
        hints.append(f"unassign {join_words(waiting)} (not yet dispatched)")
    if busy:
        hints.append(
            f"when {join_words(busy)} {'has' if len(busy) == 1 else 'have'} cleared, set "
            f"{'it' if len(busy) == 1 else 'them'} available (radio) or available at station"
        )
    raise InvariantViolated(
        f"cannot close yet: {named} {'is' if len(still) == 1 else 'are'} still on this incident; "
        f"{' and '.join(hints)}, then close it",
        incident_id=incident_id,
        units=[c for c, _ in still],
    )
