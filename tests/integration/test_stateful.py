"""Random command sequences against the real runner and SQLite file; after every step the
domain's global invariants must hold and the event log must be gap-free."""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule

from server.app.bootstrap import open_runner
from server.domain.incident import UNIT_TIMESTAMPS
from server.domain.unit_status import UnitState
from server.storage.database import checkpoint, sqlite_url
from tests.support.desk import CASTRIES_SQUARE, Desk, FakeClock, open_desk

UNITS = ["E1", "E2", "M1", "P1", "B1"]  # B1 has no alert target
ATTACHED = {UnitState.ASSIGNED_RADIO, UnitState.ASSIGNED_STATION, UnitState.DISPATCHING,
            UnitState.DISPATCHED, UnitState.EN_ROUTE, UnitState.ON_SCENE}  # fmt: skip
DETACHED = {UnitState.UNAVAILABLE, UnitState.AVAILABLE_STATION}
SETTABLE = ["unavailable", "available_radio", "available_station", "dispatched", "en_route", "on_scene"]


@cache
def template() -> Path:
    path = Path(tempfile.mkdtemp(prefix="hurrinet-template-")) / "template.db"
    runner = open_runner(sqlite_url(path), clock=FakeClock())
    checkpoint(runner.store.engine)
    runner.store.engine.dispose()
    return path


class Dispatching(RuleBasedStateMachine):
    incidents = Bundle("incidents")

    @initialize(target=incidents)
    def open(self) -> str:
        """Start with every unit available and one incident ready for dispatch, so that
        short runs reach deep states instead of being refused at the door."""
        self.directory = Path(tempfile.mkdtemp(prefix="hurrinet-stateful-"))
        self.desk: Desk = open_desk(template(), self.directory)
        self.ended: dict[str, object] = {}
        self.desk.available(*UNITS)
        return self.desk.ready_incident()

    def teardown(self) -> None:
        if hasattr(self, "desk"):
            reloaded = self.desk.runner.store.load_world()
            assert reloaded.incidents == self.desk.world.incidents
            assert reloaded.unit_status == self.desk.world.unit_status
            self.desk.runner.store.engine.dispose()
            shutil.rmtree(self.directory, ignore_errors=True)

    def send(self, name: str, **args) -> None:
        self.desk.clock.advance(1)
        self.desk.send(name, **args)

    @rule(target=incidents, ready=st.sampled_from([True, True, True, False]))
    def create_incident(self, ready: bool) -> str:
        args = {"incident_type": "STRFIRE", "location": CASTRIES_SQUARE} if ready else {}
        outcome = self.desk.send("incident.create", **args)
        return outcome.result["incident_id"]

    @rule(unit=st.sampled_from(UNITS), state=st.sampled_from(SETTABLE + ["available_radio"] * 3))
    def set_unit_state(self, unit: str, state: str) -> None:
        self.send("unit.set_state", unit=unit, state=state)

    @rule(incident=incidents, units=st.lists(st.sampled_from(UNITS), min_size=1, max_size=3, unique=True),
          state=st.sampled_from([None, "dispatched", "en_route", "on_scene"]))  # fmt: skip
    def assign(self, incident: str, units: list[str], state: str | None) -> None:
        self.send("unit.assign", incident_id=incident, units=units, **({"state": state} if state else {}))

    @rule(incident=incidents)
    def dispatch(self, incident: str) -> None:
        self.send("unit.dispatch", incident_id=incident)

    @rule(unit=st.sampled_from(UNITS[:-1]))
    def acknowledge(self, unit: str) -> None:
        self.send("alert.ack", unit=unit, target_id=self.desk.target_of(unit))

    @rule(unit=st.sampled_from(UNITS))
    def confirm(self, unit: str) -> None:
        self.send("unit.confirm_dispatch", unit=unit)

    @rule(unit=st.sampled_from(UNITS))
    def unassign(self, unit: str) -> None:
        self.send("unit.unassign", unit=unit)

    @rule(unit=st.sampled_from(UNITS))
    def release(self, unit: str) -> None:
        self.send("unit.release", unit=unit)

    @rule(unit=st.sampled_from(UNITS), incident=incidents, state=st.sampled_from([None, "en_route"]))
    def reassign(self, unit: str, incident: str, state: str | None) -> None:
        self.send("unit.reassign", unit=unit, incident_id=incident, **({"state": state} if state else {}))

    @rule(incident=incidents, state=st.sampled_from(["queued", "active", "monitored"]))
    def set_incident_state(self, incident: str, state: str) -> None:
        self.send("incident.set_state", incident_id=incident, state=state)

    @rule(incident=incidents)
    def close(self, incident: str) -> None:
        self.send("incident.close", incident_id=incident)

    @rule(unit=st.sampled_from(UNITS))
    def time_out(self, unit: str) -> None:
        self.desk.clock.advance(60)
        status = self.desk.status(unit)
        self.desk.runner.run_system("unit.dispatch_timeout", {"unit": unit, "since": status.state_changed_at.isoformat()})

    # --- invariants ------------------------------------------------------------------------
    @invariant()
    def no_unit_on_two_incidents_and_assignments_match_status(self) -> None:
        if not hasattr(self, "desk"):
            return
        world = self.desk.world
        open_records: dict[str, str] = {}
        for incident in world.incidents.values():
            for record in incident.open_units():
                assert record.unit_id not in open_records, f"{record.callsign} on two incidents"
                open_records[record.unit_id] = incident.id
        for unit_id, status in world.unit_status.items():
            assert status.assigned_to_incident_id == open_records.get(unit_id)
            if status.state in ATTACHED:
                assert status.assigned_to_incident_id is not None, status
            if status.state in DETACHED:
                assert status.assigned_to_incident_id is None, status

    @invariant()
    def timestamps_are_ordered(self) -> None:
        if not hasattr(self, "desk"):
            return
        for incident in self.desk.world.incidents.values():
            for record in incident.units:
                stamps = [getattr(record, n) for n in UNIT_TIMESTAMPS if getattr(record, n) is not None]
                assert stamps == sorted(stamps), record
                if record.unit_unassigned_at is not None:
                    assert record.unit_unassigned_at >= max(stamps)

    @invariant()
    def ended_incidents_are_untouched(self) -> None:
        if not hasattr(self, "desk"):
            return
        for incident in self.desk.world.incidents.values():
            if incident.ended:
                assert self.ended.setdefault(incident.id, incident) == incident
            if incident.state == "active":
                assert incident.units and incident.location and incident.incident_type

    @invariant()
    def event_log_is_gap_free(self) -> None:
        if not hasattr(self, "desk"):
            return
        seqs = [e["seq"] for e in self.desk.runner.store.events_after(0)]
        assert seqs == list(range(1, self.desk.world.seq + 1))


Dispatching.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_dispatching = Dispatching.TestCase
