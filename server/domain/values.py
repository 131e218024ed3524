"""Value types and validation limits: callsign, phone, coordinates, staffing, text."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import StrEnum

from server.domain.errors import ValidationFailed, said
from server.domain.records import record

# Text limits in characters (Python str length counts code points, as the rules do).
DESCRIPTION_MAX = 1000  # descriptions, log text, outcome rationale, location details
CALLER_NAME_MAX = 100
ADDRESS_NUMBER_MAX = 30
NAME_MAX = 200  # street, road, place, reference place and every other name
PHONE_DIGITS_MAX = 15
COORDINATE_DECIMALS = 6


def check_text(field: str, value: object, limit: int, *, required: bool = False) -> str | None:
    """Return the text, or None when absent; refuse non-strings and text over the limit."""
    if value is None or value == "":
        if required:
            raise ValidationFailed(f"{said(field)} is required", field=field)
        return None
    if not isinstance(value, str):
        raise ValidationFailed(f"{said(field)} must be text", field=field)
    if required and not value.strip():
        raise ValidationFailed(f"{said(field)} is required", field=field)
    if len(value) > limit:
        raise ValidationFailed(
            f"{said(field)} is {len(value)} characters long; the limit is {limit}",
            field=field,
            limit=limit,
            length=len(value),
        )
    return value


def check_count(field: str, value: object, *, minimum: int = 1) -> int:
    """A whole number of at least `minimum` (quantities, capacities)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationFailed(f"{said(field)} must be a whole number of at least {minimum}", field=field)
    return value


def require_text(field: str, value: object, limit: int) -> str:
    text = check_text(field, value, limit, required=True)
    assert text is not None  # required=True never returns None
    return text


# --- callsign -------------------------------------------------------------------------------

_CALLSIGN = re.compile(r"[A-Z][A-Z0-9]*(?:-[A-Z0-9]+)?")


def parse_callsign(value: object) -> str:
    """2–16 of A–Z 0–9, at most one inner '-', starting with a letter; stored upper case."""
    if not isinstance(value, str):
        raise ValidationFailed("callsign must be text", field="callsign")
    callsign = value.strip().upper()
    if not (2 <= len(callsign) <= 16) or not _CALLSIGN.fullmatch(callsign):
        raise ValidationFailed(
            f"{value!r} is not a callsign: 2–16 letters and digits, starting with a letter, "
            "with at most one '-' inside",
            field="callsign",
            value=value,
        )
    return callsign


# --- phone ----------------------------------------------------------------------------------

_PHONE_DECORATION = re.compile(r"[\s\-().]")


def parse_phone(value: object) -> str | None:
    """Digits only (spaces, dashes, dots and brackets are typing aids and dropped), at most 15,
    optional leading '+' for an international number; without it the number is domestic."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValidationFailed("caller_phone must be text", field="caller_phone")
    compact = _PHONE_DECORATION.sub("", value)
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValidationFailed(
            f"{value!r} is not a phone number: digits only, with an optional leading '+'",
            field="caller_phone",
        )
    if len(digits) > PHONE_DIGITS_MAX:
        raise ValidationFailed(
            f"a phone number has at most {PHONE_DIGITS_MAX} digits; {value!r} has {len(digits)}",
            field="caller_phone",
            limit=PHONE_DIGITS_MAX,
        )
    return ("+" if international else "") + digits


# --- coordinates ----------------------------------------------------------------------------


class CoordinateFormat(StrEnum):
    DD = "dd"
    DDM = "ddm"
    DMS = "dms"


@record
class Coordinates:
    """WGS84 decimal degrees with at most six decimals."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        for name, value, bound in (("lat", self.lat, 90.0), ("lon", self.lon, 180.0)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ValidationFailed(f"coordinates.{name} must be a number", field=f"coordinates.{name}")
            if not -bound <= value <= bound:
                raise ValidationFailed(
                    f"coordinates.{name} {value} is outside ±{bound:g}", field=f"coordinates.{name}"
                )
            if round(value, COORDINATE_DECIMALS) != value:
                raise ValidationFailed(
                    f"coordinates.{name} {value} has more than {COORDINATE_DECIMALS} decimals",
                    field=f"coordinates.{name}",
                )

    @classmethod
    def from_wire(cls, value: object) -> Coordinates:
        if not isinstance(value, dict) or set(value) != {"lat", "lon"}:
            raise ValidationFailed(
                'coordinates must be an object {"lat": …, "lon": …}', field="coordinates"
            )
        return cls(value["lat"], value["lon"])

    def to_wire(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}

    def format(self, style: CoordinateFormat = CoordinateFormat.DDM) -> str:
        return format_coordinates(self, style)


@dataclass(frozen=True, slots=True)
class ServiceArea:
    """The deployment's box; coordinates outside it are refused."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    def contains(self, point: Coordinates) -> bool:
        return self.lat_min <= point.lat <= self.lat_max and self.lon_min <= point.lon <= self.lon_max

    def check(self, point: Coordinates, field: str = "coordinates") -> Coordinates:
        if not self.contains(point):
            raise ValidationFailed(
                f"{point.format(CoordinateFormat.DD)} is outside the service area "
                f"(lat {self.lat_min:g} to {self.lat_max:g}, lon {self.lon_min:g} to {self.lon_max:g})",
                field=field,
            )
        return point


_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_SYMBOLS = str.maketrans({c: " " for c in "°º˚'′’\"″”:"})


def _parse_component(text: str, positive: str, negative: str, bound: float, field: str) -> float:
    hemispheres = re.findall(r"[NSEW]", text)
    if len(hemispheres) > 1 or (hemispheres and hemispheres[0] not in (positive, negative)):
        raise ValidationFailed(f"{text.strip()!r}: expected {positive} or {negative}", field=field)
    numbers = _NUMBER.findall(text)
    leftover = _NUMBER.sub(" ", re.sub(r"[NSEW]", " ", text)).strip(" ,")
    if not 1 <= len(numbers) <= 3 or leftover:
        raise ValidationFailed(f"{text.strip()!r} is not a coordinate", field=field)
    signed = numbers[0].startswith(("-", "+"))
    if any(n.startswith(("-", "+")) for n in numbers[1:]) or (signed and hemispheres):
        raise ValidationFailed(
            f"{text.strip()!r}: give either a sign or a hemisphere letter, not both", field=field
        )
    if any("." in n for n in numbers[:-1]):
        raise ValidationFailed(f"{text.strip()!r}: only the last part may have decimals", field=field)
    degrees = abs(float(numbers[0]))
    minutes = float(numbers[1]) if len(numbers) > 1 else 0.0
    seconds = float(numbers[2]) if len(numbers) > 2 else 0.0
    if minutes >= 60 or seconds >= 60:
        raise ValidationFailed(f"{text.strip()!r}: minutes and seconds must be below 60", field=field)
    value = round(degrees + minutes / 60 + seconds / 3600, COORDINATE_DECIMALS)
    if value > bound:
        raise ValidationFailed(f"{text.strip()!r} is outside ±{bound:g}", field=field)
    negative_sign = numbers[0].startswith("-") or (hemispheres and hemispheres[0] == negative)
    return -value if negative_sign else value


def parse_coordinates(text: str) -> Coordinates:
    """Parse decimal degrees, degrees-decimal-minutes or degrees-minutes-seconds.

    Accepted: `13.997, -60.991`, `13.997N 60.991W`, `13°59.820'N 060°59.460'W`,
    `13 59 49.2 N, 60 59 27.6 W`. Latitude comes first. The result is rounded to six decimals
    (about 0.1 m), never given more precision than was typed.
    """
    s = text.strip().upper().translate(_SYMBOLS)
    if not s:
        raise ValidationFailed("coordinates are empty", field="coordinates")
    split = re.fullmatch(r"(.*?[NS])\s*,?\s*(.*?[EW])", s)
    if split:
        lat_text, lon_text = split.groups()
    elif "," in s:
        lat_text, _, lon_text = s.partition(",")
    else:
        parts = s.split()
        if len(parts) != 2:
            raise ValidationFailed(
                f"{text!r}: separate latitude and longitude with a comma or hemisphere letters",
                field="coordinates",
            )
        lat_text, lon_text = parts
    lat = _parse_component(lat_text, "N", "S", 90.0, "coordinates.lat")
    lon = _parse_component(lon_text, "E", "W", 180.0, "coordinates.lon")
    return Coordinates(lat, lon)


def _split_minutes(value: float, minute_decimals: int) -> tuple[int, float]:
    degrees = int(abs(value))
    minutes = round((abs(value) - degrees) * 60, minute_decimals)
    if minutes >= 60:  # rounding carried into the next degree
        degrees, minutes = degrees + 1, 0.0
    return degrees, minutes


def _split_seconds(value: float, second_decimals: int) -> tuple[int, int, float]:
    degrees = int(abs(value))
    total_seconds = round((abs(value) - degrees) * 3600, second_decimals)
    minutes, seconds = divmod(total_seconds, 60)
    if minutes >= 60:
        degrees, minutes = degrees + 1, 0
    return degrees, int(minutes), seconds


def _trim(number: float) -> str:
    return f"{number:.6f}".rstrip("0").rstrip(".")


def format_coordinates(point: Coordinates, style: CoordinateFormat = CoordinateFormat.DDM) -> str:
    """Show coordinates the way the deployment reads them (DDM by default)."""
    ns = "N" if point.lat >= 0 else "S"
    ew = "E" if point.lon >= 0 else "W"
    if style is CoordinateFormat.DD:
        return f"{_trim(point.lat)}, {_trim(point.lon)}"
    if style is CoordinateFormat.DDM:
        lat_d, lat_m = _split_minutes(point.lat, 3)
        lon_d, lon_m = _split_minutes(point.lon, 3)
        return f"{lat_d:02d}°{lat_m:06.3f}'{ns} {lon_d:03d}°{lon_m:06.3f}'{ew}"
    lat_d, lat_m, lat_s = _split_seconds(point.lat, 2)
    lon_d, lon_m, lon_s = _split_seconds(point.lon, 2)
    return (
        f"{lat_d:02d}°{lat_m:02d}'{lat_s:05.2f}\"{ns} "
        f"{lon_d:03d}°{lon_m:02d}'{lon_s:05.2f}\"{ew}"
    )


# --- staffing -------------------------------------------------------------------------------


@record
class Staffing:
    """Officers 0–99, subofficers 0–99, crew 0–999; shown `1+1+3`."""

    officers: int
    subofficers: int
    crew: int

    def __post_init__(self) -> None:
        for name, value, limit in (
            ("officers", self.officers, 99),
            ("subofficers", self.subofficers, 99),
            ("crew", self.crew, 999),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= limit:
                raise ValidationFailed(
                    f"{name} must be a whole number from 0 to {limit}, got {value!r}", field=name
                )

    @classmethod
    def parse(cls, text: str) -> Staffing:
        parts = text.strip().split("+")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            raise ValidationFailed(f"{text!r} is not a staffing: write officers+subofficers+crew, e.g. 1+1+3", field="staffing")
        return cls(*(int(p) for p in parts))

    @classmethod
    def from_wire(cls, value: object) -> Staffing:
        if not isinstance(value, dict) or set(value) != {"officers", "subofficers", "crew"}:
            raise ValidationFailed(
                "staffing must be an object {officers, subofficers, crew}", field="staffing"
            )
        return cls(value["officers"], value["subofficers"], value["crew"])

    def to_wire(self) -> dict[str, int]:
        return {"officers": self.officers, "subofficers": self.subofficers, "crew": self.crew}

    def __str__(self) -> str:
        return f"{self.officers}+{self.subofficers}+{self.crew}"
