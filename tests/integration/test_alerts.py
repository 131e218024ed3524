"""Alert delivery against real receivers on 127.0.0.1: an aiosmtpd mail server and an HTTP
webhook receiver, a real server with alert targets of its own, real websocket clients. The
mail's link and the webhook's call back acknowledge the dispatch."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import re
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError

import pytest
from aiosmtpd.smtp import SMTP

from server.__main__ import main
from server.net.alerts import ConfigError
from server.net.alerts.ack import Claim
from server.storage.database import sqlite_url
from tests.support.alert_receivers import Mailbox, Receiver, reference_with_targets
from tests.support.client import Client
from tests.support.live import live_server
from tests.support.ports import free_port as closed_port

SECRET_ENV = "HURRINET_TEST_WEBHOOK_SECRET"
SECRET = "s3cret-for-the-test"
PLACE = {"kind": "place", "district": "CAS", "name": "Derek Walcott Square", "details": "north gate",
         "coordinates": {"lat": 14.0104, "lon": -60.9887}}  # fmt: skip


@pytest.fixture
def receivers() -> Iterator[dict[str, Receiver]]:
    made = {"terminal": Receiver(call_back=True), "broken": Receiver(status=503)}
    for receiver in made.values():
        receiver.start()
    yield made
    for receiver in made.values():
        receiver.stop()


@pytest.fixture
async def mailbox() -> tuple[Mailbox, int]:
    box = Mailbox()
    server = await asyncio.get_running_loop().create_server(lambda: SMTP(box, hostname="mail.test"), "127.0.0.1", 0)
    yield box, server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()


@pytest.fixture
async def live(template_db, tmp_path, receivers, mailbox, monkeypatch):
    monkeypatch.setenv(SECRET_ENV, SECRET)
    _, smtp_port = mailbox
    retry = "attempts=3 retry_s=0.05 timeout=5"
    reference = reference_with_targets(tmp_path / "reference", [
        f"EML-WORKS,Works duty mailbox,email,smtp=127.0.0.1:{smtp_port} to=works.duty@example.lc "
        f"from=dispatch@example.lc {retry},PW1,true",
        f"MDT-E1,Mobile data terminal E1,mobile_terminal,url={receivers['terminal'].url} to=MDT0100 "
        f"secret_env={SECRET_ENV} {retry},E1,true",
        f"SMS-E2,Engine 2 officer (SMS),sms,url={receivers['broken'].url} to=+17585550101 {retry},E2,true",
        "PRN-GIF,Gros Islet Fire Station - station printer,station_printer,prn-gi-f-01,E3,true",
        f"EML-E4,Engine 4 mailbox,email,smtp=127.0.0.1:{closed_port()} to=e4@example.lc from=dispatch@example.lc "
        f"{retry},E4,true",
        f"SMS-E5,Engine 5 officer (SMS),sms,url={receivers['broken'].url} attempts=3 retry_s=0.5,E5,true",
    ])  # fmt: skip
    data = tmp_path / "data"
    data.mkdir()
    async with live_server(template_db, data, reference_dir=reference, simulate_alerts=False) as server:
        yield server


async def dispatch(client: Client, callsign: str) -> str:
    incident = (await client.ok("incident.create", incident_type="STRFIRE", incident_priority="A", location=PLACE,
                                description="smoke from the roof of the market"))["incident_id"]  # fmt: skip
    await client.ok("unit.set_state", unit=callsign, state="available_radio")
    await client.ok("unit.assign", incident_id=incident, units=[callsign])
    assert (await client.ok("unit.dispatch", incident_id=incident))["dispatching"] == [callsign]
    return incident


async def until_state(live, callsign: str, state: str, seconds: float = 5.0) -> None:
    async with asyncio.timeout(seconds):
        while state_of(live, callsign) != state:
            await asyncio.sleep(0.02)


def state_of(live, callsign: str) -> str:
    world = live.world
    return world.unit_status[world.unit_by_callsign(callsign).id].state.value


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as error:
        return error.code, error.read().decode()


async def failures(client: Client, count: int) -> list[dict[str, Any]]:
    async with asyncio.timeout(10):
        while len(found := [e for e in client.events if e["name"] == "unit.alert_failed"]) < count:
            await client.receive()
    return found


async def test_a_dispatch_mail_reaches_the_smtp_server_and_its_link_acknowledges(live, mailbox):
    box, _ = mailbox
    client = await Client.open(live.port, live.tokens["dispatcher"])
    incident = await dispatch(client, "PW1")
    mail = await asyncio.wait_for(box.messages.get(), 10)
    body = mail.get_content()
    assert mail["To"] == "works.duty@example.lc" and mail["From"] == "dispatch@example.lc"
    assert mail["Subject"] == "DISPATCH PW1: A STRFIRE — Derek Walcott Square, Castries (north gate)"
    for fact in ("PW1 is dispatched", "Priority:    A", "14.010400, -60.988700", "smoke from the roof of the market",
                 "America/St_Lucia", f"#{incident[:6]}"):  # fmt: skip
        assert fact in body, fact
    link = re.search(r"(http://\S+/ack/\S+)", body).group(1)

    status, page = await asyncio.to_thread(get, link)  # what a mail scanner does: acknowledges nothing
    assert status == 200 and "Acknowledge dispatch" in page and state_of(live, "PW1") == "dispatching"
    assert "A STRFIRE, Derek Walcott Square, Castries (north gate)" in page
    button = re.search(r'action="([^"]+)"', page).group(1)
    status, page = await asyncio.to_thread(get, f"http://127.0.0.1:{live.port}{button}?confirm=yes")
    assert status == 200 and "acknowledged" in page
    assert state_of(live, "PW1") == "dispatched"
    status, page = await asyncio.to_thread(get, link)
    assert status == 200 and "Already acknowledged" in page
    await client.close()


async def test_the_webhook_gets_a_signed_alert_and_its_call_back_acknowledges(live, receivers):
    terminal = receivers["terminal"]
    client = await Client.open(live.port, live.tokens["dispatcher"])
    incident = await dispatch(client, "E1")
    await until_state(live, "E1", "dispatched")
    async with asyncio.timeout(5):  # the receiver's thread reads the answer after the server moved on
        while not terminal.acks:
            await asyncio.sleep(0.02)
    headers, body = terminal.posts[0]
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-HurriNet-Signature"] == expected
    payload = json.loads(body)
    assert payload["unit"] == "E1" and payload["to"] == "MDT0100" and payload["incident_id"] == incident
    assert payload["priority"] == "A" and payload["incident_type"] == "STRFIRE"
    assert payload["coordinates"] == {"lat": 14.0104, "lon": -60.9887}
    assert payload["location"] == "Derek Walcott Square, Castries (north gate)"
    assert terminal.acks == [200] and len(terminal.posts) == 1
    await client.close()


@pytest.mark.parametrize(("callsign", "target", "reason"), [
    ("E2", "Engine 2 officer (SMS)", "answered HTTP 503 Service Unavailable"),
    ("E4", "Engine 4 mailbox", "Connect call failed"),  # nothing listens: the connection is refused
])  # fmt: skip
async def test_a_failing_receiver_is_retried_and_each_failure_shown_to_the_dispatcher(live, receivers, callsign,
                                                                                      target, reason):  # fmt: skip
    client = await Client.open(live.port, live.tokens["dispatcher"])
    incident = await dispatch(client, callsign)
    events = await failures(client, 3)
    entries = [e["data"]["log_entry"]["change_data"] for e in events]
    assert [v["value"]["attempt"] for v in entries] == [1, 2, 3]
    assert [v["value"]["final"] for v in entries] == [False, False, True]
    assert all(v["change"] == "alert_failed" and reason in v["value"]["reason"] for v in entries), entries
    assert all(v["value"]["target"] == target and v["value"]["unit"] == callsign for v in entries)
    assert all(e["data"]["incident"]["id"] == incident for e in events)
    await asyncio.sleep(0.3)  # past the last retry's time: nothing more is tried or reported
    logged = [e for e in live.world.incidents[incident].log if (e.change_data or {}).get("change") == "alert_failed"]
    assert len(logged) == 3 and state_of(live, callsign) == "dispatching"
    assert callsign != "E2" or len(receivers["broken"].posts) == 3
    await client.close()


async def test_a_target_with_no_transport_is_reported_undeliverable_without_simulation(live):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    await dispatch(client, "E3")
    [event] = await failures(client, 1)
    value = event["data"]["log_entry"]["change_data"]["value"]
    assert value["final"] and value["reason"] == "no delivery configured for this target"
    assert state_of(live, "E3") == "dispatching"
    await client.close()


async def test_forged_expired_and_stale_links_are_refused(live, mailbox):
    box, _ = mailbox
    client = await Client.open(live.port, live.tokens["dispatcher"])
    incident = await dispatch(client, "PW1")
    body = (await asyncio.wait_for(box.messages.get(), 10)).get_content()
    link = re.search(r"(http://\S+/ack/\S+)", body).group(1)
    base, token = link.split("/ack/")
    unit, target, _, expires, signature = token.split(".")
    links = live.hub.pages["/ack/"].links
    other = live.world.unit_by_callsign("E1").id
    expired = links.sign(Claim(unit, target, incident, int(expires) - 7200))
    cases = {
        f"{token[:-2]}xx": 403,  # a forged signature
        f"{other}.{target}.{incident}.{expires}.{signature}": 403,  # the signature of another unit's link
        f"{unit}.{target}.{incident}.{int(expires) + 86400}.{signature}": 403,  # a lengthened life
        "not-a-token": 403,
        expired: 410,  # signed with the server's own key, but past its time
    }
    for bad, code in cases.items():
        status, page = await asyncio.to_thread(get, f"{base}/ack/{bad}?confirm=yes")
        assert status == code, (bad, status)
        assert "Not acknowledged" in page and "radio" in page
    assert state_of(live, "PW1") == "dispatching"
    await client.ok("unit.confirm_dispatch", unit="PW1")
    await client.ok("unit.set_state", unit="PW1", state="available_station")  # leaves the incident
    status, page = await asyncio.to_thread(get, f"{link}?confirm=yes")
    assert status == 409 and "no longer assigned" in page
    await client.close()


async def test_a_bad_target_config_stops_the_server_naming_the_target(template_db, tmp_path):
    reference = reference_with_targets(tmp_path / "reference", [
        "MDT-E1,Mobile data terminal E1,mobile_terminal,url=ftp://terminals.example.lc,E1,true",
        "MDT-E2,Mobile data terminal E2,mobile_terminal,url=http://x secret_env=HURRINET_NOT_SET_ANYWHERE,E2,true",
    ])  # fmt: skip
    with pytest.raises(ConfigError) as refused:
        async with live_server(template_db, tmp_path, reference_dir=reference):
            pass
    assert str(refused.value) == ("alert target MDT-E1: url must be an http:// or https:// address, got "
                                  "'ftp://terminals.example.lc'; alert target MDT-E2: secret_env: environment "
                                  "variable HURRINET_NOT_SET_ANYWHERE is not set")  # fmt: skip


def test_check_names_a_bad_target_config(tmp_path, capsys):
    reference = reference_with_targets(tmp_path / "reference", [
        "EML-E1,E1 mailbox,email,smtp=mail.example.lc to=e1@example.lc,E1,true",
    ])  # fmt: skip
    assert main(["check", "--reference", str(reference), "--database", sqlite_url(tmp_path / "check.db")]) == 1
    assert "alert_targets.csv: alert target EML-E1: e-mail needs from=ADDRESS" in capsys.readouterr().err


async def test_retries_stop_once_the_unit_is_off_the_incident(live, receivers):
    client = await Client.open(live.port, live.tokens["dispatcher"])
    incident = await dispatch(client, "E5")
    await failures(client, 1)
    await client.ok("unit.confirm_dispatch", unit="E5")  # reached by radio instead
    await client.ok("unit.set_state", unit="E5", state="available_station")  # and back already
    await asyncio.sleep(2.5)  # past both retries' times (0.5 s and 1.5 s later)
    assert len(receivers["broken"].posts) == 1
    logged = [e for e in live.world.incidents[incident].log if (e.change_data or {}).get("change") == "alert_failed"]
    assert len(logged) == 1
    await client.close()
