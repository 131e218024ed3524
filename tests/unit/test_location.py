"""The four location variants: required fields, no stray fields, district and area checks."""

import pytest

from server.domain.errors import ValidationFailed
from server.domain.location import Address, Intersection, Place, Relative, location_from_wire, location_to_wire
from server.domain.values import Coordinates, ServiceArea

AREA = ServiceArea(13.70, 14.12, -61.10, -60.86)
DISTRICTS = {"CAS", "GI"}


def parse(value):
    return location_from_wire(value, DISTRICTS, AREA)


@pytest.mark.parametrize(
    "wire, expected",
    [
        ({"kind": "address", "district": "CAS", "street": "Jeremie Street", "number": "12"},
         Address("CAS", "Jeremie Street", "12")),
        ({"kind": "intersection", "district": "CAS", "road_a": "Bridge Street", "road_b": "Micoud Street"},
         Intersection("CAS", "Bridge Street", "Micoud Street")),
        ({"kind": "place", "district": "GI", "name": "Rodney Bay", "coordinates": {"lat": 14.08, "lon": -60.95}},
         Place("GI", "Rodney Bay", Coordinates(14.08, -60.95))),
        ({"kind": "relative", "district": "GI", "reference": "Gros Islet church", "details": "200 m north"},
         Relative("GI", "Gros Islet church", "200 m north")),
    ],
)  # fmt: skip
def test_each_variant_round_trips(wire, expected):
    assert parse(wire) == expected
    assert location_to_wire(expected) == wire


@pytest.mark.parametrize(
    "wire, missing",
    [
        ({"kind": "address", "district": "CAS"}, ["street"]),
        ({"kind": "intersection", "district": "CAS", "road_a": "A"}, ["road_b"]),
        ({"kind": "place", "district": "CAS"}, ["name"]),
        ({"kind": "relative", "district": "CAS", "reference": "church"}, ["details"]),
        ({"kind": "place", "name": "x"}, ["district"]),
    ],
)
def test_required_fields_are_named(wire, missing):
    with pytest.raises(ValidationFailed) as caught:
        parse(wire)
    assert caught.value.details["missing"] == missing


def test_a_variant_never_carries_another_variants_fields():
    with pytest.raises(ValidationFailed, match="has no field number") as caught:
        parse({"kind": "intersection", "district": "CAS", "road_a": "A", "road_b": "B", "number": "3"})
    assert caught.value.details["fields"] == ["number"]


@pytest.mark.parametrize("wire", [None, "Castries", {"kind": "gps"}, {"district": "CAS", "name": "x"}])
def test_kind_is_required(wire):
    with pytest.raises(ValidationFailed):
        parse(wire)


def test_unknown_district_is_refused():
    with pytest.raises(ValidationFailed, match="unknown district"):
        parse({"kind": "place", "district": "XX", "name": "Somewhere"})


def test_coordinates_outside_the_area_are_refused():
    with pytest.raises(ValidationFailed, match="outside the service area"):
        parse({"kind": "place", "district": "CAS", "name": "x", "coordinates": {"lat": 13.0, "lon": -61.0}})


def test_text_limits_apply_per_field():
    parse({"kind": "address", "district": "CAS", "street": "s" * 200, "number": "9" * 30, "details": "d" * 1000})
    for field, length in (("street", 201), ("number", 31), ("details", 1001)):
        wire = {"kind": "address", "district": "CAS", "street": "s", field: "x" * length}
        with pytest.raises(ValidationFailed, match="the limit is"):
            parse(wire)
