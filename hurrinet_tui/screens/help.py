"""Every key and every command on one screen (F1), made from the action table and, for the keys
that belong to one widget or screen (a list's cursor, a form, the advice screens), from those
widgets' own bindings: nothing here is written twice."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..actions import ACTIONS, Action
from ..widgets.command_input import CommandInput
from ..widgets.confirm_bar import ConfirmBar
from ..widgets.form import EntityForm
from ..widgets.grid import VirtualGrid
from ..widgets.location_form import LocationForm
from .recommendations import RecommendationsScreen
from .resources import ResourcesScreen

SCOPE_TITLE = {
    "app": "Anywhere",
    "screen": "On the main screen (these work inside the forms' fields too)",
    "lists": "On the board or the roster",
    "board": "On the board (the incident under the cursor)",
    "roster": "On the roster (the unit under the cursor)",
}
ELSEWHERE = (
    ("In a list", VirtualGrid), ("On the command line", CommandInput), ("In a form", EntityForm),
    ("In a location", LocationForm), ("Asked to confirm", ConfirmBar),
    ("In recommendations (w, W)", RecommendationsScreen), ("In resources (F12)", ResourcesScreen),
)
NAMES = {"up": "↑", "down": "↓", "left": "←", "right": "→", "pageup": "PgUp", "pagedown": "PgDn", "escape": "Esc",
         "enter": "Enter", "home": "Home", "end": "End", "delete": "Del", "backspace": "Backspace", "space": "Space",
         "tab": "Tab", "shift+tab": "Shift+Tab"}  # fmt: skip


def key_text(binding: Binding) -> str:
    if binding.key_display:
        return binding.key_display
    names = [NAMES.get(k, k.replace("ctrl+", "Ctrl+")) for k in binding.key.split(",")]
    return " ".join(names)


def action_rows() -> list[tuple[str, list[Action]]]:
    """The table's rows with a key, by where the key works."""
    return [(SCOPE_TITLE[scope], [a for a in ACTIONS if a.scope == scope and a.key]) for scope in SCOPE_TITLE]


def help_text() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column()
    for title, actions in action_rows():
        grid.add_row(Text(title, style="bold underline"), "")
        for action in actions:
            asks = "  (asks first)" if action.destructive and "asks" not in action.help else ""
            grid.add_row(Text(action.key_display), Text(action.help + asks))
        grid.add_row("", "")
    for title, owner in ELSEWHERE:
        grid.add_row(Text(title, style="bold underline"), "")
        for binding in owner.BINDINGS:
            grid.add_row(Text(key_text(binding)), Text(binding.description.lower()))
        grid.add_row("", "")
    grid.add_row(Text("Commands (type on the command line)", style="bold underline"), "")
    for action in ACTIONS:
        if action.verb:
            also = f"  — also {', '.join(action.aliases)}" if action.aliases else ""
            grid.add_row(Text(action.usage), Text(action.help + also))
    grid.add_row("", "")
    grid.add_row(Text("Names"), Text("units by callsign, types by code, incidents by # and the start of the id;"))
    grid.add_row("", Text("any unique prefix will do, case does not matter; #INC left out = the selected incident"))
    return grid


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,f1,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(help_text())

    def on_mount(self) -> None:
        self.query_one("#help").border_title = "Keys and commands — Esc closes"
