"""The `stats` query through a real server on 127.0.0.1, and `hurrinet-server report` on the
database it wrote (a SQLite file, and PostgreSQL): who may ask, what is refused and why, and
figures that agree with the stored timestamps the server sent in its events."""

from __future__ import annotations

import asyncio
import csv
import io
import json

import pytest

from server.__main__ import main
from server.protocol import parse_iso
from tests.support.client import Client
from tests.support.desk import CASTRIES_SQUARE
from tests.support.live import live_server
from tests.support.postgres import both_backends

pytestmark = both_backends


@pytest.fixture
async def live(template_db, tmp_path, server_database):
    async with live_server(template_db, tmp_path, server_database) as server:
        yield server


async def clients(live, *roles):
    return [await Client.open(live.port, live.tokens[role]) for role in roles]


async def storm(dispatcher: Client) -> tuple[str, str]:
    """A call that becomes an incident, E1 sent straight to the scene and M1 en route only."""
    for unit in ("E1", "M1"):
        await dispatcher.ok("unit.set_state", unit=unit, state="available_radio")
    call = (await dispatcher.ok("call.create", description="roof gone", location=CASTRIES_SQUARE))["call_id"]
    await asyncio.sleep(0.05)
    incident = (await dispatcher.ok("call.create_incident", call_id=call))["incident_id"]
    await dispatcher.ok("incident.update", incident_id=incident, incident_type="STRFIRE", incident_priority="A")
    await asyncio.sleep(0.05)
    await dispatcher.ok("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    await dispatcher.ok("unit.assign", incident_id=incident, units=["M1"], state="en_route")
    return call, incident


async def test_supervisors_and_observers_get_figures_matching_the_stored_times(live):
    dispatcher, supervisor, observer = await clients(live, "dispatcher", "supervisor", "observer")
    try:
        call_id, incident_id = await storm(dispatcher)
        seq = live.world.seq
        figures = await supervisor.ok("stats")
        seen = await observer.ok("stats")
        assert (seen["stages"], seen["by"]) == (figures["stages"], figures["by"])
        assert live.world.seq == seq  # a query writes nothing
        incident = live.world.incidents[incident_id]
        call = live.world.calls[call_id]
        e1, m1 = sorted(incident.units, key=lambda u: u.callsign)
        stages = figures["stages"]
        expected_call = round((incident.incident_created - call.call_started).total_seconds(), 3)
        assert stages["call_processing"] == {"count": 1, "median_s": expected_call, "p90_s": expected_call}
        alarm = round((min(e1.unit_dispatched, m1.unit_dispatched) - incident.incident_created).total_seconds(), 3)
        assert stages["alarm_processing"]["median_s"] == alarm and stages["alarm_processing"]["within"] == 1
        assert stages["turnout"]["count"] == 2  # both were walked through dispatched → en route
        assert stages["travel"]["count"] == 1  # M1 never reached the scene: left out
        total = round((e1.unit_on_scene - call.call_started).total_seconds(), 3)
        assert stages["total_response"] == {"count": 1, "median_s": total, "p90_s": total}
        assert list(figures["by"]["priority"]) == ["A"]
        assert figures["by"]["district"]["CAS"]["travel"]["count"] == 1
        assert figures["targets"]["turnout_s_by_kind"] == {"ambulance": 60.0}
        assert figures["utilisation"]["units"] > 0 and figures["waiting"]["counts"][-1] == 0
        assert "SHELTER" in figures["resources"]
    finally:
        for client in (dispatcher, supervisor, observer):
            await client.close()


async def test_what_the_query_refuses(live):
    dispatcher, supervisor = await clients(live, "dispatcher", "supervisor")
    try:
        refused = await dispatcher.command("stats")
        assert not refused["ok"] and refused["error"]["code"] == "forbidden"
        bad = await supervisor.command("stats", **{"from": "last tuesday"})
        assert bad["error"]["code"] == "bad_request" and "from is not an ISO 8601 time" in bad["error"]["message"]
        backwards = await supervisor.command("stats", **{"from": "2026-09-02T00:00:00Z", "to": "2026-09-01T00:00:00Z"})
        assert "to must be after from" in backwards["error"]["message"]
        unknown = await supervisor.command("stats", by=["shift"])
        assert unknown["error"]["code"] == "bad_request" and "by.0" in unknown["error"]["message"]
        only = await supervisor.ok("stats", by=["hour"], **{"from": "2026-09-01T00:00:00Z", "to": "2026-09-01T06:00:00Z"})
        assert list(only["by"]) == ["hour"] and only["incidents"] == 0
        assert (only["from"], only["to"]) == ("2026-09-01T00:00:00.000Z", "2026-09-01T06:00:00.000Z")
        assert only["waiting"]["step_s"] == 600  # six hours: 36 steps of 10 minutes (≤ 48; 5 minutes: 72)
    finally:
        await dispatcher.close()
        await supervisor.close()


async def test_the_query_sees_changes_after_a_first_answer(live):
    """The live table is kept between queries; an incident that changes must be counted anew."""
    dispatcher, supervisor = await clients(live, "dispatcher", "supervisor")
    try:
        _, incident_id = await storm(dispatcher)
        first = await supervisor.ok("stats")
        assert first["stages"]["travel"]["count"] == 1
        await dispatcher.ok("unit.set_state", unit="M1", state="on_scene")
        second = await supervisor.ok("stats")
        assert second["stages"]["travel"]["count"] == 2
        assert second["incidents"] == first["incidents"] == 1
    finally:
        await dispatcher.close()
        await supervisor.close()


async def test_report_on_the_database_file(live, tmp_path, capsys, server_database):
    dispatcher = (await clients(live, "dispatcher"))[0]
    try:
        _, incident_id = await storm(dispatcher)
        created = live.world.incidents[incident_id].incident_created
    finally:
        await dispatcher.close()
    await live.stop()  # the report reads the database the server wrote
    url = server_database
    assert main(["report", "--database-url", url, "--format", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["incidents"] == 1 and figures["stages"]["travel"]["count"] == 1
    assert parse_iso(figures["from"]) == created  # by default, from the first incident
    assert main(["report", "--database-url", url, "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    overall = {r["stage"]: r for r in rows if r["dimension"] == "all"}
    assert overall["travel"]["count"] == "1" and overall["travel"]["target_s"] == "240"
    assert overall["turnout"]["target_s"] == "80 (ambulance 60)"
    assert {r["group"] for r in rows if r["dimension"] == "priority"} == {"A"}
    out = tmp_path / "report.md"
    assert main(["report", "--database-url", url, "--format", "md", "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# After-action report: Saint Lucia")
    assert "| Travel (en route → on scene, per unit) | 1 |" in text and "## By priority" in text
    # A window with nothing in it, and one given backwards.
    assert main(["report", "--database-url", url, "--from", "2000-01-01", "--to", "2000-01-02", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["incidents"] == 0
    assert main(["report", "--database-url", url, "--from", "2000-01-02", "--to", "2000-01-01"]) == 2
    assert "--to must be after --from" in capsys.readouterr().err
