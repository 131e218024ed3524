"""What callers say during the demo's hurricane landfall: names, numbers, descriptions.

Keyed by incident-type code. A deployment whose types have other codes still works: the
scenario falls back to the type's own description (see `describe`). The names and numbers
are invented; no real person is meant.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Marie", "Joseph", "Kervin", "Anselma", "Cuthbert", "Delia", "Marcellus", "Theresa", "Jn Baptiste",
    "Lucia", "Augustin", "Petra", "Vernon", "Germaine", "Felix", "Rosemund", "Kimberly", "Tevin",
    "Shanice", "Claudius", "Esther", "Dwayne", "Monica", "Ignatius", "Beverly", "Lester", "Annette",
)  # fmt: skip
LAST_NAMES = (
    "Joseph", "St. Rose", "Charles", "Edward", "Alexander", "Mathurin", "Jean", "Paul", "Louisy",
    "Emmanuel", "Francis", "Auguste", "Felicien", "Polius", "Henry", "Lubin", "Descartes", "Monrose",
    "Cenac", "Jn Pierre", "Prospere", "Regis", "Hippolyte", "Stephen", "Daniel", "Isidore",
)  # fmt: skip

# Descriptions a caller gives, per incident type: the hurricane's usual calls.
DESCRIPTIONS: dict[str, tuple[str, ...]] = {
    "FLOOD": (
        "Water in the house up to the knee, the drain blocked and the yard under water.",
        "Road under water by the bridge, cars cyah pass, water still coming.",
        "Gutter overflow, water in de house, we moved upstairs.",
    ),
    "FLASHFLD": (
        "River coming down fast, family stranded on the roof next door.",
        "Ravine overflow, car in the river with a man inside.",
        "Water rising fast, old people trapped by water in the house below the road.",
    ),
    "SURGE": (
        "Sea coming in the road, waves in the house by the waterfront.",
        "Seawall broke, beach houses flooding, people still inside.",
    ),
    "WINDDMG": (
        "Breeze take the roof, galvanize flying all over the street.",
        "Roof blown off the house, family sheltering in the bathroom.",
        "Windows blown in at the shop, sheets flying.",
    ),
    "WIRES": (
        "Lucelec wire down across the road, sparking in the water.",
        "Light pole down on a car, live wire on the ground.",
        "Power line down by the school, children walking by.",
    ),
    "TREEDOWN": (
        "Breadfruit tree fell across the road, nobody hurt.",
        "Big mango tree down on the house roof, family got out.",
        "Coconut trees down, branch on the road, cars turning back.",
    ),
    "LANDSLD": (
        "Landslide behind the houses, mud in the house, neighbours digging.",
        "Bank fall down on two houses, cannot reach the old lady inside.",
        "Hill come down on the road, a house slide on the side.",
    ),
    "ROADBLK": (
        "Boulders on the road, cyah pass either way.",
        "Landslip on road, debris and trees, road cut off.",
    ),
    "BRIDGE": (
        "Footbridge gone, river took it, people stuck on the other side.",
        "Bridge cracked at the abutment, water pounding it.",
    ),
    "TRAPPED": (
        "House collapse, two people trapped under the rubble.",
        "Wall fall on a man, he pinned and cannot get out.",
        "Roof came down, my grandmother cannot get out of the bedroom.",
    ),
    "MEDICAL": (
        "Diabetic man, sugar low, cannot get to the hospital, road blocked.",
        "Pregnant lady in labour pains, no way to get out.",
        "Elderly man fainted, fever since yesterday.",
    ),
    "CARDIAC": (
        "Man collapsed clearing the yard, not breathing.",
        "Chest pain, my father not responding.",
    ),
    "TRAUMA": (
        "Fell off roof tying down galvanize, head injury, bleeding.",
        "Hit by debris in the wind, deep cut on the leg.",
        "Cutlass chop clearing a tree, bleeding bad.",
    ),
    "MVA": (
        "Van went over the bank in the rain, people injured.",
        "Car crash on the wet road, one injured, car smoking.",
    ),
    "EVAC": (
        "Bedridden mother, water rising, need transport out.",
        "Wheelchair user cannot leave, house not safe, get us out.",
    ),
    "SHELTER": (
        "Roof gone, family of five need shelter tonight.",
        "House not safe, nowhere to go, need a hurricane shelter.",
    ),
    "WELFARE": (
        "Granny lives alone up the hill, nobody answering since the storm.",
        "Please check on the old man next door, haven't heard from him.",
    ),
    "STRFIRE": ("House on fire, candle fell during the blackout, smoke everywhere.",),
    "HAZMAT": ("Smell gas, cooking gas bottle broke when the roof fell.",),
}

# Types the storm produces, with how often (relative) they are called in.
CALL_MIX: dict[str, int] = {
    "FLOOD": 10, "WINDDMG": 10, "TREEDOWN": 9, "WIRES": 7, "LANDSLD": 6, "FLASHFLD": 5,
    "ROADBLK": 5, "MEDICAL": 6, "TRAUMA": 5, "TRAPPED": 4, "EVAC": 4, "SHELTER": 3,
    "WELFARE": 3, "CARDIAC": 2, "SURGE": 2, "BRIDGE": 2, "MVA": 2, "STRFIRE": 1, "HAZMAT": 1,
}  # fmt: skip

# Why a call ended without an incident (outcome → rationale choices), and how often.
NO_ACTION_MIX = {"caller_advised": 5, "other_no_actions_taken": 3, "accidental": 2, "hoax": 1}
NO_ACTION = {
    "caller_advised": (
        "Advised caller to stay indoors away from windows until the wind drops.",
        "Advised caller on the nearest open shelter and to go when safe.",
        "Caller asked about the curfew; advised.",
    ),
    "hoax": ("Caller laughed and hung up; nothing at the address.",),
    "accidental": ("Pocket dial; caller confirmed all fine.", "Child playing with the phone."),
    "other_no_actions_taken": (
        "Caller reporting power outage only; referred to LUCELEC.",
        "Duplicate of a report already being handled; caller reassured.",
    ),
}

CLOSING_NOTES = (
    "Scene made safe; units released.",
    "All persons accounted for; units returning.",
    "Hazard cleared; area passable.",
    "Patient handed over; units clearing.",
)


def caller_name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def caller_phone(rng: random.Random) -> str:
    """A domestic number in the demo's format (digits only, as the domain stores them)."""
    return f"758{rng.choice('47')}{rng.randrange(10**6):06d}"


def describe(rng: random.Random, type_code: str, fallback: str) -> str:
    """What a caller says about an incident of this type; the type's description if we have none."""
    options = DESCRIPTIONS.get(type_code)
    return rng.choice(options) if options else fallback
