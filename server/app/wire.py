"""Entities to their wire shapes (protocol.md, "Entity shapes") and back from stored JSON.

The same shapes go into events, snapshots and the JSON columns, so one function per entity
serves all three.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from server.domain import shapes
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


def _recently_encoded(encode: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    """`encode` remembering the last `_KEPT` entities it encoded, by identity: a command's new
    incident and log entry are encoded for its event and again for the kept snapshot, and
    entities are immutable, so the second is the first's dict (half of what a create encodes).
    The dicts are shared: whoever adds to one builds a new one (`|`)."""
    kept: dict[int, tuple[Any, dict[str, Any]]] = {}

    def encoded(item: Any) -> dict[str, Any]:
        hit = kept.get(id(item))
        if hit is not None and hit[0] is item:  # the object itself, not one that reused its id
            return hit[1]
        value = encode(item)
        if len(kept) >= _KEPT:
            kept.pop(next(iter(kept)), None)
        kept[id(item)] = (item, value)
        return value

    return encoded


_KEPT = 64  # more than one batch's new entities of a kind


@_recently_encoded
def log_entry(entry: LogEntry) -> dict[str, Any]:
    return shapes.LOG_ENTRY.wire(entry)


def incident_unit(record: IncidentUnit) -> dict[str, Any]:
    return shapes.INCIDENT_UNIT.wire(record)


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


@_recently_encoded
def incident(item: Incident) -> dict[str, Any]:
    return shapes.INCIDENT.wire(item) | {
        "call_ids": list(item.call_ids),
        "units": [incident_unit(u) for u in item.units],
        "needs": [need(n) for n in item.needs],
    }


def call(item: Call) -> dict[str, Any]:
    return shapes.CALL.wire(item)


def unit_status(status: UnitStatus) -> dict[str, Any]:
    wire = shapes.UNIT_STATUS.wire(status)
    del wire["unit_id"]  # the unit carries it as its id
    return wire


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
    return shapes.RESOURCE.wire(item) | {"status": item.status.value}


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
        # The workstation derives overdue flags from state and time, and the supervisor screen
        # draws the statistics' targets, from these.
        "overdue": {priority: asdict(limits) for priority, limits in item.overdue},
        "stats_targets": _compact({**asdict(item.stats_targets),
                                   "turnout_s_by_kind": dict(item.stats_targets.turnout_s_by_kind)}),
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
_IDS = ("incident_id", "call_id")  # `incident.archived` / `call.archived` name what left by id


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
            if kind in _IDS:  # an entity that left (archived): only its id
                data[kind] = entity
                continue
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
