"""Distances on the Earth, shared by allocation and the vicinity check.

Pure numpy: no I/O and nothing of the server, so any advisory module may use it.
"""

from __future__ import annotations

import numpy as np

EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)

Point = tuple[float, float]  # (lat, lon), WGS84 degrees


def great_circle_m(origins: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Haversine distances in metres from every origin (rows) to every target (columns).

    `origins` is (n, 2) and `targets` (m, 2), as (lat, lon) in degrees; the result is (n, m).
    Sines and cosines are taken per point only; the n × m part is products (the difference
    formula sin(y/2 − x/2) = sin(y/2)cos(x/2) − cos(y/2)sin(x/2)) and one arcsin, which is what
    makes thousands of units against thousands of slots cheap.
    """
    half_a = np.radians(np.asarray(origins, dtype=float).reshape(-1, 2)) / 2
    half_b = np.radians(np.asarray(targets, dtype=float).reshape(-1, 2)) / 2
    sin_a, cos_a, sin_b, cos_b = np.sin(half_a), np.cos(half_a), np.sin(half_b), np.cos(half_b)
    sin_dlat = np.outer(cos_a[:, 0], sin_b[:, 0]) - np.outer(sin_a[:, 0], cos_b[:, 0])
    sin_dlon = np.outer(cos_a[:, 1], sin_b[:, 1]) - np.outer(sin_a[:, 1], cos_b[:, 1])
    cos_lat_a = cos_a[:, 0] ** 2 - sin_a[:, 0] ** 2  # cos(lat) from its half angle
    cos_lat_b = cos_b[:, 0] ** 2 - sin_b[:, 0] ** 2
    h = sin_dlat * sin_dlat + np.outer(cos_lat_a, cos_lat_b) * (sin_dlon * sin_dlon)
    np.clip(h, 0.0, 1.0, out=h)  # rounding can step just outside arcsin's domain
    np.sqrt(h, out=h)
    np.arcsin(h, out=h)
    h *= 2 * EARTH_RADIUS_M
    return h
