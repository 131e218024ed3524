"""The workstation's one websocket to the server: connect, resume, reconnect, outbox.

No Textual here: the link feeds a `Replica` and tells listeners about two things only, its
status and what changed. The rules it keeps (design.md, "Client"):

- resume with `last_seq`, so an event missed while away is replayed, never lost;
- reconnect with capped exponential backoff and full jitter; after the fast phase keep probing
  near the cap; optionally give up (offline) until the dispatcher forces a retry;
- a command keeps its `command_id` in the outbox until its result arrives and is resent after
  a resume — the server answers a repeated id with the stored result, so it applies once;
- a `seq` gap means the replica is wrong: drop the connection and resume from the last good seq.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import nanoid
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from server import protocol

from .replica import Replica, SeqGap, Update

log = logging.getLogger("hurrinet.link")

# A command unanswered this long, or a ping this slow, marks a live link as degraded.
SLOW_ANSWER_S = 5.0
SLOW_PING_S = 1.5


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: full jitter, delay = random(0, min(cap, base·2^(attempt-1)))."""

    base: float = 0.5
    cap: float = 30.0
    fast_attempts: int = 5  # after these, probe near the cap
    give_up_after: int | None = None  # attempts; None keeps trying for the whole shift

    def delay(self, attempt: int, rng: random.Random) -> float:
        if attempt <= self.fast_attempts:
            return rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))
        # Still jittered so that a room full of workstations does not probe in step.
        return rng.uniform(self.cap / 2, self.cap)


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True)
class LinkStatus:
    state: LinkState = LinkState.CONNECTING
    attempt: int = 0
    retry_in: float | None = None  # seconds from `since` until the next attempt
    reason: str = ""
    degraded: bool = False
    user: str | None = None
    role: str | None = None

    @property
    def connected(self) -> bool:
        return self.state is LinkState.CONNECTED

    def describe(self) -> str:
        if self.state is LinkState.CONNECTED:
            return "Connected — degraded" if self.degraded else "Connected"
        if self.state is LinkState.RECONNECTING:
            wait = f" in {self.retry_in:.0f} s" if self.retry_in is not None else ""
            return f"Disconnected — reconnecting{wait} (attempt {self.attempt})"
        if self.state is LinkState.OFFLINE:
            return f"Offline — {self.reason}" if self.reason else "Offline"
        return "Connecting…"


class CommandFailed(Exception):
    """The server refused a command: its error code, message and details (protocol.md)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


@dataclass
class _Pending:
    frame: str
    future: asyncio.Future[dict[str, Any]]
    sent_at: float | None = None


class _Resync(Exception):
    pass


def decode(message: str | bytes) -> dict[str, Any]:
    """orjson, because a 10,000-incident snapshot decodes in a fraction of json's time; and the
    cyclic collector paused while a big frame becomes millions of objects, which would otherwise
    trigger full collections mid-parse (JSON holds no cycles, so nothing is left to collect)."""
    if len(message) < 1_000_000:
        return orjson.loads(message)
    gc.disable()
    try:
        return orjson.loads(message)
    finally:
        gc.enable()


class ServerLink:
    def __init__(
        self,
        url: str,
        token: str,
        replica: Replica | None = None,
        *,
        backoff: Backoff | None = None,
        rng: random.Random | None = None,
        compression: bool = True,
        new_id: Callable[[], str] = nanoid.generate,
    ) -> None:
        self.url, self.token = url, token
        self.replica = replica or Replica()
        self.backoff = backoff or Backoff()
        self.rng = rng or random.Random()
        self.compression = compression
        self.new_id = new_id
        self.status = LinkStatus()
        self.status_listeners: list[Callable[[LinkStatus], None]] = []
        self.update_listeners: list[Callable[[Update], None]] = []
        self.delays: list[float] = []  # every backoff delay chosen, for the curious (and tests)
        self.welcome_modes: list[str] = []  # "snapshot" or "replay", one per session
        self._welcome: dict[str, Any] | None = None
        self._outbox: dict[str, _Pending] = {}
        self.own_ids: set[str] = set()  # our command ids: their events are ours, not the room's
        self._connection: ClientConnection | None = None
        self._retry = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    # --- lifecycle ------------------------------------------------------------------------------
    def start(self) -> asyncio.Task[None]:
        self._task = asyncio.create_task(self.run(), name="hurrinet-link")
        return self._task

    async def close(self) -> None:
        self._closed = True
        self._retry.set()
        if self._connection is not None:
            await self._connection.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for pending in self._outbox.values():
            if not pending.future.done():
                pending.future.cancel()

    def retry_now(self) -> None:
        """The dispatcher asked: skip the wait (or leave offline) and try at once."""
        self._retry.set()

    async def run(self) -> None:
        attempt = 0
        while not self._closed:
            resync = False
            try:
                await self._session()
            except _Resync:
                resync = True
            except InvalidStatus as error:
                if error.response.status_code in (401, 403):
                    self._set_status(state=LinkState.OFFLINE, reason="the server refused the token", retry_in=None)
                    await self._wait_for_retry(None)
                    attempt = 0
                    continue
                log.info("handshake refused: %s", error)
            except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, ValueError) as error:
                log.info("connection lost: %r", error)
            self._connection = None
            if self._closed:
                break
            if resync:
                continue  # at once: the server is there, our copy is what is wrong
            attempt = 0 if self.status.connected else attempt
            attempt += 1
            if self.backoff.give_up_after is not None and attempt > self.backoff.give_up_after:
                self._set_status(state=LinkState.OFFLINE, attempt=attempt - 1, retry_in=None,
                                 reason=f"gave up after {attempt - 1} attempts; retry by hand")  # fmt: skip
                await self._wait_for_retry(None)
                attempt = 0
                continue
            delay = self.backoff.delay(attempt, self.rng)
            self.delays.append(delay)
            self._set_status(state=LinkState.RECONNECTING, attempt=attempt, retry_in=delay, degraded=False)
            await self._wait_for_retry(delay)

    async def _wait_for_retry(self, delay: float | None) -> None:
        self._retry.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._retry.wait(), delay)

    async def _session(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with connect(self.url, additional_headers=headers, open_timeout=10, ping_interval=10,
                           ping_timeout=20, compression="deflate" if self.compression else None,
                           max_size=None, close_timeout=2) as connection:  # fmt: skip
            self._connection = connection
            # A snapshot cut short by a drop cannot be resumed: ask for a whole one again.
            last_seq = self.replica.seq if self.replica.complete else None
            hello = {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": last_seq}
            await connection.send(orjson.dumps(hello).decode())
            async for message in connection:
                self._receive(decode(message))

    # --- frames in ------------------------------------------------------------------------------
    def _receive(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        if kind == "event":
            try:
                update = self.replica.apply(frame)
            except SeqGap as gap:
                log.warning("event order broken (%s); resuming from %s", gap, self.replica.seq)
                raise _Resync from gap
            self._notify(update)
        elif kind == "result":
            self._result(frame)
        elif kind == "snapshot":
            self._snapshot_part(frame)
        elif kind == "welcome":
            self.welcome_modes.append(frame["mode"])
            self._welcome = frame
            if frame["mode"] == "snapshot":
                self.replica.begin_snapshot(frame["seq"])
            else:
                self._connected()
            self._flush()
        else:
            log.warning("unexpected frame %s", str(frame)[:200])

    def _connected(self) -> None:
        """Connected once the state is whole: right after a replay, after a snapshot's last part."""
        welcome = self._welcome or {}
        self._set_status(state=LinkState.CONNECTED, attempt=0, retry_in=None, reason="",
                         user=welcome.get("user"), role=welcome.get("role"))  # fmt: skip

    def _snapshot_part(self, frame: dict[str, Any]) -> None:
        """Paint what has arrived, and ask for more: the server sends a few parts at a time, so
        pings and results pass between them on a slow link."""
        last = frame["part"] + 1 == frame["parts"]
        update = self.replica.load_part(frame["data"], last)
        if self._connection is not None:
            ack = orjson.dumps({"type": "snapshot.ack", "part": frame["part"]}).decode()
            asyncio.ensure_future(self._connection.send(ack))
        if last:
            self._connected()
            # A big snapshot is millions of long-lived objects; left to the cyclic collector,
            # every later full collection walks them all (~100 ms each, measured at 10,000
            # incidents). JSON data holds no cycles, so refcounting still frees replaced parts.
            gc.freeze()
        self._notify(update)

    def _result(self, frame: dict[str, Any]) -> None:
        pending = self._outbox.pop(frame.get("command_id"), None)
        if pending is None:
            if not frame.get("ok", True):
                log.warning("server error outside a command: %s", frame.get("error"))
            return
        if pending.future.done():
            return
        if frame["ok"]:
            pending.future.set_result(frame.get("value", {}))
        else:
            error = frame["error"]
            pending.future.set_exception(CommandFailed(error["code"], error["message"], error.get("details")))
        self._check_degraded()

    # --- commands out ---------------------------------------------------------------------------
    def submit(self, name: str, args: dict[str, Any] | None = None) -> asyncio.Future[dict[str, Any]]:
        """Queue a command; the future holds its value or raises CommandFailed."""
        command_id = self.new_id()
        frame = orjson.dumps({"type": "command", "command_id": command_id, "name": name, "args": args or {}}).decode()
        pending = _Pending(frame, asyncio.get_running_loop().create_future())
        self._outbox[command_id] = pending
        self.own_ids.add(command_id)
        if self.status.connected:
            self._send(pending)
        return pending.future

    async def command(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self.submit(name, args)

    @property
    def outbox_size(self) -> int:
        return len(self._outbox)

    def _flush(self) -> None:
        for pending in list(self._outbox.values()):
            self._send(pending)

    def _send(self, pending: _Pending) -> None:
        connection = self._connection
        if connection is None:
            return
        pending.sent_at = asyncio.get_running_loop().time()
        task = asyncio.ensure_future(connection.send(pending.frame))
        # A send that fails means the connection is going; the run loop resends after resume.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    # --- status ---------------------------------------------------------------------------------
    def _check_degraded(self) -> None:
        """Connected but slow: a ping or an answer takes long enough that a dispatcher should know."""
        if not self.status.connected or self._connection is None:
            return
        now = asyncio.get_running_loop().time()
        overdue = any(p.sent_at is not None and now - p.sent_at > SLOW_ANSWER_S for p in self._outbox.values())
        degraded = overdue or self._connection.latency > SLOW_PING_S
        if degraded != self.status.degraded:
            self._set_status(degraded=degraded)

    def poll(self) -> None:
        """Called by the view once a second; keeps `degraded` honest between frames."""
        self._check_degraded()

    def _set_status(self, **changes: Any) -> None:
        self.status = replace(self.status, **changes)
        for listener in list(self.status_listeners):
            listener(self.status)

    def _notify(self, update: Update) -> None:
        for listener in list(self.update_listeners):
            listener(update)
