"""What the call form and the incident form share: sending a command and showing its refusal
beside the field it concerns (never as a pop-up: the dispatcher fixes it where it is)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.containers import Vertical
from textual.widgets import Input, Static

from ..link import CommandFailed, ServerLink
from .location_form import LocationForm


class EntityForm(Vertical):
    """A form over one server entity. Each field `X` has a `#X-error` line below it; `message`
    is the form's own line for refusals that belong to no field (an action). Text fields are
    saved with `UPDATE` as they are left."""

    UPDATE = ""  # the update command, e.g. "call.update"
    ID_ARG = ""  # its argument naming the entity, e.g. "call_id"
    COLLECTION = ""  # where the replica keeps such entities, e.g. "calls"
    TEXT_FIELDS: tuple[str, ...] = ()

    def __init__(self, link: ServerLink, **kwargs) -> None:
        super().__init__(**kwargs)
        self.link = link
        self.entity_id: str | None = None
        self.unsaved: set[str] = set()  # fields whose typed value is not the server's (refused, or typed early)

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
            self.show_problem(field, f"{error.message} [{error.code}]")
            return None
        if field == "location":
            self.query_one(LocationForm).clear_problems()
        else:
            self.set_error(field, None)
        return value
