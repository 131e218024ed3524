"""Gazetteer ranking: exact before prefix before word prefix before anywhere, folded names,
intersections by either road or by both, a bounded deterministic answer, checked queries."""

import pytest

from server.advice.geocoding import QUERY_MAX, RESULTS_MAX, check_query, fold, geocode
from server.domain.errors import ValidationFailed
from server.domain.reference import GazetteerEntry
from server.domain.values import Coordinates
from server.reference import DEMO, load_reference

HERE = Coordinates(14.0104, -60.9887)


def place(name, kind="place", district="CAS", road_b=None):
    return GazetteerEntry(kind, name, district, HERE, road_b)


def names(entries):
    return [e.name if e.road_b is None else f"{e.name} / {e.road_b}" for e in entries]


@pytest.fixture(scope="module")
def gazetteer():
    return load_reference(DEMO).gazetteer


def test_exact_then_prefix_then_word_prefix_then_anywhere():
    entries = [place("Lanse Road"), place("Grande Anse"), place("Anse La Raye"), place("Anse"), place("Balance")]
    assert names(geocode("anse", entries)) == ["Anse", "Anse La Raye", "Grande Anse", "Lanse Road"]


def test_within_a_rank_the_order_is_alphabetical_whatever_the_file_order():
    entries = [place("Anse Ger"), place("Anse Cochon"), place("Anse Chastanet")]
    assert names(geocode("anse", entries)) == ["Anse Chastanet", "Anse Cochon", "Anse Ger"]
    assert names(geocode("anse", list(reversed(entries)))) == ["Anse Chastanet", "Anse Cochon", "Anse Ger"]


def test_case_accents_and_punctuation_are_ignored(gazetteer):
    assert names(geocode("SOUFRIERE", gazetteer))[0] == "Soufrière"
    assert names(geocode("anse la liberte", gazetteer)) == ["Anse La Liberté"]
    assert names(geocode("castries gros islet highway", gazetteer))[0] == "Castries-Gros Islet Highway"
    assert fold("  St. Jude’s   HOSPITAL ") == "st judes hospital"


def test_an_intersection_is_found_by_both_roads_in_either_order_with_and_or_slash(gazetteer):
    wanted = ["Castries-Gros Islet Highway / Monchy Road"]
    assert names(geocode("Castries-Gros Islet Highway & Monchy Road", gazetteer))[:1] == wanted
    assert names(geocode("monchy road / castries-gros islet highway", gazetteer))[:1] == wanted
    assert names(geocode("gros islet & monchy", gazetteer)) == wanted  # word prefixes of both roads
    assert geocode("Monchy Road & Millet Road", gazetteer) == []  # no such crossing


def test_one_road_finds_its_intersections_after_entries_found_by_their_own_name(gazetteer):
    found = names(geocode("Monchy Road", gazetteer))
    assert found == ["Monchy Road", "Castries-Gros Islet Highway / Monchy Road"]
    jeremie = names(geocode("jeremie street", gazetteer))
    assert jeremie == ["Jeremie Street", "Bridge Street / Jeremie Street", "Jeremie Street / Peynier Street"]


def test_an_ampersand_that_is_part_of_a_name_still_finds_it():
    entries = [place("Bed & Breakfast Inn"), place("Bed Street", kind="street")]
    assert names(geocode("bed & breakfast", entries)) == ["Bed & Breakfast Inn"]


def test_at_most_ten_results_and_the_same_ones_every_time(gazetteer):
    first = geocode("a", gazetteer)
    assert len(first) == RESULTS_MAX and geocode("a", gazetteer) == first
    assert len(geocode("a", gazetteer, limit=3)) == 3
    assert geocode("no such place anywhere", gazetteer) == []


@pytest.mark.parametrize(
    "query, problem",
    [("", "query is required"), ("   ", "query is required"), ("x" * (QUERY_MAX + 1), "the limit is 200"),
     ("&/-", "no letters or digits")],
)  # fmt: skip
def test_bad_queries_are_refused_naming_the_problem(query, problem):
    with pytest.raises(ValidationFailed, match=problem) as refused:
        check_query(query)
    assert refused.value.details["field"] == "query"


def test_a_query_of_the_longest_length_is_taken():
    assert check_query("x" * QUERY_MAX) == "x" * QUERY_MAX
