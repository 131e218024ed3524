"""Issue 12's defects, each reproduced against a real server on 127.0.0.1 (and the real CLI):
hostile frames, junk amplification, login throttling, unit accounts, the user command line."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from server import protocol
from server.__main__ import main
from server.net.throttle import LoginThrottle
from tests.support.client import Client
from tests.support.live import live_server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def live(template_db, tmp_path):
    async with live_server(template_db, tmp_path, alert_delay_s=0.05) as server:
        yield server


def _command(command_id: str, name: str = '"incident.create"', args: str = "{}") -> str:
    """A command frame as raw text, so escapes such as \\ud800 go on the wire as written."""
    return f'{{"type":"command","command_id":{command_id},"name":{name},"args":{args}}}'


async def _still_works(client: Client) -> None:
    assert (await client.command("incident.create", description="still here"))["ok"]


def _stored(live, command_id: str) -> int:
    with live.hub.runner.store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM command_result WHERE command_id = :c"),
                            {"c": command_id}).scalar_one()  # fmt: skip


# --- 1: nesting -----------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [40, 1_000, 3_000, 30_000])
async def test_deeply_nested_json_is_refused_and_the_session_stays(live, depth):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    nested = "[" * depth + "]" * depth
    result = await client.send_raw(_command('"deep-1"', args=f'{{"description":{nested}}}'))
    assert result["error"]["code"] == "bad_request"
    assert f"deeper than {protocol.MAX_FRAME_DEPTH}" in result["error"]["message"]
    await _still_works(client)
    assert live.world.seq == 1 and _stored(live, "deep-1") == 0
    await client.close()


# --- 2: lone surrogates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "frame, field",
    [
        (_command(r'"id-\ud800"'), "command_id"),
        (_command('"s-2"', name=r'"incident.\udfff"'), "name"),
        (_command('"s-3"', args=r'{"description":"fire \ud800 at the market"}'), "args.description"),
        (_command('"s-4"', args=r'{"location":{"kind":"place","district":"CAS","name":"\ud83d"}}'), "args.location.name"),
        (_command('"s-5"', args=r'{"\ud800":1}'), "args.<key>"),
        (r'{"type":"hello","protocol":1,"last_seq":null,"x":["\udc00"]}', "x[0]"),
    ],
)  # fmt: skip
async def test_a_lone_surrogate_is_refused_naming_the_field_on_every_resend(live, frame, field):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    for _ in range(2):  # a resend gets the same answer, never `internal`
        result = await client.send_raw(frame)
        assert result["error"]["code"] == "bad_request", result
        assert result["error"]["details"]["field"] == field
    await _still_works(client)
    assert live.world.seq == 1
    await client.close()


async def test_a_valid_surrogate_pair_is_text_like_any_other(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    result = await client.send_raw(_command('"pair-1"', args=r'{"description":"flooded \ud83c\udf0a"}'))
    assert result["ok"], result
    incident = live.world.incidents[result["value"]["incident_id"]]
    assert incident.description == "flooded 🌊"
    await client.close()


# --- 7: junk is never amplified -----------------------------------------------------------------


async def test_a_huge_unknown_command_name_is_not_stored_echoed_or_logged_at_full_size(live, caplog):
    caplog.set_level(logging.DEBUG)
    client = await Client.open(live.port, live.tokens["dispatcher"])
    name = "x" * 60_000
    for n in range(5):
        text = json.dumps({"type": "command", "command_id": f"junk-{n}", "name": name, "args": {}})
        await client.connection.send(text)
        raw = await asyncio.wait_for(client.connection.recv(), 5)
        result = json.loads(raw)
        assert result["command_id"] == f"junk-{n}" and result["error"]["code"] == "unknown_command"
        assert len(raw) < 1_000 and "60,000 characters" in result["error"]["message"]
        assert _stored(live, f"junk-{n}") == 0
    audit = live.hub.accounts.audit_since(live.hub.now().replace(year=2000))
    assert not [row for row in audit if (row["command_id"] or "").startswith("junk-")]
    assert max(len(record.getMessage()) for record in caplog.records) < 1_000
    await _still_works(client)
    await client.close()


async def test_an_over_long_command_id_is_refused_without_being_echoed(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    long_id = "i" * 50_000
    result = await client.send_raw(json.dumps({"type": "command", "command_id": long_id, "name": "incident.create"}))
    assert result["command_id"] is None and result["error"]["details"]["field"] == "command_id"
    assert "50,000 characters" in result["error"]["message"] and long_id not in json.dumps(result)
    await _still_works(client)
    await client.close()


@pytest.mark.parametrize("args", [{"k" * 60_000: 1}, {f"extra{n}": 0 for n in range(3_000)}])
async def test_unexpected_fields_are_never_echoed_one_by_one_or_at_full_size(live, args):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    text = json.dumps({"type": "command", "command_id": "fields-1", "name": "incident.create", "args": args})
    await client.connection.send(text)
    raw = await asyncio.wait_for(client.connection.recv(), 5)
    assert json.loads(raw)["error"]["code"] == "bad_request" and len(raw) < 1_000, raw[:300]
    assert _stored(live, "fields-1") == 0
    await _still_works(client)
    await client.close()


async def test_a_long_list_of_wrong_items_gets_a_short_answer(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    args = {"incident_id": "x", "units": [1] * 20_000}  # a 60 KB frame used to get a 2.7 MB answer, stored
    await client.connection.send(json.dumps({"type": "command", "command_id": "list-1", "name": "unit.assign",
                                             "args": args}))  # fmt: skip
    raw = await asyncio.wait_for(client.connection.recv(), 5)
    error = json.loads(raw)["error"]
    assert error["code"] == "bad_request" and error["details"]["more"] == 19_990 and len(raw) < 3_000
    await _still_works(client)
    await client.close()


async def test_too_many_invalid_frames_close_the_session_with_the_documented_code(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    for _ in range(protocol.INVALID_FRAMES_LIMIT):  # up to the limit: answered, still open
        assert (await client.send_raw("{not json"))["error"]["code"] == "bad_request"
    await _still_works(client)  # a valid command does not count
    await client.connection.send("{not json")
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await client.receive()
    assert closed.value.rcvd.code == protocol.CLOSE_INVALID_FRAMES
    assert "invalid frames" in closed.value.rcvd.reason
    again = await Client.open(live.port, live.tokens["dispatcher"])  # nothing held against the user
    await _still_works(again)
    await again.close()


# --- 10: login throttling -------------------------------------------------------------------------


async def _handshake(live, token: str, address: str = "127.0.0.1") -> int:
    """The HTTP status of a handshake from a loopback `address` (101 when it upgrades)."""
    try:
        connection = await connect(live.url, additional_headers={"Authorization": f"Bearer {token}"},
                                   open_timeout=5, local_addr=(address, 0))  # fmt: skip
    except InvalidStatus as refused:
        return refused.response.status_code
    await connection.close()
    return 101


async def test_five_failures_lock_the_address_out_but_a_valid_token_is_never_delayed(live):
    statuses = [await _handshake(live, f"guess-{n}", "127.0.0.7") for n in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await _handshake(live, live.tokens["dispatcher"], "127.0.0.7") == 101  # same address, at once
    assert loop.time() - began < 1.5  # the defect made it wait 2 s; a handshake takes ms
    assert await _handshake(live, "guess-x", "127.0.0.8") == 401  # another address is not locked


async def test_a_locked_out_handshake_says_why_and_when_to_retry(live):
    for n in range(protocol.LOGIN_FAILURES_BEFORE_LOCKOUT):
        await _handshake(live, f"guess-{n}", "127.0.0.9")
    with pytest.raises(InvalidStatus) as caught:
        await connect(live.url, additional_headers={"Authorization": "Bearer again"}, open_timeout=5,
                      local_addr=("127.0.0.9", 0))  # fmt: skip
    response = caught.value.response
    assert response.status_code == 429 and b"locked out" in response.body
    assert 0 < int(response.headers["Retry-After"]) <= protocol.LOGIN_LOCKOUT_S


async def test_one_failing_token_is_locked_out_from_every_address(live):
    revoked = "a-revoked-or-mistyped-token"
    statuses = [await _handshake(live, revoked, f"127.0.1.{n}") for n in range(1, 8)]
    assert statuses == [401] * 5 + [429] * 2
    assert await _handshake(live, "another-guess", "127.0.1.9") == 401  # only that credential


async def test_a_flood_of_failures_writes_one_audit_row_per_address_per_period(live):
    period = 2.0
    live.hub.throttle = LoginThrottle(audit_period_s=period)
    since, began = live.hub.now(), asyncio.get_running_loop().time()
    for n in range(30):
        await _handshake(live, f"flood-{n}", "127.0.2.1")
    flood_s = asyncio.get_running_loop().time() - began
    await asyncio.sleep(period + 0.3)  # the period ends: its row is written without another handshake
    rows = [r for r in live.hub.accounts.audit_since(since) if r["kind"] == "login_failed"]
    assert rows[0]["result"] == "unauthorized" and {r["address"] for r in rows} == {"127.0.2.1"}
    counts = [1 if r["result"] == "unauthorized" else int(r["result"].removeprefix("unauthorized x")) for r in rows]
    assert sum(counts) == 30  # every failure counted, in at most one row per period begun
    assert len(rows) <= 2 * (int(flood_s / period) + 1), rows


# --- 11: unit accounts --------------------------------------------------------------------------


async def test_a_unit_account_changes_only_its_own_unit(live):
    terminal = await Client.open(live.port, live.tokens["unit"])  # bound to E1
    assert (await terminal.command("unit.set_state", unit="E1", state="available_radio"))["ok"]
    assert (await terminal.command("unit.set_staffing", unit="e1", officers=1, subofficers=1, crew=2))["ok"]
    for name, args in [("unit.set_state", {"unit": "E2", "state": "available_radio"}),
                       ("unit.set_staffing", {"unit": "E2", "officers": 1, "subofficers": 0, "crew": 1}),
                       ("unit.set_position", {"unit": "E2", "coordinates": {"lat": 14.01, "lon": -60.99}}),
                       ("alert.ack", {"unit": "E2", "target_id": "any"})]:  # fmt: skip
        error = (await terminal.command(name, **args))["error"]
        assert error["code"] == "forbidden" and "E2" in error["message"] and "E1" in error["message"], error
    world = live.world
    assert world.unit_status[world.unit_by_callsign("E2").id].state != "available_radio"
    await terminal.close()


async def test_a_unit_account_bound_to_a_unit_the_deployment_lacks_is_refused_at_the_handshake(live):
    _, token = live.hub.accounts.add("ghost", "unit", live.hub.now(), unit="Z99")
    assert await _handshake(live, token) == 403


# --- 12 and 11: the command line ------------------------------------------------------------------


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "server", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)  # fmt: skip


def test_user_add_creates_a_missing_data_dir_and_binds_a_unit(tmp_path):
    data = tmp_path / "new" / "deeper"
    done = _cli("user", "add", "e12", "--role", "unit", "--unit", "e12", "--data-dir", str(data))
    assert done.returncode == 0, done.stderr
    assert "bound to unit E12" in done.stdout and (data / "hurrinet.db").exists()
    listed = _cli("user", "list", "--data-dir", str(data))
    assert "E12" in listed.stdout


@pytest.mark.parametrize(
    "args, says",
    [
        (["user", "add", "x", "--role", "unit", "--unit", "Z99"], "no unit 'Z99'"),
        (["user", "add", "x", "--role", "unit"], "needs --unit"),
        (["user", "add", "x", "--role", "dispatcher", "--unit", "E1"], "only a unit account"),
        (["user", "revoke", "nobody"], "no active user"),
        (["audit", "--since", "yesterday"], "is not an ISO time"),
        (["user", "list", "--config", "/nonexistent/hurrinet.toml"], "No such file"),
        (["user", "list", "--data-dir", "/proc/hurrinet"], "No such file"),
        (["user", "list", "--database-url", "nonsense"], "not a database URL"),
    ],
)  # fmt: skip
def test_every_cli_mistake_is_one_line_and_a_non_zero_exit(tmp_path, capsys, args, says):
    if "--data-dir" not in args and "--database-url" not in args:
        args = [*args, "--data-dir", str(tmp_path)]
    try:  # in-process: an uncaught exception (a traceback for the person) fails the test
        status = main(args)
    except SystemExit as exit_:  # argparse's own refusals
        status = exit_.code
    err = capsys.readouterr().err
    assert status != 0 and says in err
    said = [line for line in err.splitlines() if not line.startswith(("usage:", " "))]  # usage may wrap
    assert len(said) == 1, err
