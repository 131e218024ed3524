"""Locations: exactly one of four variants, each with its own required fields."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import MISSING, fields
from functools import cache
from typing import Any, ClassVar

from server.domain.errors import ValidationFailed, join_words, location_field
from server.domain.records import record
from server.domain.values import ADDRESS_NUMBER_MAX, DESCRIPTION_MAX, NAME_MAX, Coordinates, ServiceArea, check_text


@record
class Address:
    kind: ClassVar[str] = "address"
    district: str
    street: str
    number: str | None = None
    coordinates: Coordinates | None = None
    details: str | None = None



@record
class Intersection:
    kind: ClassVar[str] = "intersection"
    district: str
    road_a: str
    road_b: str
    coordinates: Coordinates | None = None
    details: str | None = None



@record
class Place:
    kind: ClassVar[str] = "place"
    district: str
    name: str
    coordinates: Coordinates | None = None
    details: str | None = None



@record
class Relative:
    """Somewhere described relative to a reference place; its coordinates are approximate."""

    kind: ClassVar[str] = "relative"
    district: str
    reference: str
    details: str
    coordinates: Coordinates | None = None



Location = Address | Intersection | Place | Relative
VARIANTS: dict[str, type[Location]] = {v.kind: v for v in (Address, Intersection, Place, Relative)}

# Text fields of each variant and their limits; `district` and `coordinates` are checked apart.
_TEXT_LIMITS = {
    "street": NAME_MAX,
    "number": ADDRESS_NUMBER_MAX,
    "road_a": NAME_MAX,
    "road_b": NAME_MAX,
    "name": NAME_MAX,
    "reference": NAME_MAX,
    "details": DESCRIPTION_MAX,
}


@cache  # per variant: `fields()` on every call cost a tenth of the 10k-incident snapshot's build
def _field_names(variant: type[Location]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(variant))


def location_from_wire(value: object, districts: Container[str], area: ServiceArea) -> Location:
    """Build a location from its wire form, refusing fields that belong to another variant."""
    if not isinstance(value, dict):
        raise ValidationFailed("location must be an object with a 'kind'", field="location")
    kind = value.get("kind")
    variant = VARIANTS.get(kind) if isinstance(kind, str) else None
    if variant is None:
        raise ValidationFailed(
            f"location.kind must be one of {', '.join(VARIANTS)}; got {kind!r}", field="location.kind"
        )
    allowed = _field_names(variant)
    stray = sorted(set(value) - set(allowed) - {"kind"})
    if stray:
        raise ValidationFailed(
            f"a {kind} location has no field {', '.join(stray)}", field="location", fields=stray
        )
    required = [name for name in allowed if name in _required(variant)]
    missing = [name for name in required if value.get(name) in (None, "")]
    if missing:
        raise ValidationFailed(
            f"a {kind} location needs {join_words([location_field(m) for m in missing])}",
            field="location",
            missing=missing,
        )
    district = value["district"]
    if not isinstance(district, str) or district not in districts:
        raise ValidationFailed(f"unknown district {district!r}", field="location.district")
    args: dict[str, Any] = {"district": district}
    for name in allowed:
        if name in _TEXT_LIMITS:
            text = check_text(f"location.{name}", value.get(name), _TEXT_LIMITS[name], required=name in required)
            if text is not None:
                args[name] = text
    if value.get("coordinates") is not None:
        args["coordinates"] = area.check(Coordinates.from_wire(value["coordinates"]), "location.coordinates")
    return variant(**args)


def _required(variant: type[Location]) -> set[str]:
    return {f.name for f in fields(variant) if f.default is MISSING}


def location_to_wire(location: Location) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": location.kind}
    for name in _field_names(type(location)):
        value = getattr(location, name)
        if value is None:
            continue
        out[name] = value.to_wire() if isinstance(value, Coordinates) else value
    return out

