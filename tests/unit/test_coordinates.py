"""Coordinates as typed on the workstation: every accepted format, every refusal, display styles."""

from dataclasses import fields

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hurrinet_tui.coordinates import (
    AREA_FIELDS,
    DECIMALS,
    CoordinateError,
    Coordinates,
    CoordinateStyle,
    check_service_area,
    format_coordinates,
    next_style,
    parse_coordinates,
)
from server.domain import values as server_values

SQUARE = (14.0101, -60.9875)  # 14°0.606'N 60°59.25'W
DMS_SQUARE = (14.010111, -60.9875)  # 14°00'36.4"N 60°59'15"W, rounded to six decimals


@pytest.mark.parametrize(
    "text, expected",
    [
        # decimal degrees
        ("14.0101, -60.9875", SQUARE),
        ("14.0101 -60.9875", SQUARE),
        ("14.0101N 60.9875W", SQUARE),
        ("N14.0101 W60.9875", SQUARE),
        ("n14.0101, w60.9875", SQUARE),
        ("14.0101 N, 60.9875 W", SQUARE),
        ("+14.0101,-60.9875", SQUARE),
        ("14.0101, \u221260.9875", SQUARE),  # a typographic minus pasted from a document
        ("14.0101N -60.9875W", SQUARE),  # a sign that agrees with its letter
        ("14.0101° -60.9875°", SQUARE),
        ("13.9S 61.2E", (-13.9, 61.2)),
        ("-13.9 61.2", (-13.9, 61.2)),
        ("0 0", (0.0, 0.0)),
        ("90, 180", (90.0, 180.0)),
        ("-90, -180", (-90.0, -180.0)),
        # degrees and decimal minutes
        ("14°0.606'N 60°59.25'W", SQUARE),
        ("14 0.606 N, 60 59.25 W", SQUARE),
        ("14 0.606 -60 59.25", SQUARE),
        ("N 14°00.606′ W 060°59.250′", SQUARE),
        ("14°0.606' -60°59.25'", SQUARE),
        # degrees, minutes and seconds
        ("14°00'36.4\"N 60°59'15.0\"W", DMS_SQUARE),
        ("14 0 36.4 N 60 59 15 W", DMS_SQUARE),
        ("14°00′36.4″N 060°59′15.0″W", DMS_SQUARE),
        ("14°00'36.4''N 60°59'15''W", DMS_SQUARE),
        ("N14 0 36.4, W60 59 15", DMS_SQUARE),
        ("14 0 36.4 -60 59 15", DMS_SQUARE),
    ],
)
def test_accepted_formats(text, expected):
    point = parse_coordinates(text)
    assert (point.lat, point.lon) == pytest.approx(expected, abs=1e-12)
    server_values.Coordinates(point.lat, point.lon)  # the server takes it as sent: in range, ≤ 6 decimals


@pytest.mark.parametrize(
    "text, problem",
    [
        ("", "coordinates are empty"),
        ("   ", "coordinates are empty"),
        ("14.0101", "is one number; give latitude and longitude"),
        ("14 60 N, 60 W", "minutes must be below 60, got 60"),
        ("14 0.606 N, 60 60.5 W", "minutes must be below 60, got 60.5"),
        ("14 0 60 N, 60 0 0 W", "seconds must be below 60, got 60"),
        ("14°00'36.4\"N 60°59'75\"W", "seconds must be below 60, got 75"),
        ("91, 0", "latitude 91 is beyond ±90"),
        ("-90.5, 0", "latitude -90.5 is beyond ±90"),
        ("90 0 1 N, 0 E", "latitude 90.000278 is beyond ±90"),
        ("0, 181", "longitude 181 is beyond ±180"),
        ("0, -180.000001", "longitude -180.000001 is beyond ±180"),
        ("-14.0101N 60.9875W", "the - sign means S but the letter says N"),
        ("14.0101N +60.9875W", "the + sign means E but the letter says W"),
        ("14N 60N", "longitude takes E or W, not N"),
        ("60W 14N", "latitude comes first and takes N or S, not W"),
        ("14E, 60W", "latitude comes first and takes N or S, not E"),
        ("14N 60W 3E", "3 hemisphere letters"),
        ("14.0101N -60.9875", "give both latitude and longitude a hemisphere letter"),
        ("14.01 abc", "'a' (character 7) is not part of a coordinate"),
        ("lat 14, lon -60", "'l' (character 1) is not part of a coordinate"),
        ("14.0101; -60.9875", "';' (character 8) is not part of a coordinate"),
        ("14.0101, -60.9875, 5", "2 commas"),
        ("14.0101,", "give latitude before the comma and longitude after it"),
        (", -60.9875", "give latitude before the comma and longitude after it"),
        ("14 30 60", "separate latitude and longitude with a comma or hemisphere letters"),
        ("14 0 36 4, 60 W", "more than degrees, minutes and seconds"),
        ("14.5 30, 60", "only the last number may have decimals"),
        ("14 -30, 60", "only the degrees may carry a sign"),
        ("14' 30, 60", "' is out of place"),
        ('14°30", 60', '" is out of place'),
        ("14°° 30, 60", "° is out of place"),
        ("14 N 30, 60 W", "one hemisphere letter, before or after the numbers"),
        ("N, W60 30", "latitude 'N' has no number"),
        ("14 30 N, -", "longitude '-' has no number"),
    ],
)
def test_refusals_name_the_problem(text, problem):
    with pytest.raises(CoordinateError) as refused:
        parse_coordinates(text)
    assert problem in str(refused.value)


@pytest.mark.parametrize(
    "point, style, shown",
    [
        (SQUARE, CoordinateStyle.DD, "14.010100, -60.987500"),
        (SQUARE, CoordinateStyle.DDM, "14°00.6060'N 060°59.2500'W"),
        (SQUARE, CoordinateStyle.DMS, "14°00'36.36\"N 060°59'15.00\"W"),
        ((-13.5, 61.25), CoordinateStyle.DD, "-13.500000, 61.250000"),
        ((-13.5, 61.25), CoordinateStyle.DDM, "13°30.0000'S 061°15.0000'E"),
        ((-13.5, 61.25), CoordinateStyle.DMS, "13°30'00.00\"S 061°15'00.00\"E"),
        ((-0.0, 0.0), CoordinateStyle.DD, "0.000000, 0.000000"),
        # 13.999999° is 13°59'59.9964": the seconds round up to 60 and carry into the degrees
        ((13.999999, -60.999999), CoordinateStyle.DMS, "14°00'00.00\"N 061°00'00.00\"W"),
        ((13.999999, -60.999999), CoordinateStyle.DDM, "13°59.9999'N 060°59.9999'W"),
        ((14.5, -60.000003), CoordinateStyle.DMS, "14°30'00.00\"N 060°00'00.01\"W"),
    ],
)
def test_display_styles(point, style, shown):
    assert format_coordinates(Coordinates(*point), style) == shown


def test_the_display_key_cycles_through_every_style():
    seen = [CoordinateStyle.DD]
    for _ in CoordinateStyle:
        seen.append(next_style(seen[-1]))
    assert seen == [CoordinateStyle.DD, CoordinateStyle.DDM, CoordinateStyle.DMS, CoordinateStyle.DD]


micro_lat = st.integers(-90 * 10**DECIMALS, 90 * 10**DECIMALS)
micro_lon = st.integers(-180 * 10**DECIMALS, 180 * 10**DECIMALS)


@given(micro_lat, micro_lon)
def test_every_display_reads_back_within_a_millionth_of_a_degree(lat, lon):
    """Typed in DD, shown as DDM then DMS from the kept value: each display parses back to it."""
    typed = Coordinates(lat / 10**DECIMALS, lon / 10**DECIMALS)
    kept = parse_coordinates(format_coordinates(typed, CoordinateStyle.DD))
    assert kept == typed  # DD carries all six decimals
    for style in (CoordinateStyle.DDM, CoordinateStyle.DMS):
        read = parse_coordinates(format_coordinates(kept, style))
        assert read.lat == pytest.approx(kept.lat, abs=1.000001e-6), style
        assert read.lon == pytest.approx(kept.lon, abs=1.000001e-6), style


def test_reparsing_each_display_in_turn_would_drift_which_is_why_the_form_keeps_the_value():
    typed = Coordinates(14.000001, -60.0)
    ddm = parse_coordinates(format_coordinates(typed, CoordinateStyle.DDM))
    chained = parse_coordinates(format_coordinates(ddm, CoordinateStyle.DMS))
    assert (ddm.lat, chained.lat) == (14.000002, 14.000003)  # two re-reads, two millionths off
    direct = parse_coordinates(format_coordinates(typed, CoordinateStyle.DMS))
    assert abs(direct.lat - typed.lat) <= 1.000001e-6


# The snapshot's deployment.service_area, shaped as the server's ServiceArea (the demo's box).
AREA = {"lat_min": 13.70, "lat_max": 14.12, "lon_min": -61.10, "lon_max": -60.86}


def test_the_area_is_read_by_the_server_s_own_field_names():
    assert tuple(f.name for f in fields(server_values.ServiceArea)) == AREA_FIELDS


@pytest.mark.parametrize("point", [SQUARE, (13.70, -61.10), (14.12, -60.86)])
def test_a_point_inside_the_service_area_passes(point):
    assert check_service_area(Coordinates(*point), AREA) is None


@pytest.mark.parametrize("point", [(14.2, -60.95), (13.69, -60.95), (14.0, -61.2), (14.0, -60.85)])
def test_a_point_outside_the_service_area_is_named_with_the_bounds(point):
    message = check_service_area(Coordinates(*point), AREA)
    assert message == (
        f"{format_coordinates(Coordinates(*point), CoordinateStyle.DD)} is outside the service area "
        "(lat 13.7 to 14.12, lon -61.1 to -60.86)"
    )


def test_without_a_service_area_nothing_is_checked():
    assert check_service_area(Coordinates(51.5, -0.12), None) is None


def test_a_service_area_missing_bounds_is_named():
    with pytest.raises(ValueError, match="service_area lacks lon_min, lon_max"):
        check_service_area(Coordinates(*SQUARE), {"lat_min": 13.7, "lat_max": 14.12})


def test_coordinates_travel_as_the_protocol_s_lat_lon_object():
    point = Coordinates.from_wire({"lat": 14.0104, "lon": -60.9887})
    assert point.to_wire() == {"lat": 14.0104, "lon": -60.9887}
    with pytest.raises(CoordinateError, match="coordinates must be"):
        Coordinates.from_wire({"lat": 14.0104})
