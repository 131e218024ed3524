"""One function per command: (Change, validated args) → result value.

Handlers only translate: the rules are in `server.domain.operations`. The runner gives each
command its own `Change` and commits it as one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from server import protocol as p
from server.advice import recommendations
from server.advice.stats_query import stats_query
from server.app import lookups, wire
from server.domain.operations import calls, incidents, resources, units
from server.domain.values import Coordinates, Staffing
from server.domain.world import Change

Value = dict[str, Any]
Handler = Callable[[Change, Any], Value]


def _given(args: p.Args, *exclude: str) -> dict[str, Any]:
    """The fields the client sent (absent = leave alone, null = clear)."""
    return {k: getattr(args, k) for k in args.model_fields_set if k not in exclude}


def incident_create(ch: Change, a: p.IncidentCreate) -> Value:
    return {"incident_id": incidents.create_incident(ch, **_given(a)).id}


def incident_update(ch: Change, a: p.IncidentUpdate) -> Value:
    incidents.update_incident(ch, a.incident_id, _given(a, "incident_id"))
    return {}


def incident_set_state(ch: Change, a: p.IncidentSetState) -> Value:
    incidents.set_state(ch, a.incident_id, a.state)
    return {}


def incident_close(ch: Change, a: p.IncidentRef) -> Value:
    incidents.close(ch, a.incident_id)
    return {}


def incident_note(ch: Change, a: p.IncidentNote) -> Value:
    return {"entry_id": incidents.note(ch, a.incident_id, a.text)}


def incident_add_need(ch: Change, a: p.IncidentAddNeed) -> Value:
    return {"need_id": incidents.add_need(ch, a.incident_id, a.resource_type, a.quantity)}


def call_create(ch: Change, a: p.CallCreate) -> Value:
    return {"call_id": calls.create(ch, _given(a)).id}


def call_update(ch: Change, a: p.CallUpdate) -> Value:
    calls.update(ch, a.call_id, _given(a, "call_id"))
    return {}


def call_create_incident(ch: Change, a: p.CallRef) -> Value:
    return {"incident_id": calls.create_incident(ch, a.call_id)}


def call_attach(ch: Change, a: p.CallAttach) -> Value:
    calls.attach(ch, a.call_id, a.incident_id)
    return {}


def call_detach(ch: Change, a: p.CallRef) -> Value:
    calls.detach(ch, a.call_id)
    return {}


def call_copy_location(ch: Change, a: p.CallRef) -> Value:
    calls.copy_location(ch, a.call_id)
    return {}


def call_end(ch: Change, a: p.CallRef) -> Value:
    calls.end(ch, a.call_id)
    return {}


def unit_assign(ch: Change, a: p.UnitAssign) -> Value:
    return {"incident_unit_ids": units.assign(ch, a.incident_id, a.units, a.state)}


def unit_unassign(ch: Change, a: p.UnitRef) -> Value:
    units.unassign(ch, a.unit)
    return {}


def unit_reassign(ch: Change, a: p.UnitReassign) -> Value:
    return {"incident_unit_ids": units.reassign(ch, a.unit, a.incident_id, a.state)}


def unit_dispatch(ch: Change, a: p.UnitDispatch) -> Value:
    return units.dispatch(ch, a.incident_id, a.units)


def unit_confirm_dispatch(ch: Change, a: p.UnitRef) -> Value:
    units.confirm_dispatch(ch, a.unit)
    return {}


def unit_set_state(ch: Change, a: p.UnitSetState) -> Value:
    units.set_state(ch, a.unit, a.state)
    return {}


def unit_set_staffing(ch: Change, a: p.UnitSetStaffing) -> Value:
    units.set_staffing(ch, a.unit, Staffing(a.officers, a.subofficers, a.crew))
    return {}


def unit_set_position(ch: Change, a: p.UnitSetPosition) -> Value:
    units.set_position(ch, a.unit, Coordinates(a.coordinates.lat, a.coordinates.lon))
    return {}


def alert_ack(ch: Change, a: p.AlertAck) -> Value:
    return {"applied": units.acknowledge(ch, a.unit, a.target_id)}


def unit_dispatch_timeout(ch: Change, a: p.UnitDispatchTimeout) -> Value:
    return {"timed_out": units.dispatch_timeout(ch, a.unit, wire.parse_iso(a.since))}


def resource_update(ch: Change, a: p.ResourceUpdate) -> Value:
    resources.update(ch, a.resource_id, _given(a, "resource_id"))
    return {}


def resource_allocate(ch: Change, a: p.ResourceAllocate) -> Value:
    return {"allocation_id": resources.allocate(ch, a.resource_id, a.need_id, a.quantity)}


def resource_release(ch: Change, a: p.ResourceRelease) -> Value:
    resources.release(ch, a.allocation_id)
    return {}


# Queries read through the Change like any handler and must leave it empty.


def classify(ch: Change, a: p.Classify) -> Value:
    return recommendations.classify_query(ch, a.text, a.location, a.incident_id, a.call_id)


def recommend_units(ch: Change, a: p.RecommendFor) -> Value:
    return recommendations.recommend_units_query(ch, a.incident_id)


def recommend_resources(ch: Change, a: p.RecommendFor) -> Value:
    return recommendations.recommend_resources_query(ch, a.incident_id)


def call_vicinity(ch: Change, a: p.CallVicinity) -> Value:
    point = Coordinates(a.coordinates.lat, a.coordinates.lon) if a.coordinates is not None else None
    return lookups.vicinity_query(ch, a.call_id, point, a.radius_m)


def geocode(ch: Change, a: p.Geocode) -> Value:
    return lookups.geocode_query(ch, a.query)


def stats(ch: Change, a: p.Stats) -> Value:
    return stats_query(ch.world, ch.now, p.parse_iso(a.from_), p.parse_iso(a.to), a.by)


# Controls act on the server process and are answered by the hub, not by a handler.
HANDLERS: dict[str, Handler] = {
    name: globals()[name.replace(".", "_")] for name, spec in p.COMMANDS.items() if not spec.control
}
