"""EIDO over the wire: a real server on 127.0.0.1 (port 0), real websocket clients, a real
SQLite file. NENA's sample is imported and worked; the STA-024 feed at /eido is driven by a
subscriber of this test's own, its messages checked against NENA's websocket schema."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.client import TIMEOUT, Client
from tests.support.desk import CASTRIES_SQUARE
from tests.support.eido_schema import eido_errors, websocket_errors
from tests.support.live import live_server

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "eido" / "samples" / "Sample call transfer EIDO.json"


@pytest.fixture
async def live(template_db, tmp_path):
    async with live_server(template_db, tmp_path, alert_delay_s=0.05) as server:
        yield server


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


class Subscriber:
    """A STA-024 subscriber: JSON messages over a websocket to /eido with a bearer token."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    async def open(cls, port: int, token: str) -> Subscriber:
        connection = await connect(f"ws://127.0.0.1:{port}/eido", additional_headers={"Authorization": f"Bearer {token}"},
                                   open_timeout=TIMEOUT)  # fmt: skip
        return cls(connection)

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(json.dumps(message))

    async def receive(self, kind: str) -> dict[str, Any]:
        message = json.loads(await asyncio.wait_for(self.connection.recv(), TIMEOUT))
        assert list(message) == [kind], message
        schema = {"subscribeResponse": "subscribeResponseObject", "unsubscribeResponse": "unsubscribeResponseObject",
                  "event": "eventObject", "response": "responseObject", "terminate": "terminateObject"}[kind]  # fmt: skip
        assert websocket_errors(message, schema) == []
        return message[kind]

    async def subscribe(self, request_id: str, **fields: Any) -> dict[str, Any]:
        await self.send({"subscribe": {"requestId": request_id, "requestType": "EIDO", **fields}})
        answer = await self.receive("subscribeResponse")
        assert answer["requestId"] == request_id
        return answer

    async def close(self) -> None:
        await self.connection.close()


async def test_nena_sample_imports_over_the_wire_into_a_working_incident(live):
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    observer = await Client.open(live.port, live.tokens["observer"])
    incident_id = (await dispatcher.ok("eido.import", eido=sample()))["incident_id"]
    await observer.until_seq(live.world.seq)
    created = [e for e in observer.events if e["name"] == "incident.created"]
    assert [e["data"]["incident"]["id"] for e in created] == [incident_id]
    assert {e["caused_by"] for e in observer.events} == {created[0]["caused_by"]}  # one command, one transaction
    call = next(e["data"]["call"] for e in observer.events if e["name"] == "call.created")
    assert call["caller_phone"] == "8195551212" and call["description"] == "This is an example text."
    notes = [e["data"]["log_entry"]["description"] for e in observer.events if e["name"] == "incident.noted"]
    assert notes[0].startswith("Received as an EIDO from state.pa.us")
    # Working it: the dispatcher places it, types it, queues it and sends a unit.
    await dispatcher.ok("incident.update", incident_id=incident_id, incident_type="STRFIRE", location=CASTRIES_SQUARE)
    await dispatcher.ok("incident.set_state", incident_id=incident_id, state="queued")
    await dispatcher.ok("unit.set_state", unit="E1", state="available_radio")
    await dispatcher.ok("unit.assign", incident_id=incident_id, units=["E1"], state="en_route")
    incident = live.world.incidents[incident_id]
    assert incident.state == "active" and [u.callsign for u in incident.open_units()] == ["E1"]
    assert live.world.calls[incident.call_ids[0]].state == "active"  # a transferred call stays with whoever took it
    # And it goes back out as an EIDO NENA's schema accepts, carrying the sender's note.
    exported = (await observer.ok("incident.eido", incident_id=incident_id))["eido"]
    assert eido_errors(exported) == []
    assert any("a56e556d871:bcf.state.pa.us" in n["notesActionComments"] for n in exported["notesComponent"])
    await dispatcher.close(), await observer.close()


async def test_an_invalid_eido_is_refused_over_the_wire_naming_each_problem_and_nothing_is_written(live):
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    seq = live.world.seq
    document = sample()
    document["eidoVersion"] = "9"
    document["callComponent"][0]["callStartTimestamp"] = "soon"
    document["personComponent"][0]["callBackReference"] = {"$ref": "missing"}
    result = await dispatcher.command("eido.import", eido=document)
    assert not result["ok"] and result["error"]["code"] == "validation"
    assert {p["field"] for p in result["error"]["details"]["problems"]} == {
        "eido.eidoVersion", "eido.callComponent[0].callStartTimestamp", "eido.personComponent[0].callBackReference"}
    assert "3 problems" in result["error"]["message"]
    assert live.world.seq == seq and live.hub.runner.store.events_after(seq) == []
    await dispatcher.close()


async def test_a_subscriber_is_notified_of_changes_to_its_incident_until_it_unsubscribes(live):
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    incident_id = (await dispatcher.ok("incident.create", incident_type="FLOOD", location=CASTRIES_SQUARE))["incident_id"]
    other = (await dispatcher.ok("incident.create", incident_type="WINDDMG"))["incident_id"]
    feed = await Subscriber.open(live.port, live.tokens["observer"])
    answer = await feed.subscribe("r-1", requestSubType="single", incidentId=incident_id, expires=600)
    assert (answer["statusCode"], answer["expires"]) == (200, 600)
    first = await feed.receive("event")  # the state the subscription starts from
    assert first["subscriptionId"] == answer["subscriptionId"]
    [document] = first["notification"]
    assert eido_errors(document) == [] and document["incidentComponent"]["internalIncidentId"] == incident_id

    await dispatcher.ok("incident.note", incident_id=other, text="not this one")
    await dispatcher.ok("incident.note", incident_id=incident_id, text="water at the door")
    changed = await feed.receive("event")  # the note on the other incident sent nothing
    [document] = changed["notification"]
    assert any(n["notesActionComments"] == "water at the door" for n in document["notesComponent"])
    await feed.send({"eventResponse": {"transactionId": changed["transactionId"], "statusCode": 200, "statusText": "OK"}})

    await feed.send({"unsubscribe": {"requestId": "r-2", "subscriptionId": answer["subscriptionId"]}})
    gone = await feed.receive("unsubscribeResponse")
    assert (gone["requestId"], gone["statusCode"], gone["subscriptionId"]) == ("r-2", 200, answer["subscriptionId"])
    await dispatcher.ok("incident.note", incident_id=incident_id, text="after unsubscribing")
    again = await feed.subscribe("r-3", requestSubType="single", incidentId=other)
    assert again["statusCode"] == 200  # the next message is this answer: no event came in between
    await feed.close(), await dispatcher.close()


async def test_a_subscription_to_every_incident_hears_of_new_ones(live):
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    feed = await Subscriber.open(live.port, live.tokens["supervisor"])
    answer = await feed.subscribe("all", requestSubType="new")
    assert answer["statusCode"] == 200 and answer["expires"] == 3600
    call = (await dispatcher.ok("call.create", caller_name="Ann", location=CASTRIES_SQUARE))["call_id"]
    incident_id = (await dispatcher.ok("call.create_incident", call_id=call))["incident_id"]
    event = await feed.receive("event")
    [document] = event["notification"]
    assert document["incidentComponent"]["internalIncidentId"] == incident_id and len(document["callComponent"]) == 1
    await feed.close(), await dispatcher.close()


async def test_subscribe_requests_the_feed_cannot_serve_are_answered_with_their_status(live):
    feed = await Subscriber.open(live.port, live.tokens["observer"])
    assert (await feed.subscribe("a", requestSubType="single", incidentId="nope"))["statusCode"] == 404
    assert (await feed.subscribe("b", requestSubType="single"))["statusCode"] == 400
    assert (await feed.subscribe("c", requestSubType="resource"))["statusCode"] == 400
    assert (await feed.subscribe("d", requestSubType="new", requestAccepts="application/xml"))["statusCode"] == 406
    assert (await feed.subscribe("e", subscriptionId="unknown"))["statusCode"] == 481
    await feed.send({"unsubscribe": {"requestId": "f", "subscriptionId": "unknown"}})
    assert (await feed.receive("unsubscribeResponse"))["statusCode"] == 481
    await feed.send({"requestForService": {"requestId": "g", "eido": {}}})
    assert await feed.receive("response") == {"requestId": "g", "statusCode": 501, "statusText": "Not implemented"}
    await feed.close()


@pytest.mark.parametrize("header, status", [(None, 401), ("Bearer wrong", 401), ("unit", 403)])
async def test_the_feed_refuses_a_missing_or_bad_token_and_the_unit_role(live, header, status):
    if header == "unit":
        header = f"Bearer {live.tokens['unit']}"
    headers = {"Authorization": header} if header else {}
    with pytest.raises(InvalidStatus) as caught:
        await connect(f"ws://127.0.0.1:{live.port}/eido", additional_headers=headers, open_timeout=TIMEOUT)
    assert caught.value.response.status_code == status


async def test_guessing_tokens_on_the_feed_counts_toward_the_same_lockout_as_on_ws(live):
    statuses = []
    for path in ("/eido", "/eido", "/ws", "/eido", "/ws", "/eido"):  # one count for both paths
        with pytest.raises(InvalidStatus) as refused:
            await connect(f"ws://127.0.0.1:{live.port}{path}", additional_headers={"Authorization": "Bearer guess"},
                          open_timeout=TIMEOUT)  # fmt: skip
        statuses.append(refused.value.response.status_code)
    assert statuses[:5] == [401] * 5 and statuses[5] == 429  # the sixth guess finds the address locked out
    feed = await Subscriber.open(live.port, live.tokens["observer"])  # the right token still gets in
    await feed.close()


async def test_a_subscription_ends_with_a_terminate_when_it_expires(live):
    dispatcher = await Client.open(live.port, live.tokens["dispatcher"])
    incident_id = (await dispatcher.ok("incident.create", incident_type="FLOOD"))["incident_id"]
    feed = await Subscriber.open(live.port, live.tokens["observer"])
    answer = await feed.subscribe("x", requestSubType="single", incidentId=incident_id, expires=1)
    await feed.receive("event")
    terminate = await feed.receive("terminate")
    assert terminate["subscriptionId"] == answer["subscriptionId"]
    await dispatcher.ok("incident.note", incident_id=incident_id, text="after expiry")
    assert (await feed.subscribe("y", requestSubType="new"))["statusCode"] == 200  # and no event before it
    await feed.close(), await dispatcher.close()


async def test_the_server_stops_while_a_subscriber_is_connected(template_db, tmp_path):
    async with live_server(template_db, tmp_path) as server:
        feed = await Subscriber.open(server.port, server.tokens["observer"])
        assert (await feed.subscribe("s", requestSubType="new"))["statusCode"] == 200
        await asyncio.wait_for(server.stop(), 10)  # the feed's connections are closed, not waited for
        with pytest.raises(ConnectionClosed):
            await asyncio.wait_for(feed.connection.recv(), TIMEOUT)
