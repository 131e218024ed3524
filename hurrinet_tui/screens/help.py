"""Every key and every command on one screen (F1)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ..command_line import VERBS

KEYS = (
    ("Anywhere", (
        (": or Space", "command line (Tab completes, ↑/↓ history, Esc back)"),
        ("F1 or ?", "this help"), ("Ctrl+P", "command palette (what fits the selection)"),
        ("F2 / F3 / F4", "board / roster / incident detail"), ("/", "find (filters board and roster)"),
        ("e", "show or hide ended incidents"), ("s", "sort the focused list"),
        ("Ctrl+R", "reconnect now"), ("F9", "pause or resume the demo simulation"), ("Ctrl+Q", "quit"),
        ("F5 / F6 / F7 / F8", "layout: call taking / incident / board / roster"),
        ("F10", "confirm by hand the dispatch that just timed out"),
        ("Ctrl+L", "lock the workstation now (the token unlocks it)"),
        ("Ctrl+T", "next theme: colour, grey, terminal colours (remembered)"),
    )),
    ("Taking a call (these work inside the form's fields too)", (
        ("Ctrl+N", "new call: the call form opens with the cursor on the caller's name"),
        ("Tab / Shift+Tab", "next / previous field; each field is saved as you leave it (or Enter)"),
        ("↓ in the place field", "pick a gazetteer suggestion (Enter), Esc closes the list"),
        ("Ctrl+G", "coordinates shown as DD, DDM or DMS (the value never changes)"),
        ("Ctrl+E", "end the call (its outcome, and the reason for it, must be set)"),
        ("Ctrl+O / Ctrl+B", "create an incident from the call / attach it to the selected incident"),
        ("Ctrl+Y", "copy the call's location to its incident"),
        ("Esc", "leave the vicinity view (incidents near the call) for the whole board"),
    )),
    ("On the board (an incident)", (
        ("↑ ↓ PgUp PgDn Home End", "move"), ("Enter", "open the incident's detail"),
        ("n", "new incident"), ("a", "assign units"), ("d", "dispatch assigned units"), ("c", "close"),
        ("t / p / g / S", "type / priority / location / state"), ("l", "note in the log"),
    )),
    ("Advice and resources", (
        ("w", "recommended units and the suggested type for the selected incident"),
        ("W", "recommendations for every waiting incident (a surge)"),
        ("F12", "resources; the selected incident's needs and allocations"),
        ("Ctrl+S", "supervisor: response times against targets, waiting, utilisation, overdue flags"),
        ("In recommendations", "Space marks · Enter accepts the marked rows (or this one) · A accepts all"),
        ("", "t applies the suggested type/priority/desk · r asks again · Esc closes"),
        ("In resources", "1–4 / 0 / f: shelters, medical, supplies, water / all / next · x out of service"),
        ("", "n adds a need (shelter 40) · Enter allocates to the highlighted need · Del releases"),
        ("", "R suggestions (A accepts them all) · Tab next table · Esc closes"),
    )),
    ("On the roster (a unit)", (
        ("a", "assign this unit to the selected incident"), ("v / V", "available on radio / at station"),
        ("r / o", "en route / on scene"), ("x", "out of service"), ("f", "confirm a dispatch by hand"),
        ("u", "unassign"), ("R", "reassign to another incident"),
    )),
)  # fmt: skip


def help_text() -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column()
    for title, keys in KEYS:
        grid.add_row(Text(title, style="bold underline"), "")
        for key, what in keys:
            grid.add_row(Text(key), Text(what))
        grid.add_row("", "")
    grid.add_row(Text("Commands (type on the command line)", style="bold underline"), "")
    for verb in VERBS:
        grid.add_row(Text(verb.usage), Text(verb.summary + (f"  — also {', '.join(verb.aliases)}" if verb.aliases else "")))
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
