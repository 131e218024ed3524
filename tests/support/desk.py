"""A dispatcher's desk for tests: a real CommandRunner over a real SQLite file."""

from __future__ import annotations

import itertools
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from server.app.bootstrap import open_runner
from server.app.commands import Clock, CommandOutcome, CommandRunner
from server.domain.incident import Incident
from server.domain.unit_status import UnitStatus
from server.domain.world import Actor
from server.storage.database import sqlite_url

START = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DISPATCHER = Actor("dispatcher-1", "dispatcher")
CASTRIES_SQUARE = {
    "kind": "place",
    "district": "CAS",
    "name": "Derek Walcott Square",
    "coordinates": {"lat": 14.0104, "lon": -60.9887},
}


class FakeClock(Clock):
    """A server clock the test moves by hand."""

    def __init__(self, start: datetime = START) -> None:
        self.moment = start
        super().__init__(lambda: self.moment)

    def advance(self, seconds: float = 1.0) -> None:
        self.moment += timedelta(seconds=seconds)


@dataclass
class Desk:
    runner: CommandRunner
    clock: FakeClock
    actor: Actor = DISPATCHER
    _ids: itertools.count = field(default_factory=itertools.count)

    @property
    def world(self):
        return self.runner.world

    def send(self, name: str, command_id: str | None = None, actor: Actor | None = None, **args: Any) -> CommandOutcome:
        command_id = command_id or f"cmd-{next(self._ids)}"
        return self.runner.run(command_id, name, args, actor or self.actor)

    def ok(self, name: str, **args: Any) -> dict[str, Any]:
        outcome = self.send(name, **args)
        assert outcome.ok, f"{name} refused: {outcome.result}"
        return outcome.result

    def refused(self, name: str, **args: Any) -> dict[str, Any]:
        outcome = self.send(name, **args)
        assert not outcome.ok, f"{name} unexpectedly succeeded: {outcome.result}"
        return outcome.result

    def status(self, callsign: str) -> UnitStatus:
        return self.world.unit_status[self.world.unit_by_callsign(callsign).id]

    def incident(self, incident_id: str) -> Incident:
        return self.world.incidents[incident_id]

    def record(self, incident_id: str, callsign: str):
        """The newest IncidentUnit of `callsign` on the incident."""
        return [u for u in self.incident(incident_id).units if u.callsign == callsign][-1]

    def ready_incident(self, **fields: Any) -> str:
        """An incident with type, priority and location: ready to be queued or dispatched."""
        args = {"incident_type": "STRFIRE", "incident_priority": "A", "location": CASTRIES_SQUARE, **fields}
        return self.ok("incident.create", **args)["incident_id"]

    def available(self, *callsigns: str, state: str = "available_radio") -> None:
        for callsign in callsigns:
            self.ok("unit.set_state", unit=callsign, state=state)

    def target_of(self, callsign: str) -> str:
        unit_id = self.world.unit_by_callsign(callsign).id
        return sorted(t.id for t in self.world.alert_targets.values() if t.active and unit_id in t.unit_ids)[0]


def desk_on(database_url: str, clock: FakeClock | None = None) -> Desk:
    """A runner on a migrated, reference-loaded database (the `server_database` fixture's)."""
    clock = clock or FakeClock()
    return Desk(open_runner(database_url, clock=clock), clock)


def open_desk(template: Path, directory: Path, clock: FakeClock | None = None) -> Desk:
    """Copy the migrated, reference-loaded template database and open a runner on it."""
    path = directory / "hurrinet.db"
    shutil.copyfile(template, path)
    return desk_on(sqlite_url(path), clock)
