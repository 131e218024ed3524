"""Latitude and longitude to terminal cells, for the map (pure: no Textual).

Equirectangular with the longitude scaled by cos(latitude) at the middle of the service area:
over an island (Saint Lucia is 45 km tall) the error against a true conformal projection is
far below one braille dot, and it keeps the sums to two multiplications a point, which matters
when 2,000 units move. The reference latitude is the area's, not the view's, so panning never
stretches the picture.

A cell holds a 2×4 braille block; a terminal cell is about twice as tall as wide, so a dot is
about square and one scale (km per dot) serves both axes. Dot coordinates run right and down
from the canvas's top-left dot; cell (col, row) holds dots x in [2·col, 2·col+2), y in [4·row, 4·row+4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

KM_PER_DEG_LAT = 110.574
KM_PER_DEG_LON_AT_EQUATOR = 111.320
DOTS_X, DOTS_Y = 2, 4  # braille dots in one cell
ZOOM_STEP = 1.5  # each + shows 1.5 times closer
ZOOM_MAX = 8  # 1.5**8 ≈ 26×: a few hundred metres across an 80-column map of Saint Lucia


@dataclass(frozen=True, slots=True)
class Area:
    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float

    @classmethod
    def of(cls, deployment: dict[str, Any]) -> Area | None:
        area = deployment.get("service_area")
        return cls(area["lat_min"], area["lat_max"], area["lon_min"], area["lon_max"]) if area else None

    @property
    def middle(self) -> tuple[float, float]:
        return (self.lat_min + self.lat_max) / 2, (self.lon_min + self.lon_max) / 2

    def km_per_deg_lon(self) -> float:
        return KM_PER_DEG_LON_AT_EQUATOR * math.cos(math.radians(self.middle[0]))


@dataclass(frozen=True, slots=True)
class View:
    """One picture of the map: which point is in the middle, how close, on how many cells.

    `x = ax·lon + bx` and `y = ay·lat + by` in dots; everything else derives from those four.
    """

    cols: int
    rows: int
    centre: tuple[float, float]  # lat, lon in the canvas's middle
    km_per_dot: float
    ax: float
    bx: float
    ay: float
    by: float

    def dot(self, lat: float, lon: float) -> tuple[float, float]:
        return self.ax * lon + self.bx, self.ay * lat + self.by

    def cell(self, lat: float, lon: float) -> tuple[int, int] | None:
        """The cell a point is drawn in, or None off the canvas."""
        x, y = self.ax * lon + self.bx, self.ay * lat + self.by
        col, row = math.floor(x / DOTS_X), math.floor(y / DOTS_Y)
        return (col, row) if 0 <= col < self.cols and 0 <= row < self.rows else None

    def latlon(self, x: float, y: float) -> tuple[float, float]:
        """The point under dot (x, y): the inverse of `dot`."""
        return (y - self.by) / self.ay, (x - self.bx) / self.ax

    @property
    def span_km(self) -> tuple[float, float]:
        """How far the canvas reaches, across and down."""
        return self.cols * DOTS_X * self.km_per_dot, self.rows * DOTS_Y * self.km_per_dot


def fit_scale(area: Area, cols: int, rows: int) -> float:
    """km per dot at which the whole area fits: its edges on the canvas's first and last dots."""
    width = (area.lon_max - area.lon_min) * area.km_per_deg_lon()
    height = (area.lat_max - area.lat_min) * KM_PER_DEG_LAT
    return max(width / max(cols * DOTS_X - 1, 1), height / max(rows * DOTS_Y - 1, 1))


def view(area: Area, cols: int, rows: int, centre: tuple[float, float] | None = None, zoom: int = 0) -> View:
    """The view of `area` on cols×rows cells, centred on `centre` (default the area's middle),
    `zoom` steps closer than the whole area."""
    cols, rows = max(cols, 1), max(rows, 1)
    lat0, lon0 = centre or area.middle
    km_per_dot = fit_scale(area, cols, rows) / ZOOM_STEP**zoom
    ax = area.km_per_deg_lon() / km_per_dot
    ay = -KM_PER_DEG_LAT / km_per_dot  # north is up: y grows as latitude falls
    # The centre lands on the canvas's middle dot position (between dots when the count is even).
    mid_x, mid_y = (cols * DOTS_X - 1) / 2, (rows * DOTS_Y - 1) / 2
    return View(cols, rows, (lat0, lon0), km_per_dot, ax, mid_x - ax * lon0, ay, mid_y - ay * lat0)


def clamp_zoom(zoom: int) -> int:
    return max(0, min(ZOOM_MAX, zoom))


def panned(area: Area, current: View, cols: float, rows: float) -> tuple[float, float]:
    """The centre moved by (cols, rows) cells, kept inside the service area."""
    lat, lon = current.latlon(current.dot(*current.centre)[0] + cols * DOTS_X,
                              current.dot(*current.centre)[1] + rows * DOTS_Y)  # fmt: skip
    return min(max(lat, area.lat_min), area.lat_max), min(max(lon, area.lon_min), area.lon_max)
