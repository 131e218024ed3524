"""Unit operations: assign, unassign, reassign, two-phase dispatch, status changes.

Every status change goes through `_enter`, which applies the unit status table, copies the
matching timestamp into the open IncidentUnit, unassigns on available_station / unavailable,
and makes the incident active when a unit enters the dispatch chain.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from server.domain.errors import Forbidden, InvalidTransition, InvariantViolated, ValidationFailed, join_words
from server.domain.incident import ChangeKind as Kind
from server.domain.incident import Incident, IncidentState, IncidentUnit, ensure_open, timeout_recorded
from server.domain.operations import log
from server.domain.operations.incidents import change_state
from server.domain.operations.release import leave_incident
from server.domain.records import replace
from server.domain.reference import Unit
from server.domain.unit_status import (
    ASSIGNED,
    AVAILABLE,
    LOCKED_FOR_UNIT,
    PROGRESS,
    SYSTEM_ONLY,
    TIMESTAMP_OF,
    UnitState,
    UnitStatus,
    assigned_state_for,
    path_to,
    words,
)
from server.domain.values import Coordinates, Staffing
from server.domain.world import AlertRequest, Change

U = UnitState
IMMEDIATE = (U.DISPATCHED, U.EN_ROUTE, U.ON_SCENE)


def _unit(ch: Change, callsign: Any) -> Unit:
    unit = ch.unit(callsign)
    if not unit.active:
        raise InvariantViolated(f"unit {unit.callsign} is inactive", unit=unit.callsign)
    return unit


def _parse_state(value: Any, allowed: tuple[UnitState, ...] | frozenset[UnitState]) -> UnitState:
    try:
        state = UnitState(value)
    except ValueError:
        state = None
    if state not in allowed:
        raise ValidationFailed(
            f"{value!r} is not a state to use here; the unit can be set {join_words(sorted(words(s) for s in allowed))}",
            field="state",
        )
    return state


def _activate(ch: Change, incident: Incident) -> Incident:
    """Dispatching a unit makes its incident active (the invariants still apply)."""
    if incident.state is IncidentState.ACTIVE:
        return incident
    return change_state(ch, incident, IncidentState.ACTIVE)


def _enter(ch: Change, unit: Unit, target: UnitState) -> UnitStatus:
    """One step of the unit status machine, with everything it implies."""
    before = ch.status(unit.id)
    status = before.moved(target, ch.now, unit.callsign)
    incident = None
    event = "unit.status_changed"
    if status.assigned_to_incident_id is not None:
        incident = ch.incident(status.assigned_to_incident_id)
        record = incident.open_unit_for(unit.id)
        assert record is not None, "an assigned unit always has an open IncidentUnit"
        undo = before.state in ASSIGNED and target in AVAILABLE  # a mistaken assignment
        if target in TIMESTAMP_OF and not undo:
            record = record.stamped(TIMESTAMP_OF[target], ch.now)
        if undo or target in (U.AVAILABLE_STATION, U.UNAVAILABLE):
            record = record.closed(ch.now)
            status = status.detached()
            event = "unit.unassigned"
        incident = ch.put_incident(incident.with_unit(record))
        if target in PROGRESS:
            incident = _activate(ch, incident)
    ch.put_status(status)
    ch.emit(event, unit=status, incident=incident)
    return status


def _walk(ch: Change, unit: Unit, target: UnitState) -> UnitStatus:
    """Go to `target`, through every intermediate state of the dispatch chain."""
    status = ch.status(unit.id)
    for step in path_to(status.state, target):
        status = _enter(ch, unit, step)
    return status


def assign(ch: Change, incident_id: str, callsigns: list[Any], state: Any = None) -> list[str]:
    target = _parse_state(state, IMMEDIATE) if state is not None else None
    incident = ch.incident(incident_id)
    ensure_open(incident)
    if not callsigns:
        raise ValidationFailed("name at least one unit", field="units")
    units = [_unit(ch, c) for c in callsigns]
    if len({u.id for u in units}) != len(units):
        raise ValidationFailed("a unit is named twice", field="units")
    record_ids = []
    for unit in units:
        status = ch.status(unit.id)
        if status.state not in AVAILABLE:
            raise InvalidTransition(
                f"{unit.callsign} is {words(status.state)}; only an available unit can be assigned",
                unit=unit.callsign,
                state=status.state.value,
            )
        status = leave_incident(ch, unit, status)  # it had cleared its last incident
        incident = ch.incident(incident_id)
        record = IncidentUnit(
            id=ch.new_id(),
            unit_id=unit.id,
            callsign=unit.callsign,
            unit_assigned_at=ch.now,
            unit_staffing=status.staffing,
        )
        status = status.moved(assigned_state_for(status.state), ch.now, unit.callsign)
        status = ch.put_status(status.attached(incident.id, ch.now))
        log.record(
            ch, incident.with_unit(record), Kind.UNIT_ASSIGNED, unit.callsign, "unit.assigned", unit=status
        )
        record_ids.append(record.id)
        if target is not None:
            _walk(ch, unit, target)
    return record_ids


def unassign(ch: Change, callsign: Any) -> None:
    """Undo a mistaken assignment before dispatch; for a unit available over radio that is still
    on its incident, unassigning is releasing it (what a dispatcher means by either word)."""
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    if status.state is U.AVAILABLE_RADIO and status.assigned_to_incident_id is not None:
        leave_incident(ch, unit, status)
        return
    if status.state not in ASSIGNED:
        raise InvalidTransition(
            f"{unit.callsign} is {words(status.state)}; only a unit not yet dispatched can be unassigned. "
            + _how_to_free(unit.callsign, status),
            unit=unit.callsign,
            state=status.state.value,
        )
    back = U.AVAILABLE_STATION if status.state is U.ASSIGNED_STATION else U.AVAILABLE_RADIO
    _enter(ch, unit, back)


def _how_to_free(callsign: str, status: UnitStatus) -> str:
    """What a dispatcher does to get a unit off its incident, from where it is now."""
    if status.assigned_to_incident_id is None:
        return f"{callsign} is not on an incident."
    if status.state in ASSIGNED:
        return f"Unassign {callsign} (it has not been dispatched)."
    return (
        f"When {callsign} has cleared, set it available (radio) and release it, "
        "or set it available at station."
    )


def release(ch: Change, callsign: Any) -> None:
    """A unit available over radio has cleared its incident: it leaves it, staying available."""
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    if status.state is not U.AVAILABLE_RADIO or status.assigned_to_incident_id is None:
        raise InvalidTransition(
            f"{unit.callsign} is {words(status.state)}"
            + ("" if status.assigned_to_incident_id is None else " on its incident")
            + "; only a unit available (radio) that is still on its incident can be released. "
            + _how_to_free(unit.callsign, status),
            unit=unit.callsign,
            state=status.state.value,
        )
    leave_incident(ch, unit, status)


def reassign(ch: Change, callsign: Any, incident_id: str, state: Any = None) -> list[str]:
    """Leave the current incident and join another in one step."""
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    if status.assigned_to_incident_id is None:
        raise InvalidTransition(
            f"{unit.callsign} is not on an incident; assign it instead",
            unit=unit.callsign,
            state=status.state.value,
        )
    if status.assigned_to_incident_id == incident_id:
        raise InvariantViolated(f"{unit.callsign} is already on that incident", unit=unit.callsign)
    ensure_open(ch.incident(incident_id))
    if status.state in ASSIGNED:
        unassign(ch, unit.callsign)
    elif status.state in PROGRESS:
        _enter(ch, unit, U.AVAILABLE_RADIO)
    return assign(ch, incident_id, [unit.callsign], state)


def _alert_targets(ch: Change, unit: Unit) -> tuple[str, ...]:
    return tuple(
        sorted(t.id for t in ch.world.alert_targets.values() if t.active and unit.id in t.unit_ids)
    )


def dispatch(ch: Change, incident_id: str, callsigns: list[Any] | None = None) -> dict[str, Any]:
    """Two-phase dispatch: alert the units and wait for a delivery acknowledgement."""
    incident = ch.incident(incident_id)
    ensure_open(incident)
    if callsigns is None:
        units = [
            ch.world.units[r.unit_id]
            for r in incident.open_units()
            if ch.status(r.unit_id).state in ASSIGNED
        ]
        if not units:
            raise InvariantViolated(
                "no assigned unit is waiting for dispatch on this incident", incident_id=incident_id
            )
    else:
        units = [_unit(ch, c) for c in callsigns]
        strangers = [u.callsign for u in units if incident.open_unit_for(u.id) is None]
        if strangers:
            raise InvariantViolated(
                f"not assigned to this incident: {', '.join(strangers)}", units=strangers
            )
    dispatching, realerted, warnings = [], [], []
    for unit in units:
        state = ch.status(unit.id).state
        if state not in ASSIGNED and state not in PROGRESS:
            raise InvalidTransition(
                f"{unit.callsign} is {words(state)} and cannot be dispatched; reassign it",
                unit=unit.callsign,
                state=state.value,
            )
        targets = _alert_targets(ch, unit)
        if not targets:
            warnings.append(
                {
                    "unit": unit.callsign,
                    "code": "no_alert_target",
                    "message": f"{unit.callsign} has no active alert target; confirm its dispatch by hand",
                }
            )
            continue
        if state in ASSIGNED:
            _enter(ch, unit, U.DISPATCHING)
            dispatching.append(unit.callsign)
        else:
            realerted.append(unit.callsign)
        ch.alerts.append(AlertRequest(unit.id, incident_id, targets))
    return {"dispatching": dispatching, "realerted": realerted, "warnings": warnings}


def confirm_dispatch(ch: Change, callsign: Any) -> None:
    """A dispatcher confirms by hand that the unit got the call; no alert is re-sent."""
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    if status.state not in ASSIGNED and status.state is not U.DISPATCHING:
        raise InvalidTransition(
            f"{unit.callsign} is {words(status.state)}; only an assigned unit or one being alerted can "
            "be confirmed as dispatched",
            unit=unit.callsign,
            state=status.state.value,
        )
    status = _walk(ch, unit, U.DISPATCHED)
    incident = ch.incident(status.assigned_to_incident_id or "")
    log.record(ch, incident, Kind.DISPATCH_CONFIRMED, unit.callsign, "unit.status_changed", unit=status)


def acknowledge(ch: Change, callsign: Any, target_id: str) -> bool:
    """First delivery acknowledgement moves a dispatching unit to dispatched; later ones,
    or acks for a unit no longer dispatching, change nothing."""
    unit = _unit(ch, callsign)
    target = ch.world.alert_targets.get(target_id)
    if target is None or unit.id not in target.unit_ids:
        raise ValidationFailed(
            f"alert target {target_id!r} does not serve {unit.callsign}", field="target_id"
        )
    if ch.status(unit.id).state is not U.DISPATCHING:
        return False
    _enter(ch, unit, U.DISPATCHED)
    return True


def dispatch_timeout(ch: Change, callsign: Any, since: Any) -> bool:
    """Raised by the server's timer: the unit is still dispatching past the timeout."""
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    if status.state is not U.DISPATCHING or status.state_changed_at != since:
        return False  # acknowledged, confirmed or moved on since the timer was set
    if ch.now - status.state_changed_at < timedelta(seconds=ch.deployment.dispatch_timeout_s):
        raise InvariantViolated(f"{unit.callsign} has not yet timed out", unit=unit.callsign)
    incident = ch.incident(status.assigned_to_incident_id or "")
    if timeout_recorded(incident, unit.callsign, since):
        return False  # a timer re-armed after a restart fires once
    log.record(ch, incident, Kind.DISPATCH_TIMEOUT, unit.callsign, "unit.dispatch_timed_out", unit=status)
    return True


def alert_failed(ch: Change, callsign: Any, incident_id: str, failure: dict[str, Any]) -> bool:
    """Raised by the server's alert delivery: an attempt to reach a target failed (`final`
    when it gives up). Logged on the incident while the unit is still on it; afterwards, or
    once the incident has ended, nobody needs to hear it."""
    unit = _unit(ch, callsign)
    target = ch.world.alert_targets.get(failure["target_id"])
    if target is None or unit.id not in target.unit_ids:
        raise ValidationFailed(
            f"alert target {failure['target_id']!r} does not serve {unit.callsign}", field="target_id"
        )
    status = ch.status(unit.id)
    incident = ch.world.incidents.get(incident_id)
    if incident is None or incident.ended or status.assigned_to_incident_id != incident_id:
        return False
    value = {"unit": unit.callsign, "target": target.name, "target_code": target.code,
             "reason": failure["reason"], "attempt": failure["attempt"], "final": failure["final"]}  # fmt: skip
    log.record(ch, ch.incident(incident_id), Kind.ALERT_FAILED, value, "unit.alert_failed", unit=status)
    return True


def set_state(ch: Change, callsign: Any, state: Any) -> None:
    settable = frozenset(UnitState) - SYSTEM_ONLY
    target = _parse_state(state, settable)
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    if ch.actor.role == "unit" and status.state in LOCKED_FOR_UNIT:
        raise Forbidden(
            f"{unit.callsign} is {words(status.state)}; a unit cannot change its own state now",
            unit=unit.callsign,
        )
    if target is U.DISPATCHED:
        confirm_dispatch(ch, callsign)
    elif target in (U.EN_ROUTE, U.ON_SCENE):
        _walk(ch, unit, target)
    else:
        _enter(ch, unit, target)


def _with_open_record(ch: Change, unit: Unit, status: UnitStatus) -> Incident | None:
    """Copy a new staffing into the unit's open IncidentUnit, if it has one."""
    if status.assigned_to_incident_id is None:
        return None
    incident = ch.incident(status.assigned_to_incident_id)
    record = incident.open_unit_for(unit.id)
    if record is None:
        return incident
    return ch.put_incident(incident.with_unit(replace(record, unit_staffing=status.staffing)))


def set_staffing(ch: Change, callsign: Any, staffing: Staffing) -> None:
    unit = _unit(ch, callsign)
    status = ch.status(unit.id)
    status = ch.put_status(replace(status, staffing=staffing, staffing_changed_at=ch.now))
    ch.emit("unit.status_changed", unit=status, incident=_with_open_record(ch, unit, status))


def set_position(ch: Change, callsign: Any, coordinates: Coordinates) -> None:
    unit = _unit(ch, callsign)
    ch.deployment.service_area.check(coordinates)
    status = ch.status(unit.id)
    status = ch.put_status(replace(status, coordinates=coordinates, coordinates_changed_at=ch.now))
    ch.emit("unit.status_changed", unit=status)
