"""The incident aggregate: state machine, invariants, IncidentUnits, log entries, needs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from server.domain.errors import InvalidTransition, InvariantViolated, join_words
from server.domain.location import Location
from server.domain.records import record, replace
from server.domain.reference import Priority
from server.domain.values import Staffing


class IncidentState(StrEnum):
    NEW = "new"
    QUEUED = "queued"
    ACTIVE = "active"
    MONITORED = "monitored"
    ENDED = "ended"


S = IncidentState
INCIDENT_TRANSITIONS: dict[IncidentState, frozenset[IncidentState]] = {
    S.NEW: frozenset({S.QUEUED, S.ACTIVE, S.MONITORED, S.ENDED}),
    S.QUEUED: frozenset({S.ACTIVE, S.MONITORED, S.ENDED}),
    S.ACTIVE: frozenset({S.MONITORED, S.ENDED}),
    S.MONITORED: frozenset({S.QUEUED, S.ACTIVE, S.ENDED}),
    S.ENDED: frozenset(),
}


class EntryType(StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


class ChangeKind(StrEnum):
    """Kinds of change an automatic log entry records — exactly the domain's triggers."""

    STATE = "state"
    INCIDENT_TYPE = "incident_type"
    INCIDENT_PRIORITY = "incident_priority"
    LOCATION = "location"
    DESCRIPTION = "description"
    CALL_LINKED = "call_linked"
    CALL_DETACHED = "call_detached"
    UNIT_ASSIGNED = "unit_assigned"
    DISPATCH_TIMEOUT = "dispatch_timeout"
    DISPATCH_CONFIRMED = "dispatch_confirmed"
    ALERT_FAILED = "alert_failed"
    RESOURCE_ALLOCATED = "resource_allocated"
    RESOURCE_RELEASED = "resource_released"


@record
class LogEntry:
    id: str
    incident_id: str
    log_timestamp: datetime
    entry_type: EntryType
    dispatcher: str | None = None
    description: str | None = None  # manual entries
    change_data: dict[str, Any] | None = None  # automatic entries: {"change": kind, "value": …}
    # The maker's name as it was when the entry was written (a log is never rewritten); none
    # for the system's entries.
    dispatcher_name: str | None = None


# IncidentUnit timestamps in the order they must not decrease.
UNIT_TIMESTAMPS = (
    "unit_assigned_at",
    "unit_dispatched",
    "unit_en_route",
    "unit_on_scene",
    "unit_available",
    "unit_back_at_station",
)


@record
class IncidentUnit:
    """One continuous assignment of one unit to one incident; frozen once unassigned."""

    id: str
    unit_id: str
    callsign: str
    unit_assigned_at: datetime
    unit_staffing: Staffing | None = None
    unit_unassigned_at: datetime | None = None
    unit_dispatched: datetime | None = None
    unit_en_route: datetime | None = None
    unit_on_scene: datetime | None = None
    unit_available: datetime | None = None
    unit_back_at_station: datetime | None = None

    @property
    def open(self) -> bool:
        return self.unit_unassigned_at is None

    def latest(self) -> datetime:
        return max(getattr(self, name) for name in UNIT_TIMESTAMPS if getattr(self, name) is not None)

    def stamped(self, name: str, at: datetime) -> IncidentUnit:
        """Record a progress timestamp copied from a unit status change."""
        if name not in UNIT_TIMESTAMPS[1:]:
            raise ValueError(f"{name} is not a progress timestamp")
        self._check_open()
        if at < self.latest():
            raise InvariantViolated(
                f"{self.callsign}: {name} would precede an earlier timestamp of this assignment",
                unit=self.callsign,
            )
        return replace(self, **{name: at})

    def closed(self, at: datetime) -> IncidentUnit:
        self._check_open()
        if at < self.latest():
            raise InvariantViolated(
                f"{self.callsign}: unassignment would precede the assignment's last timestamp",
                unit=self.callsign,
            )
        return replace(self, unit_unassigned_at=at)

    def _check_open(self) -> None:
        if not self.open:
            raise InvariantViolated(
                f"the assignment of {self.callsign} has ended and cannot change", unit=self.callsign
            )


@record
class Allocation:
    """Quantity of one resource reserved for a need; freed on release or when the incident ends."""

    id: str
    resource_id: str
    quantity: int
    allocated_at: datetime
    released_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.released_at is None


@record
class Need:
    id: str
    resource_type: str
    quantity: int
    allocations: tuple[Allocation, ...] = ()

    @property
    def allocated(self) -> int:
        return sum(a.quantity for a in self.allocations if a.open)

    @property
    def remaining(self) -> int:
        return max(0, self.quantity - self.allocated)


def timeout_recorded(incident: Incident, callsign: str, since: datetime) -> bool:
    """Whether the dispatch of `callsign` that began at `since` has its timeout logged already:
    a timeout fires once, however often a timer is armed for it (restarts)."""
    return any(
        e.change_data and e.change_data.get("change") == ChangeKind.DISPATCH_TIMEOUT.value
        and e.change_data.get("value") == callsign and e.log_timestamp >= since
        for e in reversed(incident.log)
    )  # fmt: skip


@record
class Incident:
    id: str
    state: IncidentState
    incident_created: datetime
    incident_ended: datetime | None = None
    incident_type: str | None = None
    incident_priority: Priority | None = None
    location: Location | None = None
    description: str = ""
    desk: str | None = None
    call_ids: tuple[str, ...] = ()
    units: tuple[IncidentUnit, ...] = ()
    log: tuple[LogEntry, ...] = ()
    needs: tuple[Need, ...] = ()

    @property
    def ended(self) -> bool:
        return self.state is IncidentState.ENDED

    def open_units(self) -> tuple[IncidentUnit, ...]:
        return tuple(u for u in self.units if u.open)

    def open_unit_for(self, unit_id: str) -> IncidentUnit | None:
        return next((u for u in self.units if u.open and u.unit_id == unit_id), None)

    def with_unit(self, record: IncidentUnit) -> Incident:
        """Add or replace an IncidentUnit record (by id)."""
        if any(u.id == record.id for u in self.units):
            return replace(self, units=tuple(record if u.id == record.id else u for u in self.units))
        return replace(self, units=(*self.units, record))

    def with_need(self, need: Need) -> Incident:
        if any(n.id == need.id for n in self.needs):
            return replace(self, needs=tuple(need if n.id == need.id else n for n in self.needs))
        return replace(self, needs=(*self.needs, need))

    def need(self, need_id: str) -> Need | None:
        return next((n for n in self.needs if n.id == need_id), None)

    def logged(self, entry: LogEntry) -> Incident:
        return replace(self, log=(*self.log, entry))


def ensure_open(incident: Incident) -> None:
    """An ended incident accepts no change at all."""
    if incident.ended:
        raise InvariantViolated(
            f"incident {incident.id} has ended and accepts no change", incident_id=incident.id
        )


# What an incident lacks, as a dispatcher says it ("the incident needs a type and a location").
NEEDED_WORDS = {
    "incident_type": "a type",
    "incident_priority": "a priority",
    "location": "a location",
    "units": "a unit assigned",
}
FIELD_WORDS = {"incident_type": "type", "incident_priority": "priority", "location": "location",
               "description": "description", "desk": "desk"}  # fmt: skip
# The incident states as the end of "before it can be …".
BECOMING = {IncidentState.QUEUED: "queued", IncidentState.ACTIVE: "made active",
            IncidentState.MONITORED: "monitored", IncidentState.ENDED: "closed"}  # fmt: skip


def needed(names: list[str]) -> str:
    return join_words([NEEDED_WORDS.get(n, n) for n in names])


def missing_for(incident: Incident, target: IncidentState) -> list[str]:
    """What the incident lacks before it may enter `target`."""
    missing: list[str] = []
    if target in (IncidentState.QUEUED, IncidentState.ACTIVE):
        missing += [
            name
            for name in ("incident_type", "incident_priority", "location")
            if getattr(incident, name) is None
        ]
    if target is IncidentState.ACTIVE and not incident.units:
        missing.append("units")
    return missing


def check_transition(incident: Incident, target: IncidentState, open_units_checked: bool = True) -> None:
    """Refuse a transition the table does not allow or whose invariants do not hold
    (`open_units_checked=False`: the caller checks the open assignments itself, knowing more)."""
    if target not in INCIDENT_TRANSITIONS[incident.state]:
        raise InvalidTransition(
            f"an incident cannot go from {incident.state} to {target}",
            incident_id=incident.id,
            state=incident.state.value,
            to=target.value,
        )
    missing = missing_for(incident, target)
    if missing:
        raise InvariantViolated(
            f"the incident needs {needed(missing)} before it can be {BECOMING.get(target, target)}",
            incident_id=incident.id,
            missing=missing,
        )
    if target is IncidentState.ENDED and open_units_checked:
        still = incident.open_units()
        if still:
            callsigns = [u.callsign for u in still]
            raise InvariantViolated(
                f"{join_words(callsigns)} {'is' if len(callsigns) == 1 else 'are'} still on this incident; "
                "release or unassign them before closing",
                incident_id=incident.id,
                units=callsigns,
            )


def transitioned(incident: Incident, target: IncidentState, at: datetime) -> Incident:
    check_transition(incident, target)
    ended = at if target is IncidentState.ENDED else None
    return replace(incident, state=target, incident_ended=ended)


def check_priority_n(incident: Incident, has_public_calls: bool) -> None:
    """Operational orders (priority N) need a type and a location and take no public calls."""
    if incident.incident_priority is not Priority.N:
        return
    missing = [n for n in ("incident_type", "location") if getattr(incident, n) is None]
    if missing:
        raise InvariantViolated(
            f"an operational order (priority N) needs {needed(missing)}",
            incident_id=incident.id,
            missing=missing,
        )
    if has_public_calls:
        raise InvariantViolated(
            "an operational order (priority N) cannot be linked to calls from the public",
            incident_id=incident.id,
        )

