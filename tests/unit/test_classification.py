"""Classification on realistic hurricane calls (the demo's types and keywords), negation,
severity words, the current type, operational orders and the district."""

import pytest

from server.advice.classification import classify
from server.reference import DEMO, load_reference


@pytest.fixture(scope="module")
def reference():
    return load_reference(DEMO)


@pytest.fixture(scope="module")
def suggest(reference):
    districts = {d.code: d.name for d in reference.districts}

    def run(text, **kwargs):
        return classify(text, reference.incident_types, districts=districts, **kwargs)

    return run


CALLS = [
    ("Tree fell across the road by the church in Micoud, no one hurt", "TREEDOWN", "C", "public_works"),
    ("House on fire in Marchand, smoke everywhere, children still inside!", "STRFIRE", "A", "fire"),
    ("Car on fire on the highway by Vieux Fort", "VEHFIRE", "B", "fire"),
    ("The river come down in Dennery, family stranded on roof", "FLASHFLD", "A", "fire"),
    ("Flooding in the yard, water in the house about a foot", "FLOOD", "B", "public_works"),
    ("Water in the house and it rising, we have small kids", "FLOOD", "A", "public_works"),
    ("Please check on my granny, she lives alone in Soufrière, nobody answering", "WELFARE", "C", "police"),
    ("Man collapsed in the shelter, unconscious and not breathing", "CARDIAC", "A", "ems"),
    ("Roof blown off the house, galvanize flying all over", "WINDDMG", "B", "public_works"),
    ("Landslide on the house in Anse la Raye, two people trapped under the mud", "LANDSLD", "A", "fire"),
    ("Bridge washed away at Cul de Sac, cars cannot pass", "BRIDGE", "B", "public_works"),
    ("Live wire down on the road and sparking", "WIRES", "B", "public_works"),
    ("Looters breaking in the supermarket on Jeremie Street", "LOOTING", "B", "police"),
    ("Sea coming in at the waterfront, waves in the house", "SURGE", "A", "fire"),
    ("Boulders on the road, road blocked, cyah pass", "ROADBLK", "C", "public_works"),
    ("Smell gas in the kitchen, the gas bottle leaking", "HAZMAT", "A", "fire"),
    ("Fishing boat capsized off Choiseul, fisherman missing", "MARINE", "A", "police"),
    ("We need shelter, the house not safe, we have a baby", "SHELTER", "B", "shelter"),
    ("No water since the storm, need drinking water for the family", "WATER", "D", "shelter"),
    ("Need tarpaulin and food, roof leaking", "SUPPLIES", "D", "shelter"),
    ("Accident on the highway, van overturn, driver bleeding", "MVA", "B", "ems"),
    ("Pregnant woman with labour pains, road cut off", "MEDICAL", "B", "ems"),
    ("My son didn't come home since the storm, not seen since yesterday", "MISSING", "B", "police"),
]


@pytest.mark.parametrize("text, incident_type, priority, desk", CALLS)
def test_realistic_calls_get_the_expected_type_priority_and_desk(suggest, text, incident_type, priority, desk):
    result = suggest(text)
    assert (result.incident_type, result.incident_priority, result.desk) == (incident_type, priority, desk)
    assert any(r.kind == "keyword" and r.data["incident_type"] == incident_type for r in result.reasons)
    assert suggest(text) == result  # deterministic


def test_a_negated_keyword_is_ignored_and_says_so(suggest):
    result = suggest("Tree down on the house, nobody trapped")
    assert (result.incident_type, result.incident_priority) == ("TREEDOWN", "C")
    negated = [r for r in result.reasons if r.kind == "negated"]
    assert {r.data.get("keyword") or r.data.get("word") for r in negated} == {"trapped"}
    assert all(r.data["negation"] == "nobody" for r in negated)
    assert suggest("the house is not on fire").incident_type is None


def test_negation_stops_at_the_end_of_a_clause(suggest):
    assert suggest("No lights, but the house is on fire").incident_type == "STRFIRE"
    result = suggest("No fire, just smoke from the neighbour's coal pot")
    assert result.incident_type == "STRFIRE"  # smoke is still a keyword; the reasons show why
    assert [r.data["keyword"] for r in result.reasons if r.kind == "keyword"] == ["smoke"]


def test_a_keyword_that_starts_with_a_negation_still_counts(suggest):
    result = suggest("No water in the house since Tuesday")
    assert result.incident_type == "WATER"
    assert any(r.kind == "negated" and r.data["incident_type"] == "FLOOD" for r in result.reasons)


def test_the_longest_keyword_claims_the_words(suggest):
    result = suggest("car on fire")
    assert result.incident_type == "VEHFIRE" and result.alternatives == ()


def test_a_life_threat_word_makes_it_a_even_without_a_type(suggest):
    result = suggest("the old church collapse")
    assert (result.incident_type, result.incident_priority, result.desk) == (None, "A", None)
    assert [r.kind for r in result.reasons] == ["no_match", "severity"]


def test_a_severity_word_inside_the_types_own_keyword_does_not_raise_it(suggest):
    result = suggest("bridge washed away")
    assert (result.incident_type, result.incident_priority) == ("BRIDGE", "B")
    assert any(r.kind == "severity_in_keyword" for r in result.reasons)


def test_vulnerable_or_worsening_words_raise_one_step_once(suggest):
    assert suggest("need drinking water").incident_priority == "D"
    assert suggest("need drinking water, children and elderly here, water rising").incident_priority == "C"


def test_operational_orders_are_never_raised(suggest):
    result = suggest("standby cover at the station, children trapped nearby")
    assert result.incident_type == "STANDBY" and result.incident_priority == "N"
    assert any(r.kind == "operational_order" for r in result.reasons)


def test_the_current_type_is_kept_without_keywords_and_wins_ties(suggest):
    kept = suggest("caller hung up", current_type="FLOOD")
    assert (kept.incident_type, kept.incident_priority) == ("FLOOD", "B")
    assert kept.reasons[0].kind == "current_type"
    tie = suggest("landslide, people trapped", current_type="TRAPPED")
    assert tie.incident_type == "TRAPPED" and "the current type" in next(r.text for r in tie.reasons if r.kind == "tie")
    moved = suggest("house on fire", current_type="FLOOD")
    assert moved.incident_type == "STRFIRE"
    assert any(r.kind == "differs_from_current" for r in moved.reasons)


def test_ties_without_a_current_type_go_to_the_most_urgent_default(suggest):
    result = suggest("pregnant, road cut off")
    assert result.incident_type == "ROADBLK"  # 3 words against 1
    result = suggest("tree down, bleeding")  # TREEDOWN (C) and TRAUMA (B) two words to one
    assert result.incident_type == "TREEDOWN"
    result = suggest("fallen tree, driver bleeding and injured")  # 2 against 2: TRAUMA is more urgent
    assert result.incident_type == "TRAUMA" and "most urgent" in next(r.text for r in result.reasons if r.kind == "tie")


def test_the_district_comes_from_the_location_else_from_the_text(suggest):
    located = suggest("tree down in Soufriere", district="CAS")
    assert located.district == "CAS"
    assert any(r.kind == "district" and "Castries" in r.text for r in located.reasons)
    assert suggest("tree down in Soufriere").district == "SOU"
    assert suggest("tree down, not in Castries").district is None


def test_typographic_apostrophes_and_plurals_match(suggest):
    assert suggest("he can’t breathe").incident_type == "CARDIAC"
    assert suggest("two trees down by the school").incident_type == "TREEDOWN"
