"""Issue 12's defects 3, 4, 5, 8 and 9 against a real server on 127.0.0.1: command ids are per
user, timers come back from the stored state after a restart and fire once, a reader that stops
is closed, and a client exactly as far behind as the replay limit is replayed to, not cut off."""

from __future__ import annotations

import asyncio
import shutil
import socket

import pytest
from websockets.exceptions import ConnectionClosed

from server.net.hub import HubSettings
from server.reference import DEMO
from tests.support.client import Client
from tests.support.desk import CASTRIES_SQUARE
from tests.support.live import live_server
from tests.support.postgres import both_backends

pytestmark = both_backends


@pytest.fixture
async def live(template_db, tmp_path, server_database):
    async with live_server(template_db, tmp_path, server_database, alert_delay_s=0.05) as server:
        yield server


def audited(live, command_id: str) -> list[dict]:
    return [r for r in live.hub.accounts.audit_since(live.hub.now().replace(year=2000))
            if r["kind"] == "command" and r["command_id"] == command_id]  # fmt: skip


async def test_another_users_command_id_never_answers_for_them(live):
    """Defect 3: an observer resending a dispatcher's id got `ok` and the dispatcher's incident."""
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    observer = await Client.open(live.port, live.tokens["observer"])
    created = await dispatcher.command("incident.create", command_id="shared-1", description="mine")
    assert created["ok"]
    stolen = await observer.command("incident.create", command_id="shared-1", description="mine")
    assert not stolen["ok"] and stolen["error"]["code"] == "forbidden"
    assert "incident_id" not in str(stolen)
    results = {(r["user_id"], r["result"]) for r in audited(live, "shared-1")}
    observer_id = next(s.user.id for s in live.hub.sessions if s.user.role == "observer")
    assert (observer_id, "forbidden") in results and (observer_id, "ok") not in results
    await dispatcher.close(), await observer.close()


async def test_a_refusal_stored_for_one_user_never_blocks_another(live):
    """Defect 4: an observer's forbidden command under id Y made the dispatcher's valid Y forbidden."""
    observer = await Client.open(live.port, live.tokens["observer"])
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    assert (await observer.command("incident.create", command_id="guessed-7", description="x"))["error"]["code"] == "forbidden"
    result = await dispatcher.command("incident.create", command_id="guessed-7", description="real work")
    assert result["ok"] and result["value"]["incident_id"] in live.world.incidents
    again = await dispatcher.command("incident.create", command_id="guessed-7", description="real work")
    assert again == result  # and the dispatcher's own resend is answered from the stored result
    await observer.close(), await dispatcher.close()


async def test_a_dispatch_timer_comes_back_after_a_restart_and_fires_once(template_db, tmp_path, server_database):
    """Defect 5: a restart dropped the timers; a unit stayed dispatching and nobody was told."""
    reference = tmp_path / "reference"
    shutil.copytree(DEMO, reference)
    deployment = reference / "deployment.toml"
    deployment.write_text(deployment.read_text().replace("dispatch_timeout_s = 45", "dispatch_timeout_s = 2"))
    # Alerts acknowledged only after a minute: within the test, E1 stays dispatching.
    async with live_server(template_db, tmp_path, server_database, alert_delay_s=60, reference_dir=reference) as live:
        e1 = live.hub.runner.world.unit_by_callsign("E1").id
        a = await Client.open(live.port, live.tokens["dispatcher"])
        incident = (await a.ok("incident.create", incident_type="STRFIRE", incident_priority="A",
                               location=CASTRIES_SQUARE))["incident_id"]  # fmt: skip
        await a.ok("unit.set_state", unit="E1", state="available_radio")
        await a.ok("unit.assign", incident_id=incident, units=["E1"])
        await a.ok("unit.dispatch", incident_id=incident)
        await a.close()
        await live.stop()  # before the timeout: the timer dies with the process
        await asyncio.sleep(0.5)
        await live.start()
        b = await Client.open(live.port, live.tokens["dispatcher"], last_seq=0)
        async with asyncio.timeout(10):
            while not any(e["name"] == "unit.dispatch_timed_out" for e in b.events):
                await b.receive()
        await live.stop()  # a second restart after it fired must not fire it again
        await live.start()
        await asyncio.sleep(2.5)
        timeouts = [e for e in live.world.incidents[incident].log
                    if (e.change_data or {}).get("change") == "dispatch_timeout"]  # fmt: skip
        assert len(timeouts) == 1
        assert live.world.unit_status[e1].state == "dispatching"  # still not acknowledged: a person acts now


async def test_a_reader_that_stops_is_closed_while_traffic_flows(live):
    """Defect 8: a client that never read stayed until a 10,000-frame queue filled (about 400 s)."""
    live.hub.settings = HubSettings(stall_bytes=1024, stall_s=0.5)
    writer = await Client.open(live.port, live.tokens["dispatcher"])
    stuck = await Client.open(live.port, live.tokens["observer"])
    (session,) = [s for s in live.hub.sessions if s.user.role == "observer"]
    session.connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    stuck.connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stuck.connection.transport.pause_reading()  # stops reading, as a wedged terminal does
    async with asyncio.timeout(30):
        n = 0
        while not session.dropped:
            n += 1
            await writer.ok("incident.create", description=f"traffic {n} " + "x" * 500)
            await asyncio.sleep(0.02)
    assert session.dropped and n < 1000
    stuck.connection.transport.resume_reading()
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await stuck.receive()
    assert closed.value.rcvd is None or closed.value.rcvd.code == 4001
    await writer.close()


@pytest.mark.sqlite_only  # the hub's replay limit, not storage: 19 s more on PostgreSQL for nothing
async def test_resuming_exactly_the_replay_limit_behind_is_a_replay(live):
    """Defect 9: 10,000 events behind was cut off with 4001 (the replay and queue limits were one)."""
    limit = live.hub.settings.replay_limit
    assert limit == 10_000  # the shipped setting, which is what failed
    a = await Client.open(live.port, live.tokens["dispatcher"])
    start = live.world.seq
    actor = next(s.actor for s in live.hub.sessions if s.user.role == "dispatcher")
    for n in range(limit):  # in process, through the hub as any position's commands go
        live.hub.execute(f"away-{n}", "incident.create", {"description": f"while away {n}"}, actor)
        if n % 500 == 499:
            await asyncio.sleep(0)  # let the batch commit
    await asyncio.sleep(0.2)
    seq = live.world.seq
    assert seq - start == limit
    behind = await Client.open(live.port, live.tokens["observer"], last_seq=seq - limit)
    assert behind.welcome["mode"] == "replay"
    assert [e["seq"] for e in behind.events] == list(range(seq - limit + 1, seq + 1))
    further = await Client.open(live.port, live.tokens["observer"], last_seq=seq - limit - 1)
    assert further.welcome["mode"] == "snapshot"
    await a.close(), await behind.close(), await further.close()
