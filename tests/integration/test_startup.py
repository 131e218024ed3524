"""Start-up (docs/performance.md § Start-up): a start whose reference files say nothing new
writes nothing and reads the world once, yet loads the very world a full reinstall would; a
changed file is still applied; `serve` opens the deployment once, with its configured archive."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from server.app.bootstrap import open_runner
from server.domain.world import World
from server.reference import DEMO
from server.storage.database import sqlite_url
from server.storage.store import Store
from tests.support.desk import Desk, FakeClock, open_desk
from tests.support.live import live_server

ROOT = Path(__file__).resolve().parents[2]


def data_version(connection: sqlite3.Connection) -> int:
    """SQLite's count of commits by other connections to the file, as this one sees it."""
    return connection.execute("PRAGMA data_version").fetchone()[0]


def reopen(path: Path, clock: FakeClock, reference: Path = DEMO) -> tuple[Desk, bool]:
    """The runner opened again on `path`, and whether opening it committed anything."""
    watcher = sqlite3.connect(path)
    try:
        before = data_version(watcher)
        desk = Desk(open_runner(sqlite_url(path), reference, clock=clock), clock)
        return desk, data_version(watcher) != before
    finally:
        watcher.close()


def same_world(a: World, b: World) -> None:
    assert a.incidents == b.incidents and list(a.incidents) == list(b.incidents)
    assert a.calls == b.calls and a.unit_status == b.unit_status and a.resources == b.resources
    assert a.districts == b.districts and a.stations == b.stations and a.units == b.units
    assert list(a.incident_types.items()) == list(b.incident_types.items())
    assert a.alert_targets == b.alert_targets and a.seq == b.seq
    assert a.deployment == b.deployment and a.gazetteer == b.gazetteer


def test_a_restart_with_unchanged_reference_files_writes_nothing_and_loads_the_same_world(template_db, tmp_path):
    desk = open_desk(template_db, tmp_path)
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    desk.ok("incident.note", incident_id=incident, text="crew on the way")
    before = desk.world
    desk.runner.store.engine.dispose()

    reopened, wrote = reopen(tmp_path / "hurrinet.db", desk.clock)

    assert not wrote
    same_world(reopened.world, before)
    assert reopened.world.unit_by_callsign("E1").id == before.unit_by_callsign("E1").id
    reopened.runner.store.engine.dispose()


def test_a_changed_reference_file_is_still_applied_and_then_no_longer_written(template_db, tmp_path):
    reference = shutil.copytree(DEMO, tmp_path / "reference")
    desk = open_desk(template_db, tmp_path)
    ids = {u.callsign: u.id for u in desk.world.units.values()}
    desk.runner.store.engine.dispose()
    stations = reference / "stations.csv"
    stations.write_text(stations.read_text(encoding="utf-8").replace(
        "Castries Fire Station (Fire Service Headquarters),", "Castries Fire Station,", 1), encoding="utf-8")  # fmt: skip
    units = reference / "units.csv"
    units.write_text(units.read_text(encoding="utf-8") + "E99,engine,CAS-F,true,1,1,3\n", encoding="utf-8")
    path = tmp_path / "hurrinet.db"

    changed, wrote = reopen(path, desk.clock, reference)

    assert wrote
    world = changed.world
    assert next(s for s in world.stations.values() if s.code == "CAS-F").name == "Castries Fire Station"
    e99 = world.unit_by_callsign("E99")
    assert e99.active and world.unit_status[e99.id].state == "unavailable"
    assert {u.callsign: u.id for u in world.units.values() if u.callsign != "E99"} == ids  # ids kept
    stored = Store(changed.runner.store.engine).load_world()  # what a full reinstall reads back
    stored.deployment, stored.gazetteer = world.deployment, world.gazetteer  # from the files, never stored
    same_world(stored, world)
    changed.runner.store.engine.dispose()

    again, wrote = reopen(path, desk.clock, reference)

    assert not wrote
    same_world(again.world, world)
    again.runner.store.engine.dispose()


async def test_serve_opens_the_deployment_once_with_its_configured_archive(template_db, tmp_path):
    archive = sqlite_url(tmp_path / "elsewhere-archive.db")
    async with live_server(template_db, tmp_path, archive_url=archive) as server:
        assert server.hub.runner.archive.url == archive


def test_the_server_starts_without_what_only_some_queries_need_and_imports_it_once_listening(tmp_path):
    """A fresh interpreter, as `hurrinet-server serve` starts: numpy and the modules of the
    recommendations, statistics and EIDO reader are not imported before listening (about
    0.2 s of every start), and the warm-up imports every one of them after (here without its
    wait for the reconnecting positions)."""
    script = """
import asyncio, sys, threading
from pathlib import Path
import server.__main__
from server.app.handlers import DEFERRED_IMPORTS
from server.config import Settings
import server.net.serve
from server.net.serve import running

server.net.serve.WARM_UP_AFTER_S = 0.0

early = sorted(m for m in ("numpy", "scipy", *DEFERRED_IMPORTS) if m in sys.modules)

async def main():
    async with running(Settings(port=0, data_dir=Path(sys.argv[1]), simulate_alerts=True)):
        for thread in threading.enumerate():
            if thread.name == "hurrinet-warm-up":
                thread.join(60)
    print(early, [m for m in DEFERRED_IMPORTS if m not in sys.modules])

asyncio.run(main())
"""
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"
