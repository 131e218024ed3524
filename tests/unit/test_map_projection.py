"""The map's projection on known points: the service area's corners and middle, a station, and
what pan and zoom do. Expected cells are worked out by hand in the comments."""

import math

import pytest

from hurrinet_tui.map_projection import Area, clamp_zoom, fit_scale, panned, view

# The demo's service area (server/reference/saint_lucia/deployment.toml).
SAINT_LUCIA = Area(13.70, 14.12, -61.10, -60.86)
# Middle latitude 13.91°: 111.320 · cos(13.91°) = 108.05 km per degree of longitude.
KM_LON = 111.320 * math.cos(math.radians(13.91))


def test_the_whole_area_fits_at_80x24_with_the_height_binding():
    # 80×24 cells = 160×96 dots. Width 0.24° · 108.05 = 25.93 km over 159 dot steps = 0.163 km;
    # height 0.42° · 110.574 = 46.44 km over 95 steps = 0.4889 km: the height binds.
    assert fit_scale(SAINT_LUCIA, 80, 24) == pytest.approx(0.42 * 110.574 / 95)


def test_corners_and_middle_land_in_the_cells_worked_out_by_hand():
    v = view(SAINT_LUCIA, 80, 24)
    # North edge on dot row 0, south edge on dot row 95 (cell row 23).
    # Half the width is 0.12° · 108.05 / 0.48885 = 26.52 dots either side of x = 79.5:
    # west edge x = 52.98 (cell 26), east edge x = 106.02 (cell 53).
    assert v.cell(14.12, -61.10) == (26, 0)
    assert v.cell(14.12, -60.86) == (53, 0)
    assert v.cell(13.70, -61.10) == (26, 23)
    assert v.cell(13.70, -60.86) == (53, 23)
    assert v.dot(13.91, -60.98) == pytest.approx((79.5, 47.5))
    assert v.cell(13.91, -60.98) == (39, 11)


def test_a_station_is_drawn_in_its_cell():
    # Castries Fire Station, 14.0093 N 60.9860 W (stations.csv).
    # x = 79.5 + (-60.9860 + 60.98) · 108.05 / 0.48885 = 79.5 - 1.33 = 78.17 → col 39
    # y = 47.5 - (14.0093 - 13.91) · 110.574 / 0.48885 = 47.5 - 22.46 = 25.04 → row 6
    assert view(SAINT_LUCIA, 80, 24).cell(14.0093, -60.9860) == (39, 6)
    # At 160×50 (320×200 dots; height binds at 46.44 / 199 = 0.23337 km per dot):
    # x = 159.5 - 0.006 · 108.05 / 0.23337 = 156.72 → col 78; y = 99.5 - 0.0993 · 110.574 / 0.23337 = 52.45 → row 13
    assert view(SAINT_LUCIA, 160, 50).cell(14.0093, -60.9860) == (78, 13)


def test_points_off_the_canvas_have_no_cell():
    v = view(SAINT_LUCIA, 80, 24)
    assert v.cell(14.13, -60.98) is None  # north of the north edge
    assert v.cell(13.91, -61.40) is None  # 0.42° west: x = 79.5 - 92.8 < 0


def test_latlon_inverts_dot():
    v = view(SAINT_LUCIA, 80, 24, centre=(13.95, -60.95), zoom=3)
    lat, lon = v.latlon(*v.dot(14.0093, -60.9860))
    assert (lat, lon) == pytest.approx((14.0093, -60.9860))


def test_zoom_centres_on_the_chosen_point_and_scales_by_steps():
    whole = view(SAINT_LUCIA, 80, 24)
    close = view(SAINT_LUCIA, 80, 24, centre=(14.0093, -60.9860), zoom=2)
    assert close.km_per_dot == pytest.approx(whole.km_per_dot / 2.25)
    assert close.cell(14.0093, -60.9860) == (39, 11)  # the middle cell
    assert clamp_zoom(-1) == 0 and clamp_zoom(99) == 8


def test_panning_moves_by_cells_and_stays_inside_the_area():
    v = view(SAINT_LUCIA, 80, 24)
    lat, lon = panned(SAINT_LUCIA, v, 10, 0)  # ten cells east = 20 dots
    assert lat == pytest.approx(13.91)
    assert lon == pytest.approx(-60.98 + 20 * v.km_per_dot / KM_LON)
    assert panned(SAINT_LUCIA, v, 0, -1000) == (14.12, pytest.approx(-60.98))  # clamped at the north edge
