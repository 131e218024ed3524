"""The statistics module against a scenario whose every figure is worked out by hand below.

Percentiles are nearest-rank: the p-th of n sorted values is the ⌈p·n/100⌉-th smallest.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from server.advice.statistics import (
    Assignment,
    IncidentRecord,
    RecordTable,
    ResourceRecord,
    compute,
    incident_records,
    nearest_rank,
    series_step,
    waiting_intervals,
)
from server.domain.call import Call, CallState
from server.domain.incident import ChangeKind, EntryType, Incident, IncidentState, IncidentUnit, LogEntry
from server.domain.location import Place
from server.domain.reference import Priority, StatsTargets

T0 = 1_800_000_000.0  # on the hour (UTC 2027-01-15 08:00)
UTC_ZONE = ZoneInfo("UTC")
UNITS = {"E1": "engine", "E2": "engine", "M1": "ambulance", "M2": "ambulance"}


def at(offset: float) -> float:
    return T0 + offset


SCENARIO = (
    # A fire: call 0 → created 30 (call processing 30); E1 dispatched 90 (alarm 60), en route
    # 150 (turnout 60 ≤ 80), on scene 330 (travel 180); M1 dispatched 100, en route 170 (turnout
    # 70 > the ambulance's 60), on scene 400 (travel 230). Total response: 330 − 0 = 330.
    IncidentRecord(
        "I1", at(30), "A", "FIRE", "CAS", call_started=at(0),
        assignments=(
            Assignment("E1", "engine", at(60), at(1860), at(90), at(150), at(330)),
            Assignment("M1", "ambulance", at(60), at(3660), at(100), at(170), at(400)),
        ),
        waiting=((at(30), at(90)),),
    ),
    # Assigned straight to on scene: the walk stamps dispatched, en route and on scene at once
    # (alarm 80, turnout 0, travel 0); total response 700 − 600 = 100; call processing 20.
    IncidentRecord(
        "I2", at(620), "A", "FIRE", "GRO", call_started=at(600),
        assignments=(Assignment("E2", "engine", at(650), None, at(700), at(700), at(700)),),
    ),
    # No call; M2 dispatched (alarm 40) and then stood down: never en route, never on scene, so
    # no turnout, travel, call processing or total response for it.
    IncidentRecord(
        "I3", at(1000), "B", "MED", "CAS",
        assignments=(Assignment("M2", "ambulance", at(1000), at(1300), at(1040)),),
        waiting=((at(1000), at(1040)),),
    ),
    # Still waiting, no unit: only call processing (50).
    IncidentRecord("I4", at(3650), "B", "MED", "CAS", call_started=at(3600), waiting=((at(3650), None),)),
    # No priority, type or district; an archived oddity with no dispatch stamp: travel 200
    # only, total response 4000 − 3650 = 350, call processing 50.
    IncidentRecord(
        "I5", at(3700), call_started=at(3650),
        assignments=(Assignment("E1", "engine", at(3750), at(4350), None, at(3800), at(4000)),),
    ),
    # Outside the window (before it, and at its very end): counted nowhere but in waiting and
    # utilisation (which look at time, not at when an incident was created).
    IncidentRecord("I6", at(-10), "A", "FIRE", "CAS", call_started=at(-20),
                   assignments=(Assignment("E2", "engine", at(-5), at(0), at(-5), at(-5), at(-5)),),
                   waiting=((at(-100), at(400)),)),
    IncidentRecord("I7", at(7200), "A", "FIRE", "CAS", call_started=at(7190)),
)  # fmt: skip


@pytest.fixture(scope="module")
def figures() -> dict:
    resources = [
        ResourceRecord("SHELTER", 100, 40),
        ResourceRecord("SHELTER", 50, 50, out_of_service=True),
        ResourceRecord("WATER", 1000, 250),
    ]
    return compute(SCENARIO, start=at(0), end=at(7200), targets=StatsTargets(), zone=UTC_ZONE,
                   units=UNITS, resources=resources)  # fmt: skip


def test_nearest_rank_by_hand() -> None:
    assert nearest_rank([20, 30, 50, 50], 50) == 30  # ⌈2⌉ = 2nd
    assert nearest_rank([20, 30, 50, 50], 90) == 50  # ⌈3.6⌉ = 4th
    assert nearest_rank([7], 90) == 7
    # 0.9 × 70 is 63.000…01 in floating point; the rank must still be the 63rd.
    assert nearest_rank(list(range(1, 71)), 90) == 63
    with pytest.raises(ValueError):
        nearest_rank([], 50)


def test_nearest_rank_is_numpys_inverted_cdf() -> None:
    rng = np.random.default_rng(7)
    for n in (1, 2, 3, 10, 69, 70, 101, 1000):
        values = np.sort(rng.exponential(100, n))
        for p in (50, 90):
            assert nearest_rank(values, p) == np.percentile(values, p, method="inverted_cdf")


def test_each_stage_overall(figures: dict) -> None:
    s = figures["stages"]
    assert figures["incidents"] == 5
    # call processing: 30, 20, 50, 50 → [20, 30, 50, 50]; no target by default
    assert s["call_processing"] == {"count": 4, "median_s": 30, "p90_s": 50}
    # alarm processing: 60, 80, 40 → [40, 60, 80]; within 64 s: 40 and 60
    assert s["alarm_processing"] == {"count": 3, "median_s": 60, "p90_s": 80, "within": 2,
                                     "within_share": 0.6667, "target_met": False}  # fmt: skip
    # turnout: E1 60 (≤ 80), M1 70 (> 60 for an ambulance), E2 0 → [0, 60, 70]
    assert s["turnout"] == {"count": 3, "median_s": 60, "p90_s": 70, "within": 2,
                            "within_share": 0.6667, "target_met": False}  # fmt: skip
    # travel: 180, 230, 0, 200 → [0, 180, 200, 230]; all within 240
    assert s["travel"] == {"count": 4, "median_s": 180, "p90_s": 230, "within": 4,
                           "within_share": 1.0, "target_met": True}  # fmt: skip
    # total response: 330, 100, 350 → [100, 330, 350]; no target by default
    assert s["total_response"] == {"count": 3, "median_s": 330, "p90_s": 350}


def test_breakdowns(figures: dict) -> None:
    by = figures["by"]
    a = by["priority"]["A"]
    assert a["call_processing"] == {"count": 2, "median_s": 20, "p90_s": 30}  # [20, 30]
    assert a["alarm_processing"]["median_s"] == 60 and a["alarm_processing"]["p90_s"] == 80
    assert a["total_response"] == {"count": 2, "median_s": 100, "p90_s": 330}
    b = by["priority"]["B"]
    assert set(b) == {"call_processing", "alarm_processing"}  # nothing reached past dispatch
    assert b["alarm_processing"] == {"count": 1, "median_s": 40, "p90_s": 40, "within": 1,
                                     "within_share": 1.0, "target_met": True}  # fmt: skip
    assert by["priority"]["(none)"]["travel"]["median_s"] == 200
    assert "alarm_processing" not in by["priority"]["(none)"]
    # CAS: I1, I3, I4 — travel [180, 230]; GRO: I2 alone
    assert by["district"]["CAS"]["travel"] == {"count": 2, "median_s": 180, "p90_s": 230, "within": 2,
                                               "within_share": 1.0, "target_met": True}  # fmt: skip
    assert by["district"]["GRO"]["turnout"]["median_s"] == 0
    assert by["incident_type"]["MED"]["call_processing"] == {"count": 1, "median_s": 50, "p90_s": 50}  # I3 had no call
    # I1–I3 in the hour from 08:00 UTC, I4 and I5 in the next
    assert list(by["hour"]) == ["2027-01-15 08:00", "2027-01-15 09:00"]
    assert by["hour"]["2027-01-15 09:00"]["call_processing"]["count"] == 2


def test_hours_are_the_deployments() -> None:
    result = compute(SCENARIO[:1], start=at(0), end=at(60), targets=StatsTargets(),
                     zone=ZoneInfo("America/St_Lucia"), units=UNITS, by=("hour",))  # fmt: skip
    assert list(result["by"]) == ["hour"]
    assert list(result["by"]["hour"]) == ["2027-01-15 04:00"]  # UTC−4


def test_targets_are_the_deployments() -> None:
    strict = StatsTargets(travel_s=190.0, total_response_s=340.0, turnout_s_by_kind=(), share=0.5)
    s = compute(SCENARIO, start=at(0), end=at(7200), targets=strict, zone=UTC_ZONE, units=UNITS)["stages"]
    assert (s["travel"]["within"], s["travel"]["target_met"]) == (2, True)  # 0 and 180 of 4
    assert s["turnout"]["within"] == 3  # the ambulance is judged by 80 s now
    assert s["total_response"]["within_share"] == 0.6667  # 100, 330 of 3


def test_distribution_of_total_response(figures: dict) -> None:
    d = figures["distribution"]
    assert d["edges_s"][:3] == [0, 60, 120]
    # A: 100 s → the 60–120 bin, 330 s → 300–360; no priority: 350 s → 300–360
    assert d["counts"]["A"] == [0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    assert d["counts"]["(none)"] == [0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0]


def test_waiting_over_time(figures: dict) -> None:
    w = figures["waiting"]
    assert w["step_s"] == 300  # two hours in 300 s steps: 24 ≤ 48 points
    assert len(w["at"]) == 25
    counts = dict(zip(w["at"], w["counts"], strict=True))
    assert counts["2027-01-15T08:00:00.000Z"] == 1  # I6, waiting since before the window
    assert counts["2027-01-15T08:05:00.000Z"] == 1
    assert counts["2027-01-15T08:10:00.000Z"] == 0  # I6 left at 400
    assert counts["2027-01-15T09:05:00.000Z"] == 1  # I4 (since 3650)
    assert counts["2027-01-15T10:00:00.000Z"] == 1  # the end: I4 still waits


def test_unit_hour_utilisation(figures: dict) -> None:
    u = figures["utilisation"]
    # Busy: E1 1800 + 600, M1 3600, E2 6550 (open until the end), M2 300; I6's E2 ended at 0.
    assert u["units"] == 4
    assert u["overall"] == round(12850 / (4 * 7200), 4)
    assert u["by_kind"] == {"ambulance": round(3900 / 14400, 4), "engine": round(8950 / 14400, 4)}
    assert u["values"][0] == round((240 + 240) / (4 * 300), 4)  # E1 and M1 from 60 on
    assert len(u["values"]) == len(u["at"]) == 24


def test_resource_occupancy(figures: dict) -> None:
    assert figures["resources"] == {
        "SHELTER": {"resources": 2, "capacity": 100, "in_use": 40, "share": 0.4},
        "WATER": {"resources": 1, "capacity": 1000, "in_use": 250, "share": 0.25},
    }


def test_nothing_at_all() -> None:
    result = compute([], start=None, end=at(0), targets=StatsTargets(), zone=UTC_ZONE, units={})
    assert result["incidents"] == 0
    assert result["stages"]["travel"] == {"count": 0}
    assert result["by"] == {d: {} for d in ("priority", "district", "incident_type", "hour")}
    assert result["utilisation"]["overall"] is None


def test_series_step() -> None:
    assert series_step(120) == 10  # a storm two minutes old still gets a curve
    assert series_step(3600) == 120
    assert series_step(48 * 3600) == 3600
    assert series_step(365 * 86400) == 86400


# --- from domain objects --------------------------------------------------------------------------


def moment(offset: float) -> datetime:
    return datetime.fromtimestamp(T0, UTC) + timedelta(seconds=offset)


def state_entry(offset: float, state: str) -> LogEntry:
    return LogEntry(f"L{offset}", "I", moment(offset), EntryType.AUTOMATIC,
                    change_data={"change": ChangeKind.STATE.value, "value": state})  # fmt: skip


def test_records_of_domain_incidents() -> None:
    place = Place(district="CAS", name="Market")
    log = (
        state_entry(10, "queued"),
        LogEntry("N", "I", moment(15), EntryType.MANUAL, description="queued for lack of units"),
        state_entry(20, "active"),
        state_entry(30, "monitored"),
        state_entry(40, "queued"),
        state_entry(50, "active"),
        state_entry(90, "ended"),
    )
    unit = IncidentUnit("U", "E1", "E1", moment(20), unit_dispatched=moment(25), unit_en_route=moment(26),
                        unit_unassigned_at=moment(80))  # fmt: skip
    incident = Incident("I", IncidentState.ENDED, moment(5), moment(90), "FIRE", Priority.A, place,
                        call_ids=("C1", "C2", "C3"), units=(unit,), log=log)  # fmt: skip
    calls = {
        "C1": Call("C1", CallState.ENDED, None, moment(2)),
        "C2": Call("C2", CallState.ENDED, None, moment(0)),  # the first call
        "C3": Call("C3", CallState.ENDED, None, moment(-50) + timedelta(seconds=100)),  # attached later
    }
    (record,) = incident_records([incident], calls, {"E1": "engine"})
    assert record.call_started == at(0)
    assert (record.priority, record.incident_type, record.district) == ("A", "FIRE", "CAS")
    assert record.assignments == (Assignment("E1", "engine", at(20), at(80), at(25), at(26)),)
    # new 5 → queued → active 20; monitored 30 → queued 40 → active 50
    assert record.waiting == ((at(5), at(20)), (at(40), at(50)))


def test_an_incident_still_new_is_still_waiting() -> None:
    incident = Incident("I", IncidentState.NEW, moment(0))
    assert waiting_intervals(incident) == ((at(0), None),)


def test_every_group_matches_numpy_on_random_data() -> None:
    """The one-sort grouping gives each group what numpy's nearest-rank gives it alone."""
    rng = np.random.default_rng(3)
    records = [
        IncidentRecord(f"R{i}", at(i), "ABCD"[i % 4], f"T{i % 7}", f"D{i % 5}", call_started=at(i) - rng.exponential(30))
        for i in range(997)
    ]
    result = compute(records, start=None, end=at(2000), targets=StatsTargets(), zone=UTC_ZONE, units={})
    for name, group in result["by"]["incident_type"].items():
        mine = np.asarray([r.created - r.call_started for r in records if r.incident_type == name])
        expected = np.percentile(mine, [50, 90], method="inverted_cdf").round(3)
        got = group["call_processing"]
        assert (got["count"], got["median_s"], got["p90_s"]) == (mine.size, *expected)


def test_a_table_keeps_rows_until_removed() -> None:
    """A changed incident is removed and added again; only its new figures count."""
    table = RecordTable()
    rows = [table.add(r) for r in SCENARIO[:3]]
    changed = IncidentRecord("I2", at(620), "A", "FIRE", "GRO", call_started=at(610))  # now 10 s, no units
    table.remove(rows[1])
    table.add(changed)
    s = compute(table, start=at(0), end=at(7200), targets=StatsTargets(), zone=UTC_ZONE, units=UNITS)
    assert s["incidents"] == 3
    assert s["stages"]["call_processing"] == {"count": 2, "median_s": 10, "p90_s": 30}
    assert s["stages"]["total_response"]["count"] == 1  # I1 only; I2 lost its unit
    # Two sources (say live and archive) join: codes of groups are matched by name.
    other = RecordTable.of([SCENARIO[3]])
    joined = compute([table, other], start=at(0), end=at(7200), targets=StatsTargets(), zone=UTC_ZONE, units=UNITS)
    assert joined["incidents"] == 4
    assert joined["by"]["district"]["CAS"]["call_processing"] == {"count": 2, "median_s": 30, "p90_s": 50}
