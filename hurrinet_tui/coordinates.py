"""Coordinates as a dispatcher types and reads them: DD, DDM or DMS (pure, no Textual).

A caller reads a position off a phone in whatever format its app shows, so the form accepts
all three and any mix of marks: `14.0101, -60.9875`, `N14.0101 W60.9875`,
`14°0.606'N 60°59.25'W`, `14 0 36.4 N, 60 59 15 W`. Latitude always comes first.

Switching the display format must never lose precision, so the form keeps the parsed value
and only re-renders it (`format_coordinates`); it never parses its own rendering back. Parsed
values are rounded once, to the protocol's six decimals (~0.1 m): that is the value sent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

# The server refuses coordinates with more decimals (server.domain.values.COORDINATE_DECIMALS).
DECIMALS = 6
MICRO = 10**DECIMALS

# The deployment's box, as the snapshot's `deployment.service_area` names its bounds
# (the server's ServiceArea fields).
AREA_FIELDS = ("lat_min", "lat_max", "lon_min", "lon_max")


class CoordinateError(ValueError):
    """The text is not a position; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class Coordinates:
    """WGS84 decimal degrees, north and east positive."""

    lat: float
    lon: float

    @classmethod
    def from_wire(cls, value: Mapping[str, Any]) -> Coordinates:
        try:
            return cls(float(value["lat"]), float(value["lon"]))
        except (KeyError, TypeError, ValueError):
            raise CoordinateError(f'coordinates must be {{"lat": …, "lon": …}}, got {value!r}') from None

    def to_wire(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}


class CoordinateStyle(Enum):
    DD = "DD"
    DDM = "DDM"
    DMS = "DMS"


def next_style(style: CoordinateStyle) -> CoordinateStyle:
    styles = list(CoordinateStyle)
    return styles[(styles.index(style) + 1) % len(styles)]


# --- parsing --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Axis:
    name: str
    positive: str
    negative: str
    bound: int


LATITUDE = _Axis("latitude", "N", "S", 90)
LONGITUDE = _Axis("longitude", "E", "W", 180)

_TOKEN = re.compile(
    r"""(?P<number>\d+(?:\.\d*)?|\.\d+)
      | (?P<sign>[-+\u2212])
      | (?P<hemisphere>[NSEWnsew])
      | (?P<degree>[°º˚])
      | (?P<second>''|["″”“])
      | (?P<minute>['′’‘])
      | (?P<comma>,)
      | (?P<space>\s+)""",
    re.VERBOSE,
)
_MARKS = ("degree", "minute", "second")


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    start: int  # where it was typed, so messages quote the typed text
    end: int


def parse_coordinates(text: str) -> Coordinates:
    """Latitude then longitude in DD, DDM or DMS, with signs or N/S/E/W before or after."""
    tokens = _tokenize(text)
    if not tokens:
        raise CoordinateError("coordinates are empty")
    lat_tokens, lon_tokens = _split(tokens, text.strip())
    return Coordinates(_component(lat_tokens, LATITUDE, text), _component(lon_tokens, LONGITUDE, text))


def _tokenize(text: str) -> list[_Token]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise CoordinateError(
                f"{text[position]!r} (character {position + 1}) is not part of a coordinate; "
                "use digits, signs, N S E W and ° ' \""
            )
        kind = match.lastgroup
        assert kind is not None  # every alternative is a named group
        if kind != "space":
            value = match.group()
            tokens.append(_Token(kind, value.upper() if kind == "hemisphere" else value, match.start(), match.end()))
        position = match.end()
    return tokens


def _split(tokens: list[_Token], text: str) -> tuple[list[_Token], list[_Token]]:
    """Latitude's tokens and longitude's: at the comma, at the hemisphere letters, else evenly."""
    commas = [i for i, t in enumerate(tokens) if t.kind == "comma"]
    if len(commas) > 1:
        raise CoordinateError(f"{text!r} has {len(commas)} commas; separate latitude and longitude with one")
    if commas:
        lat, lon = tokens[: commas[0]], tokens[commas[0] + 1 :]
        if not lat or not lon:
            raise CoordinateError(f"{text!r}: give latitude before the comma and longitude after it")
        return lat, lon
    if sum(t.kind == "number" for t in tokens) == 1:
        raise CoordinateError(f"{text!r} is one number; give latitude and longitude, e.g. 14.0101, -60.9875")
    letters = [i for i, t in enumerate(tokens) if t.kind == "hemisphere"]
    if len(letters) > 2:
        raise CoordinateError(f"{text!r} has {len(letters)} hemisphere letters; latitude and longitude take one each")
    if len(letters) == 1:
        raise CoordinateError(
            f"{text!r}: give both latitude and longitude a hemisphere letter, or separate them with a comma"
        )
    if letters:
        # Letters lead each part (`N14 W60`) or end it (`14N 60W`).
        cut = letters[1] if letters[0] == 0 else letters[0] + 1
        return tokens[:cut], tokens[cut:]
    return _split_bare(tokens, text)


def _split_bare(tokens: list[_Token], text: str) -> tuple[list[_Token], list[_Token]]:
    """No comma and no letters: the second degree mark, or a sign, or half the numbers starts longitude."""
    numbers = [i for i, t in enumerate(tokens) if t.kind == "number"]
    degrees = [i - 1 for i, t in enumerate(tokens) if t.kind == "degree" and i > 0]
    signs = [i for i, t in enumerate(tokens) if t.kind == "sign" and i > 0]
    if len(degrees) == 2:
        cut = degrees[1]
    elif len(signs) == 1:
        cut = signs[0]
    elif len(numbers) in (2, 4, 6):
        cut = numbers[len(numbers) // 2]
    else:
        raise CoordinateError(f"{text!r}: separate latitude and longitude with a comma or hemisphere letters")
    if cut > 0 and tokens[cut - 1].kind == "sign":
        cut -= 1
    return tokens[:cut], tokens[cut:]


def _component(tokens: list[_Token], axis: _Axis, text: str) -> float:
    """One latitude or longitude: [letter] [sign] degrees [minutes [seconds]] [letter]."""
    shown = text[tokens[0].start : tokens[-1].end]
    letter = _hemisphere(tokens, axis, shown)
    body = [t for t in tokens if t.kind != "hemisphere"]
    sign = ""
    if body and body[0].kind == "sign":
        sign = "-" if body[0].text in "-\u2212" else "+"
        body = body[1:]
    parts = _numbers(body, axis, shown)
    if any("." in p for p in parts[:-1]):
        raise CoordinateError(f"{axis.name} {shown!r}: only the last number may have decimals")
    degrees, minutes, seconds = (float(p) for p in parts + ["0"] * (3 - len(parts)))
    if minutes >= 60:
        raise CoordinateError(f"{axis.name} {shown!r}: minutes must be below 60, got {parts[1]}")
    if seconds >= 60:
        raise CoordinateError(f"{axis.name} {shown!r}: seconds must be below 60, got {parts[2]}")
    magnitude = round(degrees + minutes / 60 + seconds / 3600, DECIMALS)
    if letter and sign and (sign == "-") != (letter == axis.negative):
        meaning = axis.negative if sign == "-" else axis.positive
        raise CoordinateError(f"{axis.name} {shown!r}: the {sign} sign means {meaning} but the letter says {letter}")
    negative = sign == "-" or letter == axis.negative
    if magnitude > axis.bound:
        raise CoordinateError(f"{axis.name} {'-' if negative else ''}{_plain(magnitude)} is beyond ±{axis.bound}")
    return -magnitude if negative and magnitude else magnitude


def _plain(value: float) -> str:
    return f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")


def _hemisphere(tokens: list[_Token], axis: _Axis, shown: str) -> str:
    positions = [i for i, t in enumerate(tokens) if t.kind == "hemisphere"]
    if not positions:
        return ""
    if len(positions) > 1 or positions[0] not in (0, len(tokens) - 1):
        raise CoordinateError(f"{axis.name} {shown!r}: one hemisphere letter, before or after the numbers")
    letter = tokens[positions[0]].text
    if letter not in (axis.positive, axis.negative):
        first = "" if axis is LONGITUDE else "comes first and "
        raise CoordinateError(
            f"{axis.name} {shown!r}: {axis.name} {first}takes {axis.positive} or {axis.negative}, not {letter}"
        )
    return letter


def _numbers(body: list[_Token], axis: _Axis, shown: str) -> list[str]:
    """Degrees, minutes and seconds in order, each optionally followed by its own mark."""
    parts: list[str] = []
    marked = True  # nothing to mark before the first number
    for token in body:
        if token.kind == "number":
            if len(parts) == 3:
                raise CoordinateError(f"{axis.name} {shown!r} has more than degrees, minutes and seconds")
            parts.append(token.text)
            marked = False
        elif token.kind in _MARKS:
            if marked or token.kind != _MARKS[len(parts) - 1]:
                raise CoordinateError(
                    f"{axis.name} {shown!r}: {token.text} is out of place; "
                    "marks go ° after degrees, ' after minutes and \" after seconds"
                )
            marked = True
        else:  # the split leaves commas and letters out, so this is a sign after the degrees
            raise CoordinateError(f"{axis.name} {shown!r}: only the degrees may carry a sign")
    if not parts:
        raise CoordinateError(f"{axis.name} {shown!r} has no number")
    return parts


# --- display --------------------------------------------------------------------------------------
# Each style shows what the wire carries or a little less: DD six decimals (~0.1 m), DDM
# minutes to four (0.0001' ≈ 0.19 m), DMS seconds to two (0.01" ≈ 0.31 m). Reading any of them
# back lands within 1e-6° of the kept value; chaining re-reads would drift, which is why the
# form re-renders the kept value instead.
def format_coordinates(point: Coordinates, style: CoordinateStyle) -> str:
    if style is CoordinateStyle.DD:
        return f"{_decimal(point.lat)}, {_decimal(point.lon)}"
    lat_letter = "S" if point.lat < 0 else "N"
    lon_letter = "W" if point.lon < 0 else "E"
    if style is CoordinateStyle.DDM:
        return f"{_ddm(point.lat, 2)}{lat_letter} {_ddm(point.lon, 3)}{lon_letter}"
    return f"{_dms(point.lat, 2)}{lat_letter} {_dms(point.lon, 3)}{lon_letter}"


def _decimal(value: float) -> str:
    return f"{value + 0.0:.{DECIMALS}f}"  # + 0.0 turns -0.0 into 0.0


def _micro(value: float) -> tuple[int, int]:
    """Whole degrees and the millionths beyond them, in integers so carries are exact."""
    return divmod(round(abs(value) * MICRO), MICRO)


def _ddm(value: float, width: int) -> str:
    degrees, micro = _micro(value)
    # Minutes × 10⁴, rounded half up. A millionth of a degree is finer than 0.0001', so this
    # never reaches 60' (seconds, being coarser, can: `_dms` carries).
    ten_thousandths = (micro * 6 + 5) // 10
    minutes, fraction = divmod(ten_thousandths, 10**4)
    return f"{degrees:0{width}d}°{minutes:02d}.{fraction:04d}'"


def _dms(value: float, width: int) -> str:
    degrees, micro = _micro(value)
    hundredths = (micro * 36 + 50) // 100  # seconds × 100, rounded half up
    if hundredths == 3600 * 100:
        degrees, hundredths = degrees + 1, 0
    minutes, hundredths = divmod(hundredths, 60 * 100)
    seconds, fraction = divmod(hundredths, 100)
    return f"{degrees:0{width}d}°{minutes:02d}'{seconds:02d}.{fraction:02d}\""


# --- service area ---------------------------------------------------------------------------------
def check_service_area(point: Coordinates, area: Mapping[str, float] | None) -> str | None:
    """None when the point is inside the deployment's box (or no box is known), else why not."""
    if area is None:  # a server that sends no area: the server still checks on submit
        return None
    missing = [name for name in AREA_FIELDS if name not in area]
    if missing:
        raise ValueError(f"service_area lacks {', '.join(missing)}; expected {', '.join(AREA_FIELDS)}")
    lat_min, lat_max, lon_min, lon_max = (float(area[name]) for name in AREA_FIELDS)
    if lat_min <= point.lat <= lat_max and lon_min <= point.lon <= lon_max:
        return None
    return (
        f"{format_coordinates(point, CoordinateStyle.DD)} is outside the service area "
        f"(lat {lat_min:g} to {lat_max:g}, lon {lon_min:g} to {lon_max:g})"
    )
