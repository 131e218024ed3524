"""EIDO subscribe/notify over a websocket (NENA-STA-024), at `/eido`: docs/eido.md.

Another agency's system connects with a bearer token of this server, subscribes to one
incident (`requestSubType` "single" with an `incidentId`) or to every incident ("new"), and is
sent an `event` carrying the incident's current EIDO after each committed change that touches
it. The hub calls `published` once per outcome, after commit, in `seq` order, so a notification
never shows a state that was not committed; each connection has its own bounded queue, so a
slow subscriber is closed instead of holding up dispatch.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
import weakref
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from server.app.commands import CommandOutcome
from server.domain.roles import may_read_incidents
from server.domain.world import World
from server.exchange import eido
from server.net.accounts import User
from server.net.hub import Hub

log = logging.getLogger("hurrinet.eido")

PATH = "/eido"
QUEUE_LIMIT = 1_000  # notifications waiting for one subscriber before it is closed as too slow
DEFAULT_EXPIRES_S = 3600
MAX_EXPIRES_S = 86_400
CLOSE_TOO_SLOW = 4001
CLOSE_MALFORMED = 1007
CLOSE_SHUTDOWN = 1001


@dataclass
class Subscription:
    id: str
    incident_id: str | None  # None: every incident
    expires: asyncio.TimerHandle | None = None


@dataclass(eq=False)
class Subscriber:
    connection: ServerConnection
    user: User
    queue: asyncio.Queue[str]
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    dropped: bool = False


def _dump(message: dict[str, Any]) -> str:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _answer(kind: str, request_id: Any, status: int, text: str, **fields: Any) -> dict[str, Any]:
    body = {"requestId": request_id if isinstance(request_id, str) else "", **fields}
    return {kind: body | {"statusCode": status, "statusText": text}}


def touched_incidents(events: list[dict[str, Any]], world: World) -> set[str]:
    """The incidents a batch of committed events changed, read through the world's ids so it
    does not depend on which fields an event carries."""
    found: set[str] = set()
    for event in events:
        data = event.get("data", {})
        if isinstance(data.get("incident"), dict):
            found.add(data["incident"]["id"])
        if isinstance(data.get("log_entry"), dict) and data["log_entry"].get("incident_id"):
            found.add(data["log_entry"]["incident_id"])
        if isinstance(data.get("call"), dict):
            call = world.calls.get(data["call"].get("id", ""))
            if call is not None and call.incident_id:
                found.add(call.incident_id)
        if isinstance(data.get("unit"), dict):
            status = world.unit_status.get(data["unit"].get("id", ""))
            if status is not None and status.assigned_to_incident_id:
                found.add(status.assigned_to_incident_id)
    return {i for i in found if i in world.incidents}


class EidoFeed:
    """The `/eido` route of a hub: its own handshake and sessions, fed by the hub's publish."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.subscribers: set[Subscriber] = set()
        self._users: weakref.WeakKeyDictionary[ServerConnection, User] = weakref.WeakKeyDictionary()

    @classmethod
    def attach(cls, hub: Hub) -> EidoFeed:
        feed = cls(hub)
        hub.routes[PATH] = feed
        hub.listeners.append(feed.published)
        return feed

    @property
    def world(self) -> World:
        return self.hub.runner.world

    # --- handshake ----------------------------------------------------------------------------
    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        address = _address(connection)
        user = self.hub.accounts.authenticate(_bearer(request.headers.get("Authorization", "")))
        if user is None:
            self.hub.audit("login_failed", address=address)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "missing, bad or revoked bearer token\n")
        if not may_read_incidents(user.role):
            return connection.respond(HTTPStatus.FORBIDDEN, f"the {user.role} role may not subscribe to incidents\n")
        self._users[connection] = user
        self.hub.audit("login", user_id=user.id, address=address)
        return None

    # --- a subscriber -------------------------------------------------------------------------
    async def handler(self, connection: ServerConnection) -> None:
        subscriber = Subscriber(connection, self._users.pop(connection), asyncio.Queue(QUEUE_LIMIT))
        self.subscribers.add(subscriber)
        log.info("EIDO subscriber open: user %s from %s", subscriber.user.id, _address(connection))
        sender = asyncio.create_task(self._send_loop(subscriber))
        try:
            async for message in connection:
                self._receive(subscriber, message)
        except ConnectionClosed:
            pass
        finally:
            self.subscribers.discard(subscriber)
            for subscription in subscriber.subscriptions.values():
                if subscription.expires is not None:
                    subscription.expires.cancel()
            sender.cancel()
            self.hub.audit("disconnect", user_id=subscriber.user.id, address=_address(connection))

    async def _send_loop(self, subscriber: Subscriber) -> None:
        try:
            while True:
                await subscriber.connection.send(await subscriber.queue.get())
        except ConnectionClosed:
            pass

    def _push(self, subscriber: Subscriber, message: dict[str, Any]) -> None:
        if subscriber.dropped:
            return
        try:
            subscriber.queue.put_nowait(_dump(message))
        except asyncio.QueueFull:
            log.warning("EIDO subscriber %s too slow; closing it", subscriber.user.id)
            subscriber.dropped = True
            self.subscribers.discard(subscriber)
            asyncio.ensure_future(subscriber.connection.close(CLOSE_TOO_SLOW, "too slow; subscribe again"))

    def _receive(self, subscriber: Subscriber, message: str | bytes) -> None:
        try:
            frame = json.loads(message)
        except (ValueError, UnicodeDecodeError):
            asyncio.ensure_future(subscriber.connection.close(CLOSE_MALFORMED, "a message is a JSON object"))
            return
        kind = next(iter(frame), None) if isinstance(frame, dict) and len(frame) == 1 else None
        body = frame.get(kind) if kind else None
        if not isinstance(body, dict):
            body = {}
        if kind == "subscribe":
            self._subscribe(subscriber, body)
        elif kind == "unsubscribe":
            self._unsubscribe(subscriber, body)
        elif kind in ("eventResponse", "terminateResponse"):
            if body.get("statusCode") not in (200, None):
                log.info("EIDO subscriber %s answered %s: %s", subscriber.user.id, kind, body)
        else:
            self._push(subscriber, _answer("response", body.get("requestId"), 501, "Not implemented"))

    def _subscribe(self, subscriber: Subscriber, body: dict[str, Any]) -> None:
        request_id = body.get("requestId")
        refused = self._refusal(subscriber, body)
        if refused is not None:
            self._push(subscriber, _answer("subscribeResponse", request_id, *refused))
            return
        expires = body.get("expires", DEFAULT_EXPIRES_S)
        expires = min(expires, MAX_EXPIRES_S)
        renewing = body.get("subscriptionId")
        if renewing is not None:
            subscription = subscriber.subscriptions[renewing]
        else:
            incident = body.get("incidentId")
            incident_id = eido.incident_id_from_tracking(incident, eido.agency_id(self.world.deployment)) if incident else None
            subscription = Subscription(str(uuid.uuid4()), incident_id)
            subscriber.subscriptions[subscription.id] = subscription
        if subscription.expires is not None:
            subscription.expires.cancel()
        subscription.expires = asyncio.get_running_loop().call_later(expires, self._expire, subscriber, subscription)
        self._push(subscriber, _answer("subscribeResponse", request_id, 200, "OK",
                                       subscriptionId=subscription.id, expires=expires))  # fmt: skip
        if renewing is None and subscription.incident_id is not None:
            self._notify(subscriber, subscription, [subscription.incident_id])  # the state it starts from

    def _refusal(self, subscriber: Subscriber, body: dict[str, Any]) -> tuple[int, str] | None:
        """(statusCode, statusText) refusing a subscribe request, or None to accept it."""
        if not isinstance(body.get("requestId"), str) or not body["requestId"]:
            return 400, "requestId is required"
        expires = body.get("expires", DEFAULT_EXPIRES_S)
        if isinstance(expires, bool) or not isinstance(expires, int) or expires <= 0:
            return 400, "expires must be a positive whole number of seconds"
        if "subscriptionId" in body:
            if body["subscriptionId"] not in subscriber.subscriptions:
                return 481, "no such subscription"
            return None
        if body.get("requestType") != "EIDO":
            return 400, "requestType must be EIDO"
        if body.get("qualFilter") is not None:
            return 400, "qualFilter is not supported; subscribe to one incident or to all (new)"
        accepts = body.get("requestAccepts")
        if accepts is not None and ("json" not in str(accepts).lower()):
            return 406, "EIDOs are sent as JSON (application/emergency.eido+json)"
        sub_type, incident = body.get("requestSubType"), body.get("incidentId")
        if sub_type == "single":
            if not isinstance(incident, str) or not incident:
                return 400, "a single subscription needs an incidentId"
            if eido.incident_id_from_tracking(incident, eido.agency_id(self.world.deployment)) not in self.world.incidents:
                return 404, f"no incident {incident}"
            return None
        if sub_type == "new":
            return (400, "a subscription to every incident (new) takes no incidentId") if incident else None
        return 400, "requestSubType must be single (one incident) or new (every incident)"

    def _unsubscribe(self, subscriber: Subscriber, body: dict[str, Any]) -> None:
        request_id, subscription_id = body.get("requestId"), body.get("subscriptionId")
        subscription = subscriber.subscriptions.pop(subscription_id, None) if isinstance(subscription_id, str) else None
        if subscription is None:
            self._push(subscriber, _answer("unsubscribeResponse", request_id, 481, "no such subscription",
                                           subscriptionId=str(subscription_id or "")))  # fmt: skip
            return
        if subscription.expires is not None:
            subscription.expires.cancel()
        self._push(subscriber, _answer("unsubscribeResponse", request_id, 200, "OK", subscriptionId=subscription.id))

    def _expire(self, subscriber: Subscriber, subscription: Subscription) -> None:
        if subscriber.subscriptions.pop(subscription.id, None) is not None:
            self._push(subscriber, {"terminate": {"requestId": str(uuid.uuid4()), "subscriptionId": subscription.id}})

    async def close(self) -> None:
        """Close every subscriber's connection (the server is stopping; they subscribe again)."""
        await asyncio.gather(*(s.connection.close(CLOSE_SHUTDOWN, "server shutting down; subscribe again")
                               for s in list(self.subscribers)), return_exceptions=True)  # fmt: skip

    # --- after commit -------------------------------------------------------------------------
    def published(self, outcome: CommandOutcome) -> None:
        if not outcome.events or not self.subscribers:
            return
        touched = touched_incidents(outcome.events, self.world)
        built: dict[str, dict[str, Any]] = {}  # each incident's EIDO made once, however many follow it
        for subscriber in list(self.subscribers):
            for subscription in list(subscriber.subscriptions.values()):
                wanted = touched if subscription.incident_id is None else touched & {subscription.incident_id}
                if wanted:
                    self._notify(subscriber, subscription, sorted(wanted), built)

    def _notify(self, subscriber: Subscriber, subscription: Subscription, incident_ids: list[str],
                built: dict[str, dict[str, Any]] | None = None) -> None:  # fmt: skip
        built = {} if built is None else built
        for i in incident_ids:
            if i not in built and i in self.world.incidents:
                built[i] = eido.from_world(self.world, i)
        documents = [built[i] for i in incident_ids if i in built]
        if documents:
            self._push(subscriber, {"event": {"subscriptionId": subscription.id, "transactionId": str(uuid.uuid4()),
                                              "notification": documents}})  # fmt: skip


def _bearer(value: str) -> str:
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _address(connection: ServerConnection) -> str:
    remote = connection.remote_address
    return str(remote[0]) if remote else "unknown"
