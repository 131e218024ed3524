"""Archival in a real server on 127.0.0.1: the schedule archives an ended incident, every board
is told (`incident.archived`), the snapshot no longer carries it, and after a restart
`archive.get` gives back exactly the wire form it had live. The CLI archives a stopped
server's database and refuses while a server answers."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from server.__main__ import main
from server.reference import DEMO
from tests.support.client import Client
from tests.support.desk import CASTRIES_SQUARE
from tests.support.live import live_server


def reference_archiving_after(directory: Path, seconds: float) -> Path:
    shutil.copytree(DEMO, directory)
    toml = directory / "deployment.toml"  # a top-level key: before the file's first [table]
    toml.write_text(f"archive_after_s = {seconds}\n" + toml.read_text(encoding="utf-8"), encoding="utf-8")
    return directory


async def ended_incident(client: Client, units: bool = False, water: str = "") -> tuple[str, str]:
    call = (await client.ok("call.create", caller_name="Lucy Pierre", description="tree on the house",
                            location=CASTRIES_SQUARE))["call_id"]  # fmt: skip
    incident = (await client.ok("call.create_incident", call_id=call))["incident_id"]
    await client.ok("incident.update", incident_id=incident, incident_type="STRFIRE", incident_priority="C",
                    location=CASTRIES_SQUARE)  # fmt: skip
    await client.ok("incident.note", incident_id=incident, text="owner says nobody inside")
    if units:  # a unit through its stages and a need with an allocation: every record an incident has
        await client.ok("unit.set_state", unit="E2", state="available_radio")
        await client.ok("unit.assign", incident_id=incident, units=["E2"], state="on_scene")
        need = (await client.ok("incident.add_need", incident_id=incident, resource_type="WATER", quantity=2))["need_id"]
        await client.ok("resource.allocate", resource_id=water, need_id=need, quantity=2)
        await client.ok("unit.set_state", unit="E2", state="available_radio")
    await client.ok("incident.close", incident_id=incident)
    return incident, call


async def wire_form(client: Client, incident_id: str) -> dict:
    """The incident, its calls and its log as a workstation gets them live."""
    snapshot = (await client.hello())["snapshot"]
    incident = next(i for i in snapshot["incidents"] if i["id"] == incident_id)
    calls = {c["id"]: c for c in snapshot["calls"]}
    log = (await client.ok("incident.log", incident_id=incident_id))["entries"]
    return {"incident": incident, "calls": [calls[c] for c in incident["call_ids"]], "log_entries": log}


async def test_the_schedule_archives_tells_every_board_and_reads_back_whole_after_a_restart(template_db, tmp_path):
    reference = reference_archiving_after(tmp_path / "reference", 4)
    data = tmp_path / "data"
    data.mkdir()
    async with live_server(template_db, data, reference_dir=reference, archive_interval_s=0.3) as server:
        client = await Client.open(server.port, server.tokens["dispatcher"])
        board = await Client.open(server.port, server.tokens["observer"])
        water = next(r.id for r in server.world.resources.values()
                     if r.resource_type == "WATER" and r.free >= 2 and not r.out_of_service)  # fmt: skip
        incident, call = await ended_incident(client, units=True, water=water)
        before = await wire_form(client, incident)
        assert before["log_entries"] and before["calls"][0]["caller_name"] == "Lucy Pierre"
        assert before["incident"]["units"][0]["unit_on_scene"] and before["incident"]["needs"][0]["allocations"]
        async with asyncio.timeout(30):  # the first run 4 s after the close archives it
            while True:
                try:
                    frame = await board.receive()
                except TimeoutError:  # nothing else happens meanwhile: keep waiting
                    continue
                if frame.get("name") == "incident.archived":
                    break
        assert frame["data"] == {"incident_id": incident}
        again = (await board.hello())["snapshot"]
        assert incident not in {i["id"] for i in again["incidents"]} and call not in {c["id"] for c in again["calls"]}
        await client.close()
        await board.close()
        await server.stop()
        assert (data / "live-archive.db").exists()
        await server.start()
        observer = await Client.open(server.port, server.tokens["observer"])
        got = await observer.ok("archive.get", incident_id=incident)
        assert got.pop("archived_at").endswith("Z")
        assert got == before
        assert (await observer.ok("incident.log", incident_id=incident))["entries"] == before["log_entries"]
        found = await observer.ok("archive.search", text="tree on the house")
        assert [i["id"] for i in found["incidents"]] == [incident]
        unit = await Client.open(server.port, server.tokens["unit"])
        assert (await unit.command("archive.search"))["error"]["code"] == "forbidden"
        await observer.close()
        await unit.close()


async def test_the_cli_archives_a_stopped_servers_database_and_refuses_a_running_one(template_db, tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    async with live_server(template_db, data, archive_interval_s=0) as server:
        client = await Client.open(server.port, server.tokens["dispatcher"])
        incident, _ = await ended_incident(client)
        await client.close()
        args = ["archive", "--older-than", "0", "--database-url", server.settings.database_url,
                "--data-dir", str(data), "--port", str(server.port)]  # fmt: skip
        assert await asyncio.to_thread(main, args) == 1
        assert "stop it to archive by hand" in capsys.readouterr().err
        await server.stop()
        assert await asyncio.to_thread(main, args) == 0
        assert "archived 1 incident(s)" in capsys.readouterr().out
        await server.start()
        assert incident not in server.world.incidents
        observer = await Client.open(server.port, server.tokens["observer"])
        assert (await observer.ok("archive.get", incident_id=incident))["incident"]["state"] == "ended"
        await observer.close()
    assert main(["archive", "--older-than", "soon", "--data-dir", str(data)]) == 1
    assert "not a duration" in capsys.readouterr().err
