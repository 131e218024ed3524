"""The stats query's live source on a real runner: the kept table follows changes, incidents
leaving the world (archival), a second source joining, and a rebuild after many changes."""

from __future__ import annotations

from dataclasses import replace

from server.advice import stats_query as sq
from server.advice.statistics import IncidentRecord, RecordTable
from tests.support.desk import CASTRIES_SQUARE


def fire(desk, minutes_to_scene: float) -> str:
    incident = desk.ready_incident()
    desk.clock.advance(30)
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="en_route")
    desk.clock.advance(minutes_to_scene * 60)
    desk.ok("unit.set_state", unit="E1", state="on_scene")
    desk.ok("unit.set_state", unit="E1", state="available_station")
    desk.ok("incident.close", incident_id=incident)
    return incident


def test_the_live_table_follows_the_world(desk):
    first = fire(desk, 3)
    second = fire(desk, 5)
    figures = sq.stats_query(desk.world, desk.clock.now())
    assert figures["stages"]["travel"] == {"count": 2, "median_s": 180, "p90_s": 300, "within": 1,
                                           "within_share": 0.5, "target_met": False}  # fmt: skip
    # An incident leaves the live world (as archival will do): its figures go with it.
    del desk.world.incidents[first]
    figures = sq.stats_query(desk.world, desk.clock.now())
    assert figures["incidents"] == 1 and figures["stages"]["travel"]["median_s"] == 300
    # An incident object replaced (any change): counted once, with its new values.
    incident = desk.world.incidents[second]
    desk.world.incidents[second] = replace(incident, incident_type="FLOOD")
    figures = sq.stats_query(desk.world, desk.clock.now())
    assert list(figures["by"]["incident_type"]) == ["FLOOD"] and figures["incidents"] == 1
    # A second source (an archive) joins the live one.
    archived = RecordTable.of([IncidentRecord("old", 0.0, "A", "STRFIRE", "CAS", call_started=-60.0)])
    figures = sq.stats_query(desk.world, desk.clock.now(), sources=(sq.live_table, lambda _: archived))
    assert figures["incidents"] == 2 and figures["stages"]["call_processing"]["median_s"] == 60


def test_a_table_mostly_dead_is_rebuilt(desk):
    incident = desk.world.incidents[desk.ready_incident(location=CASTRIES_SQUARE)]
    sq.stats_query(desk.world, desk.clock.now())
    live = sq._tables[id(desk.world)][1]
    for n in range(1002):  # every query after a change retires one row
        desk.world.incidents[incident.id] = replace(incident, description=f"update {n}")
        sq.live_table(desk.world)
    assert live.table.dead < 1000 and live.table.size < 1000  # rebuilt from the kept records
    desk.clock.advance(1)  # the window ends before `to`: an incident of this very instant is not in it
    assert sq.stats_query(desk.world, desk.clock.now())["incidents"] == 1
