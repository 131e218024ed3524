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
import time
import weakref
from collections import defaultdict, deque
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
from server.net.accounts import Accounts, User
from server.net.alerts import SimulatedDelivery

log = logging.getLogger("hurrinet.hub")

CLOSE_TOO_SLOW = 4001
CLOSE_SHUTDOWN = 1001

# Answers a control command (protocol: `control=True`) from its parsed arguments.
Control = Callable[[protocol.Args], dict[str, Any]]


@dataclass
class HubSettings:
    queue_limit: int = 10_000  # frames waiting for one session before it is dropped as too slow
    replay_limit: int = 10_000  # further behind than this, a snapshot is cheaper than a replay
    failed_logins_per_minute: int = 5
    failed_login_delay_s: float = 2.0


@dataclass(eq=False)
class Session:
    connection: ServerConnection
    user: User
    queue: asyncio.Queue[str]
    joined: bool = False  # receives broadcasts once its hello is answered
    dropped: bool = False  # closed for being too slow; nothing more is queued
    closing: asyncio.Task[None] | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.role, self.user.name)


def _dump(frame: dict[str, Any]) -> str:
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))


def _error_frame(command_id: Any, code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "type": "result",
        "command_id": command_id if isinstance(command_id, str) else None,
        "ok": False,
        "error": {"code": code, "message": message, "details": details},
    }


@dataclass
class _Throttle:
    """Failed handshakes per address in the last minute."""

    failures: dict[str, deque[float]] = field(default_factory=lambda: defaultdict(deque))

    def recent(self, address: str) -> int:
        window = self.failures[address]
        while window and window[0] < time.monotonic() - 60:
            window.popleft()
        return len(window)

    def fail(self, address: str) -> None:
        self.failures[address].append(time.monotonic())


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
        self._throttle = _Throttle()
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
        if self._throttle.recent(address) >= self.settings.failed_logins_per_minute:
            await asyncio.sleep(self.settings.failed_login_delay_s)  # slow down guessing, not the others
        user = self.accounts.authenticate(_bearer(request.headers))
        if user is None:
            self._throttle.fail(address)
            self.accounts.audit(self.now(), "login_failed", address=address)
            log.info("refused handshake from %s: missing, bad or revoked token", address)
            return connection.respond(HTTPStatus.UNAUTHORIZED, "missing, bad or revoked bearer token\n")
        self._users[connection] = user
        self.accounts.audit(self.now(), "login", user_id=user.id, address=address)
        return None

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
        size = len(message.encode() if isinstance(message, str) else message)
        if size > protocol.MAX_FRAME_BYTES:
            self._push(session, _dump(_error_frame(None, "bad_request",
                       f"frame of {size} bytes is over the {protocol.MAX_FRAME_BYTES} byte limit")))  # fmt: skip
            return
        try:
            frame = json.loads(message)
        except (ValueError, UnicodeDecodeError) as error:
            self._push(session, _dump(_error_frame(None, "bad_request", f"malformed JSON: {error}")))
            return
        if not isinstance(frame, dict):
            self._push(session, _dump(_error_frame(None, "bad_request", "a frame is a JSON object with a type")))
            return
        kind = frame.get("type")
        if kind == "hello":
            self._hello(session, frame)
        elif kind == "command":
            self._command(session, frame)
        else:
            self._push(session, _dump(_error_frame(frame.get("command_id"), "bad_request",
                                                   f"unknown frame type {kind!r}")))  # fmt: skip

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
        command_id, name = frame.get("command_id"), frame.get("name")
        if not isinstance(command_id, str) or not command_id or len(command_id) > 64:
            self._push(session, _dump(_error_frame(command_id, "bad_request", "command_id must be a string of 1–64 characters")))
            return
        if not isinstance(name, str):
            self._push(session, _dump(_error_frame(command_id, "bad_request", "name must be a string")))
            return
        outcome = self.execute(command_id, name, frame.get("args", {}), session.actor)
        self._push(session, _dump(outcome.frame(command_id)))

    def execute(self, command_id: str, name: str, args: Any, actor: Actor) -> CommandOutcome:
        """Run a command as `actor`, audit it and broadcast its events: the one path for a
        session's commands and for in-process actors such as the demo simulator."""
        spec = protocol.COMMANDS.get(name)
        if spec is not None and spec.control:
            outcome = self._control(command_id, name, args, actor)
        elif spec is not None and spec.account:
            outcome = self._account(name, args, actor)
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

    def _account(self, name: str, args: Any, actor: Actor) -> CommandOutcome:
        """The user's own PIN: nothing stored under the command id (a resend asks again), and
        the PIN goes nowhere but into the hash check."""
        try:
            _, parsed = validate(name, args, actor)
            now = self.now()
            if isinstance(parsed, protocol.AccountSetPin):
                self.accounts.set_pin(actor.user_id, parsed.pin, parsed.current_pin, now)
                return CommandOutcome(True, {})
            if isinstance(parsed, protocol.AccountVerifyPin):
                self.accounts.verify_pin(actor.user_id, parsed.pin, now)
                return CommandOutcome(True, {"ok": True})
            return CommandOutcome(True, self.accounts.pin_status(actor.user_id, now))
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
