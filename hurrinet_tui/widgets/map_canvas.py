"""The map: the deployment's outlines in braille with incidents, units and stations over them.

A thin adapter: `map_projection` says where, `map_picture` says what goes in each cell, and
this widget turns that into styled lines, keeps the outlines of the current view, and redraws
when told (the replica changed, the view moved, the theme changed). Pan and zoom live here so
that the view follows the widget's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ..map_picture import UNIT_STYLE, Layer, Marks, Picture, compose, outline_layer
from ..map_projection import Area, View, clamp_zoom, panned, view
from ..replica import Replica

PAN_FRACTION = 4  # an arrow moves a quarter of the canvas


@dataclass(frozen=True)
class Counts:
    shown: int = 0
    hidden: int = 0
    off_canvas: int = 0
    without_position: int = 0


class MapCanvas(Widget, can_focus=True):
    COMPONENT_CLASSES = {
        "map--coast", "map--boundary", "map--district", "map--station", "map--selected", "map--recommended", "map--route",
        "map--incident-a", "map--incident-b", "map--incident-c", "map--incident-d", "map--incident-n",
        "map--incident-none", *UNIT_STYLE.values(),
    }  # fmt: skip

    class Drawn(Message):
        """A frame was drawn and what it could not show changed (for the screen's title)."""

        def __init__(self, counts: Counts) -> None:
            super().__init__()
            self.counts = counts

    def __init__(self, replica: Replica, **kwargs) -> None:
        super().__init__(**kwargs)
        self.replica = replica
        self.centre: tuple[float, float] | None = None  # None: the service area's middle
        self.zoom = 0
        self.marks = Marks()
        self.picture: Picture | None = None
        self.counts = Counts()
        self._layer: tuple[View, int, Layer] | None = None  # the view, which outlines, their cells
        self._strips: list[Strip] | None = None
        self._styles: dict[str | None, Style] = {}  # per theme: looking them up each frame costs more than drawing

    # --- what to show ---------------------------------------------------------------------------
    @property
    def area(self) -> Area | None:
        return Area.of(self.replica.deployment)

    def view(self) -> View | None:
        area = self.area
        if area is None or self.size.width == 0 or self.size.height == 0:
            return None
        return view(area, self.size.width, self.size.height, self.centre, self.zoom)

    def redraw(self) -> None:
        self._strips = None
        self.refresh()

    def mark(self, marks: Marks) -> None:
        if marks != self.marks:
            self.marks = marks
            self.redraw()

    # --- moving the view ------------------------------------------------------------------------
    def pan(self, cols: int, rows: int) -> None:
        area, current = self.area, self.view()
        if area is None or current is None:
            return
        self.centre = panned(area, current, cols * current.cols / PAN_FRACTION, rows * current.rows / PAN_FRACTION)
        self.redraw()

    def zoom_by(self, steps: int) -> None:
        self.zoom = clamp_zoom(self.zoom + steps)
        self.redraw()

    def centre_on(self, point: tuple[float, float], zoom: int | None = None) -> None:
        self.centre = point
        if zoom is not None:
            self.zoom = clamp_zoom(zoom)
        self.redraw()

    def reset(self) -> None:
        self.centre, self.zoom = None, 0
        self.redraw()

    # --- drawing --------------------------------------------------------------------------------
    def on_resize(self) -> None:
        self.redraw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips, self._styles = None, {}  # the theme changed: same cells, new styles

    def render_line(self, y: int) -> Strip:
        if self._strips is None:
            self._strips = self._draw()
        return self._strips[y] if y < len(self._strips) else Strip.blank(self.size.width, self.rich_style)

    def _outlines(self, current: View) -> Layer:
        outlines = self.replica.deployment.get("outlines")
        if self._layer is None or self._layer[0] != current or self._layer[1] != id(outlines):
            self._layer = (current, id(outlines), outline_layer(current, outlines))
        return self._layer[2]

    def _draw(self) -> list[Strip]:
        current = self.view()
        if current is None:
            return []
        replica = self.replica
        labels = (replica.deployment.get("outlines") or {}).get("labels", []) if current.cols >= 60 else []
        picture = compose(current, self._outlines(current), replica.incidents.values(), replica.units.values(),
                          replica.stations, labels, self.marks)  # fmt: skip
        self.picture = picture
        counts = Counts(picture.shown, picture.hidden, picture.off_canvas, len(picture.without_position))
        if counts != self.counts:
            self.counts = counts
            self.post_message(self.Drawn(counts))
        return self._strips_of(picture)

    def _strips_of(self, picture: Picture) -> list[Strip]:
        styles = self._styles
        if None not in styles:
            styles[None] = self.rich_style
        base = styles[None]
        chars, keys, cols = picture.chars, picture.styles, picture.cols
        strips = []
        for row in range(picture.rows):
            segments = []
            start = row * cols
            end = start + cols
            run = start
            for i in range(start + 1, end + 1):
                if i == end or keys[i] != keys[run]:
                    key = keys[run]
                    style = styles.get(key)
                    if style is None:
                        style = styles[key] = base + self.get_component_rich_style(key, partial=True)
                    segments.append(Segment("".join(chars[run:i]), style))
                    run = i
            # Not simplified into runs of equal style: braille kept in spans of its own is placed
            # right by SVG renderers that ignore textLength (the screenshots).
            strips.append(Strip(segments, cols))
        return strips
