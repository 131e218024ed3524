"""The vicinity check: what lies within a radius of a point, nearest first.

Pure: plain points in, ids with their great-circle distances out; no I/O. Which calls and
incidents are candidates (active calls, incidents not ended, with coordinates) is the adapter's
choice (`server.lookups`), so the same rule serves any kind of thing with a position.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from server.advice.geo import Point, great_circle_m
from server.domain.errors import ValidationFailed

# A radius below a metre finds nothing that was not typed at the same spot; beyond 50 km the
# "vicinity" covers a whole island and the answer says nothing about a duplicate call.
RADIUS_MIN_M = 1
RADIUS_MAX_M = 50_000


@dataclass(frozen=True, slots=True)
class Nearby:
    id: str
    distance_m: float


def check_radius(radius_m: object) -> float:
    """The radius in metres, or a validation error naming the allowed range."""
    number = isinstance(radius_m, int | float) and not isinstance(radius_m, bool)
    if not number or not math.isfinite(radius_m) or not RADIUS_MIN_M <= radius_m <= RADIUS_MAX_M:
        raise ValidationFailed(
            f"radius_m must be from {RADIUS_MIN_M} to {RADIUS_MAX_M} metres, got {radius_m!r}",
            field="radius_m", minimum=RADIUS_MIN_M, maximum=RADIUS_MAX_M,
        )  # fmt: skip
    return float(radius_m)


def nearest_within(origin: Point, places: Iterable[tuple[str, Point]], radius_m: float) -> list[Nearby]:
    """The places no farther than `radius_m` from `origin` (the edge counts as inside), nearest
    first; equal distances in id order, so the same state always gives the same list."""
    places = list(places)
    if not places:
        return []
    distances = great_circle_m(np.array([origin]), np.array([point for _, point in places]))[0]
    found = [Nearby(key, float(d)) for (key, _), d in zip(places, distances, strict=True) if d <= radius_m]
    return sorted(found, key=lambda n: (n.distance_m, n.id))
