"""The advisory queries through the real runner: they change nothing, store nothing, and what
they recommend is accepted with the ordinary commands."""

import sqlalchemy as sa

from server.domain.world import Actor
from tests.support.desk import CASTRIES_SQUARE

VIEUX_FORT = {"kind": "place", "district": "VF", "name": "Vieux Fort Square", "coordinates": {"lat": 13.7275, "lon": -60.9540}}
NO_COORDINATES = {"kind": "place", "district": "CAS", "name": "somewhere in Castries"}


def stored_results(desk) -> int:
    with desk.runner.store.engine.connect() as conn:
        return conn.exec_driver_sql("SELECT count(*) FROM command_result").scalar_one()


def units_for(value, incident_id):
    return sorted(r["unit"] for r in value["recommendations"] if r["incident_id"] == incident_id)


def test_queries_change_nothing_store_nothing_and_write_no_event(desk):
    incident = desk.ready_incident()
    desk.available("E1", "E2", "L1", "M1")
    seq, results, world = desk.world.seq, stored_results(desk), dict(desk.world.incidents)
    for name, args in (("recommend.units", {}), ("recommend.resources", {}), ("classify", {"text": "tree down"}),
                       ("recommend.units", {"incident_id": "nope"})):  # fmt: skip
        outcome = desk.send(name, command_id="same-id", **args)
        assert outcome.events == [] and not outcome.replayed
    assert desk.world.seq == seq and desk.runner.store.events_after(seq) == []
    assert stored_results(desk) == results and desk.world.incidents == world
    assert desk.incident(incident).units == ()


def test_recommended_units_are_accepted_with_unit_assign_and_then_not_offered_again(desk):
    fire = desk.ready_incident()  # STRFIRE: 2 engine, 1 ladder, 1 ambulance
    desk.available("E1", "E2", "L1", "M1", "P1")
    value = desk.ok("recommend.units")
    assert units_for(value, fire) == ["E1", "E2", "L1", "M1"] and value["unserved"] == []
    engine = next(r for r in value["recommendations"] if r["unit"] == "E1")
    assert engine["kind"] == "engine" and engine["slot"]["of"] == 2
    assert engine["from"] == "station"  # available over the radio but it never reported a position
    assert engine["distance_m"] > 0 and engine["eta_s"] > 0 and "engine" in engine["reason"]
    desk.ok("unit.assign", incident_id=fire, units=["E1", "L1"])
    value = desk.ok("recommend.units", incident_id=fire)
    assert units_for(value, fire) == ["E2", "M1"]
    assert [r["slot"] for r in value["recommendations"] if r["kind"] == "engine"] == [{"kind": "engine", "number": 2, "of": 2}]
    desk.ok("unit.assign", incident_id=fire, units=["E2", "M1"])
    assert desk.ok("recommend.units") == {"recommendations": [], "unserved": [], "excluded_units": []}


def test_a_unit_available_at_its_station_is_placed_there_and_one_on_the_radio_where_it_reported(desk):
    desk.ready_incident(incident_type="MEDICAL", incident_priority="B", location=VIEUX_FORT)
    desk.available("M1", state="available_station")
    desk.available("M2")
    desk.ok("unit.set_position", unit="M2", coordinates={"lat": 13.73, "lon": -60.955})
    [rec] = desk.ok("recommend.units")["recommendations"]
    assert (rec["unit"], rec["from"]) == ("M2", "position") and rec["distance_m"] < 1000


def test_priority_a_takes_the_only_ladder_and_b_is_told_why(desk):
    near_b = desk.ready_incident(incident_type="STRFIRE", incident_priority="B")
    far_a = desk.ready_incident(incident_type="STRFIRE", incident_priority="A", location=VIEUX_FORT)
    desk.available("L1")
    value = desk.ok("recommend.units")
    assert units_for(value, far_a) == ["L1"] and units_for(value, near_b) == []
    ladder = {(u["incident_id"], u["kind"]): u for u in value["unserved"]}
    assert ladder[(near_b, "ladder")]["cause"] == "taken"
    assert ladder[(far_a, "engine")]["cause"] == "all_busy" and ladder[(far_a, "engine")]["missing"] == 2


def test_what_counts_as_waiting(desk):
    monitored = desk.ready_incident()
    desk.ok("incident.set_state", incident_id=monitored, state="monitored")
    untyped = desk.ok("incident.create", description="caller unsure")["incident_id"]
    nowhere = desk.ready_incident(location=NO_COORDINATES)
    desk.available("E1")
    value = desk.ok("recommend.units")
    assert {r["incident_id"] for r in value["recommendations"]} == set()
    assert {u["incident_id"] for u in value["unserved"]} == {nowhere}  # the only waiting one
    assert {u["cause"] for u in value["unserved"]} == {"no_location"}
    asked = desk.ok("recommend.units", incident_id=monitored)  # asked by id, it takes part
    assert units_for(asked, monitored) == ["E1"]
    assert desk.ok("recommend.units", incident_id=untyped)["unserved"][0]["cause"] == "no_type"
    assert desk.refused("recommend.units", incident_id="nope")["code"] == "not_found"


def test_an_ended_incident_gets_no_recommendation(desk):
    incident = desk.ready_incident()
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=10)["need_id"]
    assert desk.ok("recommend.resources", incident_id=incident)["recommendations"][0]["need_id"] == need
    desk.ok("incident.close", incident_id=incident)
    for name in ("recommend.units", "recommend.resources"):
        assert desk.ok(name, incident_id=incident)["unserved"][0]["cause"] == "ended"
    assert desk.ok("recommend.resources")["recommendations"] == []


def test_recommended_resources_are_accepted_with_resource_allocate_within_capacity(desk):
    incident = desk.ready_incident(incident_type="SHELTER", incident_priority="C")
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=40)["need_id"]
    [rec] = desk.ok("recommend.resources")["recommendations"]
    resource = desk.world.resources[rec["resource_id"]]
    assert rec["need_id"] == need and rec["quantity"] == 40 and rec["free"] == resource.free >= 40
    assert rec["resource_type"] == "SHELTER" and rec["distance_m"] >= 0 and "free" in rec["reason"]
    desk.ok("resource.allocate", resource_id=rec["resource_id"], need_id=need, quantity=rec["quantity"])
    assert desk.ok("recommend.resources") == {"recommendations": [], "unserved": []}


def test_a_need_bigger_than_any_shelter_is_split_and_never_beyond_free_room(desk):
    incident = desk.ready_incident(incident_type="SHELTER", incident_priority="C")
    shelters = [r for r in desk.world.resources.values() if r.resource_type == "SHELTER"]
    biggest = max(r.free for r in shelters)
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=biggest + 1)["need_id"]
    recs = desk.ok("recommend.resources")["recommendations"]
    assert len(recs) >= 2 and sum(r["quantity"] for r in recs) == biggest + 1
    assert all(r["split"]["of"] == len(recs) and r["quantity"] <= r["free"] for r in recs)
    for rec in recs:
        desk.ok("resource.allocate", resource_id=rec["resource_id"], need_id=need, quantity=rec["quantity"])
    assert all(r.in_use <= r.capacity for r in desk.world.resources.values())


def test_classify_text_an_incident_or_a_call(desk):
    value = desk.ok("classify", text="Tree down across the road, no one hurt", location=CASTRIES_SQUARE)
    assert (value["incident_type"], value["incident_priority"], value["desk"], value["district"]) == (
        "TREEDOWN", "C", "public_works", "CAS")  # fmt: skip
    assert {r["kind"] for r in value["reasons"]} >= {"keyword", "negated", "district"}
    incident = desk.ready_incident(incident_type="FLOOD", incident_priority="B", description="caller hung up")
    kept = desk.ok("classify", incident_id=incident)
    assert kept["incident_type"] == "FLOOD" and kept["reasons"][0]["kind"] == "current_type"
    call = desk.ok("call.create", description="man unconscious, not breathing", location=CASTRIES_SQUARE)["call_id"]
    desk.ok("call.attach", call_id=call, incident_id=incident)
    moved = desk.ok("classify", incident_id=incident)  # the linked call's words count
    assert (moved["incident_type"], moved["incident_priority"], moved["desk"]) == ("CARDIAC", "A", "ems")
    assert desk.ok("classify", call_id=call)["incident_type"] == "CARDIAC"


def test_classify_refuses_bad_arguments_with_the_problem_named(desk):
    for args in ({}, {"text": "fire", "call_id": "x"}, {"incident_id": "x", "location": CASTRIES_SQUARE}):
        error = desk.refused("classify", **args)
        assert error["code"] == "bad_request"
        assert "exactly one of text" in error["message"] or "location goes with text" in error["message"]
    assert desk.refused("classify", text="fire", location={"kind": "place", "district": "XX", "name": "x"})["code"] == "validation"
    assert desk.refused("classify", text="x" * 1001)["details"]["field"] == "text"
    empty = desk.ok("incident.create")["incident_id"]
    assert desk.refused("classify", incident_id=empty)["code"] == "validation"
    assert desk.refused("classify", call_id="nope")["code"] == "not_found"


def test_observers_may_ask_queries_and_unit_terminals_may_not(desk):
    observer, terminal = Actor("obs", "observer"), Actor("m1", "unit", unit="M1")
    assert desk.send("recommend.units", actor=observer).ok
    assert desk.send("classify", actor=observer, text="fire").ok
    assert desk.send("recommend.resources", actor=terminal).result["code"] == "forbidden"
    assert desk.send("incident.create", actor=observer).result["code"] == "forbidden"


def test_stored_answers_of_commands_are_unaffected_by_queries(desk):
    first = desk.send("incident.create", command_id="c-1", description="x")
    desk.send("recommend.units", command_id="q-1")
    with desk.runner.store.engine.connect() as conn:
        ids = [r[0] for r in conn.execute(sa.text("SELECT command_id FROM command_result"))]
    assert ids == ["c-1"] and desk.send("incident.create", command_id="c-1", description="x").result == first.result


def test_a_query_that_tries_to_write_is_answered_internal_and_writes_nothing(desk, monkeypatch):
    from server.app.handlers import HANDLERS

    def sneaky(ch, args):
        ch.emit("incident.noted")
        return {}

    monkeypatch.setitem(HANDLERS, "classify", sneaky)
    seq = desk.world.seq
    assert desk.refused("classify", text="fire")["code"] == "internal"
    assert desk.world.seq == seq and desk.runner.store.events_after(seq) == []
