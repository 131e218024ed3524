"""The hub: a real server on 127.0.0.1 (port 0), real websocket clients, a real database: each test
runs on a SQLite file and on PostgreSQL (tests/support/postgres.py)."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import urllib.request
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server.app import wire
from server.net.hub import HubSettings
from tests.support.client import Client
from tests.support.desk import CASTRIES_SQUARE
from tests.support.live import live_server
from tests.support.postgres import both_backends

pytestmark = both_backends


@pytest.fixture
async def live(template_db, tmp_path, server_database):
    async with live_server(template_db, tmp_path, server_database, alert_delay_s=0.05) as server:
        yield server


async def test_healthz_answers_without_a_token(live):
    body = await asyncio.to_thread(lambda: urllib.request.urlopen(f"http://127.0.0.1:{live.port}/healthz", timeout=5).read())
    assert body == b"ok\n"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc"])
async def test_missing_or_bad_tokens_get_401_before_the_upgrade(live, header):
    headers = {"Authorization": header} if header else {}
    with pytest.raises(InvalidStatus) as caught:
        await connect(f"ws://127.0.0.1:{live.port}/ws", additional_headers=headers, open_timeout=5)
    assert caught.value.response.status_code == 401


async def test_revoked_tokens_get_401(live):
    hub = live.hub
    hub.accounts.revoke("supervisor", hub.runner.clock.now())
    with pytest.raises(InvalidStatus) as caught:
        await Client.open(live.port, live.tokens["supervisor"])
    assert caught.value.response.status_code == 401
    await hub.settle()  # the row rides in the next batch, written off the loop
    kinds = [r["kind"] for r in hub.accounts.audit_since(hub.runner.clock.now().replace(year=2000))]
    assert "login_failed" in kinds


async def test_logins_and_the_disconnects_of_a_shutdown_are_audited(live):
    """Connection audit rows ride in the hub's batches; the last ones (the sessions closed by the
    shutdown itself) are written before the database closes."""
    await Client.open(live.port, live.tokens["observer"])
    accounts = live.hub.accounts
    await live.stop()
    rows = [(r["kind"], r["user_id"]) for r in accounts.audit_since(datetime(2000, 1, 1, tzinfo=UTC))]
    observer = next(user.id for user in accounts.list() if user.name == "observer")
    assert ("login", observer) in rows and ("disconnect", observer) in rows


async def test_a_command_from_one_client_reaches_the_other_in_order(live):
    a = await Client.open(live.port, live.tokens["dispatcher"])
    b = await Client.open(live.port, live.tokens["supervisor"])
    incident = (await a.ok("incident.create", incident_type="STRFIRE", location=CASTRIES_SQUARE))["incident_id"]
    await a.ok("unit.set_state", unit="E1", state="available_radio")
    await a.ok("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    seq = live.hub.runner.world.seq
    await b.until_seq(seq)
    assert [e["seq"] for e in b.events] == list(range(1, seq + 1))
    assert [e["seq"] for e in a.events] == list(range(1, seq + 1))
    assert b.events[-1]["data"]["unit"]["status"]["state"] == "on_scene"
    assert b.events[0]["caused_by"] == a.events[0]["caused_by"]
    await a.close(), await b.close()


async def test_a_burst_of_commands_arrives_in_order_each_answer_after_its_own_event(live):
    """Commands sent together share batches, and a released batch's frames leave in one write
    per session: the sender still gets every event before the answer of the command that caused
    it, and every other session every event in seq order, framed once for the sessions without
    extensions and compressed for the one that asked for it."""
    a = await Client.open(live.port, live.tokens["dispatcher"])
    b = await Client.open(live.port, live.tokens["supervisor"])
    c = await Client.open(live.port, live.tokens["observer"], compression="deflate")
    assert c.connection.protocol.extensions and not b.connection.protocol.extensions
    ids = [f"burst-{n}" for n in range(30)]
    for command_id in ids:  # all sent before any answer comes back
        await a.connection.send(json.dumps({"type": "command", "command_id": command_id, "name": "incident.create",
                                            "args": {"description": command_id}}))  # fmt: skip
    frames, answered = [], 0
    while answered < len(ids):
        frame = await a.receive()
        frames.append(frame)
        answered += frame["type"] == "result"
    answers = [f["command_id"] for f in frames if f["type"] == "result"]
    assert answers == ids and all(f["ok"] for f in frames if f["type"] == "result")
    caused = [f["caused_by"] for f in frames if f["type"] == "event"]
    assert caused == ids
    for n, frame in enumerate(frames):  # each answer right after its own event
        if frame["type"] == "result":
            assert frames[n - 1]["type"] == "event" and frames[n - 1]["caused_by"] == frame["command_id"]
    for other in (b, c):
        await other.until_seq(live.world.seq)
        assert [e["seq"] for e in other.events] == list(range(1, live.world.seq + 1))
        assert [e["caused_by"] for e in other.events] == ids
    assert b.events == c.events
    await a.close(), await b.close(), await c.close()


async def test_resume_replays_exactly_the_missed_events(live):
    a = await Client.open(live.port, live.tokens["dispatcher"])
    b = await Client.open(live.port, live.tokens["observer"])
    await a.ok("incident.create", description="first")
    await b.until_seq(1)
    await b.close()
    for n in range(5):
        await a.ok("incident.create", description=f"while away {n}")
    again = await Client.open(live.port, live.tokens["observer"], last_seq=1)
    assert again.welcome["mode"] == "replay"
    assert [e["seq"] for e in again.events] == [2, 3, 4, 5, 6]
    await a.ok("incident.create", description="after")
    await again.until_seq(7)
    assert [e["seq"] for e in again.events] == [2, 3, 4, 5, 6, 7]
    await a.close(), await again.close()


async def test_a_client_too_far_behind_gets_a_snapshot_equal_to_the_server_state(live):
    live.hub.settings = HubSettings(replay_limit=2)
    a = await Client.open(live.port, live.tokens["dispatcher"])
    for n in range(4):
        await a.ok("incident.create", description=f"incident {n}")
    behind = await Client.open(live.port, live.tokens["observer"], last_seq=0)
    assert behind.welcome["mode"] == "snapshot"
    assert behind.welcome["snapshot"] == json.loads(json.dumps(wire.snapshot(live.hub.runner.world)))
    fresh = await Client.open(live.port, live.tokens["observer"], last_seq=None)
    assert fresh.welcome["mode"] == "snapshot" and fresh.welcome["seq"] == 4
    assert len(fresh.welcome["snapshot"]["incidents"]) == 4
    for client in (a, behind, fresh):
        await client.close()


async def test_a_resend_after_an_ambiguous_disconnect_is_applied_once(live):
    a = await Client.open(live.port, live.tokens["dispatcher"])
    frame = {"type": "command", "command_id": "resend-1", "name": "incident.create", "args": {"description": "once"}}
    await a.connection.send(json.dumps(frame))
    await a.connection.close()  # gone before reading the result
    b = await Client.open(live.port, live.tokens["dispatcher"])
    first = await b.command("incident.create", command_id="resend-1", description="once")
    assert first["ok"]
    assert len(live.hub.runner.world.incidents) == 1
    await b.close()


async def test_observers_are_forbidden_to_change_anything(live):
    observer = await Client.open(live.port, live.tokens["observer"])
    result = await observer.command("incident.create", description="x")
    assert result["error"]["code"] == "forbidden"
    assert live.hub.runner.world.incidents == {}
    await observer.close()


@pytest.mark.parametrize(
    "frame, code",
    [
        ("{not json", "bad_request"),
        ("[1, 2]", "bad_request"),
        (json.dumps({"type": "gossip"}), "bad_request"),
        (json.dumps({"type": "command", "command_id": "x1", "name": "incident.explode", "args": {}}), "unknown_command"),
        (json.dumps({"type": "command", "command_id": "x2", "name": "incident.create", "args": {"description": 5}}),
         "bad_request"),
        (json.dumps({"type": "command", "command_id": "x3", "name": "incident.create", "args": {"description": "d" * 1001}}),
         "validation"),
        (json.dumps({"type": "command", "command_id": "x4", "name": "unit.assign",
                     "args": {"incident_id": "nope", "units": ["E1"]}}), "not_found"),
        (json.dumps({"type": "command", "command_id": "x5", "name": "unit.set_state",
                     "args": {"unit": "E1", "state": "on_scene"}}), "invalid_transition"),
        (json.dumps({"type": "command", "name": "incident.create", "args": {}}), "bad_request"),
        (json.dumps({"type": "command", "command_id": "x6", "name": "incident.create",
                     "args": {"description": "x" * (70 * 1024)}}), "bad_request"),
    ],
)  # fmt: skip
async def test_bad_input_gets_the_documented_error_and_the_session_survives(live, frame, code):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    seq = live.hub.runner.world.seq
    result = await client.send_raw(frame)
    assert result["ok"] is False and result["error"]["code"] == code, result
    assert live.hub.runner.world.seq == seq and live.hub.runner.store.events_after(0) == []
    assert (await client.command("incident.create", description="still here"))["ok"]
    await client.close()


async def test_dispatch_alerts_are_acknowledged_and_timeouts_raised_by_the_server(live):
    hub = live.hub
    hub.runner.world.deployment = replace(hub.runner.world.deployment, dispatch_timeout_s=0.2)
    hub.delivery.simulated.failing = {t.id for t in hub.runner.world.alert_targets.values()
                            if hub.runner.world.unit_by_callsign("E2").id in t.unit_ids}  # fmt: skip
    a = await Client.open(live.port, live.tokens["dispatcher"])
    incident = (await a.ok("incident.create", incident_type="STRFIRE", location=CASTRIES_SQUARE))["incident_id"]
    await a.ok("unit.set_state", unit="E1", state="available_radio")
    await a.ok("unit.set_state", unit="E2", state="available_radio")
    await a.ok("unit.assign", incident_id=incident, units=["E1", "E2"])
    await a.ok("unit.dispatch", incident_id=incident)
    names = set()
    while not {"unit.dispatch_timed_out"} <= names:
        names.add((await a.receive()).get("name"))
    world = hub.runner.world
    assert world.unit_status[world.unit_by_callsign("E1").id].state == "dispatched"
    assert world.unit_status[world.unit_by_callsign("E2").id].state == "dispatching"
    timeout = [e for e in a.events if e["name"] == "unit.dispatch_timed_out"]
    assert len(timeout) == 1 and timeout[0]["data"]["unit"]["callsign"] == "E2"
    await a.close()


async def test_a_session_that_cannot_keep_up_is_closed_and_resumes(live):
    a = await Client.open(live.port, live.tokens["dispatcher"])
    slow = await Client.open(live.port, live.tokens["observer"])
    # The slow reader's buffers are made tiny and the limit on its unsent bytes low, so a few
    # events overflow it; it then stops reading.
    (session,) = [s for s in live.hub.sessions if s.user.role == "observer"]
    session.connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    slow.connection.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    live.hub.settings = HubSettings(buffer_limit_bytes=8 * 1024)
    for n in range(200):
        await a.ok("incident.create", description=f"burst {n} " + "x" * 900)
        if session.dropped:
            break
    assert session.dropped
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await slow.receive()
    assert closed.value.rcvd.code == 4001
    assert len(a.events) == live.hub.runner.world.seq  # the others are not held back
    live.hub.settings = HubSettings()
    resumed = await Client.open(live.port, live.tokens["observer"], last_seq=slow.events[-1]["seq"])
    assert resumed.welcome["mode"] == "replay"
    seqs = [e["seq"] for e in slow.events] + [e["seq"] for e in resumed.events]
    assert seqs == list(range(1, live.hub.runner.world.seq + 1))
    await resumed.close(), await a.close()


async def test_simulation_set_is_refused_on_a_server_without_a_simulation(live):
    a = await Client.open(live.port, live.tokens["dispatcher"])
    result = await a.command("simulation.set", running=False)
    assert not result["ok"] and result["error"]["code"] == "not_found"
    assert "runs no simulation" in result["error"]["message"]
    await a.close()


async def test_a_control_answers_its_command_without_events_and_checks_the_role(live):
    asked = []
    live.hub.controls["simulation.set"] = lambda args: asked.append(args.running) or {"running": args.running}
    a = await Client.open(live.port, live.tokens["dispatcher"])
    observer = await Client.open(live.port, live.tokens["observer"])
    assert await a.ok("simulation.set", running=False) == {"running": False}
    assert (await observer.command("simulation.set", running=True))["error"]["code"] == "forbidden"
    assert (await a.command("simulation.set", running="yes"))["error"]["code"] == "bad_request"
    assert asked == [False] and live.hub.runner.world.seq == 0 and not a.events
    kinds = [(r["command"], r["result"]) for r in live.hub.accounts.audit_since(live.hub.now().replace(year=2000))
             if r["kind"] == "command"]  # fmt: skip
    assert ("simulation.set", "ok") in kinds and ("simulation.set", "forbidden") in kinds
    await a.close(), await observer.close()


async def test_a_failed_commit_sends_nothing_it_held_and_the_resend_applies_once(live, monkeypatch):
    """Group commit: nothing leaves before its commit, so a commit that fails has sent nothing."""
    a = await Client.open(live.port, live.tokens["dispatcher"])
    b = await Client.open(live.port, live.tokens["supervisor"])
    real_write = live.hub.runner.store._statements

    def failing(dialect, rows):
        raise OSError("disk full")

    monkeypatch.setattr(live.hub.runner.store, "_statements", failing)
    refused = await a.command("incident.create", command_id="during-outage", description="lost?")
    assert refused["error"]["code"] == "internal" and live.world.incidents == {} and live.world.seq == 0
    monkeypatch.setattr(live.hub.runner.store, "_statements", real_write)
    again = await a.command("incident.create", command_id="during-outage", description="lost?")
    assert again["ok"] and len(live.world.incidents) == 1
    await b.until_seq(live.world.seq)
    assert [e["seq"] for e in b.events] == list(range(1, live.world.seq + 1))  # no event of the failed commit
    await a.close(), await b.close()


class _Recorded:
    """A staged batch that records which thread wrote its rows and which committed it; while
    `hold` is set its commit waits for `release` (a long fsync), then commits, or rolls back
    and fails if `fail` is set."""

    def __init__(self, staged, ids, hold: bool, fail: bool, started, release) -> None:
        self.staged, self.ids, self.hold, self.fail = staged, ids, hold, fail
        self.started, self.release = started, release
        self.wrote, self.committed = threading.current_thread().name, ""

    def commit(self) -> None:
        self.committed = threading.current_thread().name
        if self.hold:
            self.started.set()
            assert self.release.wait(5)
        if self.fail:
            self.staged.rollback()
            raise OSError("disk full")
        self.staged.commit()

    def rollback(self) -> None:
        self.staged.rollback()


class _Commits:
    """Every batch the store writes (`Store.stage`), recorded; `hold_next` holds the next one's
    commit until `release` is set (and makes it fail if `fail`)."""

    def __init__(self, monkeypatch, store) -> None:
        self.batches: list[_Recorded] = []
        self.started, self.release = threading.Event(), threading.Event()
        self._hold = self._fail = False
        real_stage = store.stage

        def stage(rows):
            ids = [r["command_id"] for r in rows.inserts["command_result"]]
            recorded = _Recorded(real_stage(rows), ids, self._hold, self._fail, self.started, self.release)
            self._hold = self._fail = False
            self.batches.append(recorded)
            return recorded

        monkeypatch.setattr(store, "stage", stage)

    def hold_next(self, fail: bool = False) -> None:
        self._hold, self._fail = True, fail

    def threads(self) -> list[tuple[list[str], str, str]]:
        return [(b.ids, b.wrote, b.committed) for b in self.batches]


MAIN, WRITER = threading.main_thread().name, "hurrinet-writer_0"


@pytest.mark.sqlite_only  # PostgreSQL is shared: its batches commit on the loop, under the lock
async def test_a_batch_of_several_commits_in_the_writer_thread_while_the_loop_goes_on(live, monkeypatch):
    """Commands that come together have their rows written on the loop and their commit (the
    fsync) run in the writer thread: meanwhile the loop reads and prepares the next command,
    whose answer and events wait, as the first ones' do, for their commits."""
    a = await Client.open(live.port, live.tokens["dispatcher"])
    b = await Client.open(live.port, live.tokens["supervisor"])
    commits = _Commits(monkeypatch, live.hub.runner.store)
    monkeypatch.setattr(live.hub.settings, "slow_commit_s", 60.0)  # the held commit is not a slow disk
    commits.hold_next()
    a.send_together([("one", "incident.create", {"description": "first"}),
                     ("one-more", "incident.create", {"description": "first too"})])  # fmt: skip
    first = asyncio.create_task(a.results(["one", "one-more"]))
    assert await asyncio.to_thread(commits.started.wait, 5)
    second = asyncio.create_task(b.command("incident.create", command_id="two", description="second"))
    while len(live.world.incidents) < 3:  # the loop went on: prepared in the world, unanswered
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.05)
    assert not first.done() and not second.done() and a.events == [] and b.events == []
    assert live.hub.runner.store.events_after(0) == []  # nothing committed yet
    commits.release.set()
    assert all(r["ok"] for r in (await first).values()) and (await second)["ok"]
    # "two" came alone, after the thread's commit: it committed on the loop
    assert commits.threads() == [(["one", "one-more"], MAIN, WRITER), (["two"], MAIN, MAIN)]
    await a.until_seq(3), await b.until_seq(3)
    assert [e["caused_by"] for e in a.events] == [e["caused_by"] for e in b.events] == ["one", "one-more", "two"]
    assert [e["seq"] for e in live.hub.runner.store.events_after(0)] == [1, 2, 3]
    await a.close(), await b.close()


@pytest.mark.sqlite_only  # PostgreSQL is shared: its batches commit on the loop, under the lock
async def test_lone_commands_commit_on_the_loop_until_a_commit_is_slow_then_in_the_writer_thread(live, monkeypatch):
    """A lone command commits on the loop while the disk is quick; once a commit held the
    loop longer than `slow_commit_s`, lone commands commit in the writer thread too, until a
    commit there is quick again."""
    a = await Client.open(live.port, live.tokens["dispatcher"])
    commits, settings = _Commits(monkeypatch, live.hub.runner.store), live.hub.settings

    async def alone(command_id: str) -> None:
        assert (await a.command("incident.create", command_id=command_id, description=command_id))["ok"]

    monkeypatch.setattr(settings, "slow_commit_s", 60.0)  # no commit here is slow
    await alone("quick")
    monkeypatch.setattr(settings, "slow_commit_s", 0.0)  # every commit is slow
    await alone("slow")
    await alone("after a slow one")
    monkeypatch.setattr(settings, "slow_commit_s", 60.0)  # the disk is quick again
    await alone("quick in the thread")
    await alone("quick again")
    assert commits.threads() == [(["quick"], MAIN, MAIN), (["slow"], MAIN, MAIN), (["after a slow one"], MAIN, WRITER),
                                 (["quick in the thread"], MAIN, WRITER), (["quick again"], MAIN, MAIN)]  # fmt: skip
    assert len(live.world.incidents) == 5 and len(live.hub.runner.store.events_after(0)) == 5
    await a.close()


@pytest.mark.sqlite_only  # PostgreSQL is shared: its batches commit on the loop, under the lock
async def test_a_batch_prepared_while_a_failing_commit_runs_fails_with_it_unwritten(live, monkeypatch):
    """A batch prepared while the one before it is committed in the writer thread stood on
    it: when that commit fails, both are answered internal, neither is written nor sent, and
    the world is what the database holds."""
    a = await Client.open(live.port, live.tokens["dispatcher"])
    b = await Client.open(live.port, live.tokens["supervisor"])
    zero = (await a.command("incident.create", command_id="zero", description="committed"))["value"]["incident_id"]
    store = live.hub.runner.store
    commits = _Commits(monkeypatch, store)
    commits.hold_next(fail=True)
    a.send_together([("one", "incident.create", {"description": "first"}),
                     ("one-more", "incident.create", {"description": "first too"})])  # fmt: skip
    first = asyncio.create_task(a.results(["one", "one-more"]))
    assert await asyncio.to_thread(commits.started.wait, 5)  # in the writer thread: the loop goes on
    second = asyncio.create_task(b.command("incident.create", command_id="two", description="second"))
    while len(live.world.incidents) < 4:  # prepared in the world, waiting for the commit in flight
        await asyncio.sleep(0.01)
    commits.release.set()
    assert [r["error"]["code"] for r in (await first).values()] == ["internal", "internal"]
    assert (await second)["error"]["code"] == "internal"
    assert list(live.world.incidents) == [zero] and live.world.seq == 1 and store.events_after(1) == []
    assert commits.threads() == [(["one", "one-more"], MAIN, WRITER)]  # "two" was never written
    again = await b.command("incident.create", command_id="two", description="second")
    assert again["ok"] and live.world.seq == 2
    await a.until_seq(2)
    assert [e["seq"] for e in a.events] == [1, 2] and a.events[1]["caused_by"] == "two"
    await a.close(), await b.close()
