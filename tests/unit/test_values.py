"""Value types and validation limits, with their boundary values."""

import pytest

from server.domain.errors import ValidationFailed
from server.domain.values import (
    CoordinateFormat,
    Coordinates,
    ServiceArea,
    Staffing,
    check_text,
    format_coordinates,
    parse_callsign,
    parse_coordinates,
    parse_phone,
)

AREA = ServiceArea(13.70, 14.12, -61.10, -60.86)


@pytest.mark.parametrize("text, expected", [("E12", "E12"), ("m4", "M4"), ("SAR-2", "SAR-2"), ("PW3", "PW3"),
                                            ("AB", "AB"), ("A" * 16, "A" * 16), (" l1 ", "L1")])  # fmt: skip
def test_callsigns_accepted_and_upper_cased(text, expected):
    assert parse_callsign(text) == expected


@pytest.mark.parametrize("text", ["E", "A" * 17, "12E", "-E1", "E1-", "SAR--2", "S-A-R", "E 12", "É12", "", 12])
def test_callsigns_refused(text):
    with pytest.raises(ValidationFailed):
        parse_callsign(text)


def test_phone_digits_limit_is_fifteen():
    assert parse_phone("1" * 15) == "1" * 15
    assert parse_phone("+" + "1" * 15) == "+" + "1" * 15
    with pytest.raises(ValidationFailed, match="at most 15"):
        parse_phone("1" * 16)
    with pytest.raises(ValidationFailed):
        parse_phone("+" + "1" * 16)


@pytest.mark.parametrize("text, expected", [("758 555-0123", "7585550123"), ("+1 (758) 555.0123", "+17585550123"),
                                            ("", None), (None, None)])  # fmt: skip
def test_phone_typing_aids_are_dropped(text, expected):
    assert parse_phone(text) == expected


@pytest.mark.parametrize("text", ["555-CALL", "++1758", "+", "12+34", "١٢٣"])
def test_phone_refuses_anything_but_digits(text):
    with pytest.raises(ValidationFailed):
        parse_phone(text)


@pytest.mark.parametrize(
    "text",
    ["13.997, -60.991", "13.997N 60.991W", "13°59.820'N 060°59.460'W", "13 59.82 N, 60 59.46 W",
     "13°59'49.2\"N 060°59'27.6\"W", "13 59 49.2 N 60 59 27.6 W", "13.997 -60.991"],
)  # fmt: skip
def test_coordinates_parse_dd_ddm_dms(text):
    assert parse_coordinates(text) == Coordinates(13.997, -60.991)


@pytest.mark.parametrize("text", ["13.997", "abc", "13.997S 60.991N", "-13.997N 60.991W", "13 60.5 N 60 W",
                                  "13.5 30 N, 60 W", "91, 10", "13, 181", ""])  # fmt: skip
def test_coordinates_refused_with_a_reason(text):
    with pytest.raises(ValidationFailed):
        parse_coordinates(text)


@pytest.mark.parametrize("style", list(CoordinateFormat))
def test_formatted_coordinates_parse_back(style):
    point = Coordinates(14.0104, -60.9887)
    again = parse_coordinates(format_coordinates(point, style))
    assert again.lat == pytest.approx(point.lat, abs=1e-5) and again.lon == pytest.approx(point.lon, abs=1e-5)


def test_ddm_is_the_default_display_and_matches_the_domain_example():
    assert format_coordinates(Coordinates(13.997, -60.991)) == "13°59.820'N 060°59.460'W"


def test_ddm_rounding_carries_into_the_degree():
    assert format_coordinates(Coordinates(13.999999, -61.0)).startswith("14°00.000'N")


def test_dd_display_adds_no_precision():
    assert format_coordinates(Coordinates(14.01, -60.9), CoordinateFormat.DD) == "14.01, -60.9"


def test_coordinates_with_more_than_six_decimals_are_refused():
    Coordinates(14.123456, -60.123456)
    with pytest.raises(ValidationFailed, match="decimals"):
        Coordinates(14.1234567, -60.0)


@pytest.mark.parametrize("lat, lon", [(13.70, -61.10), (14.12, -60.86), (13.70, -60.86), (14.12, -61.10)])
def test_service_area_edges_are_inside(lat, lon):
    assert AREA.check(Coordinates(lat, lon))


@pytest.mark.parametrize("lat, lon", [(13.699999, -61.0), (14.120001, -61.0), (14.0, -61.100001), (14.0, -60.859999)])
def test_just_past_the_service_area_is_refused(lat, lon):
    with pytest.raises(ValidationFailed, match="outside the service area"):
        AREA.check(Coordinates(lat, lon))


def test_staffing_limits_and_display():
    assert str(Staffing(1, 1, 3)) == "1+1+3"
    assert Staffing.parse("99+99+999") == Staffing(99, 99, 999)
    for bad in ((100, 0, 0), (0, 100, 0), (0, 0, 1000), (-1, 0, 0), (True, 0, 0)):
        with pytest.raises(ValidationFailed):
            Staffing(*bad)
    with pytest.raises(ValidationFailed):
        Staffing.parse("1+1")


def test_text_limit_boundary():
    assert check_text("description", "x" * 1000, 1000) == "x" * 1000
    with pytest.raises(ValidationFailed, match="1001 characters long; the limit is 1000"):
        check_text("description", "x" * 1001, 1000)


def test_text_limit_counts_characters_not_bytes():
    assert check_text("description", "é" * 1000, 1000)
