"""What the call form and the incident form share: sending a command and showing its refusal
beside the field it concerns (never as a pop-up: the dispatcher fixes it where it is)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, Static

from ..format import refusal
from ..link import CommandFailed, ServerLink
from .location_form import LocationForm


class EntityForm(Vertical):
    """A form over one server entity. Each field `X` has a `#X-error` line below it; `message`
    is the form's own line for refusals that belong to no field (an action). Text fields are
    saved with `UPDATE` as they are left.

    Tab and Shift+Tab go round the form's own fields and never leave it: past the last field the
    board or roster would be next, where letters typed for the form would act on incidents and
    units. F2/F3 (or the mouse) leave the form."""

    BINDINGS = [
        Binding("tab", "cycle(1)", "Next field", show=False),
        Binding("shift+tab", "cycle(-1)", "Previous field", show=False),
    ]

    class AskFirst(Message):
        """A destructive action from inside the form: the screen asks, then calls `then`."""

        def __init__(self, question: str, then: Callable[[], None]) -> None:
            super().__init__()
            self.question, self.then = question, then

    UPDATE = ""  # the update command, e.g. "call.update"
    ID_ARG = ""  # its argument naming the entity, e.g. "call_id"
    COLLECTION = ""  # where the replica keeps such entities, e.g. "calls"
    TEXT_FIELDS: tuple[str, ...] = ()

    def __init__(self, link: ServerLink, **kwargs) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.entity_id: str | None = None
        self.unsaved: set[str] = set()  # fields whose typed value is not the server's (refused, or typed early)

    def action_cycle(self, step: int) -> None:
        chain = [w for w in self.screen.focus_chain if self in w.ancestors]
        if chain:
            focused = self.screen.focused
            at = chain.index(focused) if focused in chain else (-1 if step > 0 else 0)
            chain[(at + step) % len(chain)].focus()

    def focus_first(self) -> None:
        chain = [w for w in self.screen.focus_chain if self in w.ancestors]
        if chain:
            chain[0].focus()

    @property
    def entity(self) -> dict[str, Any] | None:
        """The entity as the server has it now (None: none shown, or it is gone)."""
        return getattr(self.link.replica, self.COLLECTION).get(self.entity_id) if self.entity_id else None

    @on(Input.Submitted)
    @on(Input.Blurred)
    def field_left(self, event: Input.Submitted | Input.Blurred) -> None:
        name = event.input.id
        entity = self.entity
        if name not in self.TEXT_FIELDS or entity is None or entity["state"] == "ended":
            return
        event.stop()
        value = event.value.strip() or None
        if value != (entity.get(name) or None):
            self.save({name: value}, name)

    @work(group="entity-form")
    async def save(self, fields: dict[str, Any], name: str) -> None:
        if await self.send(self.UPDATE, {self.ID_ARG: self.entity_id, **fields}, name) is None:
            self.unsaved.add(name)
        else:
            self.unsaved.discard(name)

    def set_error(self, name: str, message: str | None) -> None:
        error = self.query_one(f"#{self.id}-message" if name == "message" else f"#{name}-error", Static)
        error.update(Text(message or ""))  # never markup: a refusal may quote the caller's words
        error.display = bool(message)

    def show_problem(self, field: str, message: str) -> None:
        if field == "location":
            self.query_one(LocationForm).show_problem(message)
        else:
            self.set_error(field, message)

    async def send(self, name: str, args: dict[str, Any], field: str = "message") -> dict[str, Any] | None:
        """Send a command; a refusal is shown beside `field`. The answer's value, else None.
        While the link is down the command waits in the outbox and this waits with it."""
        try:
            value = await self.link.command(name, args)
        except CommandFailed as error:
            self.show_problem(field, refusal(error.message, error.code))
            return None
        if field == "location":
            self.query_one(LocationForm).clear_problems()
        else:
            self.set_error(field, None)
        return value
