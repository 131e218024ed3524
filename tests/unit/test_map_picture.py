"""What the map puts in each cell (pure): who wins a crowded cell, what is counted instead of
drawn, the route from a recommended unit, a station standing for its units, and glyphs that
tell every state apart without colour."""

from hurrinet_tui.map_picture import (
    UNIT_GLYPH,
    Layer,
    Marks,
    compose,
    outline_layer,
)
from hurrinet_tui.map_projection import Area, view

AREA = Area(13.70, 14.12, -61.10, -60.86)
V = view(AREA, 80, 24)
BLANK = Layer([" "] * (80 * 24), [None] * (80 * 24))
PLACE = (14.0104, -60.9887)  # Derek Walcott Square, Castries
FAR = (13.75, -60.95)  # Vieux Fort


def incident(id_: str, priority: str | None, point=PLACE, state: str = "queued") -> dict:
    return {"id": id_, "state": state, "incident_priority": priority, "incident_created": f"2026-09-01T06:0{id_[-1]}:00Z",
            "location": {"kind": "place", "name": "x", "coordinates": {"lat": point[0], "lon": point[1]}}}  # fmt: skip


def unit(callsign: str, state: str, point=None, station: str = "S1") -> dict:
    status = {"state": state}
    if point:
        status["coordinates"] = {"lat": point[0], "lon": point[1]}
    return {"id": "U" + callsign, "callsign": callsign, "station_id": station, "status": status}


STATION = {"S1": {"id": "S1", "code": "CAS-F", "active": True,
                  "location": {"kind": "place", "coordinates": {"lat": 14.0093, "lon": -60.9860}}}}  # fmt: skip


def text_at(picture, point, length: int) -> str:
    col, row = V.cell(*point)
    start = row * picture.cols + col
    return "".join(picture.chars[start : start + length])


def test_the_more_urgent_incident_wins_a_shared_cell_and_the_other_is_counted():
    picture = compose(V, BLANK, [incident("I2", "C"), incident("I1", "A")], [], {})
    assert text_at(picture, PLACE, 3) == "A!!"
    assert picture.shown == 1 and picture.hidden == 1


def test_the_selected_incident_is_bracketed_and_wins_over_priority():
    picture = compose(V, BLANK, [incident("I1", "A"), incident("I2", "D")], [], {}, marks=Marks("I2"))
    col, row = V.cell(*PLACE)
    assert "".join(picture.chars[row * 80 + col - 1 : row * 80 + col + 2]) == "[D]"
    assert picture.styles[row * 80 + col] == "map--selected"


def test_ended_incidents_and_incidents_without_coordinates_are_not_drawn():
    lost = incident("I3", "B")
    del lost["location"]["coordinates"]
    picture = compose(V, BLANK, [incident("I1", "A", state="ended"), lost], [], {})
    assert picture.shown == 0 and picture.without_position == ["I3"]


def test_a_recommended_unit_is_ticked_and_joined_to_the_incident_by_a_route():
    units = [unit("E1", "available_radio", FAR)]
    picture = compose(V, BLANK, [incident("I1", "A")], units, {}, marks=Marks("I1", frozenset({"E1"})))
    assert text_at(picture, FAR, 4) == UNIT_GLYPH["available_radio"] + "E1✓"
    route = [i for i, s in enumerate(picture.styles) if s == "map--route"]
    r0, r1 = V.cell(*PLACE)[1], V.cell(*FAR)[1]
    assert len(route) >= abs(r1 - r0) - 2  # a cell on (nearly) every row between them
    assert all(min(r0, r1) <= i // 80 <= max(r0, r1) for i in route)


def test_a_recommended_unit_in_a_taken_cell_moves_aside_instead_of_hiding():
    units = [unit("E1", "available_radio", PLACE)]
    picture = compose(V, BLANK, [incident("I1", "A")], units, {}, marks=Marks("I1", frozenset({"E1"})))
    assert "E1✓" in "".join(picture.chars) and picture.hidden == 0


def test_units_without_a_fix_are_named_at_their_station():
    units = [unit("E2", "available_station"), unit("E1", "available_station")]
    picture = compose(V, BLANK, [], units, STATION)
    assert text_at(picture, (14.0093, -60.9860), 6) == "⌂E1,E2"
    assert picture.shown == 2


def test_units_at_work_claim_a_cell_before_idle_ones():
    units = [unit("E9", "available_radio", FAR), unit("M1", "en_route", FAR)]
    picture = compose(V, BLANK, [], units, {})
    assert text_at(picture, FAR, 3) == UNIT_GLYPH["en_route"] + "M1"
    assert picture.hidden == 1


def test_every_unit_state_but_the_two_assigned_ones_has_its_own_glyph():
    glyphs = dict(UNIT_GLYPH)
    assert glyphs.pop("assigned_station") == glyphs["assigned_radio"]  # the same meaning on a map
    assert len(set(glyphs.values())) == len(glyphs)


def test_outlines_become_braille_with_the_coast_winning_a_shared_cell():
    outlines = {"lines": [{"kind": "boundary", "points": [[14.0, -61.0], [13.8, -60.9]]},
                          {"kind": "coast", "points": [[14.0, -61.0], [14.1, -61.0]]}]}  # fmt: skip
    layer = outline_layer(V, outlines)
    start = V.cell(14.0, -61.0)
    index = start[1] * 80 + start[0]
    assert 0x2800 < ord(layer.chars[index]) <= 0x28FF and layer.styles[index] == "map--coast"
    assert "map--boundary" in layer.styles
