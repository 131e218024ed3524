"""Entities to their wire shapes (protocol.md, "Entity shapes") and back from stored JSON.

The same shapes go into events, snapshots and the JSON columns, so one function per entity
serves all three.
"""

from __future__ import annotations

from typing import Any

from server.domain.call import Call
from server.domain.incident import Allocation, Incident, IncidentUnit, LogEntry, Need
from server.domain.location import location_to_wire
from server.domain.reference import Deployment, GazetteerEntry, IncidentType, Outlines, Station
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
            "incident_id": entry.incident_id,
            "log_timestamp": iso(entry.log_timestamp),
            "dispatcher": entry.dispatcher,
            "dispatcher_name": entry.dispatcher_name,
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
        **({"outlines": outlines(item.outlines)} if item.outlines else {}),
    }


def unit_entity(world: World) -> Any:
    return lambda status: unit(world, status)


def outlines(item: Outlines) -> dict[str, Any]:
    # Points as [lat, lon] pairs: the demo's coast and districts are about 3 KB in a snapshot.
    return {
        "source": item.source,
        "lines": [{"kind": line.kind, "points": [[p.lat, p.lon] for p in line.points]} for line in item.lines],
        "labels": [_compact({"name": label.name, "district": label.district,
                             "lat": label.coordinates.lat, "lon": label.coordinates.lon}) for label in item.labels],
    }  # fmt: skip


def encoders(world: World) -> dict[str, Any]:
    """Each kind's encoder, by the kind name events use."""
    return {"incident": incident, "call": call, "resource": resource, "log_entry": log_entry, "unit": unit_entity(world)}


# What a delta always names besides what changed: the unit's callsign lets a feed say which.
_ALWAYS = {"unit": ("id", "callsign")}
_WORLD_KIND = {"incident": "incidents", "call": "calls", "resource": "resources", "unit": "unit_status"}


def delta(kind: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """The fields of `after` that differ from `before` (a field gone is sent as null)."""
    out = {k: after[k] for k in _ALWAYS.get(kind, ("id",))}
    for key, value in after.items():
        if before.get(key, _MISSING) != value:
            out[key] = value
    for key in before.keys() - after.keys():
        out[key] = None
    return out


_MISSING = object()


def event_data(world: World, events: list[Event]) -> list[dict[str, Any]]:
    """Each event's `data` (protocol 2): for every entity it touched, its id and the fields that
    changed since the entity's previous version — the world's, or the one an earlier event of
    the same change carried. A created entity comes whole. The log entries an incident gained
    since then travel beside it (`log_entry`, or `log_entries` when there are several). Call
    before the change is installed in `world`."""
    encode = encoders(world)
    last: dict[tuple[str, str], dict[str, Any]] = {}
    logged: dict[str, int] = {}  # incident id → entries already sent
    out = []
    for event in events:
        data: dict[str, Any] = {}
        for kind, entity in event.entities.items():
            if kind == "log_entry" and "incident" in event.entities:
                continue  # derived from the incident below, so an entry is never sent twice
            full = encode[kind](entity)
            if kind not in _WORLD_KIND:
                data[kind] = full
                continue
            key = (kind, full["id"])
            before = last.get(key)
            if before is None:
                old = getattr(world, _WORLD_KIND[kind]).get(full["id"])
                before = encode[kind](old) if old is not None else None
                if kind == "incident":
                    logged[entity.id] = len(old.log) if old is not None else 0
            data[kind] = full if before is None else delta(kind, before, full)
            last[key] = full
            if kind == "incident":
                new = entity.log[logged[entity.id]:]
                logged[entity.id] = len(entity.log)
                if len(new) == 1:
                    data["log_entry"] = log_entry(new[0])
                elif new:
                    data["log_entries"] = [log_entry(e) for e in new]
        out.append(data)
    return out


def snapshot_reference(world: World) -> dict[str, Any]:
    """What every client needs before the live entities: the deployment's reference data."""
    return {
        "deployment": deployment(world.deployment),
        "districts": [{"code": d.code, "name": d.name} for d in world.districts.values()],
        "stations": [station(s) for s in world.stations.values()],
        "incident_types": [incident_type(t) for t in world.incident_types.values()],
        # Small (hundreds of rows) and read on every keystroke of a location: the workstation
        # keeps it rather than asking the server over a slow link.
        "gazetteer": [gazetteer_entry(g) for g in world.gazetteer],
    }


def snapshot(world: World) -> dict[str, Any]:
    """The whole state as one object (protocol.md § Snapshot): for tests and tools; the hub
    sends the same content in parts (server/app/snapshot.py)."""
    return {
        "seq": world.seq,
        **snapshot_reference(world),
        "units": [unit(world, world.unit_status[u.id]) for u in world.units.values() if u.active],
        "incidents": [incident(i) for i in world.incidents.values()],
        "calls": [call(c) for c in world.calls.values()],
        "resources": [resource(r) for r in world.resources.values()],
        "log_entries": [log_entry(e) for i in world.incidents.values() if i.state.value != "ended" for e in i.log],
    }
