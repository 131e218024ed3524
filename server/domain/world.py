"""The live state held in memory, and `Change`: one command's copy-on-write view of it.

A command reads the world through a `Change`, writes new (immutable) entity versions into the
change's overlay and records events. Nothing touches the world until the store has committed
the change's rows; then `World.apply` installs the overlay. A refused or failed command simply
drops its `Change`, so it leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from server.domain.call import Call
from server.domain.errors import NotFound, ValidationFailed
from server.domain.incident import Incident
from server.domain.reference import AlertTarget, Deployment, District, GazetteerEntry, IncidentType, Station, Unit
from server.domain.resources import Resource
from server.domain.unit_status import UnitStatus
from server.domain.values import parse_callsign


@dataclass(frozen=True, slots=True)
class Actor:
    """Who issued a command: a user id and role, or the system (user None); a unit account's
    callsign (`unit`) bounds what it may change (roles.check_own_unit)."""

    user_id: str | None = None
    role: str | None = None
    name: str | None = None  # the user's name, written into the log entries they make
    unit: str | None = None


SYSTEM = Actor()


@dataclass(frozen=True, slots=True)
class Event:
    """A domain event; `entities` maps a kind (incident, unit, call, resource, log_entry) to the
    new state of the entity, which the wire layer serialises whole."""

    name: str
    entities: dict[str, Any]


@dataclass(frozen=True, slots=True)
class AlertRequest:
    """Dispatch alerts to deliver after commit, one per target."""

    unit_id: str
    incident_id: str
    target_ids: tuple[str, ...]


@dataclass
class World:
    deployment: Deployment = field(default_factory=Deployment)
    districts: dict[str, District] = field(default_factory=dict)
    stations: dict[str, Station] = field(default_factory=dict)
    units: dict[str, Unit] = field(default_factory=dict)
    incident_types: dict[str, IncidentType] = field(default_factory=dict)
    alert_targets: dict[str, AlertTarget] = field(default_factory=dict)
    unit_status: dict[str, UnitStatus] = field(default_factory=dict)
    incidents: dict[str, Incident] = field(default_factory=dict)
    calls: dict[str, Call] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    gazetteer: tuple[GazetteerEntry, ...] = ()  # from the reference files; never stored
    seq: int = 0
    _callsigns: dict[str, str] = field(default_factory=dict, repr=False)

    def index_units(self) -> None:
        self._callsigns = {u.callsign: u.id for u in self.units.values()}

    def unit_by_callsign(self, callsign: str) -> Unit | None:
        unit_id = self._callsigns.get(callsign)
        return self.units.get(unit_id) if unit_id else None

    def apply(self, change: Change) -> None:
        """Install a committed change's overlay and advance the event sequence; an overlay
        value of None removes the entity (archived)."""
        for kind, overlay in change.overlays():
            table = getattr(self, kind)
            for key, value in overlay.items():
                if value is None:
                    table.pop(key, None)
                else:
                    table[key] = value
        self.seq += len(change.events)


class Change:
    """One command's transaction over the world: reads fall through to it, writes stay here."""

    _KINDS = ("incidents", "calls", "unit_status", "resources")

    def __init__(
        self,
        world: World,
        now: datetime,
        new_id: Callable[[], str],
        actor: Actor = SYSTEM,
    ) -> None:
        self.world = world
        self.now = now
        self.new_id = new_id
        self.actor = actor
        self.events: list[Event] = []
        self.alerts: list[AlertRequest] = []
        self.status_history: list[UnitStatus] = []  # every status step, for the audit history
        self._overlay: dict[str, dict[str, Any]] = {kind: {} for kind in self._KINDS}

    @property
    def deployment(self) -> Deployment:
        return self.world.deployment

    def overlays(self) -> Iterator[tuple[str, dict[str, Any]]]:
        return iter(self._overlay.items())

    def overlays_changed(self) -> Iterator[str]:
        """The kinds of entity this change has written."""
        return (kind for kind, overlay in self._overlay.items() if overlay)

    def changed(self, kind: str) -> dict[str, Any]:
        """The entities of `kind` this change wrote, by id; None for one it removed."""
        return self._overlay[kind]

    def _get(self, kind: str, key: str, label: str) -> Any:
        overlay = self._overlay[kind]
        found = overlay[key] if key in overlay else getattr(self.world, kind).get(key)
        if found is None:
            raise NotFound(f"no {label} {key!r}", **{f"{label}_id": key})
        return found

    def _put(self, kind: str, key: str, value: Any) -> None:
        self._overlay[kind][key] = value

    # reads -------------------------------------------------------------------------------
    def incident(self, incident_id: str) -> Incident:
        return self._get("incidents", incident_id, "incident")

    def call(self, call_id: str) -> Call:
        return self._get("calls", call_id, "call")

    def resource(self, resource_id: str) -> Resource:
        return self._get("resources", resource_id, "resource")

    def status(self, unit_id: str) -> UnitStatus:
        return self._get("unit_status", unit_id, "unit")

    def all_incidents(self) -> Iterator[Incident]:
        """Every incident as this change sees it (its own versions first)."""
        overlay = self._overlay["incidents"]
        yield from (i for i in overlay.values() if i is not None)
        yield from (i for key, i in self.world.incidents.items() if key not in overlay)

    def unit(self, callsign: str) -> Unit:
        unit = self.world.unit_by_callsign(parse_callsign(callsign))
        if unit is None:
            raise NotFound(f"no unit {callsign!r}", unit=callsign)
        return unit

    def incident_type(self, code: str) -> IncidentType:
        found = self.world.incident_types.get(code)
        if found is None:
            raise ValidationFailed(f"unknown incident type {code!r}", field="incident_type")
        return found

    # writes ------------------------------------------------------------------------------
    def put_incident(self, incident: Incident) -> Incident:
        self._put("incidents", incident.id, incident)
        return incident

    def put_call(self, call: Call) -> Call:
        self._put("calls", call.id, call)
        return call

    def put_resource(self, resource: Resource) -> Resource:
        self._put("resources", resource.id, resource)
        return resource

    def put_status(self, status: UnitStatus) -> UnitStatus:
        self._put("unit_status", status.unit_id, status)
        self.status_history.append(status)
        return status

    def remove_incident(self, incident_id: str) -> None:
        """The incident leaves the live state (archived): None in the overlay means removed."""
        self._put("incidents", incident_id, None)

    def remove_call(self, call_id: str) -> None:
        self._put("calls", call_id, None)

    def emit(self, name: str, **entities: Any) -> None:
        self.events.append(Event(name, {k: v for k, v in entities.items() if v is not None}))
