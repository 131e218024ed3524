"""The vicinity rule on plain points: the radius edge, nearest first, ties by id, the radius range."""

import math

import numpy as np
import pytest

from server.advice.geo import great_circle_m
from server.advice.vicinity import RADIUS_MAX_M, RADIUS_MIN_M, check_radius, nearest_within
from server.domain.errors import ValidationFailed

CASTRIES = (14.0104, -60.9887)


def north_of(point, metres):
    """A point `metres` due north (one degree of latitude is πR/180 metres)."""
    return (point[0] + metres / (math.pi * 6_371_008.8 / 180), point[1])


def distance(a, b):
    return float(great_circle_m(np.array([a]), np.array([b]))[0, 0])


def test_nearest_first_with_the_great_circle_distance():
    places = [("far", north_of(CASTRIES, 900)), ("near", north_of(CASTRIES, 100)), ("mid", north_of(CASTRIES, 400))]
    found = nearest_within(CASTRIES, places, 1000)
    assert [n.id for n in found] == ["near", "mid", "far"]
    for n in found:
        assert n.distance_m == pytest.approx(distance(CASTRIES, dict(places)[n.id]))


def test_the_edge_of_the_radius_is_inside_and_a_hair_beyond_is_not():
    edge = north_of(CASTRIES, 750)
    exact = distance(CASTRIES, edge)
    assert [n.id for n in nearest_within(CASTRIES, [("edge", edge)], exact)] == ["edge"]
    assert nearest_within(CASTRIES, [("edge", edge)], exact - 0.01) == []


def test_equal_distances_are_listed_by_id_so_the_answer_never_changes():
    same = north_of(CASTRIES, 300)
    found = nearest_within(CASTRIES, [("b", same), ("c", same), ("a", same)], 1000)
    assert [n.id for n in found] == ["a", "b", "c"]


def test_nothing_to_look_at_finds_nothing():
    assert nearest_within(CASTRIES, [], 1000) == []
    assert nearest_within(CASTRIES, iter([("here", CASTRIES)]), 1)[0].distance_m == 0


@pytest.mark.parametrize("radius", [RADIUS_MIN_M, 1000, 2.5, RADIUS_MAX_M])
def test_radius_within_range_is_taken(radius):
    assert check_radius(radius) == radius


@pytest.mark.parametrize("radius", [0, 0.5, -10, RADIUS_MAX_M + 1, math.inf, math.nan, True, "1000", None])
def test_radius_out_of_range_is_refused_naming_the_range(radius):
    with pytest.raises(ValidationFailed) as refused:
        check_radius(radius)
    assert refused.value.details["field"] == "radius_m"
    assert f"from {RADIUS_MIN_M} to {RADIUS_MAX_M} metres" in refused.value.message
