"""What the call form and the incident form share: sending a command and showing its refusal
beside the field it concerns (never as a pop-up: the dispatcher fixes it where it is)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.widgets import Static

from ..link import CommandFailed, ServerLink
from .location_form import LocationForm

DISCONNECTED = "not saved: disconnected — what you typed is kept; Enter saves it once the link is back"


class EntityForm(Vertical):
    """A form over one server entity. Each field `X` has a `#X-error` line below it; `message`
    is the form's own line for refusals that belong to no field (an action)."""

    def __init__(self, link: ServerLink, **kwargs) -> None:
        super().__init__(**kwargs)
        self.link = link

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
        """Send a command; a refusal is shown beside `field`. The answer's value, else None."""
        if not self.link.status.connected:
            self.show_problem(field, DISCONNECTED)
            return None
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
