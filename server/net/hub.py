"""The websocket hub: authenticate, hello/resume, commands, ordered broadcast, timers.

One event loop owns the world. A command runs to completion without awaiting (the runner is
synchronous), so every session sees commands in one order and a `hello` can read the event
log and join the broadcast at one consistent point. Every frame to a session goes through its
bounded queue: a session that cannot keep up is closed (it will resume), never allowed to
stall the others or grow memory without bound.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http import HTTPStatus
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from server import protocol
from server.app import wire
from server.app.commands import CommandOutcome, CommandRunner, validate
from server.domain.errors import DomainError, NotFound
from server.domain.world import Actor
from server.net import frames
from server.net.accounts import Accounts, User, token_hash
from server.net.alerts import SimulatedDelivery
from server.net.throttle import LoginThrottle

log = logging.getLogger("hurrinet.hub")

CLOSE_TOO_SLOW = 4001
CLOSE_SHUTDOWN = 1001

# Answers a control command (protocol: `control=True`) from its parsed arguments.
Control = Callable[[protocol.Args], dict[str, Any]]


@dataclass
class HubSettings:
    queue_limit: int = 10_000  # frames waiting for one session before it is dropped as too slow
    replay_limit: int = 10_000  # further behind than this, a snapshot is cheaper than a replay


@dataclass(eq=False)
class Session:
    connection: ServerConnection
    user: User
    queue: asyncio.Queue[str]
    joined: bool = False  # receives broadcasts once its hello is answered
    dropped: bool = False  # closed for being too slow; nothing more is queued
    closing: asyncio.Task[None] | None = None
    invalid: frames.InvalidFrames = field(default_factory=frames.InvalidFrames)

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.role, self.user.unit)


def _dump(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def _error_frame(command_id: Any, code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "type": "result",
        "command_id": command_id if isinstance(command_id, str) else None,
        "ok": False,
        "error": {"code": code, "message": message, "details": details},
    }


class Hub:
    def __init__(
        self,
        runner: CommandRunner,
        accounts: Accounts,
        delivery: SimulatedDelivery | None = None,
        settings: HubSettings | None = None,
    ) -> None:
        self.runner = runner
        self.accounts = accounts
        self.delivery = delivery or SimulatedDelivery()
        self.settings = settings or HubSettings()
        self.sessions: set[Session] = set()
        self.throttle = LoginThrottle()
        # handshake → handler; weak so a connection whose upgrade fails leaves nothing behind
        self._users: weakref.WeakKeyDictionary[ServerConnection, User] = weakref.WeakKeyDictionary()
        self._timers: set[asyncio.TimerHandle] = set()
        # Whatever runs in this process beside the state (the demo simulation) registers the
        # control commands it answers; without one, such a command is refused.
        self.controls: dict[str, Control] = {}

    def now(self) -> datetime:
        return self.runner.clock.now()

    # --- handshake ----------------------------------------------------------------------------
    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        if request.path != "/ws":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found; dispatch positions connect to /ws\n")
        address = _address(connection)
        self._audit_failed_logins()
        token = _bearer(request.headers)
        user = self.accounts.authenticate(token)  # first, and never after a wait: see throttle.py
        if user is None:
            return self._refuse_login(connection, address, token_hash(token))
        if user.unit is not None and self.runner.world.unit_by_callsign(user.unit) is None:
            log.warning("refused handshake of user %s: bound to unit %s, unknown here", user.id, user.unit)
            return connection.respond(HTTPStatus.FORBIDDEN, f"this account is bound to unit {user.unit}, which this "
                                      "deployment does not have; re-add it with the right --unit\n")  # fmt: skip
        self._users[connection] = user
        self.accounts.audit(self.now(), "login", user_id=user.id, address=address)
        return None

    def _refuse_login(self, connection: ServerConnection, address: str, credential: str) -> Response:
        now = time.monotonic()
        locked = self.throttle.locked_for(address, credential, now)
        if self.throttle.failed(address, credential, now) is not None:  # the first of a period
            self.accounts.audit(self.now(), "login_failed", address=address, result="unauthorized")
            log.info("refused handshake from %s: missing, bad or revoked token", address)

            def report() -> None:  # the period's row, even if no handshake comes after it
                self._timers.discard(handle)
                self._audit_failed_logins()

            handle = asyncio.get_running_loop().call_later(self.throttle.audit_period_s, report)
            self._timers.add(handle)
        if locked:
            seconds = math.ceil(locked)
            response = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, f"too many failed logins from this address "
                                          f"or with this token; locked out, try again in {seconds} s\n")  # fmt: skip
            response.headers["Retry-After"] = str(seconds)
            return response
        return connection.respond(HTTPStatus.UNAUTHORIZED, "missing, bad or revoked bearer token\n")

    def _audit_failed_logins(self) -> None:
        """One row per address per period for the failures after its first (throttle.py)."""
        for address, count in self.throttle.due(time.monotonic()):
            self.accounts.audit(self.now(), "login_failed", address=address, result=f"unauthorized x{count}")
            log.info("refused %d more handshakes from %s: missing, bad or revoked token", count, address)

    # --- a session ----------------------------------------------------------------------------
    async def handler(self, connection: ServerConnection) -> None:
        user = self._users.pop(connection)
        session = Session(connection, user, asyncio.Queue(self.settings.queue_limit))
        self.sessions.add(session)
        log.info("session open: user %s (%s) from %s", user.id, user.role, _address(connection))
        sender = asyncio.create_task(self._send_loop(session))
        try:
            async for message in connection:
                self._handle(session, message)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.discard(session)
            sender.cancel()
            self.accounts.audit(self.now(), "disconnect", user_id=user.id, address=_address(connection))
            log.info("session closed: user %s (%s)", user.id, connection.close_code)

    async def _send_loop(self, session: Session) -> None:
        try:
            while True:
                await session.connection.send(await session.queue.get())
        except ConnectionClosed:
            pass

    def _push(self, session: Session, frame: str) -> None:
        if session.dropped:
            return
        try:
            session.queue.put_nowait(frame)
        except asyncio.QueueFull:
            log.warning("session of user %s too slow; closing it so it resumes", session.user.id)
            session.joined, session.dropped = False, True
            self.sessions.discard(session)
            session.closing = asyncio.ensure_future(
                session.connection.close(CLOSE_TOO_SLOW, "too slow; reconnect and resume")
            )

    def _handle(self, session: Session, message: str | bytes) -> None:
        if session.dropped:
            return
        try:
            frame = frames.decode(message)  # refused there: never run, stored, audited or logged
        except frames.FrameError as error:
            self._push(session, _dump(error.frame()))
            if session.invalid.refused(time.monotonic()):
                self._close_invalid(session)
            return
        if frame["type"] == "hello":
            self._hello(session, frame)
        else:
            self._command(session, frame)

    def _close_invalid(self, session: Session) -> None:
        log.warning("session of user %s sent over %d invalid frames in %g s; closing it", session.user.id,
                    protocol.INVALID_FRAMES_LIMIT, protocol.INVALID_FRAMES_WINDOW_S)  # fmt: skip
        session.joined, session.dropped = False, True
        self.sessions.discard(session)
        session.closing = asyncio.ensure_future(session.connection.close(protocol.CLOSE_INVALID_FRAMES,
                                                                         frames.CLOSE_INVALID_REASON))  # fmt: skip

    def _hello(self, session: Session, frame: dict[str, Any]) -> None:
        if frame.get("protocol") != protocol.PROTOCOL_VERSION:
            self._push(session, _dump(_error_frame(None, "bad_request",
                       f"this server speaks protocol {protocol.PROTOCOL_VERSION}")))  # fmt: skip
            return
        world = self.runner.world
        last_seq = frame.get("last_seq")
        welcome: dict[str, Any] = {
            "type": "welcome",
            "user": session.user.name,
            "role": session.user.role,
            "seq": world.seq,
        }
        replayable = (
            isinstance(last_seq, int)
            and not isinstance(last_seq, bool)
            and 0 <= last_seq <= world.seq
            and world.seq - last_seq <= self.settings.replay_limit
        )
        # No await from here on: the welcome, the replay and joining happen at one point in seq.
        if replayable:
            welcome["mode"] = "replay"
            self._push(session, _dump(welcome))
            for event in self.runner.store.events_after(last_seq):
                self._push(session, _dump({"type": "event", **event}))
        else:
            welcome["mode"] = "snapshot"
            welcome["snapshot"] = wire.snapshot(world)
            self._push(session, _dump(welcome))
        session.joined = session in self.sessions

    def _command(self, session: Session, frame: dict[str, Any]) -> None:
        command_id, name = frame["command_id"], frame["name"]  # checked by frames.decode
        outcome = self.execute(command_id, name, frame.get("args", {}), session.actor)
        self._push(session, _dump(outcome.frame(command_id)))

    def execute(self, command_id: str, name: str, args: Any, actor: Actor) -> CommandOutcome:
        """Run a command as `actor`, audit it and broadcast its events: the one path for a
        session's commands and for in-process actors such as the demo simulator."""
        spec = protocol.COMMANDS.get(name)
        if spec is not None and spec.control:
            outcome = self._control(command_id, name, args, actor)
        else:
            outcome = self.runner.run(command_id, name, args, actor)
        self.accounts.audit(self.now(), "command", user_id=actor.user_id, command=name[:64],
                            command_id=command_id, result="ok" if outcome.ok else outcome.result["code"])  # fmt: skip
        log.info("command %s %s by %s: %s", name, command_id, actor.user_id,
                 "ok" if outcome.ok else outcome.result["code"])  # fmt: skip
        self._publish(outcome)
        return outcome

    def _control(self, command_id: str, name: str, args: Any, actor: Actor) -> CommandOutcome:
        stored = self.runner.store.result_for(command_id)  # a command id answers one way only
        if stored is not None:
            return CommandOutcome(stored.ok, stored.result, replayed=True)
        try:
            _, parsed = validate(name, args, actor)
            control = self.controls.get(name)
            if control is None:
                noun = name.split(".")[0]
                raise NotFound(f"this server runs no {noun}; {name} works on a demo server (hurrinet-server demo)",
                               command=name)  # fmt: skip
            return CommandOutcome(True, control(parsed))
        except DomainError as error:
            return CommandOutcome(False, error.to_wire())

    # --- after commit -------------------------------------------------------------------------
    def _publish(self, outcome: CommandOutcome) -> None:
        """Broadcast committed events in seq order and start the timers they call for."""
        for event in outcome.events:
            text = _dump({"type": "event", **event})
            for session in list(self.sessions):
                if session.joined:
                    self._push(session, text)
            unit = event["data"].get("unit")
            if unit and unit["status"]["state"] == "dispatching" and event["name"] == "unit.status_changed":
                self._start_dispatch_timer(unit["callsign"], unit["status"]["state_changed_at"])
        for request in outcome.alerts:
            self.delivery.deliver(request, self._acknowledge)

    def _run_system(self, name: str, args: dict[str, Any]) -> None:
        outcome = self.runner.run_system(name, args)
        if not outcome.ok:
            log.info("system command %s refused: %s", name, outcome.result["message"])
        self._publish(outcome)

    def _acknowledge(self, unit_id: str, target_id: str) -> None:
        unit = self.runner.world.units.get(unit_id)
        if unit is not None:
            self._run_system("alert.ack", {"unit": unit.callsign, "target_id": target_id})

    def _start_dispatch_timer(self, callsign: str, since: str) -> None:
        def fire() -> None:
            self._timers.discard(handle)
            self._run_system("unit.dispatch_timeout", {"unit": callsign, "since": since})

        delay = self.runner.world.deployment.dispatch_timeout_s
        handle = asyncio.get_running_loop().call_later(delay, fire)
        self._timers.add(handle)

    def cancel_timers(self) -> None:
        for handle in self._timers:
            handle.cancel()
        self._timers.clear()

    async def close_sessions(self) -> None:
        await asyncio.gather(
            *(s.connection.close(CLOSE_SHUTDOWN, "server shutting down; reconnect and resume") for s in self.sessions),
            return_exceptions=True,
        )


def _bearer(headers: Headers) -> str:
    value = headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _address(connection: ServerConnection) -> str:
    remote = connection.remote_address
    return str(remote[0]) if remote else "unknown"
