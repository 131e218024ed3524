"""The advisory queries `classify`, `recommend.units` and `recommend.resources`.

Reads the live world, hands plain inputs to the pure `classification` and `allocation`
modules and shapes their answers for the wire. Changes nothing: acceptance is an ordinary
`unit.assign` or `resource.allocate` by a dispatcher.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from server.advice import allocation as alloc
from server.advice.classification import classify
from server.domain.errors import ValidationFailed
from server.domain.incident import Incident, IncidentState
from server.domain.location import Location, location_from_wire
from server.domain.reference import IncidentType, Priority, Station
from server.domain.unit_status import AVAILABLE, UnitState
from server.domain.values import DESCRIPTION_MAX, check_text
from server.domain.world import Change, World

# Open incidents that still expect units. `monitored` is left out: a dispatcher is watching it,
# not sending to it (it takes part when asked for by id).
WAITING_STATES = frozenset({IncidentState.NEW, IncidentState.QUEUED, IncidentState.ACTIVE})
LAST_TIER = Priority.D  # an incident with neither priority nor type queues behind the rest


def _point(location: Location | None) -> alloc.Point | None:
    if location is None or location.coordinates is None:
        return None
    return (location.coordinates.lat, location.coordinates.lon)


def _tier(incident: Incident, incident_type: IncidentType | None) -> str:
    if incident.incident_priority is not None:
        return incident.incident_priority.value
    return incident_type.priority.value if incident_type else LAST_TIER.value


def _in_creation_order(world: World) -> list[Incident]:
    return sorted((i for i in world.incidents.values() if not i.ended), key=lambda i: (i.incident_created, i.id))


# --- classify -------------------------------------------------------------------------------------


def classify_query(
    ch: Change, text: str | None, location: Any, incident_id: str | None, call_id: str | None
) -> dict[str, Any]:
    world = ch.world
    current_type, district = None, None
    if incident_id is not None:
        incident = ch.incident(incident_id)
        words = [incident.description, *(ch.call(c).description for c in incident.call_ids)]
        text, current_type = "\n".join(w for w in words if w), incident.incident_type
        district = incident.location.district if incident.location else None
    elif call_id is not None:
        call = ch.call(call_id)
        text, district = call.description, call.location.district if call.location else None
        current_type = ch.incident(call.incident_id).incident_type if call.incident_id else None
    else:
        text = check_text("text", text, DESCRIPTION_MAX, required=True)
        if location is not None:
            district = location_from_wire(location, world.districts, world.deployment.service_area).district
    if not text or not text.strip():
        raise ValidationFailed("there is no text to classify: the description is empty", field="text")
    result = classify(
        text,
        world.incident_types.values(),
        current_type=current_type,
        district=district,
        districts={code: d.name for code, d in world.districts.items()},
    )
    answer: dict[str, Any] = {
        "incident_type": result.incident_type,
        "incident_priority": result.incident_priority,
        "desk": result.desk,
        "district": result.district,
    }
    answer = {k: v for k, v in answer.items() if v is not None}
    answer["reasons"] = [r.to_wire() for r in result.reasons]
    answer["alternatives"] = [{"incident_type": code, "score": score} for code, score in result.alternatives]
    return answer


# --- units ----------------------------------------------------------------------------------------


def _unit_candidates(world: World) -> list[alloc.UnitCandidate]:
    """Where each unit is believed to be: a unit available at its station is there; any other
    unit is where it last reported, else at its station."""
    out = []
    for unit in world.units.values():
        status = world.unit_status.get(unit.id)
        station: Station | None = world.stations.get(unit.station_id)
        reported = status.coordinates if status else None
        at_station = _point(station.location) if station else None
        position = (reported.lat, reported.lon) if reported else None
        sources = [("position", position), ("station", at_station)]
        if status is not None and status.state is UnitState.AVAILABLE_STATION:
            sources.reverse()
        source, point = next(((s, p) for s, p in sources if p is not None), (None, None))
        out.append(alloc.UnitCandidate(
            unit.id, unit.callsign, unit.kind, active=unit.active,
            available=status is not None and status.state in AVAILABLE, position=point, source=source,
        ))  # fmt: skip
    return out


def _waiting(world: World, incident: Incident, incident_type: IncidentType) -> alloc.WaitingIncident:
    filled = Counter(world.units[u.unit_id].kind for u in incident.open_units() if u.unit_id in world.units)
    return alloc.WaitingIncident(
        incident.id, _tier(incident, incident_type), _point(incident.location), incident_type.plan,
        tuple(sorted(filled.items())),
    )  # fmt: skip


def recommend_units_query(ch: Change, incident_id: str | None) -> dict[str, Any]:
    world = ch.world
    target = ch.incident(incident_id) if incident_id is not None else None
    if target is not None:
        early = _not_servable(target)
        if early:
            return {"recommendations": [], "unserved": [early], "excluded_units": []}
    waiting = []
    for incident in _in_creation_order(world):
        incident_type = world.incident_types.get(incident.incident_type or "")
        if incident_type is None:
            continue
        asked = target is not None and incident.id == target.id
        if asked or (incident.state in WAITING_STATES and _tier(incident, incident_type) != Priority.N):
            waiting.append(_waiting(world, incident, incident_type))
    plan = alloc.recommend_units(waiting, _unit_candidates(world), world.deployment.speed_kmh)
    keep = (lambda i: i == target.id) if target is not None else (lambda i: True)  # noqa: E731
    return {
        "recommendations": [_unit_wire(r, world) for r in plan.recommendations if keep(r.incident_id)],
        "unserved": [_unserved_wire(u) for u in plan.unserved if keep(u.incident_id)],
        "excluded_units": [{"unit": e.callsign, "kind": e.kind, "reason": e.reason} for e in plan.excluded_units],
    }


def _not_servable(incident: Incident) -> dict[str, Any] | None:
    if incident.ended:
        return {"incident_id": incident.id, "cause": "ended", "reason": "the incident has ended"}
    if incident.incident_type is None:
        return {"incident_id": incident.id, "cause": "no_type",
                "reason": "the incident has no type, so no response plan"}  # fmt: skip
    return None


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} min"


def _unit_wire(r: alloc.UnitRecommendation, world: World) -> dict[str, Any]:
    where = "reported position" if r.source == "position" else "station"
    reason = (f"{r.callsign} ({r.kind}) is {r.distance_m / 1000:.1f} km away from its {where}, about "
              f"{_minutes(r.eta_s)} at {world.deployment.speed_kmh(r.kind):g} km/h; "
              f"fills {r.kind} {r.slot} of {r.of} of the plan (priority {r.priority})")  # fmt: skip
    return {
        "incident_id": r.incident_id,
        "incident_priority": r.priority,
        "unit": r.callsign,
        "unit_id": r.unit_id,
        "kind": r.kind,
        "slot": {"kind": r.kind, "number": r.slot, "of": r.of},
        "distance_m": round(r.distance_m),
        "eta_s": round(r.eta_s),
        "from": r.source,
        "reason": reason,
    }


def _unserved_wire(u: alloc.Unserved) -> dict[str, Any]:
    out = {"incident_id": u.incident_id, "need_id": u.need_id, "kind": u.kind, "missing": u.missing,
           "cause": u.cause, "reason": u.reason}  # fmt: skip
    return {k: v for k, v in out.items() if v is not None}


# --- resources ------------------------------------------------------------------------------------


def recommend_resources_query(ch: Change, incident_id: str | None) -> dict[str, Any]:
    world = ch.world
    target = ch.incident(incident_id) if incident_id is not None else None
    if target is not None and target.ended:
        return {"recommendations": [], "unserved": [{"incident_id": target.id, "cause": "ended",
                                                     "reason": "the incident has ended"}]}  # fmt: skip
    needs = [
        alloc.NeedRequest(need.id, incident.id, _tier(incident, world.incident_types.get(incident.incident_type or "")),
                          need.resource_type.value, need.remaining, _point(incident.location))  # fmt: skip
        for incident in _in_creation_order(world)
        for need in incident.needs
        if need.remaining > 0
    ]
    offers = [
        alloc.ResourceOffer(r.id, r.name, r.resource_type.value, point, r.free,
                            usable=not r.out_of_service and r.capacity > 0)  # fmt: skip
        for r in world.resources.values()
        if (point := _point(r.location)) is not None
    ]
    plan = alloc.recommend_resources(needs, offers)
    keep = (lambda i: i == target.id) if target is not None else (lambda i: True)  # noqa: E731
    return {
        "recommendations": [_resource_wire(r, world) for r in plan.recommendations if keep(r.incident_id)],
        "unserved": [_unserved_wire(u) for u in plan.unserved if keep(u.incident_id)],
    }


def _resource_wire(r: alloc.ResourceRecommendation, world: World) -> dict[str, Any]:
    split = f"; part {r.part} of {r.of} (no single {r.resource_type} has room for all)" if r.of > 1 else ""
    out: dict[str, Any] = {
        "incident_id": r.incident_id,
        "need_id": r.need_id,
        "resource_id": r.resource_id,
        "resource_name": r.name,
        "resource_type": r.resource_type,
        "quantity": r.quantity,
        "distance_m": round(r.distance_m),
        "free": r.free_before,
        "status": world.resources[r.resource_id].status.value,
        "reason": f"{r.name}: {r.free_before} free, {r.distance_m / 1000:.1f} km from the incident{split}",
    }
    if r.of > 1:
        out["split"] = {"part": r.part, "of": r.of}
    return out
