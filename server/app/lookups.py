"""The location queries `call.vicinity` and `geocode`.

Reads the live world, hands plain points and names to the pure `vicinity` and `geocoding`
rules and shapes their answers for the wire. Changes nothing.
"""

from __future__ import annotations

from typing import Any

from server.advice.geo import Point
from server.advice.geocoding import check_query, geocode
from server.advice.vicinity import Nearby, check_radius, nearest_within
from server.app import wire
from server.domain.call import Call
from server.domain.errors import ValidationFailed
from server.domain.incident import Incident
from server.domain.location import Location, location_to_wire
from server.domain.values import Coordinates
from server.domain.world import Change


def _point(location: Location | None) -> Point | None:
    if location is None or location.coordinates is None:
        return None
    return (location.coordinates.lat, location.coordinates.lon)


def _present(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


def _around_call(ch: Change, call_id: str) -> Point:
    centre = _point(ch.call(call_id).location)
    if centre is None:
        raise ValidationFailed(
            f"call {call_id} has no coordinates to look around: set its location's coordinates, "
            "or ask around a point with coordinates",
            field="location.coordinates", call_id=call_id,
        )  # fmt: skip
    return centre


def _around_point(ch: Change, coordinates: Coordinates) -> Point:
    point = ch.deployment.service_area.check(coordinates)
    return (point.lat, point.lon)


def vicinity_query(ch: Change, call_id: str | None, coordinates: Coordinates | None, radius_m: float | None) -> dict:
    """Active calls and incidents not ended, with coordinates, within the radius, nearest first.
    Exactly one of `call_id` and `coordinates` is given (the argument model sees to that)."""
    radius = ch.deployment.vicinity_radius_m if radius_m is None else check_radius(radius_m)
    centre = _around_call(ch, call_id) if call_id is not None else _around_point(ch, coordinates)
    world = ch.world
    calls = [c for c in world.calls.values() if not c.ended and c.id != call_id]
    incidents = [i for i in world.incidents.values() if not i.ended]

    def near(items):
        by_id = {item.id: item for item in items}
        placed = ((item.id, point) for item in items if (point := _point(item.location)) is not None)
        return [(by_id[n.id], n) for n in nearest_within(centre, placed, radius)]

    return {
        "calls": [_call_wire(call, n) for call, n in near(calls)],
        "incidents": [_incident_wire(incident, n) for incident, n in near(incidents)],
        "radius_m": radius,
    }


def _call_wire(call: Call, nearby: Nearby) -> dict[str, Any]:
    return _present({
        "id": call.id, "distance_m": round(nearby.distance_m), "state": call.state.value,
        "caller_name": call.caller_name, "description": call.description,
        "location": location_to_wire(call.location), "incident_id": call.incident_id,
    })  # fmt: skip


def _incident_wire(incident: Incident, nearby: Nearby) -> dict[str, Any]:
    priority = incident.incident_priority.value if incident.incident_priority else None
    return _present({
        "id": incident.id, "distance_m": round(nearby.distance_m), "state": incident.state.value,
        "incident_type": incident.incident_type, "incident_priority": priority,
        "description": incident.description, "location": location_to_wire(incident.location),
    })  # fmt: skip


def geocode_query(ch: Change, query: str) -> dict:
    """Up to ten gazetteer entries for a typed name, best first, in the snapshot's shape."""
    return {"results": [wire.gazetteer_entry(entry) for entry in geocode(check_query(query), ch.world.gazetteer)]}
