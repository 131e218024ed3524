"""The location form's rules: one flat form, the variant it resolves to, its wire shape (pure).

A call taker fills whichever fields the caller gives; the variant follows from what is filled
(domain.md, "Location"): a house number makes an address, a cross street an intersection,
"approximate" a place described relative to a reference place, anything else a named place.
The main name field means the street, road A, the reference place or the place's name
accordingly. The form shows `badge(draft)` live and, on submit, `to_wire` either gives the
protocol's location or names each field's problem so the form can show it beside the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .coordinates import (
    CoordinateError,
    Coordinates,
    CoordinateStyle,
    check_service_area,
    format_coordinates,
    parse_coordinates,
)
from .gazetteer import Entry, fold, place_label, search_places

# The server's text limits (server.domain.values), repeated because the workstation may import
# only server.protocol from the server; a unit test holds the two equal.
NAME_MAX = 200
NUMBER_MAX = 30
DETAILS_MAX = 1000

VARIANTS = ("address", "intersection", "place", "relative")
BADGES = {
    "address": "ADDRESS",
    "intersection": "INTERSECTION",
    "place": "NAMED PLACE",
    "relative": "RELATIVE (approximate)",
}
# What the main name field holds in each variant: its label on the form and its wire field.
NAME_LABELS = {"address": "street", "intersection": "road A", "place": "place name", "relative": "reference place"}
_NAME_KEY = {"address": "street", "intersection": "road_a", "place": "name", "relative": "reference"}


@dataclass(frozen=True)
class LocationDraft:
    """The flat form's fields as typed.

    `coordinates_value` is the value behind the `coordinates` text when the text is a rendering
    of it (a display-style switch, a gazetteer pick, an edited location): it is what is sent,
    so switching styles never loses precision. Once the text is edited it no longer matches any
    rendering of that value, and the text is parsed instead.
    """

    district: str = ""
    street_or_place: str = ""
    number: str = ""
    cross_street: str = ""
    approximate: bool = False
    details: str = ""
    coordinates: str = ""
    coordinates_value: Coordinates | None = None

    @property
    def is_blank(self) -> bool:
        """Nothing typed: the form sends no location rather than an incomplete one."""
        texts = (self.district, self.street_or_place, self.number, self.cross_street, self.details, self.coordinates)
        return not self.approximate and not any(t.strip() for t in texts)


class LocationProblems(ValueError):
    """The draft cannot become a location; `problems` maps each form field to what is wrong."""

    def __init__(self, problems: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems.items()))
        self.problems = problems


def variant_of(draft: LocationDraft) -> str:
    if draft.number.strip():
        return "address"
    if draft.cross_street.strip():
        return "intersection"
    if draft.approximate:
        return "relative"
    return "place"


def badge(draft: LocationDraft) -> str:
    return BADGES[variant_of(draft)]


# --- coordinates ------------------------------------------------------------------------------
def coordinates_of(draft: LocationDraft) -> Coordinates | None:
    """The position the draft stands for: the kept value while the text shows it, else the parsed text."""
    text = draft.coordinates.strip()
    if not text:
        return None
    kept = draft.coordinates_value
    if kept is not None and any(text == format_coordinates(kept, style) for style in CoordinateStyle):
        return kept
    return parse_coordinates(text)


def show_coordinates(draft: LocationDraft, style: CoordinateStyle) -> LocationDraft:
    """The draft with its coordinates shown in `style`, keeping the value (CoordinateError if the text is not one)."""
    value = coordinates_of(draft)
    if value is None:
        return draft
    return replace(draft, coordinates=format_coordinates(value, style), coordinates_value=value)


# --- to and from the wire -----------------------------------------------------------------------
def to_wire(
    draft: LocationDraft, districts: Mapping[str, Mapping[str, Any]], area: Mapping[str, float] | None
) -> dict[str, Any]:
    """The protocol's location for the draft's variant, with no other variant's fields.

    `districts` maps code → district (`{code, name}`, as the replica keeps them); `area` is the
    snapshot's `deployment.service_area`, or None when the server sends none.
    """
    problems: dict[str, str] = {}
    variant = variant_of(draft)
    name, number, cross_street, details = (
        text.strip() for text in (draft.street_or_place, draft.number, draft.cross_street, draft.details)
    )
    if number and cross_street:
        clash = "a house number makes an address and a cross street an intersection: keep one"
        problems["number"] = problems["cross_street"] = clash
    if draft.approximate and (number or cross_street):
        exact = "house number" if number else "cross street"
        problems["approximate"] = (
            f"an approximate location is described from a reference place; clear the {exact} or untick approximate"
        )
    district = _district(draft.district, districts, problems)
    if not name:
        problems["street_or_place"] = f"the {NAME_LABELS[variant]} is required"
    if variant == "relative" and not details:
        problems["details"] = "an approximate location needs details: where it is from the reference place"
    for field, label, text, limit in (
        ("street_or_place", NAME_LABELS[variant], name, NAME_MAX),
        ("number", "house number", number, NUMBER_MAX),
        ("cross_street", "cross street", cross_street, NAME_MAX),
        ("details", "details", details, DETAILS_MAX),
    ):
        if len(text) > limit:
            problems.setdefault(field, f"the {label} is {len(text)} characters long; the limit is {limit}")
    coordinates = _coordinates(draft, area, problems)
    if problems:
        raise LocationProblems(problems)
    location: dict[str, Any] = {"kind": variant, "district": district, _NAME_KEY[variant]: name}
    if variant == "address":
        location["number"] = number
    if variant == "intersection":
        location["road_b"] = cross_street
    if details:
        location["details"] = details
    if coordinates is not None:
        location["coordinates"] = coordinates.to_wire()
    return location


def _district(text: str, districts: Mapping[str, Mapping[str, Any]], problems: dict[str, str]) -> str:
    """The district's code, typed as its code or its name in any case, accents optional."""
    folded = fold(text.strip())
    if not folded:
        problems["district"] = "the district is required"
        return ""
    for code, district in districts.items():
        if folded in (fold(code), fold(str(district.get("name", "")))):
            return code
    known = ", ".join(f"{code} ({district.get('name', code)})" for code, district in districts.items())
    problems["district"] = f"no district {text.strip()!r}; one of {known}"
    return ""


def _coordinates(
    draft: LocationDraft, area: Mapping[str, float] | None, problems: dict[str, str]
) -> Coordinates | None:
    try:
        point = coordinates_of(draft)
    except CoordinateError as error:
        problems["coordinates"] = str(error)
        return None
    outside = check_service_area(point, area) if point is not None else None
    if outside:
        problems["coordinates"] = outside
    return point


def from_wire(location: Mapping[str, Any], style: CoordinateStyle = CoordinateStyle.DD) -> LocationDraft:
    """A draft to edit an existing location; its coordinates shown in `style`."""
    kind = location.get("kind")
    if kind not in _NAME_KEY:
        raise ValueError(f"location kind must be one of {', '.join(VARIANTS)}, got {kind!r}")
    raw = location.get("coordinates")
    value = Coordinates.from_wire(raw) if raw is not None else None
    return LocationDraft(
        district=location["district"],
        street_or_place=location[_NAME_KEY[kind]],
        number=location.get("number") or "",
        cross_street=location.get("road_b") or "",
        approximate=kind == "relative",
        details=location.get("details") or "",
        coordinates=format_coordinates(value, style) if value is not None else "",
        coordinates_value=value,
    )


# --- gazetteer ------------------------------------------------------------------------------------
def suggestions(text: str, gazetteer: list[Entry], limit: int = 8) -> list[Entry]:
    """Gazetteer rows for what is being typed in a name field, best first."""
    return search_places(text, gazetteer, limit)


def apply_suggestion(draft: LocationDraft, entry: Entry, style: CoordinateStyle = CoordinateStyle.DD) -> LocationDraft:
    """The draft after picking a gazetteer row: its name, district and coordinates.

    An intersection fills both roads and drops a house number; a street keeps the number
    typed for it; a place drops both, since neither belongs to a place. An approximate draft
    keeps being one: the row, whatever its kind, becomes the reference place by its label.
    """
    value = Coordinates.from_wire(entry["coordinates"])
    kind = entry["kind"]
    if draft.approximate:
        name, number, cross_street = place_label(entry), "", ""
    else:
        name = entry["name"]
        number = draft.number if kind == "street" else ""
        cross_street = entry["road_b"] if kind == "intersection" else ""
    return replace(
        draft,
        district=entry["district"],
        street_or_place=name,
        number=number,
        cross_street=cross_street,
        coordinates=format_coordinates(value, style),
        coordinates_value=value,
    )
