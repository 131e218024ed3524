"""Archival on a real runner over real SQLite files (the live one and the archive beside it):
what is archivable, every field read back, the live rows gone in one transaction, a run that
stopped between the archive's commit and the live removal finished by the next, refusals."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from server.app import wire
from server.app.bootstrap import open_runner
from server.domain.operations.archive import archivable
from server.domain.world import Actor
from server.net.archiver import archive_now, removal_args
from server.storage import archive as archive_tables
from server.storage.archive import Archive
from tests.support.desk import CASTRIES_SQUARE, Desk
from tests.support.postgres import both_backends

pytestmark = both_backends  # the archive is a SQLite file beside the live one, or a schema on PostgreSQL

DAY = timedelta(hours=24)


def reopened(desk: Desk) -> str:
    """The URL of the desk's live database, for a runner started again over it."""
    return desk.runner.store.engine.url.render_as_string(hide_password=False)


def worked_incident(desk: Desk, words: str = "roof torn off, family of four") -> tuple[str, str]:
    """An incident with a call, a unit through every stage, a note, a need with an allocation,
    closed: every kind of record an incident carries."""
    call = desk.ok("call.create", caller_name="Anne Joseph", caller_phone="7584521234", location=CASTRIES_SQUARE,
                   description=words)["call_id"]  # fmt: skip
    incident = desk.ok("call.create_incident", call_id=call)["incident_id"]
    desk.ok("incident.update", incident_id=incident, incident_type="STRFIRE", incident_priority="B",
            location=CASTRIES_SQUARE, description=words)  # fmt: skip
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"])
    desk.clock.advance(5)
    desk.ok("unit.dispatch", incident_id=incident)
    desk.ok("unit.confirm_dispatch", unit="E1")
    desk.clock.advance(30)
    desk.ok("unit.set_state", unit="E1", state="en_route")
    desk.clock.advance(120)
    desk.ok("unit.set_state", unit="E1", state="on_scene")
    desk.ok("incident.note", incident_id=incident, text="crew reports two injured")
    shelter = next(r for r in desk.world.resources.values() if r.resource_type == "SHELTER" and r.free >= 4)
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=4)["need_id"]
    desk.ok("resource.allocate", resource_id=shelter.id, need_id=need, quantity=4)
    desk.clock.advance(600)
    desk.ok("unit.set_state", unit="E1", state="available_radio")
    desk.ok("incident.close", incident_id=incident)
    return incident, call


def live_form(desk: Desk, incident_id: str) -> dict:
    incident = desk.world.incidents[incident_id]
    return {
        "incident": wire.incident(incident),
        "calls": [wire.call(desk.world.calls[c]) for c in incident.call_ids],
        "log_entries": desk.ok("incident.log", incident_id=incident_id)["entries"],
    }


def live_rows(desk: Desk, incident_id: str) -> int:
    with desk.runner.store.engine.connect() as conn:
        return sum(conn.execute(sa.text(f"SELECT count(*) FROM {table} WHERE {column} = :i"), {"i": incident_id}).scalar_one()
                   for table, column in (("incident", "id"), ("call", "incident_id"), ("incident_unit", "incident_id"),
                                         ("incident_log_entry", "incident_id"), ("resource_need", "incident_id")))  # fmt: skip


def test_only_incidents_ended_longer_ago_than_the_setting_are_archivable(desk):
    ended, _ = worked_incident(desk)
    live = desk.ready_incident()
    loose = desk.ok("call.create", caller_name="Wrong number")["call_id"]
    desk.ok("call.update", call_id=loose, outcome="accidental", outcome_rationale="pocket dial")
    desk.ok("call.end", call_id=loose)
    now = desk.clock.now()
    assert not archivable(desk.world, now, DAY)  # ended, but only just
    later = archivable(desk.world, now + DAY + timedelta(seconds=1), DAY)
    assert [i.id for i, _ in later.incidents] == [ended]
    assert [c.id for c in later.calls] == [loose]
    assert live not in {i.id for i, _ in later.incidents}


def test_an_archived_incident_reads_back_whole_after_a_restart(desk, tmp_path):
    incident, call = worked_incident(desk)
    before = live_form(desk, incident)
    desk.clock.advance(DAY.total_seconds() + 60)
    seq = desk.world.seq
    totals = archive_now(desk.runner, DAY)
    assert totals.incidents == 1 and totals.skipped == 0
    assert incident not in desk.world.incidents and call not in desk.world.calls
    events = desk.runner.store.events_after(seq)
    assert [(e["name"], e["data"]) for e in events] == [("incident.archived", {"incident_id": incident})]
    assert live_rows(desk, incident) == 0
    desk.runner.store.engine.dispose()
    desk.runner.archive.dispose()
    # Restart: a new runner over the same files.
    desk.runner = open_runner(reopened(desk), clock=desk.clock)
    if desk.runner.store.engine.dialect.name == "sqlite":  # a file of its own beside the live one
        assert (tmp_path / "live-archive.db").exists()
    assert incident not in desk.world.incidents
    got = desk.ok("archive.get", incident_id=incident)
    assert got.pop("archived_at")
    assert got == before
    assert desk.ok("incident.log", incident_id=incident)["entries"] == before["log_entries"]
    eido = desk.ok("incident.eido", incident_id=incident)["eido"]
    assert incident in str(eido)


def test_a_run_that_stopped_after_the_archive_commit_is_finished_by_the_next(desk, tmp_path):
    incident, call = worked_incident(desk)
    before = live_form(desk, incident)
    desk.clock.advance(DAY.total_seconds() + 60)
    items = archivable(desk.world, desk.clock.now(), DAY)
    desk.runner.archive.put(items, desk.clock.now())  # the archive committed; the process dies here
    desk.runner.store.engine.dispose()
    desk.runner.archive.dispose()
    desk.runner = open_runner(reopened(desk), clock=desk.clock)  # started again
    assert incident in desk.world.incidents and desk.runner.archive.has(incident)
    assert desk.ok("archive.get", incident_id=incident)["incident"] == before["incident"]
    assert desk.ok("incident.log", incident_id=incident)["entries"] == before["log_entries"]  # the live one
    totals = archive_now(desk.runner, DAY)  # the next run
    assert totals.incidents == 1
    assert incident not in desk.world.incidents and live_rows(desk, incident) == 0
    with desk.runner.archive.engine.connect() as conn:  # its tables, in its file or its schema
        counts = {t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
                  for t in (archive_tables.INCIDENT, archive_tables.CALL, archive_tables.INCIDENT_UNIT,
                            archive_tables.LOG_ENTRY, archive_tables.NEED, archive_tables.ALLOCATION)}  # fmt: skip
    assert counts == {"incident": 1, "call": 1, "incident_unit": 1, "incident_log_entry": len(before["log_entries"]),
                      "resource_need": 1, "resource_allocation": 1}  # fmt: skip
    got = desk.ok("archive.get", incident_id=incident)
    del got["archived_at"]
    assert got == before


def test_an_item_changed_after_its_copy_stays_live_until_copied_again(desk):
    incident, call = worked_incident(desk)
    desk.clock.advance(DAY.total_seconds() + 60)
    items = archivable(desk.world, desk.clock.now(), DAY)
    args = removal_args(items, DAY)
    desk.runner.archive.put(items, desk.clock.now())
    desk.ok("call.update", call_id=call, caller_name="Anne-Marie Joseph")  # an ended call's name may be corrected
    result = desk.runner.run_system("incident.archive", args).result
    assert result["archived"] == [] and "changed since it was copied" in result["skipped"][0]["reason"]
    assert incident in desk.world.incidents
    archive_now(desk.runner, DAY)
    got = desk.ok("archive.get", incident_id=incident)
    assert got["calls"][0]["caller_name"] == "Anne-Marie Joseph"


def test_refusals(desk):
    live = desk.ready_incident()
    desk.clock.advance(DAY.total_seconds() * 3)
    # A live incident is never picked, and the removal refuses it by name.
    assert archive_now(desk.runner, DAY).incidents == 0
    result = desk.runner.run_system("incident.archive", {"incidents": {live: "x"}, "older_than_s": 0}).result
    assert result["skipped"] == [{"id": live, "reason": f"incident {live} has not ended"}]
    assert live in desk.world.incidents
    # Only the server archives.
    assert desk.refused("incident.archive", incidents={live: "x"}, older_than_s=0)["code"] == "forbidden"
    assert desk.refused("archive.get", incident_id="nope")["code"] == "not_found"
    assert desk.refused("incident.log", incident_id="nope")["code"] == "not_found"
    assert desk.refused("archive.search", **{"from": "2026-09-02T00:00:00Z", "to": "2026-09-01T00:00:00Z"})["code"] == "bad_request"


def test_search_filters(desk):
    roof, _ = worked_incident(desk, "roof torn off on Bridge Street")
    flood = desk.ok("incident.create", incident_type="FLOOD", incident_priority="C", location=CASTRIES_SQUARE,
                    description="water rising in the market")["incident_id"]  # fmt: skip
    desk.ok("incident.close", incident_id=flood)
    loose = desk.ok("call.create", caller_name="Marcus Roof", description="asking about shelters")["call_id"]
    desk.ok("call.update", call_id=loose, outcome="caller_advised", outcome_rationale="told the nearest shelter")
    desk.ok("call.end", call_id=loose)
    desk.clock.advance(DAY.total_seconds() + 60)
    archive_now(desk.runner, DAY)

    def ids(**args):
        found = desk.ok("archive.search", **args)
        return [i["id"] for i in found["incidents"]], [c["id"] for c in found["calls"]]

    assert ids() == ([flood, roof], [loose])  # newest first
    assert ids(text="ROOF") == ([roof], [loose])  # any case; a call's words too
    assert ids(text="anne joseph") == ([roof], [])  # the caller of its call
    assert ids(text="injured") == ([roof], [])  # a log note
    assert ids(incident_type="FLOOD") == ([flood], [])
    assert ids(district="CAS")[0] == [flood, roof]
    assert ids(district="GRI") == ([], [])
    created = desk.world.seq and desk.runner.archive.get(flood).incident.incident_created
    assert ids(**{"from": wire.iso(created)})[0] == [flood]
    assert ids(to=wire.iso(created))[0] == [roof]
    found = desk.ok("archive.search", limit=1)
    assert len(found["incidents"]) == 1 and found["more"] is True
    assert found["incidents"][0]["archived_at"] and "units" not in found["incidents"][0]


def test_statistics_cover_archived_incidents_once(desk):
    worked_incident(desk)
    supervisor = Actor("sup-1", "supervisor")
    stats = lambda: desk.send("stats", actor=supervisor).result  # noqa: E731
    live = stats()
    assert live["incidents"] == 1 and live["stages"]["travel"]["count"] == 1
    desk.clock.advance(DAY.total_seconds() + 60)
    assert stats()["stages"] == live["stages"]
    # In both places (the live removal not yet done): counted once.
    desk.runner.archive.put(archivable(desk.world, desk.clock.now(), DAY), desk.clock.now())
    assert stats()["incidents"] == 1
    archive_now(desk.runner, DAY)
    assert desk.world.incidents == {}
    figures = stats()
    assert figures["incidents"] == 1 and figures["stages"] == live["stages"]
    # A restart reads the archive from its file.
    second = desk.ok("incident.create", description="a second one, live")["incident_id"]
    desk.clock.advance(1)
    desk.runner.archive.dispose()
    desk.runner.archive = Archive(desk.runner.archive.url)
    assert stats()["incidents"] == 2 and second in desk.world.incidents
