"""The command runner: validate → apply on a Change → commit one transaction → install.

Every command gets exactly one answer per `command_id`: a resend is answered from the stored
result and changes nothing. Refusals are stored too (without any change or event), so a client
resending after an ambiguous disconnect sees the answer it missed, not a different one.

Queries (`CommandSpec.query`) are the exception: they change nothing, so they are answered
from the live state every time, and neither their answer nor their refusal is stored (a resend
asks again and may see a newer state; recommendations are large and go stale at once).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy.engine import Connection

from server import protocol
from server.app import ids, wire
from server.app.handlers import HANDLERS, READERS
from server.domain import shapes
from server.domain.errors import BadRequest, DomainError, Forbidden, UnknownCommand
from server.domain.roles import check_allowed, check_own_unit
from server.domain.world import SYSTEM, Actor, AlertRequest, Change, World
from server.storage.archive import Archive, default_url
from server.storage.store import Staged, Store, Touched, WriteSet, user_key

log = logging.getLogger(__name__)


class Clock:
    """The server's clock, in UTC with millisecond precision, never running backwards (a
    stepped system clock must not make an IncidentUnit's timestamps decrease)."""

    def __init__(self, source: Callable[[], datetime] | None = None) -> None:
        self._source = source or (lambda: datetime.now(UTC))
        self._last = datetime.min.replace(tzinfo=UTC)

    def now(self) -> datetime:
        moment = self._source().astimezone(UTC)
        moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
        self._last = max(self._last, moment)
        return self._last


@dataclass
class CommandOutcome:
    """What a command produced: its result frame body and the events to broadcast."""

    ok: bool
    result: dict[str, Any]  # value on success, error object on failure
    events: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[AlertRequest] = field(default_factory=list)
    replayed: bool = False

    def frame(self, command_id: str) -> dict[str, Any]:
        key = "value" if self.ok else "error"
        return {"type": "result", "command_id": command_id, "ok": self.ok, key: self.result}


@dataclass
class Prepared:
    """A command applied to the world in memory, with the rows that make it durable. Its
    outcome may leave the server only once `CommandRunner.commit` has written `rows`."""

    outcome: CommandOutcome
    rows: WriteSet
    answer: tuple[str, str] | None = None  # (user key, command id) to remember once committed


# Quoted back, stored and logged at most this long: a hostile name is not amplified.
QUOTE_MAX = 64


def quoted(text: str) -> str:
    return text if len(text) <= QUOTE_MAX else f"{text[:QUOTE_MAX]}… ({len(text)} characters)"


MAX_PROBLEMS = 10  # a list of 20,000 wrong items must not answer (and store) 20,000 problems


def _bad_args(error: ValidationError) -> DomainError:
    problems = [
        {"field": ".".join(str(p) for p in e["loc"]) or "args", "problem": e["msg"], "type": e["type"]}
        for e in error.errors()[:MAX_PROBLEMS]
    ]
    summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
    more = error.error_count() - len(problems)
    if more:
        return BadRequest(f"bad arguments: {summary}; and {more:,} more", problems=problems, more=more)
    return BadRequest(f"bad arguments: {summary}", problems=problems)


def validate(name: str, args: Any, actor: Actor, system: bool = False) -> tuple[protocol.CommandSpec, protocol.Args]:
    """The command's spec and its parsed arguments, once the actor may issue it; else a refusal."""
    spec = protocol.COMMANDS.get(name)
    if spec is None:
        raise UnknownCommand(f"unknown command {quoted(name)!r}", command=quoted(name))
    if spec.system_only and not system:
        raise Forbidden(f"{name} is issued by the server only", command=name)
    if not system:
        check_allowed(actor.role, name, query=spec.query)
    if not isinstance(args, dict):
        raise BadRequest("args must be an object")
    try:
        parsed = spec.args.model_validate(args)
    except ValidationError as error:
        raise _bad_args(error) from None
    if not system:
        check_own_unit(actor.role, actor.unit, name, parsed)
    return spec, parsed


class CommandRunner:
    """Runs commands against the world held in memory and makes each durable.

    `prepare` validates, applies and installs a command in the world at once, so the next
    command sees it, and returns the rows to write; `commit` writes any number of prepared
    commands in one transaction. Nothing a prepared command produced may leave the server
    before its commit (the hub holds it). If a commit fails, the world is reloaded from the
    database: every command since the last good commit is undone and answered `internal`,
    with nothing stored, so clients simply resend. `run` does both for one command.
    """

    RECENT_RESULTS = 50_000

    def __init__(
        self,
        world: World,
        store: Store,
        clock: Clock | None = None,
        new_id: Callable[[], str] = ids.new_id,
        archive: Archive | None = None,
    ) -> None:
        self.world = world
        self.store = store
        # Ended incidents moved out of the live state (docs/archive.md); read by READERS.
        self.archive = archive or Archive(default_url(store.engine.url.render_as_string(hide_password=False)))
        self.clock = clock or Clock()
        self.new_id = new_id
        # Ids answered so far (the table is the truth; this spares a read per new command) and
        # the recent answers themselves.
        self._answered: set[tuple[str, str]] = store.known_commands()
        self._recent: OrderedDict[tuple[str, str], tuple[bool, dict[str, Any]]] = OrderedDict()
        self._pending: dict[tuple[str, str], Prepared] = {}
        self._batch: Connection | None = None  # the open batch's transaction, holding the write lock
        self._stale = False  # the last reload failed (database down): reload before the next batch
        self.installed: list[Callable[[Change], None]] = []  # told of every change put in the world
        self.reloaded: list[Callable[[], None]] = []  # told when the world is reloaded after a failure

    # --- the one-command path -----------------------------------------------------------------
    def run(self, command_id: str, name: str, args: Any, actor: Actor) -> CommandOutcome:
        self.begin()
        prepared = self.prepare(command_id, name, args, actor)
        self.commit([prepared])
        return prepared.outcome

    def run_system(self, name: str, args: dict[str, Any]) -> CommandOutcome:
        self.begin()
        prepared = self.prepare_system(name, args)
        self.commit([prepared])
        return prepared.outcome

    # --- a batch: the write lock, and first what other servers committed -----------------------
    def begin(self) -> list[dict[str, Any]]:
        """Open the batch the next commands are prepared in. On a database other servers share:
        take its write lock and bring the world up to what they committed since our last
        `seq`, returning their events (already durable: the caller may send them at once). On
        a database this server alone writes there is nobody to catch up with: the batch's
        transaction opens where it is written (`write`), so the loop need not hold it. Does
        nothing when a batch is open. Raises when the database cannot be reached."""
        if self._batch is not None:
            return []
        if self._stale:
            self.rollback()
            if self._stale:
                raise StorageUnavailable("the database is unreachable")
        if not self.store.shared:
            return []
        self._batch = self.store.begin()
        try:
            return self._catch_up(self._batch)
        except BaseException:
            self.store.abort(self._batch)
            self._batch = None
            raise

    def refresh(self) -> list[dict[str, Any]]:
        """Catch up with what other servers committed without taking the write lock (another
        server woke us): one consistent read of the database, so a wake-up never queues behind
        the writers. Nothing to do inside a batch (it caught up when it opened), or on a
        database no other server writes."""
        if self._batch is not None or self._stale or not self.store.shared:
            return []
        with self.store.consistent_read() as conn:
            return self._catch_up(conn)

    @property
    def in_batch(self) -> bool:
        return self._batch is not None

    def _catch_up(self, conn: Connection) -> list[dict[str, Any]]:
        stored = self.store.stored_seq(conn)
        if stored == self.world.seq:
            return []
        if stored < self.world.seq:  # the database lost what we hold (restored from a backup?)
            raise StorageUnavailable(f"the database's last event is {stored}, this server holds {self.world.seq}")
        events, touched = self.store.changes_after(conn, self.world.seq)
        change = Change(self.world, self.clock.now(), self.new_id)
        self._put_fresh(change, touched)
        self.world.apply(change)
        self.world.seq = events[-1]["seq"]
        for listener in self.installed:
            listener(change)
        return events

    def _put_fresh(self, change: Change, touched: Touched) -> None:
        """Put the entities as read from the tables into `change`; named ones that are gone
        were archived by another server, and leave the world with their calls."""
        for incident in touched.incidents.values():
            change.put_incident(incident)
        for call in touched.calls.values():
            change.put_call(call)
        for status in touched.unit_status.values():
            change.put_status(status)
        for resource in touched.resources.values():
            change.put_resource(resource)
        for incident_id in touched.named["incidents"] - touched.incidents.keys():
            if incident_id in self.world.incidents:
                change.remove_incident(incident_id)
                for call_id in self.world.incidents[incident_id].call_ids:
                    change.remove_call(call_id)
        for call_id in touched.named["calls"] - touched.calls.keys():
            if call_id in self.world.calls:
                change.remove_call(call_id)

    # --- prepare ------------------------------------------------------------------------------
    def prepare(self, command_id: str, name: str, args: Any, actor: Actor) -> Prepared:
        now = self.clock.now()
        spec = protocol.COMMANDS.get(name)
        if spec is not None and spec.query:
            outcome = self._query(name, args, actor)
            return Prepared(outcome, self._audit_only(now, actor, name, command_id, outcome))
        key = (user_key(actor.user_id), command_id)
        replay = self._replay(key)
        if replay is not None:
            return Prepared(replay, self._audit_only(now, actor, name, command_id, replay))
        try:
            change, value = self._apply(name, args, actor, now)
        except DomainError as error:
            outcome = CommandOutcome(False, error.to_wire())
            rows = self._audit_only(now, actor, name, command_id, outcome)
            if error.code != "unknown_command":  # a made-up name is answered, never stored
                rows.inserts["command_result"].append(
                    Store.result_row(command_id, quoted(name), actor.user_id, now, False, outcome.result))
                return self._remember(Prepared(outcome, rows, key))
            return Prepared(outcome, rows)
        prepared = self._install(change, value, command_id, actor, name)
        prepared.rows.inserts["command_result"].append(
            Store.result_row(command_id, name, actor.user_id, now, True, value))
        prepared.answer = key
        return self._remember(prepared)

    def prepare_system(self, name: str, args: dict[str, Any]) -> Prepared:
        """A command of the server itself (timers): no command id, no stored result."""
        now = self.clock.now()
        try:
            change, value = self._apply(name, args, SYSTEM, now, system=True)
        except DomainError as error:
            return Prepared(CommandOutcome(False, error.to_wire()), WriteSet())
        return self._install(change, value, None, SYSTEM, name)

    def _replay(self, key: tuple[str, str]) -> CommandOutcome | None:
        pending = self._pending.get(key)
        if pending is not None:
            return replace(pending.outcome, events=[], alerts=[], replayed=True)
        if key in self._recent:
            ok, result = self._recent[key]
            return CommandOutcome(ok, result, replayed=True)
        # Another server sharing the database may have answered it (a client that failed over
        # resends there): then the table, read under the batch's lock, is the only one who knows.
        if key in self._answered or self.store.shared:
            stored = self.store.result_for(key[0] or None, key[1], self._batch)
            if stored is not None:
                return CommandOutcome(stored.ok, stored.result, replayed=True)
        return None

    def _remember(self, prepared: Prepared) -> Prepared:
        if prepared.answer is not None:
            self._pending[prepared.answer] = prepared
        return prepared

    def prepare_audit(self, actor: Actor, name: str, command_id: str | None, outcome: CommandOutcome) -> Prepared:
        """Only the audit row of a command answered elsewhere (the hub's controls)."""
        return Prepared(outcome, self._audit_only(self.clock.now(), actor, name, command_id, outcome))

    def _audit_only(self, now: datetime, actor: Actor, name: str, command_id: str | None,
                    outcome: CommandOutcome) -> WriteSet:  # fmt: skip
        rows = WriteSet()
        rows.inserts["audit"].append(audit_row(now, actor, name, command_id, outcome))
        return rows

    def _install(self, change: Change, value: dict[str, Any], command_id: str | None, actor: Actor,
                 name: str) -> Prepared:  # fmt: skip
        at = shapes.TIME.to_wire(change.now)  # the codec's memo: the entities' times are this same `now`
        data = wire.event_data(self.world, change.events)
        events = [
            {"seq": self.world.seq + n, "name": event.name, "at": at, "caused_by": command_id, "data": body}
            for n, (event, body) in enumerate(zip(change.events, data, strict=True), start=1)
        ]
        outcome = CommandOutcome(True, value, events, list(change.alerts))
        rows = self.store.rows_of(change, events, wire.unit_status)
        rows.inserts["audit"].append(audit_row(change.now, actor, name, command_id, outcome))
        self.world.apply(change)
        for listener in self.installed:
            listener(change)
        return Prepared(outcome, rows)

    # --- commit -------------------------------------------------------------------------------
    def stage(self, batch: list[Prepared]) -> Staged | None:
        """Write the batch in a transaction of its own (only outside a batch: `in_batch` is
        False), left for the caller to commit, in another thread if it likes, and then to call
        `committed` or `failed`. None if the write failed: the batch failed and the world was
        reloaded."""
        assert self._batch is None, "a batch that holds the write lock commits with `commit`"
        rows = self.rows(batch)
        try:
            return self.store.stage(rows)
        except Exception as error:
            self.failed(batch, error)
            return None

    def commit(self, batch: list[Prepared]) -> bool:
        """Write the batch in its transaction and commit, here; False (and the world reloaded)
        if that failed."""
        rows = self.rows(batch)
        conn, self._batch = self._batch, None
        try:
            if conn is None:  # a database only this server writes: the transaction opens here
                self.store.write(rows)
            else:
                self.store.commit(conn, rows)
        except Exception as error:
            self.failed(batch, error)
            return False
        self.committed(batch)
        return True

    @staticmethod
    def rows(batch: list[Prepared]) -> WriteSet:
        """Everything the batch writes, in one set (one statement per table)."""
        rows = WriteSet()
        for prepared in batch:
            rows.merge(prepared.rows)
        return rows

    def failed(self, batch: list[Prepared], error: BaseException) -> None:
        """The batch's commit failed: none of it may be sent (the server's own commands, timers,
        included); the world is reloaded from the database."""
        log.error("a commit of %d command(s) failed; reloading the state from the database", len(batch),
                  exc_info=error)  # fmt: skip
        for prepared in batch:
            prepared.outcome = CommandOutcome(False, STORAGE_FAILED)
        self.rollback()

    def committed(self, batch: list[Prepared]) -> None:
        for prepared in batch:
            if prepared.answer is not None:
                self._pending.pop(prepared.answer, None)
                self._answered.add(prepared.answer)
                self._recent[prepared.answer] = (prepared.outcome.ok, prepared.outcome.result)
        while len(self._recent) > self.RECENT_RESULTS:
            self._recent.popitem(last=False)

    def rollback(self) -> None:
        """Undo everything not committed: reload the world; pending commands answer internal.
        If the database cannot be read either, the world is marked stale and no batch opens
        until a reload succeeds (a command meanwhile is answered `internal`)."""
        if self._batch is not None:
            self.store.abort(self._batch)
            self._batch = None
        for prepared in self._pending.values():
            prepared.outcome = CommandOutcome(False, STORAGE_FAILED)
        self._pending.clear()
        old = self.world
        try:
            self.world = self.store.load_world()
        except Exception:
            log.exception("could not reload the state from the database; retrying before the next command")
            self._stale = True
            return
        self._stale = False
        self.world.deployment, self.world.gazetteer = old.deployment, old.gazetteer
        for listener in self.reloaded:
            listener()

    # --- queries and application --------------------------------------------------------------
    def _query(self, name: str, args: Any, actor: Actor) -> CommandOutcome:
        try:
            change, value = self._apply(name, args, actor, self.clock.now())
        except DomainError as error:
            return CommandOutcome(False, error.to_wire())
        if change.events or any(change.overlays_changed()):
            # A bug in the query, never the client's fault; whatever it wrote is dropped here.
            log.error("query %s tried to change the state; its answer is withheld", name)
            return CommandOutcome(False, {"code": "internal", "message": f"{name} failed on the server", "details": {}})
        return CommandOutcome(True, value)

    def _apply(
        self, name: str, args: Any, actor: Actor, now: datetime, system: bool = False
    ) -> tuple[Change, dict[str, Any]]:
        spec, parsed = validate(name, args, actor, system)
        if spec.control or spec.account:
            raise UnknownCommand(f"{name} is answered by the hub, not the runner", command=name)
        change = Change(self.world, now, self.new_id, actor)
        reader = READERS.get(name)
        if reader is not None:
            return change, reader(change, parsed, self.archive)
        return change, HANDLERS[name](change, parsed)


class StorageUnavailable(Exception):
    """No batch can open: the database is down or does not hold what this server holds."""


STORAGE_FAILED = {"code": "internal", "message": "the server could not store the change; nothing was applied, "
                  "resend the command", "details": {}}  # fmt: skip


def audit_row(at: datetime, actor: Actor, name: str, command_id: str | None, outcome: CommandOutcome) -> dict[str, Any]:
    """The command's audit row, written in the command's transaction: who, what, how it ended."""
    result = "ok" if outcome.ok else outcome.result.get("code", "internal")
    return audit_entry(at, "command", user_id=actor.user_id, command=quoted(name)[:64],
                       command_id=quoted(command_id)[:64] if command_id else None, result=result)  # fmt: skip


def audit_entry(at: datetime, kind: str, **fields: Any) -> dict[str, Any]:
    """An audit row with every column named (rows written together share one statement)."""
    return {"at": at, "kind": kind, "user_id": None, "address": None, "command": None, "command_id": None,
            "result": None} | fields  # fmt: skip
