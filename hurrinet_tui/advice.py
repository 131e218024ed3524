"""Recommendations, suggestions and resource needs as a dispatcher reads and accepts them.

Pure: no Textual, no network. The server decides what to recommend (`recommend.units`,
`recommend.resources`, `classify`); this module only words the answers, notices when one no
longer matches the replica (a unit taken meanwhile), groups accepted rows into the ordinary
commands, and reads what a dispatcher types into the small prompts.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .replica import Entity, Replica

EARTH_RADIUS_M = 6_371_008.8  # the server's figure (server/advice/allocation.py), so distances agree
RESOURCE_TYPES = ("SHELTER", "MEDICAL", "SUPPLIES", "WATER")
# The unit states `unit.assign` accepts (docs/domain.md, "Which units").
ASSIGNABLE = frozenset({"available_radio", "available_station"})
TIER_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, "N": 5}
# What `classify` suggests and `incident.update` sets, with the word a dispatcher reads.
SUGGESTED_FIELDS = (("incident_type", "type"), ("incident_priority", "priority"), ("desk", "desk"))


class InputError(ValueError):
    """What was typed cannot become a command; the message names the problem."""


# --- words and numbers ----------------------------------------------------------------------------
def distance_label(metres: int | float) -> str:
    if metres < 1000:
        return f"{round(metres)} m"
    return f"{metres / 1000:.1f} km" if metres < 10_000 else f"{round(metres / 1000)} km"


def great_circle_m(a: Entity, b: Entity) -> float:
    """Metres between two `{lat, lon}` points (haversine): a handful of resources, no numpy needed."""
    lat_a, lat_b = math.radians(a["lat"]), math.radians(b["lat"])
    h = math.sin((lat_b - lat_a) / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(
        math.radians(b["lon"] - a["lon"]) / 2) ** 2  # fmt: skip
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def coordinates_of(entity: Entity | None) -> Entity | None:
    location = (entity or {}).get("location") or {}
    return location.get("coordinates")


def eta_label(seconds: int | float) -> str:
    """Travel time at a glance, the way ages read on the board: 45s, 3m05, 1h02."""
    seconds = max(int(round(seconds)), 0)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}"


def desk_label(desk: str | None) -> str:
    return (desk or "").replace("_", " ")


# --- unit recommendations -------------------------------------------------------------------------
def unit_key(recommendation: Entity) -> str:
    """A row's identity across re-queries: the same unit for the same incident."""
    return f"{recommendation['incident_id']}/{recommendation['unit_id']}"


def by_tier(recommendations: Iterable[Entity]) -> list[Entity]:
    """Most urgent tier first; within a tier the server's order (incident age, kind, slot) stands."""
    return sorted(recommendations, key=lambda r: TIER_RANK.get(r.get("incident_priority") or "D", 4))


def open_kinds(incident: Entity, replica: Replica) -> dict[str, int]:
    """How many units of each kind are on the incident now (open IncidentUnits)."""
    counts: dict[str, int] = {}
    for record in incident["units"]:
        unit = replica.units.get(record["unit_id"])
        if unit is not None and "unit_unassigned_at" not in record:
            counts[unit["kind"]] = counts.get(unit["kind"], 0) + 1
    return counts


def stale_unit(recommendation: Entity, replica: Replica) -> str | None:
    """Why a unit recommendation no longer holds in the replica, or None while it still does."""
    unit = replica.units.get(recommendation["unit_id"])
    callsign = recommendation["unit"]
    if unit is None or not unit.get("active", True):
        return f"{callsign} is no longer in service"
    incident = replica.incidents.get(recommendation["incident_id"])
    if incident is None or incident["state"] == "ended":
        return "the incident has ended"
    state = unit["status"]["state"]
    if state not in ASSIGNABLE:
        return f"{callsign} is no longer available ({state.replace('_', ' ')})"
    incident_type = replica.incident_types.get(incident.get("incident_type") or "")
    kind = recommendation["kind"]
    wanted = (incident_type or {}).get("plan", {}).get(kind, 0)
    if open_kinds(incident, replica).get(kind, 0) >= wanted:
        return f"the plan's {kind.replace('_', ' ')} slots are filled now"
    return None


def assignments(recommendations: Iterable[Entity]) -> list[tuple[str, list[str]]]:
    """Accepted rows as one `unit.assign` per incident: (incident id, callsigns), in row order."""
    grouped: dict[str, list[str]] = {}
    for recommendation in recommendations:
        grouped.setdefault(recommendation["incident_id"], []).append(recommendation["unit"])
    return list(grouped.items())


# --- classification -------------------------------------------------------------------------------
def suggested_changes(incident: Entity, suggestion: Entity) -> dict[str, str]:
    """The `incident.update` fields that applying the suggestion would change (only those)."""
    return {
        field: suggestion[field]
        for field, _ in SUGGESTED_FIELDS
        if suggestion.get(field) is not None and suggestion[field] != incident.get(field)
    }


def describe_changes(changes: dict[str, str]) -> str:
    words = dict(SUGGESTED_FIELDS)
    return ", ".join(f"{words[field]} {desk_label(value)}" for field, value in changes.items())


# --- resources and needs --------------------------------------------------------------------------
def free_room(resource: Entity) -> int:
    return max(0, resource["capacity"] - resource["in_use"])


def open_allocations(need: Entity) -> list[Entity]:
    return [a for a in need["allocations"] if "released_at" not in a]


def still_needed(need: Entity) -> int:
    return max(0, need["quantity"] - need["allocated"])


def default_quantity(need: Entity, resource: Entity) -> int:
    """What an allocation most likely takes: all that is still needed, if the resource has room;
    else what room it has. A full resource proposes the need's rest and lets the server say why not."""
    needed, free = still_needed(need), free_room(resource)
    return min(needed, free) if free > 0 else needed


def find_need(incident: Entity, need_id: str) -> Entity | None:
    return next((n for n in incident["needs"] if n["id"] == need_id), None)


def stale_resource(recommendation: Entity, replica: Replica) -> str | None:
    """Why a resource recommendation no longer holds in the replica, or None while it still does."""
    resource = replica.resources.get(recommendation["resource_id"])
    incident = replica.incidents.get(recommendation["incident_id"])
    if resource is None:
        return "the resource is gone"
    if incident is None or incident["state"] == "ended":
        return "the incident has ended"
    if resource.get("out_of_service"):
        return f"{resource['name']} is out of service now"
    quantity = recommendation["quantity"]
    if free_room(resource) < quantity:
        return f"{resource['name']} has only {free_room(resource)} free now"
    need = find_need(incident, recommendation["need_id"])
    if need is None or still_needed(need) < quantity:
        return f"the need has {still_needed(need) if need else 0} left to allocate now"
    return None


def resource_type_named(word: str) -> str:
    """A resource type from what was typed: any unique start of it, any case, a plural allowed."""
    typed = word.strip().upper()
    if not typed:
        raise InputError(f"type a resource type: {', '.join(RESOURCE_TYPES)}")
    found = [t for t in RESOURCE_TYPES if t.startswith(typed) or typed in (f"{t}S", f"{t}ES")]
    if len(found) == 1:
        return found[0]
    if found:
        raise InputError(f"{word!r} could be {' or '.join(found)}: type more of it")
    raise InputError(f"no resource type {word!r}: {', '.join(RESOURCE_TYPES)}")


def whole_number(field: str, text: str) -> int:
    """A whole number as typed. Whether it is big enough is the server's rule (it says so)."""
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{field} must be a whole number, got {text!r}" if text else f"type a {field}") from None


def parse_need(text: str) -> tuple[str, int]:
    """`shelter 40` → ("SHELTER", 40): a resource type and a quantity."""
    words = text.split()
    if not words:
        raise InputError("type a resource type and a quantity, e.g. 'shelter 40'")
    if len(words) == 1:
        resource_type_named(words[0])  # a wrong type is the first thing to say
        raise InputError(f"type a quantity after {words[0]!r}, e.g. '{words[0]} 40'")
    if len(words) > 2:
        raise InputError(f"a need is a type and a quantity, e.g. 'shelter 40'; got {text.strip()!r}")
    return resource_type_named(words[0]), whole_number("quantity", words[1])
