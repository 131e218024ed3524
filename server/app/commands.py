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
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import nanoid
from pydantic import ValidationError

from server import protocol
from server.app import wire
from server.app.handlers import HANDLERS
from server.domain.errors import BadRequest, DomainError, Forbidden, UnknownCommand
from server.domain.roles import check_allowed, check_own_unit
from server.domain.world import SYSTEM, Actor, AlertRequest, Change, World
from server.storage.store import Store

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
        raise UnknownCommand(f"unknown command {name!r}", command=name)
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
    def __init__(
        self,
        world: World,
        store: Store,
        clock: Clock | None = None,
        new_id: Callable[[], str] = nanoid.generate,
    ) -> None:
        self.world = world
        self.store = store
        self.clock = clock or Clock()
        self.new_id = new_id

    def run(self, command_id: str, name: str, args: Any, actor: Actor) -> CommandOutcome:
        spec = protocol.COMMANDS.get(name)
        if spec is not None and spec.query:
            return self._query(name, args, actor)
        stored = self.store.result_for(command_id)
        if stored is not None:
            return CommandOutcome(stored.ok, stored.result, replayed=True)
        now = self.clock.now()
        try:
            change, value = self._apply(name, args, actor, now)
        except DomainError as error:
            outcome = CommandOutcome(False, error.to_wire())
            self.store.record_refusal(command_id, name, actor.user_id, now, outcome.result)
            return outcome
        try:
            return self._commit(change, value, (command_id, name, actor.user_id))
        except Exception:
            # Nothing was applied (the transaction rolled back, the world is untouched) and nothing
            # is stored under the command id, so the client may simply resend it.
            log.exception("command %s (%s) failed to commit", command_id, name)
            return CommandOutcome(False, {"code": "internal", "message": "the server could not store the change; "
                                          "nothing was applied, resend the command", "details": {}})

    def run_system(self, name: str, args: dict[str, Any]) -> CommandOutcome:
        """A command of the server itself (timers): no command id, no stored result."""
        try:
            change, value = self._apply(name, args, SYSTEM, self.clock.now(), system=True)
        except DomainError as error:
            return CommandOutcome(False, error.to_wire())
        return self._commit(change, value, None)

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
        if spec.control:
            raise UnknownCommand(f"{name} acts on the server process; only a hub answers it", command=name)
        change = Change(self.world, now, self.new_id, actor)
        return change, HANDLERS[name](change, parsed)

    def _commit(self, change: Change, value: dict[str, Any], command: tuple[str, str, str | None] | None) -> CommandOutcome:
        caused_by = command[0] if command else None
        events = [
            {
                "seq": self.world.seq + n,
                "name": event.name,
                "at": wire.iso(change.now),
                "caused_by": caused_by,
                "data": wire.event_data(self.world, event),
            }
            for n, event in enumerate(change.events, start=1)
        ]
        self.store.commit(change, events, command, value, wire.unit_status)
        self.world.apply(change)
        return CommandOutcome(True, value, events, list(change.alerts))

