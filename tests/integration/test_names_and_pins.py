"""Issue 14 on a real server (127.0.0.1, real websockets, a SQLite file and PostgreSQL): log entries carry
the name of who made them (finding 6), refusals speak a dispatcher's words, and the lock
screen's PIN (finding 8) is set, checked and bounded without ever being kept in clear."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from server.domain.pin import FAILURES_BEFORE_LOCK
from tests.support.client import Client
from tests.support.live import live_server
from tests.support.postgres import both_backends

pytestmark = both_backends


@pytest.fixture
async def live(template_db, tmp_path, server_database):
    async with live_server(template_db, tmp_path, server_database, alert_delay_s=0.05) as server:
        yield server


async def test_log_entries_carry_the_makers_name_over_the_wire_and_after_a_restart(live):
    # Finding 6: the log showed user ids (`T3g7VAXkQLN6IphMxUFse`) instead of names.
    supervisor = await Client.open(live.port, live.tokens["supervisor"])
    created = await supervisor.command("incident.create", incident_type="FLOOD", description="Water in the market")
    incident_id = created["value"]["incident_id"]
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    noted = await dispatcher.command("incident.note", incident_id=incident_id, text="Caller rang back: rising")
    assert noted["ok"]
    while not any(e["name"] == "incident.noted" for e in dispatcher.events):
        await dispatcher.receive()
    note_entry = next(e for e in dispatcher.events if e["name"] == "incident.noted")["data"]["log_entry"]
    assert note_entry["dispatcher_name"] == "dispatcher" and note_entry["dispatcher"] != "dispatcher"
    await supervisor.connection.close()
    await dispatcher.connection.close()

    await live.stop()
    await live.start()  # the name comes back from the database, as written at the time
    observer = await Client.open(live.port, live.tokens["observer"])
    snapshot = observer.welcome["snapshot"]
    entries = snapshot.get("log_entries") or next(i for i in snapshot["incidents"] if i["id"] == incident_id)["log"]
    assert {e.get("dispatcher_name") for e in entries} == {"supervisor", "dispatcher"}
    await observer.connection.close()


async def test_a_refusal_speaks_a_dispatchers_words_and_keeps_its_code_and_details(live):
    # Finding 6: errors quoted `set incident_type, incident_priority…` and `available_radio`.
    client = await Client.open(live.port, live.tokens["dispatcher"])
    incident_id = (await client.command("incident.create", description="Smoke"))["value"]["incident_id"]
    error = (await client.command("incident.set_state", incident_id=incident_id, state="queued"))["error"]
    assert error["message"] == "the incident needs a type, a priority and a location before it can be queued"
    assert error["code"] == "invariant"
    assert error["details"] == {"incident_id": incident_id, "missing": ["incident_type", "incident_priority", "location"]}
    await client.command("unit.set_state", unit="E1", state="available_radio")
    error = (await client.command("unit.set_state", unit="E1", state="en_route"))["error"]
    assert error["message"] == "E1 cannot go from available (radio) to en route"
    assert error["details"] == {"unit": "E1", "state": "available_radio", "to": "en_route"}
    await client.connection.close()


def stored_text(live) -> str:
    """Every value in every table of the server's database, as one text to search."""
    with live.hub.runner.store.engine.connect() as db:
        tables = sa.inspect(db).get_table_names()
        return "\n".join(repr(tuple(row)) for t in tables for row in db.execute(sa.text(f'SELECT * FROM "{t}"')))


async def test_a_pin_is_chosen_once_checked_and_never_kept_in_clear(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    assert (await client.command("account.pin_status"))["value"] == {"pin_set": False}
    error = (await client.command("account.verify_pin", pin="7305"))["error"]
    assert error["code"] == "not_found" and "no PIN is set yet" in error["message"]
    for bad in ("123", "123456789", "12a4", "12 34", "٣٣٣٣"):  # too short, too long, not digits
        error = (await client.command("account.set_pin", pin=bad))["error"]
        assert error["code"] == "validation" and error["message"] == "a PIN is 4 to 8 digits (0–9), nothing else"
        assert bad not in str(error)  # what was typed is never echoed

    assert await client.command("account.set_pin", command_id="pin-set", pin="730519") == {
        "type": "result", "command_id": "pin-set", "ok": True, "value": {}}  # fmt: skip
    assert (await client.command("account.pin_status"))["value"] == {"pin_set": True}
    assert (await client.command("account.verify_pin", command_id="pin-ok", pin="730519"))["value"] == {"ok": True}
    # setting it again needs the current PIN
    error = (await client.command("account.set_pin", pin="1111"))["error"]
    assert error["code"] == "forbidden" and "give the current PIN" in error["message"]
    assert (await client.command("account.set_pin", pin="246810", current_pin="730519"))["ok"]
    assert (await client.command("account.verify_pin", pin="730519"))["error"]["code"] == "forbidden"
    assert (await client.command("account.verify_pin", pin="246810"))["ok"]

    # a PIN is its user's own: another user's check does not open with it
    other = await Client.open(live.port, live.tokens["supervisor"])
    assert (await other.command("account.verify_pin", pin="246810"))["error"]["code"] == "not_found"

    # No event, no stored result, and the PIN nowhere in the database; the audit has the commands.
    assert not any(e["name"].startswith("account") for e in client.events)
    text = stored_text(live)
    assert "730519" not in text and "246810" not in text
    with live.hub.runner.store.engine.connect() as db:
        query = lambda sql: [tuple(r) for r in db.execute(sa.text(sql))]  # noqa: E731
        assert query("SELECT count(*) FROM command_result WHERE command_id IN ('pin-set', 'pin-ok')") == [(0,)]
        assert query("SELECT command, result FROM audit WHERE command_id = 'pin-set'") == [("account.set_pin", "ok")]
        # "user" quoted: unquoted, PostgreSQL reads it as CURRENT_USER
        assert query("""SELECT pin_hash FROM "user" WHERE name = 'dispatcher'""")[0][0].startswith("scrypt$")
    await client.connection.close()
    await other.connection.close()


async def test_wrong_pins_lock_the_pin_and_only_time_opens_it_again(live):
    client = await Client.open(live.port, live.tokens["observer"])  # every role may lock a screen
    assert (await client.command("account.set_pin", pin="4821"))["ok"]
    for left in range(FAILURES_BEFORE_LOCK - 1, 0, -1):
        error = (await client.command("account.verify_pin", pin="0000"))["error"]
        assert error["details"] == {"tries_left": left} and f"{left} more tr" in error["message"]
    error = (await client.command("account.verify_pin", pin="0000"))["error"]
    assert error["code"] == "forbidden" and "locked for 5 minutes" in error["message"]
    # locked: even the right PIN is refused, and the refusal says for how long
    error = (await client.command("account.verify_pin", pin="4821"))["error"]
    assert "locked for 5 more minutes" in error["message"] and "token" in error["message"]
    status = (await client.command("account.pin_status"))["value"]
    assert status["pin_set"] and status["locked_until"].endswith("Z")

    # five minutes later the right PIN opens and clears the count (the accounts, told the time)
    accounts = live.hub.accounts
    user_id = next(u.id for u in accounts.list() if u.name == "observer")
    later = live.hub.now() + timedelta(minutes=5, seconds=1)
    accounts.verify_pin(user_id, "4821", later)
    assert accounts.pin_status(user_id, later) == {"pin_set": True}
    await client.connection.close()
