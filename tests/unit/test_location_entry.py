"""The flat location form's rules, checked against the server's own location validator and the
demo deployment's real districts, service area and gazetteer."""

from dataclasses import asdict, replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hurrinet_tui.coordinates import CoordinateError, Coordinates, CoordinateStyle, format_coordinates
from hurrinet_tui.location_entry import (
    DETAILS_MAX,
    NAME_MAX,
    NUMBER_MAX,
    LocationDraft,
    LocationProblems,
    apply_suggestion,
    badge,
    coordinates_of,
    from_wire,
    show_coordinates,
    suggestions,
    to_wire,
    variant_of,
)
from server.app import wire
from server.domain import values as server_values
from server.domain.location import location_from_wire, location_to_wire
from server.reference import DEMO, load_reference

REFERENCE = load_reference(DEMO)
# Shaped as the replica keeps them: districts by code, the snapshot's gazetteer rows and
# deployment.service_area.
DISTRICTS = {d.code: {"code": d.code, "name": d.name} for d in REFERENCE.districts}
AREA = asdict(REFERENCE.deployment.service_area)
GAZETTEER = [wire.gazetteer_entry(g) for g in REFERENCE.gazetteer]


def server_reads(location: dict) -> dict:
    """What the server makes of a location: refused (ValidationFailed) or read back unchanged."""
    return location_to_wire(location_from_wire(location, set(DISTRICTS), REFERENCE.deployment.service_area))


def problems_of(draft: LocationDraft, area=AREA) -> dict[str, str]:
    with pytest.raises(LocationProblems) as refused:
        to_wire(draft, DISTRICTS, area)
    return refused.value.problems


def entry(name: str, kind: str | None = None) -> dict:
    return next(e for e in GAZETTEER if e["name"] == name and kind in (None, e["kind"]))


# --- the variant follows from what is filled ------------------------------------------------------
@pytest.mark.parametrize(
    "filled, variant, label",
    [
        ({}, "place", "NAMED PLACE"),
        ({"street_or_place": "Castries Market"}, "place", "NAMED PLACE"),
        ({"street_or_place": "Jeremie Street", "number": "12"}, "address", "ADDRESS"),
        ({"street_or_place": "Jeremie Street", "cross_street": "Peynier Street"}, "intersection", "INTERSECTION"),
        ({"street_or_place": "Castries Market", "approximate": True}, "relative", "RELATIVE (approximate)"),
        ({"street_or_place": "Castries Market", "details": "behind the stalls"}, "place", "NAMED PLACE"),
        ({"number": "12", "cross_street": "Peynier Street"}, "address", "ADDRESS"),  # refused on submit
        ({"number": "12", "approximate": True}, "address", "ADDRESS"),  # refused on submit
        ({"cross_street": "Peynier Street", "approximate": True}, "intersection", "INTERSECTION"),
        ({"number": "   "}, "place", "NAMED PLACE"),  # blanks are not filled
    ],
)
def test_the_variant_and_its_badge_follow_from_what_is_filled(filled, variant, label):
    draft = LocationDraft(**filled)
    assert (variant_of(draft), badge(draft)) == (variant, label)


# --- each variant's wire shape, accepted by the server as sent -------------------------------------
@pytest.mark.parametrize(
    "draft, location",
    [
        (
            LocationDraft("CAS", "Jeremie Street", number="12", coordinates="14.0124, -60.9872"),
            {"kind": "address", "district": "CAS", "street": "Jeremie Street", "number": "12",
             "coordinates": {"lat": 14.0124, "lon": -60.9872}},
        ),
        (
            LocationDraft("CAS", "Bridge Street", cross_street="Jeremie Street", details="north corner"),
            {"kind": "intersection", "district": "CAS", "road_a": "Bridge Street", "road_b": "Jeremie Street",
             "details": "north corner"},
        ),
        (
            LocationDraft("CAS", "Castries Market", coordinates="14°00.75'N 60°59.28'W"),
            {"kind": "place", "district": "CAS", "name": "Castries Market",
             "coordinates": {"lat": 14.0125, "lon": -60.988}},
        ),
        (
            LocationDraft("GI", "Gros Islet church", approximate=True, details="200 m north, blue house"),
            {"kind": "relative", "district": "GI", "reference": "Gros Islet church",
             "details": "200 m north, blue house"},
        ),
        (
            LocationDraft(" cas ", "  Castries Market ", details="  ", coordinates="  "),
            {"kind": "place", "district": "CAS", "name": "Castries Market"},
        ),
    ],
)  # fmt: skip
def test_each_variant_is_the_protocol_s_shape_and_the_server_accepts_it(draft, location):
    sent = to_wire(draft, DISTRICTS, AREA)
    assert sent == location
    assert server_reads(sent) == sent


texts = st.sampled_from(["", "  ", "Jeremie Street", "12", "Castries Market", "behind the stalls"])
coordinate_texts = st.sampled_from(["", "14.0124, -60.9872", "14°00.75'N 60°59.28'W", "51.5, -0.12", "north"])


@given(
    st.builds(
        LocationDraft,
        district=st.sampled_from(["", "CAS", "castries", "Soufriere", "XX"]),
        street_or_place=texts,
        number=texts,
        cross_street=texts,
        approximate=st.booleans(),
        details=texts,
        coordinates=coordinate_texts,
    )
)
def test_whatever_is_filled_the_form_sends_only_what_the_server_accepts(draft):
    try:
        sent = to_wire(draft, DISTRICTS, AREA)
    except LocationProblems as refused:
        assert refused.problems  # each refusal names at least one field
        return
    assert sent["kind"] == variant_of(draft)
    assert server_reads(sent) == sent  # no stray field of another variant, nothing missing


# --- refusals, each beside its field --------------------------------------------------------------
def test_a_house_number_and_a_cross_street_exclude_each_other():
    problems = problems_of(LocationDraft("CAS", "Jeremie Street", number="12", cross_street="Peynier Street"))
    assert set(problems) == {"number", "cross_street"}
    assert problems["number"] == problems["cross_street"]
    assert "a house number makes an address and a cross street an intersection" in problems["number"]


def test_an_approximate_location_needs_details():
    draft = LocationDraft("CAS", "Castries Market", approximate=True)
    assert problems_of(draft) == {
        "details": "an approximate location needs details: where it is from the reference place"
    }
    assert to_wire(replace(draft, details="300 m up the hill"), DISTRICTS, AREA)["kind"] == "relative"


@pytest.mark.parametrize("exact", [{"number": "12"}, {"cross_street": "Peynier Street"}])
def test_approximate_is_not_silently_dropped_when_the_location_is_exact(exact):
    problems = problems_of(LocationDraft("CAS", "Jeremie Street", approximate=True, details="near", **exact))
    assert "untick approximate" in problems["approximate"]


@pytest.mark.parametrize(
    "filled, message",
    [
        ({"number": "12"}, "the street is required"),
        ({"cross_street": "Peynier Street"}, "the road A is required"),
        ({"approximate": True, "details": "near"}, "the reference place is required"),
        ({}, "the place name is required"),
    ],
)
def test_the_main_name_is_required_and_named_for_the_variant(filled, message):
    assert problems_of(LocationDraft("CAS", **filled))["street_or_place"] == message


def test_a_blank_draft_names_every_missing_field():
    draft = LocationDraft()
    assert draft.is_blank
    assert problems_of(draft) == {
        "district": "the district is required",
        "street_or_place": "the place name is required",
    }
    assert not LocationDraft(approximate=True).is_blank


@pytest.mark.parametrize(
    "typed, code", [("CAS", "CAS"), ("cas", "CAS"), ("Castries", "CAS"), ("GROS ISLET", "GI"), ("soufriere", "SOU")]
)
def test_a_district_is_typed_by_code_or_name_in_any_case(typed, code):
    assert to_wire(LocationDraft(typed, "Somewhere"), DISTRICTS, AREA)["district"] == code


def test_an_unknown_district_lists_the_known_ones():
    message = problems_of(LocationDraft("Narnia", "Somewhere"))["district"]
    assert message.startswith("no district 'Narnia'; one of CAS (Castries), GI (Gros Islet), ")
    assert "SOU (Soufrière)" in message


def test_the_text_limits_are_the_server_s():
    assert (NAME_MAX, NUMBER_MAX, DETAILS_MAX) == (
        server_values.NAME_MAX,
        server_values.ADDRESS_NUMBER_MAX,
        server_values.DESCRIPTION_MAX,
    )


@pytest.mark.parametrize(
    "field, limit, label",
    [
        ("street_or_place", NAME_MAX, "place name"),
        ("number", NUMBER_MAX, "house number"),
        ("cross_street", NAME_MAX, "cross street"),
        ("details", DETAILS_MAX, "details"),
    ],
)
def test_text_over_its_limit_is_named(field, limit, label):
    base = LocationDraft("CAS", "Jeremie Street")
    at_limit = to_wire(replace(base, **{field: "x" * limit}), DISTRICTS, AREA)
    assert server_reads(at_limit) == at_limit
    problems = problems_of(replace(base, **{field: "x" * (limit + 1)}))
    assert problems[field] == f"the {label} is {limit + 1} characters long; the limit is {limit}"


def test_unreadable_coordinates_are_named_beside_their_field():
    problems = problems_of(LocationDraft("CAS", "Castries Market", coordinates="14 60 N, 60 W"))
    assert problems == {"coordinates": "latitude '14 60 N': minutes must be below 60, got 60"}


def test_coordinates_outside_the_service_area_are_refused_with_its_bounds():
    problems = problems_of(LocationDraft("CAS", "Castries Market", coordinates="51.5, -0.12"))
    assert problems == {
        "coordinates": "51.500000, -0.120000 is outside the service area (lat 13.7 to 14.12, lon -61.1 to -60.86)"
    }


def test_without_a_service_area_the_server_is_left_to_check():
    sent = to_wire(LocationDraft("CAS", "Castries Market", coordinates="51.5, -0.12"), DISTRICTS, None)
    assert sent["coordinates"] == {"lat": 51.5, "lon": -0.12}


def test_problems_read_as_one_message_too():
    with pytest.raises(LocationProblems, match="district: the district is required; street_or_place: "):
        to_wire(LocationDraft(), DISTRICTS, AREA)


# --- switching the coordinate display keeps the value ----------------------------------------------
def test_switching_the_display_style_keeps_every_decimal():
    # 14.000001 shows as 14°00'00.00" in DMS; re-reading that would send 14.0.
    draft = LocationDraft("CAS", "Castries Market", coordinates="14.000001, -60.987501")
    shown = []
    for style in (CoordinateStyle.DDM, CoordinateStyle.DMS, CoordinateStyle.DD):
        draft = show_coordinates(draft, style)
        shown.append(draft.coordinates)
        assert to_wire(draft, DISTRICTS, AREA)["coordinates"] == {"lat": 14.000001, "lon": -60.987501}
    assert shown == ["14°00.0001'N 060°59.2501'W", "14°00'00.00\"N 060°59'15.00\"W", "14.000001, -60.987501"]


def test_editing_the_shown_text_replaces_the_kept_value():
    draft = show_coordinates(LocationDraft("CAS", "Castries Market", coordinates="14.000001, -60.987501"),
                             CoordinateStyle.DMS)  # fmt: skip
    edited = replace(draft, coordinates="14°00'45\"N 60°59'17\"W")
    assert coordinates_of(edited) == Coordinates(14.0125, -60.988056)


def test_switching_unreadable_coordinates_says_why_and_a_blank_field_stays_blank():
    with pytest.raises(CoordinateError, match="is one number"):
        show_coordinates(LocationDraft(coordinates="14.2"), CoordinateStyle.DMS)
    assert show_coordinates(LocationDraft(), CoordinateStyle.DMS) == LocationDraft()


# --- editing an existing location ---------------------------------------------------------------
@pytest.mark.parametrize(
    "location",
    [
        {"kind": "address", "district": "CAS", "street": "Jeremie Street", "number": "12A",
         "coordinates": {"lat": 14.0124, "lon": -60.9872}, "details": "upstairs"},
        {"kind": "intersection", "district": "CAS", "road_a": "Jeremie Street", "road_b": "Peynier Street",
         "coordinates": {"lat": 14.0122, "lon": -60.9878}},
        {"kind": "place", "district": "SOU", "name": "Soufrière Jetty"},
        {"kind": "relative", "district": "GI", "reference": "Gros Islet church", "details": "200 m north",
         "coordinates": {"lat": 14.079123, "lon": -60.951987}},
    ],
)  # fmt: skip
@pytest.mark.parametrize("style", list(CoordinateStyle))
def test_an_existing_location_edits_and_sends_back_unchanged(location, style):
    draft = from_wire(location, style)
    assert to_wire(draft, DISTRICTS, AREA) == location


def test_an_edited_location_shows_its_coordinates_in_the_chosen_style():
    draft = from_wire({"kind": "place", "district": "CAS", "name": "Castries Market",
                       "coordinates": {"lat": 14.0125, "lon": -60.988}}, CoordinateStyle.DDM)  # fmt: skip
    assert (draft.coordinates, draft.coordinates_value) == ("14°00.7500'N 060°59.2800'W", Coordinates(14.0125, -60.988))


def test_an_address_without_a_number_reads_back_as_a_named_place():
    """The flat form's rule has no numberless address: it resolves to a place of that name."""
    draft = from_wire({"kind": "address", "district": "CAS", "street": "Jeremie Street"})
    assert to_wire(draft, DISTRICTS, AREA) == {"kind": "place", "district": "CAS", "name": "Jeremie Street"}


def test_a_location_of_no_known_kind_is_refused_by_name():
    with pytest.raises(ValueError, match="location kind must be one of address, intersection, place, relative"):
        from_wire({"kind": "landmark", "district": "CAS"})


# --- gazetteer suggestions while typing --------------------------------------------------------------
def test_suggestions_rank_whole_names_then_word_starts_then_anywhere():
    gazetteer = [
        {"kind": "place", "name": "Supermarket Plaza", "district": "CAS", "coordinates": {"lat": 14.0, "lon": -61.0}},
        {"kind": "place", "name": "Castries Market", "district": "CAS", "coordinates": {"lat": 14.0, "lon": -61.0}},
        {"kind": "intersection", "name": "Market Street", "district": "CAS", "road_b": "Bridge Street",
         "coordinates": {"lat": 14.0, "lon": -61.0}},
        {"kind": "street", "name": "Market Street", "district": "CAS", "coordinates": {"lat": 14.0, "lon": -61.0}},
        {"kind": "place", "name": "Market", "district": "GI", "coordinates": {"lat": 14.0, "lon": -61.0}},
    ]  # fmt: skip
    labels = [e["name"] + (" / " + e["road_b"] if "road_b" in e else "") for e in suggestions("market", gazetteer)]
    assert labels == [
        "Market",  # the whole name
        "Market Street",  # a word begins with it, shortest first
        "Castries Market",
        "Market Street / Bridge Street",
        "Supermarket Plaza",  # only inside a word
    ]
    assert len(suggestions("market", gazetteer, limit=2)) == 2
    assert suggestions("   ", gazetteer) == []


def test_suggestions_come_from_the_deployment_s_gazetteer_ignoring_case_and_accents():
    assert suggestions("castries mar", GAZETTEER)[0]["name"] == "Castries Market"
    names = [e["name"] for e in suggestions("soufriere jet", GAZETTEER)]
    assert names == ["Soufrière Jetty"]
    assert suggestions("narnia", GAZETTEER) == []


def test_picking_a_place_fills_name_district_and_coordinates():
    typed = LocationDraft(street_or_place="castries mar", number="3", cross_street="x", details="by the fish stalls")
    picked = apply_suggestion(typed, entry("Castries Market"))
    assert picked == LocationDraft(
        "CAS", "Castries Market", details="by the fish stalls", coordinates="14.012500, -60.988000",
        coordinates_value=Coordinates(14.0125, -60.988),
    )  # fmt: skip
    assert to_wire(picked, DISTRICTS, AREA) == {
        "kind": "place", "district": "CAS", "name": "Castries Market", "details": "by the fish stalls",
        "coordinates": {"lat": 14.0125, "lon": -60.988},
    }  # fmt: skip


def test_picking_an_intersection_fills_both_roads_and_drops_a_house_number():
    picked = apply_suggestion(LocationDraft(number="12"), entry("Jeremie Street", "intersection"))
    assert (picked.street_or_place, picked.cross_street, picked.number) == ("Jeremie Street", "Peynier Street", "")
    sent = to_wire(picked, DISTRICTS, AREA)
    assert sent["kind"] == "intersection"
    assert server_reads(sent) == sent


def test_picking_a_street_keeps_the_house_number_typed_for_it():
    picked = apply_suggestion(LocationDraft(number="12"), entry("Jeremie Street", "street"), CoordinateStyle.DMS)
    assert picked.coordinates == format_coordinates(Coordinates(14.0124, -60.9872), CoordinateStyle.DMS)
    sent = to_wire(picked, DISTRICTS, AREA)
    assert sent == {"kind": "address", "district": "CAS", "street": "Jeremie Street", "number": "12",
                    "coordinates": {"lat": 14.0124, "lon": -60.9872}}  # fmt: skip


def test_an_approximate_draft_takes_the_pick_as_its_reference_place():
    draft = LocationDraft(approximate=True, details="50 m east")
    picked = apply_suggestion(draft, entry("Jeremie Street", "intersection"))
    sent = to_wire(picked, DISTRICTS, AREA)
    assert sent == {"kind": "relative", "district": "CAS", "reference": "Jeremie Street / Peynier Street",
                    "details": "50 m east", "coordinates": {"lat": 14.0122, "lon": -60.9878}}  # fmt: skip
    assert server_reads(sent) == sent
