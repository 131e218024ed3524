"""What the map shows in each cell: outlines, stations, incidents and units (pure: no Textual).

The outlines are drawn once per view into braille; every frame copies them and places the
markers over them, most important first, so a crowded cell shows what matters: the selected
incident, then the units recommended for it (moved aside by a cell or two rather than hidden,
and joined to it by a dotted line), incidents by priority, units at work, stations
(a unit that never sent a fix is at its station, and the station's ⌂ is labelled with those
units), idle units elsewhere, and district names last. A marker is a glyph in its cell and a label beside it when
the cells there are free; one whose cell is taken is counted, not drawn (the title says how many,
and zooming in separates them).

Every state reads from its glyph and text, not only from its colour (the monochrome theme):
incidents are their priority letter with the board's urgency marks (A!!, B!, C, D, N), units a
shape per status before the callsign, the selected incident is bracketed and recommended units
carry a ✓.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .braille import BLANK, BrailleBuffer
from .format import UNIT_STATE_CLASS
from .map_projection import View

Entity = dict[str, Any]

UNIT_GLYPH = {
    "available_radio": "○",
    "available_station": "□",
    "assigned_radio": "◇",
    "assigned_station": "◇",
    "dispatching": "◈",
    "dispatched": "▷",
    "en_route": "►",
    "on_scene": "●",
    "unavailable": "×",
}
# The roster's classes, renamed: one fact (which states look alike) declared once in format.py.
UNIT_STYLE = {state: "map--unit-" + UNIT_STATE_CLASS[state].removeprefix("roster--") for state in UNIT_GLYPH}
PRIORITY_MARK = {"A": "!!", "B": "!"}  # as the board marks them
PRIORITY_ORDER = {"A": 0, "B": 1, "C": 2, "D": 3, "N": 4, None: 5}
STATION_GLYPH = "⌂"
RECOMMENDED_MARK = "✓"
NUDGE = 2  # cells a recommended unit may move aside from a crowded spot, so it is never hidden
AT_WORK = {"assigned_radio", "assigned_station", "dispatching", "dispatched", "en_route", "on_scene"}
LEGEND = (
    "○ avail  □ at stn  ◇ assigned  ◈ alerting  ▷ dispatched  ► en route  ● on scene  × out  "
    "⌂ station  A!! B! C D N incident  [selected]  ✓ recommended"
)


def incident_point(incident: Entity) -> tuple[float, float] | None:
    coordinates = (incident.get("location") or {}).get("coordinates")
    return (coordinates["lat"], coordinates["lon"]) if coordinates else None


def unit_point(unit: Entity, stations: dict[str, Entity]) -> tuple[float, float] | None:
    """Where a unit last reported, else its station (a unit at station may never send a fix)."""
    coordinates = unit["status"].get("coordinates")
    if coordinates is None:
        station = stations.get(unit["station_id"])
        coordinates = (station["location"].get("coordinates") if station else None)
    return (coordinates["lat"], coordinates["lon"]) if coordinates else None


@dataclass
class Layer:
    """The outlines of one view: a braille char and a style per cell (None: blank)."""

    chars: list[str]
    styles: list[str | None]


def outline_layer(view: View, outlines: Entity | None) -> Layer:
    size = view.cols * view.rows
    if not outlines:
        return Layer([" "] * size, [None] * size)
    buffers = {kind: BrailleBuffer(view.cols, view.rows) for kind in ("coast", "boundary")}
    for line in outlines.get("lines", []):
        buffer = buffers.get(line["kind"])
        if buffer is not None:
            buffer.polyline(view.dot(lat, lon) for lat, lon in line["points"])
    coast, boundary = buffers["coast"].cells, buffers["boundary"].cells
    chars, styles = [" "] * size, [None] * size
    for i in range(size):
        bits = coast[i] | boundary[i]
        if bits:
            chars[i] = chr(BLANK + bits)
            styles[i] = "map--coast" if coast[i] else "map--boundary"  # the coast wins a shared cell
    return Layer(chars, styles)


@dataclass
class Marks:
    """What the dispatcher is looking at: one incident and the units recommended for it."""

    selected: str | None = None
    recommended: frozenset[str] = frozenset()  # callsigns


@dataclass
class Picture:
    cols: int
    rows: int
    chars: list[str]
    styles: list[str | None]
    taken: bytearray  # 1 where a marker or label sits (outlines may be drawn over)
    shown: int = 0  # markers drawn
    hidden: int = 0  # markers whose cell another, more important one took
    off_canvas: int = 0  # markers outside the view (pan or zoom out to see them)
    without_position: list[str] = field(default_factory=list)  # nothing to place them by

    def free(self, col: int, row: int, length: int) -> bool:
        if row < 0 or row >= self.rows or col < 0 or col + length > self.cols:
            return False
        start = row * self.cols + col
        return not any(self.taken[start : start + length])

    def put(self, col: int, row: int, text: str, style: str | None) -> None:
        start = row * self.cols + col
        for i, char in enumerate(text):
            self.chars[start + i] = char
            self.styles[start + i] = style
            self.taken[start + i] = 1

    def place(self, cell: tuple[int, int] | None, glyph: str, glyph_style: str, label: str, label_style: str,
              before: str = "", nudge: bool = False) -> None:  # fmt: skip
        """A marker: its glyph in its cell, the label right of it (or left, or none where both are
        taken), and `before` (the selected incident's bracket) just left of the glyph. With
        `nudge`, a taken cell gives way to the nearest free one up to NUDGE cells away."""
        if cell is None:
            self.off_canvas += 1
            return
        col, row = cell
        if not self.free(col, row, 1):
            near = self._near(col, row, len(label)) if nudge else None
            if near is None:
                self.hidden += 1
                return
            col, row = near
        self.shown += 1
        self.put(col, row, glyph, glyph_style)
        if before and self.free(col - len(before), row, len(before)):
            self.put(col - len(before), row, before, glyph_style)
        if not label:
            return
        if self.free(col + 1, row, len(label)):
            self.put(col + 1, row, label, label_style)
        elif not before and self.free(col - len(label), row, len(label)):
            self.put(col - len(label), row, label, label_style)

    def _near(self, col: int, row: int, label: int) -> tuple[int, int] | None:
        """The closest free cell with room for the label, rows above and below before columns."""
        for distance in range(1, NUDGE + 1):
            for dc, dr in ((0, -distance), (0, distance), (-distance, 0), (distance, 0),
                           (-distance, -distance), (distance, -distance), (-distance, distance), (distance, distance)):  # fmt: skip
                if self.free(col + dc, row + dr, 1 + label):
                    return col + dc, row + dr
        return None

    def label(self, cell: tuple[int, int] | None, text: str, style: str) -> None:
        """A name centred on its point, only where nothing is yet."""
        if cell is None:
            return
        col = cell[0] - len(text) // 2
        if self.free(col, cell[1], len(text)):
            self.put(col, cell[1], text, style)


def incident_key(incident: Entity) -> tuple[int, str]:
    return PRIORITY_ORDER.get(incident.get("incident_priority"), 5), incident["incident_created"]


def compose(
    view: View,
    layer: Layer,
    incidents: Iterable[Entity],
    units: Iterable[Entity],
    stations: dict[str, Entity],
    labels: Iterable[Entity] = (),
    marks: Marks = Marks(),  # noqa: B008 (frozen in practice: never changed in place)
) -> Picture:
    size = view.cols * view.rows
    picture = Picture(view.cols, view.rows, list(layer.chars), list(layer.styles), bytearray(size))
    cell = view.cell
    open_incidents = [i for i in incidents if i["state"] != "ended"]
    selected = next((i for i in open_incidents if i["id"] == marks.selected), None)
    wanted = marks.recommended
    recommended = [u for u in units if u["callsign"] in wanted] if wanted else []
    if selected is not None and recommended:
        _draw_routes(picture, view, incident_point(selected), [unit_point(u, stations) for u in recommended])
    if selected is not None:
        _place_incident(picture, cell, selected, chosen=True)
    for unit in recommended:
        _place_unit(picture, cell, unit, stations, recommended=True)
    for incident in sorted(open_incidents, key=incident_key):
        if incident is not selected:
            _place_incident(picture, cell, incident, chosen=False)
    # A unit that never sent a fix is at its station: the station's ⌂ stands for all of them.
    # One pass projects the rest and sorts them into at work and the others; this loop runs for
    # 2,000 units a frame, so it does the sums inline.
    at_station: dict[str, list[Entity]] = {}
    at_work: list[tuple[int, Entity]] = []
    others: list[tuple[int, Entity]] = []
    idle: list[tuple[int, Entity]] = []
    ax, bx, ay, by, cols, rows = view.ax, view.bx, view.ay, view.by, view.cols, view.rows
    for unit in units:
        if wanted and unit["callsign"] in wanted:
            continue
        status = unit["status"]
        coordinates = status.get("coordinates")
        if coordinates is None:
            if unit["station_id"] in stations:
                at_station.setdefault(unit["station_id"], []).append(unit)
            else:
                picture.without_position.append(unit["id"])
            continue
        col, row = int((ax * coordinates["lon"] + bx) // 2), int((ay * coordinates["lat"] + by) // 4)
        if not (0 <= col < cols and 0 <= row < rows):
            picture.off_canvas += 1
            continue
        state = status["state"]
        (at_work if state in AT_WORK else idle if state != "unavailable" else others).append((row * cols + col, unit))
    _place_units(picture, at_work)
    for station in stations.values():
        _place_station(picture, cell, station, at_station.get(station["id"], []))
    _place_units(picture, idle)
    _place_units(picture, others)
    for label in labels:
        picture.label(cell(label["lat"], label["lon"]), label["name"], "map--district")
    return picture


def _draw_routes(picture: Picture, view: View, target: tuple[float, float] | None,
                 sources: list[tuple[float, float] | None]) -> None:  # fmt: skip
    """Straight dotted lines from each recommended unit to the selected incident, under the
    markers: which units would come, and from where, at a glance."""
    if target is None:
        return
    routes = BrailleBuffer(view.cols, view.rows)
    end = view.dot(*target)
    for source in sources:
        if source is not None:
            routes.line(*view.dot(*source), *end)
    for i, bits in enumerate(routes.cells):
        if bits:
            below = picture.chars[i]
            below_bits = ord(below) - BLANK if BLANK <= ord(below) <= BLANK + 0xFF else 0
            picture.chars[i] = chr(BLANK + (bits | below_bits))
            picture.styles[i] = "map--route"


def _place_station(picture: Picture, cell, station: Entity, units: list[Entity]) -> None:
    coordinates = station["location"].get("coordinates")
    if not coordinates or not (station.get("active", True) or units):
        return
    spot = cell(coordinates["lat"], coordinates["lon"])
    if spot is None or not picture.free(*spot, 1):
        picture.off_canvas += len(units) if spot is None else 0
        picture.hidden += len(units) if spot is not None else 0
        return
    picture.put(*spot, STATION_GLYPH, "map--station")
    picture.shown += len(units)
    if not units:
        return
    # The callsigns where they fit, else how many units are there.
    for label in (",".join(sorted(u["callsign"] for u in units)), str(len(units))):
        col, row = spot
        if picture.free(col + 1, row, len(label)):
            picture.put(col + 1, row, label, "map--station")
            return
        if picture.free(col - len(label), row, len(label)):
            picture.put(col - len(label), row, label, "map--station")
            return


def _place_incident(picture: Picture, cell, incident: Entity, chosen: bool) -> None:
    point = incident_point(incident)
    if point is None:
        picture.without_position.append(incident["id"])
        return
    priority = incident.get("incident_priority")
    style = "map--selected" if chosen else f"map--incident-{(priority or 'none').lower()}"
    label = PRIORITY_MARK.get(priority, "") + ("]" if chosen else "")
    picture.place(cell(*point), priority or "?", style, label, style, before="[" if chosen else "")


def _place_units(picture: Picture, units: list[tuple[int, Entity]]) -> None:
    """Units already projected (cell index, unit), in the order they claim their cells."""
    taken, cols = picture.taken, picture.cols
    for index, unit in units:
        if taken[index]:
            picture.hidden += 1  # decided before any label is made: most units of a crowded map end here
            continue
        state = unit["status"]["state"]
        style = UNIT_STYLE.get(state, "map--unit-out")
        picture.place((index % cols, index // cols), UNIT_GLYPH.get(state, "?"), style, unit["callsign"], style)


def _place_unit(picture: Picture, cell, unit: Entity, stations: dict[str, Entity], recommended: bool) -> None:
    point = unit_point(unit, stations)
    if point is None:
        picture.without_position.append(unit["id"])
        return
    spot = cell(*point)
    if spot is None:
        picture.off_canvas += 1
        return
    if not recommended and picture.taken[spot[1] * picture.cols + spot[0]]:
        picture.hidden += 1  # decided before any label is made: most units of a crowded map end here
        return
    state = unit["status"]["state"]
    style = "map--recommended" if recommended else UNIT_STYLE.get(state, "map--unit-out")
    label = unit["callsign"] + (RECOMMENDED_MARK if recommended else "")
    picture.place(spot, UNIT_GLYPH.get(state, "?"), style, label, style, nudge=recommended)
