"""The demo scenario on a real runner, a real SQLite file and a fake clock: many simulated
minutes in a second or two, alert acknowledgements delivered the way SimulatedDelivery does."""

from __future__ import annotations

import itertools
import random
import shutil
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from server.app.bootstrap import open_runner
from server.app.commands import CommandOutcome, CommandRunner
from server.demo.simulate import Behaviour, Pace, Scenario, Simulation, distance_km
from server.domain.incident import UNIT_TIMESTAMPS, IncidentState
from server.domain.unit_status import ASSIGNED, PROGRESS, UnitState
from server.domain.values import Coordinates
from server.domain.world import Actor, World
from server.reference import DEMO, load_reference
from server.storage.database import sqlite_url
from tests.support.desk import FakeClock

SIMULATOR = Actor("simulator-1", "dispatcher")
HUMAN = Actor("human-1", "dispatcher")
GAZETTEER = load_reference(DEMO).gazetteer
QUICK = Pace(position_every_s=15)  # fewer position reports: the same story in fewer commands
# Three times as fast, but with calls kept sparse: every stage of many incidents in few commands.
BUSY = replace(Pace().scaled(3), call_every_s=(5, 10), position_every_s=15)


@dataclass
class Storm:
    """A scenario driven by the real Simulation driver over a runner on a fake clock."""

    runner: CommandRunner
    clock: FakeClock
    simulation: Simulation = field(init=False)
    trace: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: list[tuple[str, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    approach: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    acks: list[tuple[datetime, str, str]] = field(default_factory=list)

    @property
    def world(self) -> World:
        return self.runner.world

    def start(self, scenario: Scenario) -> Storm:
        self.simulation = Simulation(scenario, self._execute, self.world, self.clock, SIMULATOR)
        return self

    def _execute(self, command_id: str, name: str, args: dict[str, Any], actor: Actor) -> CommandOutcome:
        if name == "unit.set_position":
            self._note_approach(args)
        outcome = self.runner.run(command_id, name, args, actor)
        self.trace.append((name, args))
        if not outcome.ok:
            self.refused.append((name, args, outcome.result))
        for alert in outcome.alerts:
            self.acks += [(self.clock.now() + timedelta(seconds=2), alert.unit_id, t) for t in alert.target_ids]
        return outcome

    def _note_approach(self, args: dict[str, Any]) -> None:
        """Distance to the scene of each report made while en route, per assignment."""
        unit = self.world.unit_by_callsign(args["unit"])
        status = self.world.unit_status[unit.id]
        if status.state is UnitState.EN_ROUTE:
            incident = self.world.incidents[status.assigned_to_incident_id]
            record = incident.open_unit_for(unit.id)
            scene = incident.location.coordinates
            self.approach[record.id].append(distance_km(Coordinates(**args["coordinates"]), scene))

    def run(self, seconds: int, human: random.Random | None = None) -> None:
        for tick in range(seconds):
            for ack in [a for a in self.acks if a[0] <= self.clock.now()]:
                self.acks.remove(ack)
                callsign = self.world.units[ack[1]].callsign
                assert self.runner.run_system("alert.ack", {"unit": callsign, "target_id": ack[2]}).ok
            if human is not None and tick % 5 == 0:
                meddle(self.runner, human, f"human-{self.clock.now().isoformat()}")
            if self.simulation.running:
                self.simulation.step()
            self.clock.advance(1)


def meddle(runner: CommandRunner, rng: random.Random, command_id: str) -> None:
    """A busy person at the other desk: random commands, legal or not."""
    world = runner.world
    incidents = [i.id for i in world.incidents.values() if not i.ended]
    callsigns = sorted(u.callsign for u in world.units.values() if u.active)
    if not incidents:
        return
    name, args = rng.choice([
        ("incident.note", {"incident_id": rng.choice(incidents), "text": "checking"}),
        ("unit.set_state", {"unit": rng.choice(callsigns), "state": rng.choice(["available_radio", "en_route",
                                                                                  "available_station"])}),
        ("unit.assign", {"incident_id": rng.choice(incidents), "units": [rng.choice(callsigns)]}),
        ("unit.reassign", {"unit": rng.choice(callsigns), "incident_id": rng.choice(incidents), "state": "en_route"}),
        ("incident.close", {"incident_id": rng.choice(incidents)}),
    ])  # fmt: skip
    runner.run(command_id, name, args, HUMAN)


def open_storm(template: Path, directory: Path, seed: int, pace: Pace = QUICK, behaviour: Behaviour | None = None,
               **scenario: Any) -> Storm:  # fmt: skip
    path = directory / f"storm-{seed}.db"
    shutil.copyfile(template, path)
    clock = FakeClock()
    ids = itertools.count()
    runner = open_runner(sqlite_url(path), clock=clock, new_id=lambda: f"id{next(ids):06d}")
    storm = Storm(runner, clock)
    return storm.start(Scenario(SIMULATOR.user_id, GAZETTEER, seed, pace, behaviour, **scenario))


def check_invariants(world: World) -> None:
    open_records: dict[str, list[str]] = defaultdict(list)
    for incident in world.incidents.values():
        for record in incident.units:
            stamps = [getattr(record, n) for n in UNIT_TIMESTAMPS if getattr(record, n) is not None]
            assert stamps == sorted(stamps), record
            if record.open:
                open_records[record.unit_id].append(incident.id)
            else:
                assert record.unit_unassigned_at >= stamps[-1], record
        if incident.ended:
            assert incident.incident_ended is not None and not incident.open_units(), incident.id
    for unit_id, status in world.unit_status.items():
        where = open_records.get(unit_id, [])
        assert len(where) <= 1, f"{world.units[unit_id].callsign} is on {where}"
        assert (where[0] if where else None) == status.assigned_to_incident_id
        if status.state in ASSIGNED or status.state in PROGRESS:
            assert status.assigned_to_incident_id is not None
    for call in world.calls.values():
        if call.ended:
            assert call.outcome is not None and (call.incident_id or call.outcome_rationale)


@pytest.fixture(scope="module")
def long_storm(template_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Storm:
    """Eighteen minutes of storm in six, with a person meddling every five seconds."""
    storm = open_storm(template_db, tmp_path_factory.mktemp("storm"), seed=7, pace=BUSY)
    storm.run(6 * 60, human=random.Random(3))
    yield storm
    storm.runner.store.engine.dispose()


def test_the_warm_up_makes_a_live_board_at_once(template_db, tmp_path):
    storm = open_storm(template_db, tmp_path, seed=1)
    storm.run(1)
    world = storm.world
    states = Counter(i.state for i in world.incidents.values())
    assert sum(states.values()) >= 12
    assert states[IncidentState.QUEUED] >= 3 and states[IncidentState.ACTIVE] >= 3 and states[IncidentState.ENDED] >= 2
    units = Counter(s.state for s in world.unit_status.values())
    assert {UnitState.DISPATCHED, UnitState.EN_ROUTE, UnitState.ON_SCENE} <= set(units)
    assert sum(not c.ended for c in world.calls.values()) >= 3
    assert not storm.refused
    check_invariants(world)


def test_a_long_storm_with_a_person_meddling_is_never_refused(long_storm):
    assert long_storm.refused == []
    assert long_storm.simulation.refusals == 0
    check_invariants(long_storm.world)


def test_a_long_storm_takes_calls_makes_incidents_and_closes_them(long_storm):
    world = long_storm.world
    names = Counter(name for name, _ in long_storm.trace)
    assert names["call.create"] >= 30 and names["call.create_incident"] >= 20 and names["call.attach"] >= 2
    outcomes = Counter(c.outcome for c in world.calls.values() if c.ended and c.receiving_dispatcher == SIMULATOR.user_id)
    assert len(outcomes) >= 4  # incident created, attached and ended without an incident
    closed = [i for i in world.incidents.values() if i.ended]
    assert len(closed) >= 12
    assert all(i.log[-1].change_data == {"change": "state", "value": "ended"} for i in closed)


def test_units_go_out_to_scenes_drive_closer_and_come_back(long_storm):
    records = [r for i in long_storm.world.incidents.values() for r in i.units]
    complete = [r for r in records if r.unit_dispatched and r.unit_en_route and r.unit_on_scene and r.unit_available
                and r.unit_back_at_station]  # fmt: skip
    assert len(complete) >= 12
    names = Counter(name for name, _ in long_storm.trace)
    assert names["unit.dispatch"] >= 8 and names["unit.confirm_dispatch"] >= 1  # boats have no alert target
    drives = [d for d in long_storm.approach.values() if len(d) >= 2]
    assert drives and all(d == sorted(d, reverse=True) for d in drives)


def test_units_go_out_of_service_now_and_then_and_come_back(long_storm):
    trace = long_storm.trace
    out = [n for n, (name, args) in enumerate(trace) if name == "unit.set_state" and args["state"] == "unavailable"]
    assert out
    first = trace[out[0]][1]["unit"]
    assert ("unit.set_state", {"unit": first, "state": "available_station"}) in trace[out[0]:]


def test_the_same_seed_tells_the_same_story(template_db, tmp_path):
    runs = []
    for directory, seed, seconds in (("a", 11, 25), ("b", 11, 25), ("c", 12, 1)):
        (tmp_path / directory).mkdir()
        storm = open_storm(template_db, tmp_path / directory, seed)
        storm.run(seconds)
        runs.append(storm.trace)
        storm.runner.store.engine.dispose()
    assert runs[0] == runs[1]
    assert runs[0][: len(runs[2])] != runs[2]


def test_incidents_someone_else_touched_are_left_alone(template_db, tmp_path):
    eager = Pace(hold_urgent_s=(1, 2), hold_s=(1, 2), hold_low_s=(1, 2))
    storm = open_storm(template_db, tmp_path, seed=5, pace=eager, behaviour=Behaviour(left_for_human_share=0))
    storm.run(1)
    queued = [i.id for i in storm.world.incidents.values() if i.state is IncidentState.QUEUED and not i.units]
    mine, others = queued[0], queued[1:]
    assert storm.runner.run("note-1", "incident.note", {"incident_id": mine, "text": "I have this one"}, HUMAN).ok
    before = len(storm.trace)
    storm.run(30)
    assert not storm.world.incidents[mine].units
    assert not [args for name, args in storm.trace[before:] if args.get("incident_id") == mine and name != "call.attach"]
    assert any(storm.world.incidents[i].units for i in others)


def test_a_pause_holds_the_story_instead_of_bunching_it_up(template_db, tmp_path):
    storm = open_storm(template_db, tmp_path, seed=9)
    storm.run(30)
    storm.simulation.set_running(False)
    storm.run(30 * 60)
    paused_trace = len(storm.trace)
    storm.simulation.set_running(True)
    storm.simulation.step()
    assert len(storm.trace) - paused_trace <= 5  # only what was due the moment the pause began
    storm.run(60)
    assert not storm.refused


def test_the_pace_scales_every_delay():
    fast = Pace().scaled(2)
    assert fast.call_every_s == (3, 7.5) and fast.on_scene_s == (22.5, 75) and fast.ack_wait_s == Pace().ack_wait_s
    with pytest.raises(ValueError):
        Pace().scaled(0)
