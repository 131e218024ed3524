"""The websocket hub: authenticate, hello/resume, commands, ordered broadcast, timers.

One event loop owns the world. Commands are prepared (validated, applied, installed in the
world) the moment they arrive and committed together: every command that arrives before the
loop comes round again shares one transaction and one fsync (group commit). Nothing a command
produced — its result, its events, an answer that read its state — leaves the server before
that commit: every outgoing frame is an action released, in arrival order, after the batch it
followed has been written. So `seq` is gap-free, every session sees one order, and a `hello`
joins the broadcast at one consistent point. On a database this server alone writes (SQLite),
a batch of several commands has its rows written on the loop and its commit (the fsync) run
by a writer thread while the loop goes on preparing the next batch, whose frames wait in
turn; if that commit fails, the batch prepared on top of it fails with it, unwritten. A lone
command commits on the loop, as a bare server would, unless the disk turned slow.

Several servers may share one database (docs/cluster.md): a batch's transaction takes the
database's write lock when it opens and first applies, and sends, what the others committed
since our last `seq`; a server woken by another's commit catches up the same way without the
lock. Connection audit rows (login, failed login, disconnect) ride in the batches too.

Each event is encoded once and written to every session without a task or a queue per
session, and the frames a released batch sends a session leave in one write (the sessions it
answers first); a session whose unsent bytes pile up, or stop draining, is closed (it will resume).
A large snapshot goes in parts, a window of them at a time as the client acknowledges them,
so pings and results interleave with it on a slow link.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Protocol

import orjson
from websockets.asyncio.server import ServerConnection, broadcast
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State

from server import protocol
from server.app.commands import STORAGE_FAILED, CommandOutcome, CommandRunner, Prepared, audit_entry, validate
from server.app.snapshot import Item, LiveSnapshot
from server.domain.errors import DomainError, NotFound
from server.domain.incident import timeout_recorded
from server.domain.unit_status import UnitState
from server.domain.world import Actor, AlertRequest, Change
from server.net import frames
from server.net.accounts import Accounts, User, token_hash
from server.net.alerts import Delivery, SimulatedDelivery
from server.net.throttle import LoginThrottle
from server.storage.store import Staged, WriteSet

log = logging.getLogger("hurrinet.hub")

CLOSE_TOO_SLOW = 4001
CLOSE_SHUTDOWN = 1001

# Answers a control command (protocol: `control=True`) from its parsed arguments.
Control = Callable[[protocol.Args], dict[str, Any]]
Action = Callable[[], None]
# Answers a plain HTTP GET under a path prefix (alert acknowledgement links: `/ack/`).
Page = Callable[[ServerConnection, Request], Response]


class Route(Protocol):
    """Another websocket path of the same server, with its own handshake and sessions."""

    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None: ...

    async def handler(self, connection: ServerConnection) -> None: ...


@dataclass
class HubSettings:
    replay_limit: int = 10_000  # events; further behind than this, a snapshot is cheaper
    # A session is closed (it resumes) when its unsent bytes pass this, or stay above
    # `stall_bytes` for `stall_s`: a reader that stopped cannot hold memory or the others.
    buffer_limit_bytes: int = 32 * 1024 * 1024
    stall_bytes: int = 256 * 1024
    stall_s: float = 30.0
    snapshot_window: int = 2  # snapshot parts in flight before the client acknowledges
    # A commit on the loop that took longer than this (a slow disk) sends the next batches'
    # commits to the writer thread, a lone command's too, so the loop goes on serving while
    # the disk works; a commit there as quick brings lone commands back (see `Hub.flush`).
    slow_commit_s: float = 0.010


@dataclass
class Transfer:
    """A snapshot on its way to one session: its plan, how far it got, what waits behind it."""

    seq: int
    parts: list[list[Item]]
    sent: int = 0
    acked: int = 0
    held: list[str] = field(default_factory=list)  # events after `seq`, sent after the last part


@dataclass(eq=False)
class Session:
    connection: ServerConnection
    user: User
    joined: bool = False  # receives broadcasts once its hello is answered
    dropped: bool = False  # closed for being too slow; nothing more is sent
    transfer: Transfer | None = None
    stalled_since: float | None = None
    closing: asyncio.Task[None] | None = None
    invalid: frames.InvalidFrames = field(default_factory=frames.InvalidFrames)

    @property
    def actor(self) -> Actor:
        return Actor(self.user.id, self.user.role, name=self.user.name, unit=self.user.unit)


def _dump(frame: dict[str, Any]) -> str:
    return orjson.dumps(frame).decode()


def _error_frame(command_id: Any, code: str, message: str, **details: Any) -> dict[str, Any]:
    return {
        "type": "result",
        "command_id": command_id if isinstance(command_id, str) else None,
        "ok": False,
        "error": {"code": code, "message": message, "details": details},
    }


@dataclass
class _Batch:
    prepared: list[Prepared] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)


class Hub:
    def __init__(
        self,
        runner: CommandRunner,
        accounts: Accounts,
        delivery: Delivery | None = None,
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
        self._timers: dict[str, asyncio.TimerHandle] = {}  # unit id → its dispatch timeout
        self._audit_timers: set[asyncio.TimerHandle] = set()  # failed logins' periodic audit rows
        # Whatever runs in this process beside the state (the demo simulation) registers the
        # control commands it answers; without one, such a command is refused.
        self.controls: dict[str, Control] = {}
        self.snapshot = LiveSnapshot(runner.world)
        runner.installed.append(self._installed)
        runner.reloaded.append(lambda: self.snapshot.rebuild(self.runner.world))
        self._batch = _Batch()
        self._flush_scheduled = False
        # On a database this server alone writes, this thread commits batches (their fsync)
        # while the loop serves and prepares the next; one commit is in flight at a time.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hurrinet-writer")
        self._writing: asyncio.Future[None] | None = None
        self._commits_slow = False
        # While a batch is released: each session's frames, and who was answered (`_gathering`).
        self._gathered: dict[Session, list[bytes]] | None = None
        self._answered: list[Session] = []
        self.released_seq = runner.world.seq  # the last event sent to the sessions
        # Events released since start, for replays; older ones (after a restart) come from the
        # table, so start-up reads none of them.
        self._recent: deque[tuple[int, str]] = deque(maxlen=self.settings.replay_limit)
        self._watchdog: asyncio.Task[None] | None = None
        self.pages: dict[str, Page] = {}  # path prefix → plain HTTP page (alert acknowledgement links)
        # Other websocket paths served beside /ws (the EIDO feed) and who is told of each
        # committed outcome after its broadcast: each registers itself here.
        self.routes: dict[str, Route] = {}
        self.listeners: list[Callable[[CommandOutcome], None]] = []

    def now(self) -> datetime:
        return self.runner.clock.now()

    # --- handshake ----------------------------------------------------------------------------
    async def process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        if request.path == "/healthz":
            return connection.respond(HTTPStatus.OK, "ok\n")
        for prefix, page in self.pages.items():
            if request.path.startswith(prefix):
                return page(connection, request)
        if request.path != "/ws" and request.path not in self.routes:
            return connection.respond(HTTPStatus.NOT_FOUND, "not found; dispatch positions connect to /ws\n")
        address = _address(connection)
        self._audit_failed_logins()
        token = _bearer(request.headers)
        if request.path in self.routes:  # another path authenticates on its own; its refusals count the same
            response = await self.routes[request.path].process_request(connection, request)
            if response is not None and response.status_code == HTTPStatus.UNAUTHORIZED:
                return self._refuse_login(connection, address, token_hash(token))
            return response
        user = self.accounts.authenticate(token)  # first, and never after a wait: see throttle.py
        if user is None:
            return self._refuse_login(connection, address, token_hash(token))
        if user.unit is not None and self.runner.world.unit_by_callsign(user.unit) is None:
            log.warning("refused handshake of user %s: bound to unit %s, unknown here", user.id, user.unit)
            return connection.respond(HTTPStatus.FORBIDDEN, f"this account is bound to unit {user.unit}, which this "
                                      "deployment does not have; re-add it with the right --unit\n")  # fmt: skip
        self._users[connection] = user
        self.audit("login", user_id=user.id, address=address)
        return None

    def _refuse_login(self, connection: ServerConnection, address: str, credential: str) -> Response:
        now = time.monotonic()
        locked = self.throttle.locked_for(address, credential, now)
        if self.throttle.failed(address, credential, now) is not None:  # the first of a period
            self.audit("login_failed", address=address, result="unauthorized")
            log.info("refused handshake from %s: missing, bad or revoked token", address)

            def report() -> None:  # the period's row, even if no handshake comes after it
                self._audit_timers.discard(handle)
                self._audit_failed_logins()

            handle = asyncio.get_running_loop().call_later(self.throttle.audit_period_s, report)
            self._audit_timers.add(handle)
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
            self.audit("login_failed", address=address, result=f"unauthorized x{count}")
            log.info("refused %d more handshakes from %s: missing, bad or revoked token", count, address)

    # --- a session ----------------------------------------------------------------------------
    async def handler(self, connection: ServerConnection) -> None:
        if connection.request is not None and connection.request.path in self.routes:
            return await self.routes[connection.request.path].handler(connection)
        user = self._users.pop(connection)
        session = Session(connection, user)
        self.sessions.add(session)
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(self._watch_slow_sessions())
        log.info("session open: user %s (%s) from %s", user.id, user.role, _address(connection))
        try:
            async for message in connection:
                self._handle(session, message)
        except ConnectionClosed:
            pass
        finally:
            self.sessions.discard(session)
            session.joined = False
            self.audit("disconnect", user_id=user.id, address=_address(connection))
            log.info("session closed: user %s (%s)", user.id, connection.close_code)

    # --- output: every frame leaves after the commit of what came before it --------------------
    def _output(self, action: Action) -> None:
        if self._batch.prepared or self._writing is not None:
            self._batch.actions.append(action)
        else:
            action()

    def _send(self, session: Session, text: str, answer: bool = False) -> None:
        if session.dropped or session.connection.protocol.state is not State.OPEN:
            return
        if self._gathered is None:
            _write_frames(session.connection, [text.encode()], {})
            self._check_buffer(session)
            return
        self._gather(session, text.encode())
        if answer:
            self._answered.append(session)

    def _gather(self, session: Session, data: bytes) -> None:
        assert self._gathered is not None, "only while gathering"
        self._gathered.setdefault(session, []).append(data)

    @contextlib.contextmanager
    def _gathering(self) -> Iterator[None]:
        """Frames sent meanwhile are gathered and then written once per session (one system
        call for all of a session's frames, not one per frame), in each session's order; the
        sessions given an answer go first, so a dispatcher's answer does not wait behind every
        other position's copy of the event."""
        if self._gathered is not None:
            yield
            return
        self._gathered, self._answered = {}, []
        try:
            yield
        finally:
            gathered, answered = self._gathered, self._answered
            self._gathered = None
            framed: dict[bytes, bytes] = {}  # an event's payload, framed once for every session
            for session in [*answered, *gathered]:
                data = gathered.pop(session, None)
                if data is not None and not session.dropped:
                    _write_frames(session.connection, data, framed)
                    self._check_buffer(session)

    def _check_buffer(self, session: Session) -> None:
        transport = session.connection.transport
        if transport is not None and transport.get_write_buffer_size() > self.settings.buffer_limit_bytes:
            self._drop(session, "unsent data over the limit")

    def _drop(self, session: Session, why: str) -> None:
        log.warning("session of user %s too slow (%s); closing it so it resumes", session.user.id, why)
        session.joined, session.dropped = False, True
        self.sessions.discard(session)
        session.closing = asyncio.ensure_future(
            session.connection.close(CLOSE_TOO_SLOW, "too slow; reconnect and resume")
        )

    async def _watch_slow_sessions(self) -> None:
        """Close sessions whose unsent bytes stopped draining (a reader that went away)."""
        while True:
            await asyncio.sleep(min(5.0, self.settings.stall_s / 3))
            now = time.monotonic()
            for session in list(self.sessions):
                transport = session.connection.transport
                waiting = transport.get_write_buffer_size() if transport is not None else 0
                if waiting <= self.settings.stall_bytes:
                    session.stalled_since = None
                elif session.stalled_since is None:
                    session.stalled_since = now
                elif now - session.stalled_since > self.settings.stall_s:
                    self._drop(session, f"{waiting} bytes unsent for {self.settings.stall_s:.0f} s")

    def _broadcast_event(self, event: dict[str, Any]) -> None:
        text = _event_text(event)
        self._recent.append((event["seq"], text))
        self.released_seq = event["seq"]
        direct = []
        for session in self.sessions:
            if not session.joined or session.dropped:
                continue
            if session.transfer is not None:
                session.transfer.held.append(text)
            else:
                direct.append(session)
        if not direct:
            return
        if self._gathered is None:
            broadcast([s.connection for s in direct], text)
            for session in direct:
                self._check_buffer(session)
            return
        data = text.encode()  # once, for every session
        for session in direct:
            self._gather(session, data)

    # --- input --------------------------------------------------------------------------------
    def _handle(self, session: Session, message: str | bytes) -> None:
        if session.dropped:
            return
        try:
            frame = frames.decode(message)  # refused there: never run, stored, audited or logged
        except frames.FrameError as error:
            self._reply(session, error.frame())
            if session.invalid.refused(time.monotonic()):
                self._close_invalid(session)
            return
        if frame["type"] == "hello":
            last_seq = frame.get("last_seq")
            if isinstance(last_seq, int) and last_seq > self.released_seq:
                self.catch_up()  # it comes from a server further on: be there first
            self._output(lambda: self._hello(session, frame))
        elif frame["type"] == "snapshot.ack":
            self._output(lambda: self._snapshot_ack(session, frame))
        else:
            self._command(session, frame)

    def _reply(self, session: Session, frame: dict[str, Any]) -> None:
        text = _dump(frame)
        self._output(lambda: self._send(session, text))

    def _close_invalid(self, session: Session) -> None:
        log.warning("session of user %s sent over %d invalid frames in %g s; closing it", session.user.id,
                    protocol.INVALID_FRAMES_LIMIT, protocol.INVALID_FRAMES_WINDOW_S)  # fmt: skip
        session.joined, session.dropped = False, True
        self.sessions.discard(session)
        session.closing = asyncio.ensure_future(session.connection.close(protocol.CLOSE_INVALID_FRAMES,
                                                                         frames.CLOSE_INVALID_REASON))  # fmt: skip

    def _hello(self, session: Session, frame: dict[str, Any]) -> None:
        if frame.get("protocol") != protocol.PROTOCOL_VERSION:
            self._send(session, _dump(_error_frame(None, "bad_request",
                       f"this server speaks protocol {protocol.PROTOCOL_VERSION}")))  # fmt: skip
            return
        seq = self.released_seq
        last_seq = frame.get("last_seq")
        welcome: dict[str, Any] = {"type": "welcome", "user": session.user.name, "role": session.user.role, "seq": seq}
        replayable = (
            isinstance(last_seq, int)
            and not isinstance(last_seq, bool)
            and 0 <= last_seq <= seq
            and seq - last_seq <= self.settings.replay_limit
        )
        session.transfer = None
        if replayable:
            welcome["mode"] = "replay"
            self._send(session, _dump(welcome))
            for text in self._events_after(last_seq):
                self._send(session, text)
        else:
            plan = self.snapshot.plan()
            welcome |= {"mode": "snapshot", "parts": len(plan)}
            session.transfer = Transfer(seq, plan)
            self._send(session, _dump(welcome))
            self._send_parts(session)
        session.joined = session in self.sessions and not session.dropped

    def _events_after(self, last_seq: int) -> list[str]:
        if last_seq >= self.released_seq:
            return []
        if self._recent and self._recent[0][0] <= last_seq + 1:
            return [text for seq, text in self._recent if seq > last_seq]
        return [_event_text(e) for e in self.runner.store.events_after(last_seq) if e["seq"] <= self.released_seq]

    def _snapshot_ack(self, session: Session, frame: dict[str, Any]) -> None:
        transfer, part = session.transfer, frame.get("part")
        if transfer is None or not isinstance(part, int) or isinstance(part, bool):
            return
        transfer.acked = max(transfer.acked, min(part + 1, transfer.sent))
        self._send_parts(session)

    def _send_parts(self, session: Session) -> None:
        transfer = session.transfer
        if transfer is None:
            return
        total = len(transfer.parts)
        while transfer.sent < total and transfer.sent - transfer.acked < self.settings.snapshot_window:
            index = transfer.sent
            transfer.sent += 1
            self._send(session, self.snapshot.part(transfer.seq, index, transfer.parts[index], total))
        if transfer.sent == total:
            session.transfer = None
            for text in transfer.held:
                self._send(session, text)

    def _command(self, session: Session, frame: dict[str, Any]) -> None:
        command_id, name = frame["command_id"], frame["name"]  # checked by frames.decode
        answer = lambda outcome: self._send(session, _dump(outcome.frame(command_id)), answer=True)  # noqa: E731
        spec = protocol.COMMANDS.get(name)
        if spec is not None and spec.account:
            # A PIN check hashes for ~150 ms: in a thread, so no other session waits for it.
            asyncio.ensure_future(self._account_off_loop(command_id, name, frame.get("args", {}), session.actor, answer))
            return
        self.execute(command_id, name, frame.get("args", {}), session.actor, answer=answer)

    def execute(self, command_id: str, name: str, args: Any, actor: Actor,
                answer: Callable[[CommandOutcome], None] | None = None) -> CommandOutcome:  # fmt: skip
        """Run a command as `actor`: the one path for sessions' commands and for in-process
        actors such as the demo simulator. The outcome is returned at once (in-process actors
        chain commands within one batch); `answer` and the broadcast wait for the commit."""
        if not self._open():
            outcome = CommandOutcome(False, STORAGE_FAILED)
            if answer is not None:
                answer(outcome)
            return outcome
        spec = protocol.COMMANDS.get(name)
        if spec is not None and spec.control:
            outcome = self._control(name, args, actor)
            audited = self.runner.prepare_audit(actor, name, command_id, outcome)
            self._enqueue(audited, lambda: answer(outcome) if answer is not None else None)
            return outcome
        prepared = self.runner.prepare(command_id, name, args, actor)
        log.debug("command %s %s by %s: %s", name[:64], command_id[:64], actor.user_id,
                  "ok" if prepared.outcome.ok else prepared.outcome.result["code"])  # fmt: skip
        self._enqueue(prepared, lambda: self._release(prepared, answer))
        return prepared.outcome

    def _control(self, name: str, args: Any, actor: Actor) -> CommandOutcome:
        # A control sets an absolute value, so a resend is harmless; it is not stored.
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

    # --- commit -------------------------------------------------------------------------------
    def _open(self) -> bool:
        """Open the batch (the database's write lock) unless one is open, sending at once what
        other servers sharing the database committed meanwhile; False if the database is down."""
        if self.runner.in_batch:
            return True
        try:
            caught = self.runner.begin()
        except Exception as error:  # the database is down: every command says so until it is back
            log.error("cannot open a transaction on the database: %s", error)
            return False
        self._schedule_flush()
        self._release_caught(caught)
        return True

    def catch_up(self) -> None:
        """Bring this server up to what the others committed (they woke us, or a client resumes
        from further on), reading without the write lock."""
        try:
            caught = self.runner.refresh()
        except Exception:
            log.exception("cannot read what other servers committed")
            return
        self._release_caught(caught)

    def _release_caught(self, caught: list[dict[str, Any]]) -> None:
        """Events other servers committed: durable already, so they go out at once, in order."""
        if caught:
            for event in caught:
                self._broadcast_event(event)
            self._arm_units(caught)
            outcome = CommandOutcome(True, {}, caught)
            for listener in self.listeners:
                listener(outcome)

    def _enqueue(self, prepared: Prepared, action: Action) -> None:
        self._batch.prepared.append(prepared)
        self._batch.actions.append(action)
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        if not self._flush_scheduled:
            self._flush_scheduled = True
            if _loop_running():
                asyncio.get_running_loop().call_soon(self.flush)
            else:
                self.flush()

    def flush(self) -> None:
        """Commit everything prepared since the last flush in one transaction, then release
        the frames that waited for it, in order.

        On a database this server alone writes, a batch of several commands (the loop is
        busy) has its rows written here, on the loop, and its commit (the WAL's write and
        fsync, about half of the write, with the GIL released) runs in the writer thread
        while the loop reads and prepares the next batch; that batch and every frame after
        this one wait for it (`_written` flushes again). The rows are not written in the
        thread: the driver gives the GIL back and takes it again for every row it steps, and
        each time waited behind the busy loop. A lone command commits here, on the loop, as a
        bare server's would: the thread's two wake-ups would add more to its answer than the
        overlap saves (docs/performance.md). Once a commit took longer than `slow_commit_s`
        (a slow disk), lone commands go to the thread too, until a commit there is quick.
        With other servers sharing the database every batch commits here, under the write
        lock it took when it opened; so does one flushed with no loop running (tools)."""
        self._flush_scheduled = False
        if self._writing is not None:
            return
        batch, self._batch = self._batch, _Batch()
        commands = len(batch.prepared)
        if (commands > 1 or (commands == 1 and self._commits_slow)) and not self.runner.in_batch and _loop_running():
            staged = self.runner.stage(batch.prepared)
            if staged is not None:
                loop = asyncio.get_running_loop()
                self._writing = loop.create_future()
                self._writer.submit(self._commit, loop, staged, batch)
                return
        elif batch.prepared or self.runner.in_batch:
            started = time.perf_counter()
            self.runner.commit(batch.prepared)
            self._commits_slow = time.perf_counter() - started > self.settings.slow_commit_s
        self._release_batch(batch)

    def _commit(self, loop: asyncio.AbstractEventLoop, staged: Staged, batch: _Batch) -> None:
        """In the writer thread. It hands the outcome to the loop itself: through
        `run_in_executor` the loop would learn of it one turn later, behind a turn's frames."""
        error: BaseException | None = None
        started = time.perf_counter()
        try:
            staged.commit()
        except BaseException as failure:  # whatever it is, the loop must hear of it
            error = failure
        took = time.perf_counter() - started
        with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits for the answers
            loop.call_soon_threadsafe(self._written, batch, error, took)

    def _written(self, batch: _Batch, error: BaseException | None, took: float) -> None:
        writing, self._writing = self._writing, None
        try:
            if error is None:
                self._commits_slow = took > self.settings.slow_commit_s
                self.runner.committed(batch.prepared)
            else:
                # What was prepared meanwhile stood on the failed batch: it fails too, unwritten.
                after, self._batch = self._batch, _Batch()
                self.runner.failed(batch.prepared + after.prepared, error)
                batch.actions += after.actions
            self._release_batch(batch)
        finally:
            if writing is not None:
                writing.set_result(None)  # `settle` goes on
        if self._batch.prepared or self._batch.actions:
            self._schedule_flush()

    def _release_batch(self, batch: _Batch) -> None:
        with self._gathering():
            for action in batch.actions:
                action()
        self._arm_timers(batch.prepared)

    async def settle(self) -> None:
        """Return once everything prepared so far is committed and its frames released."""
        while self._writing is not None or self._batch.prepared or self._batch.actions or self.runner.in_batch:
            if self._writing is not None:
                await asyncio.wait([self._writing])
            else:
                self.flush()

    async def close(self) -> None:
        """Commit what is left (the sessions' disconnect rows) and stop the writer thread."""
        await self.settle()
        self._writer.shutdown()

    def audit(self, kind: str, **fields: Any) -> None:
        """A connection's audit row (login, failed login, disconnect), in the next batch's
        transaction: a storm of reconnecting positions costs one commit, not one each."""
        if not self._open():
            log.error("audit row %s %s not written: the database is down", kind, fields)
            return
        rows = WriteSet()
        rows.inserts["audit"].append(audit_entry(self.now(), kind, **fields))
        self._enqueue(Prepared(CommandOutcome(True, {}), rows), lambda: None)

    def _release(self, prepared: Prepared, answer: Callable[[CommandOutcome], None] | None) -> None:
        # Events before the answer: a client holding its result already has what it changed.
        outcome = prepared.outcome
        if outcome.ok:
            for event in outcome.events:
                self._broadcast_event(event)
        if answer is not None:
            answer(outcome)
        if outcome.ok:
            for request in outcome.alerts:
                self.delivery.deliver(request, self._acknowledge, self._run_system)
            for listener in self.listeners:
                listener(outcome)

    def _installed(self, change: Change) -> None:
        self.snapshot.installed(change)

    # --- timers: derived from the stored state, so a restart re-arms them ----------------------
    def start(self) -> None:
        """Arm every timer the stored state calls for and re-send alerts still unanswered."""
        world = self.runner.world
        for unit_id, status in world.unit_status.items():
            if status.state is UnitState.DISPATCHING:
                self._arm(unit_id)
                incident_id = status.assigned_to_incident_id
                if incident_id and not self._timed_out(unit_id):
                    targets = tuple(t.id for t in world.alert_targets.values() if t.active and unit_id in t.unit_ids)
                    if targets:
                        self.delivery.deliver(AlertRequest(unit_id, incident_id, targets), self._acknowledge, self._run_system)

    def _arm_timers(self, batch: list[Prepared]) -> None:
        for prepared in batch:
            if prepared.outcome.ok:
                self._arm_units(prepared.outcome.events)

    def _arm_units(self, events: list[dict[str, Any]]) -> None:
        # Every server sharing the database arms the same timers; the first to fire records
        # the timeout and the others find it recorded (the rule fires once), so one dying
        # loses none.
        for event in events:
            unit = event["data"].get("unit")
            if unit is not None:
                self._arm(unit["id"])

    def _arm(self, unit_id: str) -> None:
        status = self.runner.world.unit_status.get(unit_id)
        old = self._timers.pop(unit_id, None)
        if status is None or status.state is not UnitState.DISPATCHING or self._timed_out(unit_id):
            if old is not None:
                old.cancel()
            return
        if old is not None:
            self._timers[unit_id] = old
            return
        unit = self.runner.world.units[unit_id]
        since = status.state_changed_at
        due = since + timedelta(seconds=self.runner.world.deployment.dispatch_timeout_s)
        delay = max(0.0, (due - self.now()).total_seconds())

        def fire() -> None:
            self._timers.pop(unit_id, None)
            self._run_system("unit.dispatch_timeout", {"unit": unit.callsign, "since": protocol.iso(since)})

        with contextlib.suppress(RuntimeError):  # no loop: nothing runs timers (tools)
            self._timers[unit_id] = asyncio.get_running_loop().call_later(delay, fire)

    def _timed_out(self, unit_id: str) -> bool:
        """Whether this dispatch's timeout was already recorded (it fires once)."""
        status = self.runner.world.unit_status[unit_id]
        incident = self.runner.world.incidents.get(status.assigned_to_incident_id or "")
        callsign = self.runner.world.units[unit_id].callsign
        return incident is not None and timeout_recorded(incident, callsign, status.state_changed_at)

    async def _account_off_loop(self, command_id: str, name: str, args: Any, actor: Actor,
                                answer: Callable[[CommandOutcome], None]) -> None:  # fmt: skip
        outcome = await asyncio.to_thread(self._account, name, args, actor)
        if not self._open():
            answer(CommandOutcome(False, STORAGE_FAILED))
            return
        self._enqueue(self.runner.prepare_audit(actor, name, command_id, outcome), lambda: answer(outcome))

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

    def _run_system(self, name: str, args: dict[str, Any]) -> None:
        if not self._open():
            log.error("system command %s not run: the database is down", name)
            return
        prepared = self.runner.prepare_system(name, args)
        if not prepared.outcome.ok:
            log.info("system command %s refused: %s", name, prepared.outcome.result["message"])
        self._enqueue(prepared, lambda: self._release(prepared, None))

    def _acknowledge(self, unit_id: str, target_id: str) -> None:
        unit = self.runner.world.units.get(unit_id)
        if unit is not None:
            self._run_system("alert.ack", {"unit": unit.callsign, "target_id": target_id})

    def cancel_timers(self) -> None:
        for handle in [*self._timers.values(), *self._audit_timers]:
            handle.cancel()
        self._timers.clear()
        self._audit_timers.clear()
        if self._watchdog is not None:
            self._watchdog.cancel()

    async def close_sessions(self) -> None:
        await self.settle()
        await asyncio.gather(
            *(s.connection.close(CLOSE_SHUTDOWN, "server shutting down; reconnect and resume") for s in self.sessions),
            return_exceptions=True,
        )


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # a tool or test driving the hub by hand: it commits in place
        return False
    return True


def _write_frames(connection: ServerConnection, messages: list[bytes], framed: dict[bytes, bytes]) -> None:
    """`messages` as text frames in one write: what `websockets.broadcast` does for one message
    (the connection's Sans-I/O protocol frames it, the transport writes it), for many. Over a
    connection without extensions a frame is the same bytes for every session, so each payload
    is framed once per release and kept in `framed` (releasing one event to 50 positions framed
    it 50 times; an event's sessions share its payload object, so the look-up hashes it once)."""
    sans_io = connection.protocol
    if sans_io.state is not State.OPEN:
        return
    if sans_io.extensions:  # per-message deflate: each connection compresses with its own context
        for message in messages:
            sans_io.send_text(message)
        # While open, what the protocol has to send is only these frames: websockets writes its
        # own (pings, a close) the moment it makes them, and its end-of-stream marker follows a close.
        connection.transport.writelines(sans_io.data_to_send())
        return
    frames_out = sans_io.data_to_send()  # nothing, as above; taken so no frame could overtake it
    for message in messages:
        frame = framed.get(message)
        if frame is None:
            frame = framed[message] = Frame(Opcode.TEXT, message).serialize(mask=False)
        frames_out.append(frame)
    connection.transport.writelines(frames_out)


def _event_text(event: dict[str, Any]) -> str:
    return _dump({"type": "event", **event})


def _bearer(headers: Headers) -> str:
    value = headers.get("Authorization", "")
    scheme, _, token = value.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _address(connection: ServerConnection) -> str:
    remote = connection.remote_address
    return str(remote[0]) if remote else "unknown"
