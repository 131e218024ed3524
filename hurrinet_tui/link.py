"""The workstation's one websocket to the server: connect, resume, reconnect, outbox.

No Textual here: the link feeds a `Replica` and tells listeners about two things only, its
status and what changed. The rules it keeps (design.md, "Client"):

- resume with `last_seq`, so an event missed while away is replayed, never lost;
- reconnect with capped exponential backoff and full jitter; after the fast phase keep probing
  near the cap; optionally give up (offline) until the dispatcher forces a retry;
- a command keeps its `command_id` in the outbox until its result arrives and is resent after
  a resume — the server answers a repeated id with the stored result, so it applies once;
- a `seq` gap means the replica is wrong: drop the connection and resume from the last good seq;
- given several server URLs, a failed probe or an ended session moves on to the next one (round
  robin, same backoff) and resumes there with `last_seq`; a refused token stays a hard error
  (docs/failover.md);
- a heartbeat: pings every couple of seconds, silence shown as degraded within seconds and, when
  long, the connection dropped and cheap probes started (reconnect.py), so a link that died
  without closing is noticed and left, and the link's return is noticed within a probe or two.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import nanoid
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from server import protocol

from .outbox import Entry, Outbox, OutboxFull, Row, describe
from .reconnect import Backoff, LinkTiming, Retries, Servers, probe, reason_for, server_name
from .replica import Replica, SeqGap, Update

log = logging.getLogger("hurrinet.link")

__all__ = ["Backoff", "CommandFailed", "LinkState", "LinkStatus", "LinkTiming", "ServerLink"]

# How long "failed over from …" stays on the status line after the link moved to another server:
# long enough to be seen by someone who looked away, short enough not to become wallpaper.
FAILOVER_SHOWN_S = 600.0


class LinkState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    OFFLINE = "offline"


@dataclass(frozen=True)
class LinkStatus:
    state: LinkState = LinkState.CONNECTING
    attempt: int = 0
    retry_in: float | None = None  # seconds from the change until the next attempt
    reason: str = ""  # why the link is down, or why it is degraded
    degraded: bool = False
    user: str | None = None
    role: str | None = None
    last_heard: float | None = None  # wall-clock time (time.time()) of the last byte from the server
    # Only with several server URLs (one URL: the line reads as it always did): host:port of the
    # server it is on, or will try next; and, once it moved, where from and when (time.time()).
    server: str | None = None
    failed_over_from: str | None = None
    failed_over_at: float | None = None

    @property
    def connected(self) -> bool:
        return self.state is LinkState.CONNECTED

    def failover_shown(self, now: float | None) -> bool:
        """Whether the line still says it failed over (for FAILOVER_SHOWN_S; always without `now`)."""
        if self.failed_over_from is None or self.failed_over_at is None:
            return False
        return now is None or now - self.failed_over_at < FAILOVER_SHOWN_S

    def describe(self, now: float | None = None) -> str:
        """One line for the status bar; with `now` (time.time()), also when it last heard the server."""
        heard = ""
        if now is not None and self.last_heard is not None and (self.degraded or not self.connected):
            heard = f" · last heard {ago(now - self.last_heard)}"
        to = f" to {self.server}" if self.server else ""
        if self.state is LinkState.CONNECTED:
            moved = ""
            if self.failover_shown(now):
                when = f" {ago(now - self.failed_over_at)}" if now is not None else ""
                moved = f" · failed over from {self.failed_over_from}{when}"
            if not self.degraded:
                return f"Connected{to}{moved}"
            degraded = f"Connected{to} — degraded: {self.reason}" if self.reason else f"Connected{to} — degraded"
            return f"{degraded}{heard}{moved}"
        why = f": {self.reason}" if self.reason else ""
        if self.state is LinkState.RECONNECTING:
            wait = f" in {self.retry_in:.0f} s" if self.retry_in is not None else ""
            # With several servers, the next one named in few words: the reason names the last.
            doing = f"trying {self.server}" if self.server else "reconnecting"
            return f"Disconnected — {doing}{wait} (attempt {self.attempt}){why}{heard}"
        if self.state is LinkState.OFFLINE:
            return f"Offline{why}{heard}"
        return f"Connecting{to}…{why}"


def ago(seconds: float) -> str:
    seconds = max(seconds, 0.0)
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago"


class CommandFailed(Exception):
    """The server refused a command: its error code, message and details (protocol.md)."""

    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.details = code, message, details or {}


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


class _HeardConnection(ClientConnection):
    """A client connection that stamps the time of every byte received, so a big frame still
    arriving over a slow link counts as the server talking (a whole-message hook would not)."""

    heard_at: float = 0.0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.heard_at = self.loop.time()  # the clock starts with the connection, not at 0
        super().connection_made(transport)

    def data_received(self, data: bytes) -> None:
        self.heard_at = self.loop.time()
        super().data_received(data)


class ServerLink:
    def __init__(
        self,
        url: str | Sequence[str],
        token: str,
        replica: Replica | None = None,
        *,
        backoff: Backoff | None = None,
        timing: LinkTiming | None = None,
        rng: random.Random | None = None,
        compression: bool = True,
        new_id: Callable[[], str] = nanoid.generate,
        outbox_limit: int | None = None,
        explain: Callable[[], str | None] | None = None,
    ) -> None:
        """`url`: one server, or several to fail over between in that order (round robin).
        `explain`: asked when the link goes down, for a reason the link cannot see itself
        (`hurrinet demo`: "the demo server stopped"); None when it knows nothing better."""
        self.servers = Servers([url] if isinstance(url, str) else url)
        self.token = token
        self.replica = replica or Replica()
        self.backoff = backoff or Backoff()
        self.timing = timing or LinkTiming()
        self.rng = rng or random.Random()
        self.retries = Retries(self.servers, self.backoff, self.rng)
        self.compression = compression
        self.new_id = new_id
        self.explain = explain
        self.status = LinkStatus(server=self._server_shown())
        self.status_listeners: list[Callable[[LinkStatus], None]] = []
        self.update_listeners: list[Callable[[Update], None]] = []
        self.outbox_listeners: list[Callable[[], None]] = []  # told when a command waits, goes or fails
        self.delays: list[float] = []  # every backoff delay chosen, for the curious (and tests)
        self.welcome_modes: list[str] = []  # "snapshot" or "replay", one per session
        self.sessions_on: list[str] = []  # the URL of every welcomed session, in order (tests, bench)
        self._on: str | None = None  # the URL of the server the link was last connected to
        self._welcome: dict[str, Any] | None = None
        self.outbox = Outbox() if outbox_limit is None else Outbox(outbox_limit)
        self.own_ids: set[str] = set()  # our command ids: their events are ours, not the room's
        self._connection: _HeardConnection | None = None
        self._heard_at: float | None = None  # loop time of the last byte from any connection
        self._drop_reason: str | None = None  # why the link itself dropped a connection
        self._watching: asyncio.Task[None] | None = None  # the heartbeat's watch on the live connection
        self._retry = asyncio.Event()
        self._closed = False
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The server the link is on, or will try next."""
        return self.servers.current

    def _server_shown(self) -> str | None:
        return server_name(self.url) if self.servers.several else None

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
        for entry in self.outbox.entries():
            if entry.future is not None and not entry.future.done():
                entry.future.cancel()

    def retry_now(self) -> None:
        """The dispatcher asked: skip the wait (or leave offline) and try at once."""
        self._retry.set()

    async def run(self) -> None:
        """Sessions while the server lets us; between them, probes after full-jitter delays until
        one is answered; the rules of when, and on which server, are `Retries` (reconnect.py)."""
        retries, reason = self.retries, ""
        while not self._closed:
            if retries.waiting:
                if retries.gave_up:
                    tried = retries.attempt - 1
                    self._set_status(state=LinkState.OFFLINE, attempt=tried, retry_in=None, degraded=False,
                                     reason=f"gave up after {tried} attempts ({reason}); ^R retries")  # fmt: skip
                    await self._wait_for_retry(None)
                    retries.reset()
                    continue
                delay = retries.delay()
                self.delays.append(delay)
                self._set_status(state=LinkState.RECONNECTING, attempt=retries.attempt, retry_in=delay, degraded=False,
                                 reason=self._explained(reason), server=self._server_shown())  # fmt: skip
                asked = await self._wait_for_retry(delay)
                if self._closed:
                    break
                problem = None if asked else await probe(self.url, self.timing.probe_timeout)
                if problem is not None:
                    reason = problem
                    retries.probe_failed()
                    continue
            probed = retries.waiting
            outcome = await self._one_session()
            if outcome is None:  # resync: at once, the server is there and our copy is what is wrong
                continue
            was_up, reason, refused = outcome
            if self._closed:
                break
            if refused:  # retrying cannot help until someone fixes the token (on any server: one database)
                self._set_status(state=LinkState.OFFLINE, retry_in=None, degraded=False, reason=reason)
                await self._wait_for_retry(None)
                retries.reset()
                continue
            retries.session_ended(was_up, probed)

    async def _one_session(self) -> tuple[bool, str, bool] | None:
        """Run a session to its end: (whether it was up, welcomed and lasting, why it ended,
        whether the token was refused), or None when it ended to resync. A session that ends
        within seconds of starting counts as failed even if welcomed, so a server that drops
        everyone straight after the welcome gets the long backoff, not a reconnect a second."""
        self._drop_reason = None
        welcomed, started = len(self.welcome_modes), self._now()
        reason, refused = "the server ended the session", False
        try:
            await self._session()
            reason = self._drop_reason or self._closed_by_server() or reason
        except _Resync:
            return None
        except (OSError, ConnectionClosed, InvalidHandshake, TimeoutError, ValueError) as error:
            reason = self._drop_reason or reason_for(error, self.url)
            refused = isinstance(error, InvalidStatus) and error.response.status_code in (401, 403)
            log.info("connection lost: %s (%r)", reason, error)
        finally:
            if self._watching is not None:
                self._watching.cancel()
            self._connection, self._watching = None, None
            self.outbox.connection_lost()
            if len(self.outbox):
                self._outbox_changed()
        lasted = self._now() - started >= self.timing.stable_after
        return len(self.welcome_modes) > welcomed and lasted, reason, refused

    def _closed_by_server(self) -> str | None:
        """A clean close, in words: who closed it and why (e.g. code 1001, going away)."""
        connection = self._connection
        if connection is None or connection.close_code is None:
            return None
        said = f": {connection.close_reason}" if connection.close_reason else ""
        return f"{server_name(self.url)} closed the connection (code {connection.close_code}{said})"

    def _explained(self, reason: str) -> str:
        better = self.explain() if self.explain is not None else None
        return better or reason

    async def _wait_for_retry(self, delay: float | None) -> bool:
        """Wait `delay` seconds (None: until asked); True when the dispatcher asked to retry now."""
        self._retry.clear()
        try:
            await asyncio.wait_for(self._retry.wait(), delay)
        except TimeoutError:
            return False
        return True

    async def _session(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        timing = self.timing
        # Keepalive pings every few seconds but never a ping timeout: a pong queued behind a big
        # frame on a slow link is not a dead link. Silence is judged by `_watch` on bytes received.
        async with connect(self.url, additional_headers=headers, open_timeout=timing.open_timeout,
                           ping_interval=timing.ping_every, ping_timeout=None, create_connection=_HeardConnection,
                           compression="deflate" if self.compression else None,
                           max_size=None, close_timeout=2) as connection:  # fmt: skip
            self._connection = connection
            self._watching = asyncio.create_task(self._watch(connection), name="hurrinet-link-watch")
            # A snapshot cut short by a drop cannot be resumed: ask for a whole one again.
            last_seq = self.replica.seq if self.replica.complete else None
            hello = {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "last_seq": last_seq}
            await connection.send(orjson.dumps(hello).decode())
            async for message in connection:
                self._receive(decode(message))

    async def _watch(self, connection: _HeardConnection) -> None:
        """The heartbeat's other half: silence turns the status degraded, long silence drops the
        connection (its close handshake would only wait on the dead link too) so probes begin."""
        while True:
            await asyncio.sleep(self.timing.check_every)
            self._heard_at = connection.heard_at
            silent = connection.loop.time() - connection.heard_at
            if silent > self.timing.dead_after:
                self._drop_reason = f"nothing heard from the server for {silent:.0f} s"
                log.info("dropping a silent connection after %.1f s", silent)
                connection.transport.abort()
                return
            self._check_degraded()

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
            self.sessions_on.append(self.url)
            self._welcome = frame
            if frame["mode"] == "snapshot":
                self.replica.begin_snapshot(frame["seq"])
            else:
                self._connected()
            self._flush()
        else:
            log.warning("unexpected frame %s", str(frame)[:200])

    def _connected(self) -> None:
        """Connected once the state is whole: right after a replay, after a snapshot's last part.
        On another server than last time, that is a failover: the line says where from and when."""
        welcome = self._welcome or {}
        moved = {}
        if self._on is not None and self._on != self.url:
            moved = {"failed_over_from": server_name(self._on), "failed_over_at": time.time()}
            log.info("failed over from %s to %s", self._on, self.url)
        self._on = self.url
        self._set_status(state=LinkState.CONNECTED, attempt=0, retry_in=None, reason="", server=self._server_shown(),
                         user=welcome.get("user"), role=welcome.get("role"), **moved)  # fmt: skip

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
        entry = self.outbox.pop(frame.get("command_id"))
        if entry is None:
            if not frame.get("ok", True):
                log.warning("server error outside a command: %s", frame.get("error"))
            return
        self._outbox_changed()
        if entry.future.done():
            return
        if frame["ok"]:
            entry.future.set_result(frame.get("value", {}))
        else:
            error = frame["error"]
            self.outbox.refused(entry, f"{error['message']} [{error['code']}]", self._now())
            entry.future.set_exception(CommandFailed(error["code"], error["message"], error.get("details")))
        self._check_degraded()

    # --- commands out ---------------------------------------------------------------------------
    def submit(self, name: str, args: dict[str, Any] | None = None, *, label: str | None = None
               ) -> asyncio.Future[dict[str, Any]]:  # fmt: skip
        """Queue a command; the future holds its value or raises CommandFailed. While the link is
        down it waits in the outbox and goes out, in order and under its id, after the resume.
        `label`: what the dispatcher typed, shown while it waits (else a description)."""
        args = args or {}
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        command_id = self.new_id()
        frame = orjson.dumps({"type": "command", "command_id": command_id, "name": name, "args": args}).decode()
        entry = Entry(command_id, name, args, frame, label or describe(name, args), self._now(), future,
                      waited=not self.status.connected)  # fmt: skip
        try:
            self.outbox.add(entry)
        except OutboxFull as full:
            future.set_exception(CommandFailed("outbox_full", str(full)))
            return future
        self.own_ids.add(command_id)
        if self.status.connected:
            self._send(entry)
        self._outbox_changed()
        return future

    async def command(self, name: str, args: dict[str, Any] | None = None, *, label: str | None = None
                      ) -> dict[str, Any]:  # fmt: skip
        return await self.submit(name, args, label=label)

    def cancel(self, command_id: str) -> bool:
        """The dispatcher takes a waiting command back (or dismisses a refusal shown for one).
        One already sent may still have reached the server; its awaiting caller is told so."""
        entry = self.outbox.pop(command_id)
        if entry is None:
            dismissed = self.outbox.dismiss(command_id)
            if dismissed:
                self._outbox_changed()
            return dismissed
        if entry.future is not None and not entry.future.done():
            caveat = " (it had been sent: the server may still have applied it)" if entry.sent_at is not None else ""
            entry.future.set_exception(CommandFailed("cancelled", f"cancelled by the dispatcher{caveat}"))
        self._outbox_changed()
        return True

    @property
    def outbox_size(self) -> int:
        return len(self.outbox)

    def pending(self) -> list[Row]:
        """The outbox as a dispatcher should see it (outbox.Outbox.rows), ages as of now."""
        return self.outbox.rows(self._now())

    def _flush(self) -> None:
        for entry in self.outbox.entries():
            self._send(entry)

    def _send(self, entry: Entry) -> None:
        connection = self._connection
        if connection is None:
            return
        entry.sent_at = self._now()
        task = asyncio.ensure_future(connection.send(entry.frame))
        # A send that fails means the connection is going; the run loop resends after resume.
        task.add_done_callback(lambda t: t.cancelled() or t.exception())

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    # --- status ---------------------------------------------------------------------------------
    def _check_degraded(self) -> None:
        """Connected but not to be trusted: silent, or slow answers or pings, so the board may lag."""
        connection = self._connection
        if not self.status.connected or connection is None:
            return
        now, timing = self._now(), self.timing
        silent = now - connection.heard_at
        if silent > timing.degraded_after:
            reason = f"nothing heard for {silent:.0f} s"
        elif self.outbox.overdue(now, timing.slow_answer):
            reason = f"a command unanswered for over {timing.slow_answer:g} s"
        elif connection.latency > timing.slow_ping:
            reason = f"answers take {connection.latency:.1f} s"
        else:
            reason = ""
        if bool(reason) != self.status.degraded or reason != self.status.reason:
            self._set_status(degraded=bool(reason), reason=reason)

    def poll(self) -> None:
        """Called by the view once a second; keeps `degraded` honest between frames."""
        self._check_degraded()

    def _set_status(self, **changes: Any) -> None:
        self.status = replace(self.status, last_heard=self._last_heard_wall(), **changes)
        for listener in list(self.status_listeners):
            listener(self.status)

    def _last_heard_wall(self) -> float | None:
        connection = self._connection
        heard = connection.heard_at if connection is not None else self._heard_at
        if heard is None:
            return self.status.last_heard
        return time.time() - (self._now() - heard)

    def _outbox_changed(self) -> None:
        for listener in list(self.outbox_listeners):
            listener()

    def _notify(self, update: Update) -> None:
        for listener in list(self.update_listeners):
            listener(update)
