"""`call.vicinity` and `geocode` through a real server on 127.0.0.1 with real websocket clients:
what they find and in what order, what they refuse and why, who may ask, and that they write
nothing. The snapshot carries the deployment's service area and vicinity radius."""

from __future__ import annotations

import math

import numpy as np
import pytest

from server.advice.geo import EARTH_RADIUS_M, great_circle_m
from server.app import wire
from tests.support.client import Client
from tests.support.live import live_server

SQUARE = (14.0104, -60.9887)  # Derek Walcott Square, Castries


@pytest.fixture
async def live(template_db, tmp_path):
    async with live_server(template_db, tmp_path) as server:
        yield server


@pytest.fixture
async def dispatcher(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    yield client
    await client.close()


def north_of(point, metres):
    """A point about `metres` due north, to the six decimals the protocol carries."""
    return (round(point[0] + math.degrees(metres / EARTH_RADIUS_M), 6), point[1])


def metres_between(a, b) -> float:
    return float(great_circle_m(np.array([a]), np.array([b]))[0, 0])


def place(point, name="near the square"):
    return {"kind": "place", "district": "CAS", "name": name, "coordinates": {"lat": point[0], "lon": point[1]}}


async def new_call(client, point=None, **fields):
    location = place(point) if point is not None else None
    args = {"description": "water rising", **fields} | ({"location": location} if location else {})
    return (await client.ok("call.create", **args))["call_id"]


async def new_incident(client, point, **fields):
    args = {"incident_type": "FLOOD", "location": place(point), **fields}
    return (await client.ok("incident.create", **args))["incident_id"]


def ids(items):
    return [item["id"] for item in items]


# --- call.vicinity --------------------------------------------------------------------------------


async def test_around_a_call_lists_active_calls_and_open_incidents_nearest_first_without_the_call(dispatcher):
    me = await new_call(dispatcher, SQUARE, caller_name="Marcia")
    far_call = await new_call(dispatcher, north_of(SQUARE, 700), caller_name="Far")
    near_call = await new_call(dispatcher, north_of(SQUARE, 150), caller_name="Near")
    await new_call(dispatcher, north_of(SQUARE, 1500))  # beyond the deployment's 1 km
    await new_call(dispatcher, description="no location yet")
    mid_incident = await new_incident(dispatcher, north_of(SQUARE, 400), incident_priority="B", description="market")
    near_incident = await new_incident(dispatcher, north_of(SQUARE, 50))
    await new_incident(dispatcher, north_of(SQUARE, 2000))

    found = await dispatcher.ok("call.vicinity", call_id=me)
    assert ids(found["calls"]) == [near_call, far_call]
    assert ids(found["incidents"]) == [near_incident, mid_incident]
    assert found["radius_m"] == 1000
    for item, point in zip(found["calls"], (north_of(SQUARE, 150), north_of(SQUARE, 700)), strict=True):
        assert item["distance_m"] == round(metres_between(SQUARE, point))
    call = found["calls"][0]
    assert call == {"id": near_call, "distance_m": call["distance_m"], "state": "active", "caller_name": "Near",
                    "description": "water rising", "location": place(north_of(SQUARE, 150))}  # fmt: skip
    incident = found["incidents"][1]
    assert incident == {"id": mid_incident, "distance_m": incident["distance_m"], "state": "new",
                        "incident_type": "FLOOD", "incident_priority": "B", "description": "market",
                        "location": place(north_of(SQUARE, 400))}  # fmt: skip


async def test_a_call_linked_to_an_incident_names_it(dispatcher):
    incident = await new_incident(dispatcher, north_of(SQUARE, 100))
    linked = await new_call(dispatcher, north_of(SQUARE, 120))
    await dispatcher.ok("call.attach", call_id=linked, incident_id=incident)
    found = await dispatcher.ok("call.vicinity", coordinates={"lat": SQUARE[0], "lon": SQUARE[1]})
    assert [(c["id"], c["incident_id"]) for c in found["calls"]] == [(linked, incident)]


async def test_the_radius_edge_is_inside_and_a_little_beyond_is_outside(dispatcher):
    edge = north_of(SQUARE, 500)
    incident = await new_incident(dispatcher, edge)
    exact = metres_between(SQUARE, edge)
    centre = {"lat": SQUARE[0], "lon": SQUARE[1]}
    inside = await dispatcher.ok("call.vicinity", coordinates=centre, radius_m=exact)
    assert ids(inside["incidents"]) == [incident] and inside["radius_m"] == exact
    outside = await dispatcher.ok("call.vicinity", coordinates=centre, radius_m=exact - 0.5)
    assert outside["incidents"] == [] and outside["calls"] == []


async def test_ended_calls_and_ended_incidents_are_left_out(dispatcher):
    me = await new_call(dispatcher, SQUARE)
    ended_call = await new_call(dispatcher, north_of(SQUARE, 100))
    await dispatcher.ok("call.update", call_id=ended_call, outcome="caller_advised", outcome_rationale="stay put")
    await dispatcher.ok("call.end", call_id=ended_call)
    ended_incident = await new_incident(dispatcher, north_of(SQUARE, 100))
    await dispatcher.ok("incident.close", incident_id=ended_incident)
    open_incident = await new_incident(dispatcher, north_of(SQUARE, 300))
    found = await dispatcher.ok("call.vicinity", call_id=me)
    assert found["calls"] == [] and ids(found["incidents"]) == [open_incident]


async def test_a_call_without_coordinates_is_refused_naming_that(dispatcher):
    bare = await new_call(dispatcher)
    vague = await new_call(dispatcher, location={"kind": "place", "district": "CAS", "name": "by the market"})
    for call_id in (bare, vague):
        refused = await dispatcher.command("call.vicinity", call_id=call_id)
        assert refused["ok"] is False and refused["error"]["code"] == "validation"
        assert "has no coordinates" in refused["error"]["message"]
        assert refused["error"]["details"] == {"field": "location.coordinates", "call_id": call_id}
    missing = await dispatcher.command("call.vicinity", call_id="no-such-call")
    assert missing["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "args, named",
    [({}, "got neither"), ({"call_id": "x", "coordinates": {"lat": 14.0, "lon": -60.9}}, "got call_id and coordinates"),
     ({"radius_m": 500}, "got neither")],
)  # fmt: skip
async def test_both_or_neither_centre_is_a_bad_request_naming_the_problem(dispatcher, args, named):
    refused = (await dispatcher.command("call.vicinity", **args))["error"]
    assert refused["code"] == "bad_request"
    assert "give exactly one of call_id or coordinates" in refused["message"] and named in refused["message"]


async def test_out_of_area_coordinates_and_a_silly_radius_are_refused(dispatcher):
    refused = (await dispatcher.command("call.vicinity", coordinates={"lat": 13.5, "lon": -60.9}))["error"]
    assert refused["code"] == "validation" and "outside the service area" in refused["message"]
    assert refused["details"]["field"] == "coordinates"
    centre = {"lat": SQUARE[0], "lon": SQUARE[1]}
    for radius in (0, -5, 50_001):
        refused = (await dispatcher.command("call.vicinity", coordinates=centre, radius_m=radius))["error"]
        assert refused["code"] == "validation" and refused["details"]["field"] == "radius_m"
        assert "from 1 to 50000 metres" in refused["message"]
    wrong_shape = (await dispatcher.command("call.vicinity", coordinates=centre, radius_m="far"))["error"]
    assert wrong_shape["code"] == "bad_request"


# --- geocode --------------------------------------------------------------------------------------


def match_kind(query: str, name: str) -> int:
    """0 the whole name, 1 it begins the name, 2 it begins a word, 3 elsewhere (plain ASCII names)."""
    q, n = query.lower(), name.lower()
    if n == q:
        return 0
    if n.startswith(q):
        return 1
    return 2 if any(word.startswith(q) for word in n.replace("-", " ").split()) else 3


@pytest.mark.parametrize("query", ["dennery", "san", "Vieux Fort"])
async def test_geocode_ranks_exact_then_prefix_then_word_prefix_then_anywhere(live, dispatcher, query):
    results = (await dispatcher.ok("geocode", query=query))["results"]
    own = [r for r in results if r["kind"] != "intersection"]  # an intersection may answer for its other road
    kinds = [match_kind(query, r["name"]) for r in own]
    assert kinds == sorted(kinds) and len(set(kinds)) >= 3 and len(results) <= 10
    gazetteer = [wire.gazetteer_entry(g) for g in live.world.gazetteer]
    assert all(result in gazetteer for result in results)  # entries in the snapshot's shape


async def test_geocode_ignores_case_and_accents_and_finds_intersections(dispatcher):
    [first, *_] = (await dispatcher.ok("geocode", query="SOUFRIERE"))["results"]
    assert first["name"] == "Soufrière" and first["district"] == "SOU"
    for query in ("Castries-Gros Islet Highway & Monchy Road", "monchy road / castries-gros islet highway"):
        best = (await dispatcher.ok("geocode", query=query))["results"][0]
        crossing = ("intersection", "Castries-Gros Islet Highway", "Monchy Road")
        assert (best["kind"], best["name"], best["road_b"]) == crossing
        assert best["district"] == "GI" and set(best["coordinates"]) == {"lat", "lon"}


async def test_geocode_refuses_empty_blank_and_over_long_queries(dispatcher):
    for query, problem in (("", "query is required"), ("   ", "query is required"),
                           ("x" * 201, "201 characters long; the limit is 200")):  # fmt: skip
        refused = (await dispatcher.command("geocode", query=query))["error"]
        assert refused["code"] == "validation" and problem in refused["message"]
        assert refused["details"]["field"] == "query"
    assert (await dispatcher.command("geocode"))["error"]["code"] == "bad_request"
    assert (await dispatcher.ok("geocode", query="x" * 200))["results"] == []


# --- roles, events, audit, snapshot --------------------------------------------------------------


async def test_observers_may_ask_and_unit_terminals_may_not(live, dispatcher):
    call = await new_call(dispatcher, SQUARE)
    observer = await Client.open(live.port, live.tokens["observer"])
    terminal = await Client.open(live.port, live.tokens["unit"])
    try:
        assert (await observer.ok("call.vicinity", call_id=call))["calls"] == []
        assert (await observer.ok("geocode", query="monchy"))["results"][0]["name"] == "Monchy"
        for name, args in (("call.vicinity", {"call_id": call}), ("geocode", {"query": "monchy"})):
            assert (await terminal.command(name, **args))["error"]["code"] == "forbidden"
    finally:
        await observer.close()
        await terminal.close()


async def test_queries_write_no_event_and_are_audited(live, dispatcher):
    call = await new_call(dispatcher, SQUARE)
    seq = live.world.seq
    await dispatcher.ok("call.vicinity", call_id=call, command_id="ask-1")
    await dispatcher.ok("geocode", query="monchy")
    await dispatcher.command("call.vicinity", coordinates={"lat": 1.0, "lon": 1.0})
    assert live.world.seq == seq and live.hub.runner.store.events_after(seq) == []
    await new_incident(dispatcher, SQUARE)  # the next event follows straight on: none came between
    await dispatcher.until_seq(seq + 1)
    assert [e["seq"] for e in dispatcher.events if e["seq"] > seq] == [seq + 1]
    audited = live.hub.accounts.audit_since(live.hub.runner.clock.now().replace(year=2000))
    assert {"call.vicinity", "geocode"} <= {row["command"] for row in audited}


async def test_the_snapshot_carries_the_service_area_and_vicinity_radius(live, dispatcher):
    deployment = dispatcher.welcome["snapshot"]["deployment"]
    area = live.world.deployment.service_area
    assert deployment["service_area"] == {"lat_min": area.lat_min, "lat_max": area.lat_max,
                                          "lon_min": area.lon_min, "lon_max": area.lon_max}  # fmt: skip
    assert deployment["vicinity_radius_m"] == live.world.deployment.vicinity_radius_m == 1000
    assert deployment["name"] == live.world.deployment.name and deployment["timezone"] == "America/St_Lucia"
