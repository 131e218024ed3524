"""Entities to their wire shapes (protocol.md, "Entity shapes") and back from stored JSON.

The same shapes go into events, snapshots and the JSON columns, so one function per entity
serves all three.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from server.domain.call import Call
from server.domain.incident import Allocation, Incident, IncidentUnit, LogEntry, Need
from server.domain.location import location_to_wire
from server.domain.reference import Deployment, GazetteerEntry, IncidentType, Station
from server.domain.resources import Resource
from server.domain.unit_status import UnitStatus
from server.domain.world import Event, World
from server.protocol import iso, parse_iso  # noqa: F401 (the codec's time format is the protocol's)


def _compact(fields: dict[str, Any]) -> dict[str, Any]:
    """Absence is an absent optional field, never a placeholder."""
    return {k: v for k, v in fields.items() if v is not None}


def log_entry(entry: LogEntry) -> dict[str, Any]:
    return _compact(
        {
            "id": entry.id,
            "log_timestamp": iso(entry.log_timestamp),
            "dispatcher": entry.dispatcher,
            "entry_type": entry.entry_type.value,
            "description": entry.description,
            "change_data": entry.change_data,
        }
    )


def incident_unit(record: IncidentUnit) -> dict[str, Any]:
    return _compact(
        {
            "id": record.id,
            "unit_id": record.unit_id,
            "callsign": record.callsign,
            "unit_staffing": record.unit_staffing.to_wire() if record.unit_staffing else None,
            "unit_assigned_at": iso(record.unit_assigned_at),
            "unit_unassigned_at": iso(record.unit_unassigned_at),
            "unit_dispatched": iso(record.unit_dispatched),
            "unit_en_route": iso(record.unit_en_route),
            "unit_on_scene": iso(record.unit_on_scene),
            "unit_available": iso(record.unit_available),
            "unit_back_at_station": iso(record.unit_back_at_station),
        }
    )


def allocation(item: Allocation) -> dict[str, Any]:
    return _compact(
        {
            "id": item.id,
            "resource_id": item.resource_id,
            "quantity": item.quantity,
            "allocated_at": iso(item.allocated_at),
            "released_at": iso(item.released_at),
        }
    )


def need(item: Need) -> dict[str, Any]:
    return {
        "id": item.id,
        "resource_type": str(item.resource_type),
        "quantity": item.quantity,
        "allocated": item.allocated,
        "allocations": [allocation(a) for a in item.allocations],
    }


def incident(item: Incident) -> dict[str, Any]:
    return _compact(
        {
            "id": item.id,
            "state": item.state.value,
            "incident_created": iso(item.incident_created),
            "incident_ended": iso(item.incident_ended),
            "incident_type": item.incident_type,
            "incident_priority": item.incident_priority.value if item.incident_priority else None,
            "location": location_to_wire(item.location) if item.location else None,
            "description": item.description,
            "desk": item.desk,
            "call_ids": list(item.call_ids),
            "units": [incident_unit(u) for u in item.units],
            "log": [log_entry(e) for e in item.log],
            "needs": [need(n) for n in item.needs],
        }
    )


def call(item: Call) -> dict[str, Any]:
    return _compact(
        {
            "id": item.id,
            "state": item.state.value,
            "receiving_dispatcher": item.receiving_dispatcher,
            "call_started": iso(item.call_started),
            "call_ended": iso(item.call_ended),
            "caller_name": item.caller_name,
            "caller_phone": item.caller_phone,
            "location": location_to_wire(item.location) if item.location else None,
            "description": item.description,
            "outcome": item.outcome.value if item.outcome else None,
            "outcome_rationale": item.outcome_rationale,
            "incident_id": item.incident_id,
        }
    )


def unit_status(status: UnitStatus) -> dict[str, Any]:
    return _compact(
        {
            "state": status.state.value,
            "state_changed_at": iso(status.state_changed_at),
            "staffing": status.staffing.to_wire() if status.staffing else None,
            "staffing_changed_at": iso(status.staffing_changed_at),
            "coordinates": status.coordinates.to_wire() if status.coordinates else None,
            "coordinates_changed_at": iso(status.coordinates_changed_at),
            "assigned_to_incident_id": status.assigned_to_incident_id,
            "assigned_to_incident_at": iso(status.assigned_to_incident_at),
        }
    )


def unit(world: World, status: UnitStatus) -> dict[str, Any]:
    ref = world.units[status.unit_id]
    return {
        "id": ref.id,
        "callsign": ref.callsign,
        "kind": ref.kind,
        "station_id": ref.station_id,
        "active": ref.active,
        "status": unit_status(status),
    }


def resource(item: Resource) -> dict[str, Any]:
    return {
        "id": item.id,
        "name": item.name,
        "resource_type": item.resource_type.value,
        "status": item.status.value,
        "capacity": item.capacity,
        "in_use": item.in_use,
        "out_of_service": item.out_of_service,
        "location": location_to_wire(item.location),
        "district": item.district,
    }


def station(item: Station) -> dict[str, Any]:
    return {
        "id": item.id,
        "code": item.code,
        "name": item.name,
        "district": item.district,
        "location": location_to_wire(item.location),
        "active": item.active,
    }


def incident_type(item: IncidentType) -> dict[str, Any]:
    return {
        "code": item.code,
        "description": item.description,
        "priority": item.priority.value,
        "desk": item.desk,
        "plan": dict(item.plan),
        "keywords": list(item.keywords),
    }


def gazetteer_entry(item: GazetteerEntry) -> dict[str, Any]:
    return _compact({"kind": item.kind, "name": item.name, "district": item.district,
                     "coordinates": item.coordinates.to_wire(), "road_b": item.road_b})  # fmt: skip


def deployment(item: Deployment) -> dict[str, Any]:
    # The area lets a client check coordinates while they are typed; the radius labels the
    # vicinity check (`call.vicinity` uses it when asked without one).
    area = item.service_area
    return {
        "name": item.name,
        "timezone": item.timezone,
        "service_area": {
            "lat_min": area.lat_min,
            "lat_max": area.lat_max,
            "lon_min": area.lon_min,
            "lon_max": area.lon_max,
        },
        "vicinity_radius_m": item.vicinity_radius_m,
        # The workstation derives overdue flags from state and time, and the supervisor screen
        # draws the statistics' targets, from these.
        "overdue": {priority: asdict(limits) for priority, limits in item.overdue},
        "stats_targets": _compact({**asdict(item.stats_targets),
                                   "turnout_s_by_kind": dict(item.stats_targets.turnout_s_by_kind)}),
    }


def event_data(world: World, event: Event) -> dict[str, Any]:
    """The event's `data`: each changed entity's whole new state, keyed by kind."""
    shapes = {
        "incident": incident,
        "call": call,
        "resource": resource,
        "log_entry": log_entry,
        "unit": lambda status: unit(world, status),
    }
    return {kind: shapes[kind](entity) for kind, entity in event.entities.items()}


def snapshot(world: World) -> dict[str, Any]:
    """Everything a client needs to replace its whole state (operational views only)."""
    return {
        "seq": world.seq,
        "deployment": deployment(world.deployment),
        "districts": [{"code": d.code, "name": d.name} for d in world.districts.values()],
        "stations": [station(s) for s in world.stations.values()],
        "incident_types": [incident_type(t) for t in world.incident_types.values()],
        "units": [unit(world, world.unit_status[u.id]) for u in world.units.values() if u.active],
        "incidents": [incident(i) for i in world.incidents.values()],
        "calls": [call(c) for c in world.calls.values()],
        "resources": [resource(r) for r in world.resources.values()],
        # Small (hundreds of rows) and read on every keystroke of a location: the workstation
        # keeps it rather than asking the server over a slow link.
        "gazetteer": [gazetteer_entry(g) for g in world.gazetteer],
    }
