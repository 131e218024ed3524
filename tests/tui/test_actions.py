"""One table of actions: the bindings, the command-line verbs, the palette and the help screen
are all made from `hurrinet_tui.actions.ACTIONS`; each row shows up in each of them, and
nothing else does."""

from __future__ import annotations

from rich.console import Console

from hurrinet_tui.actions import ACTIONS, SCOPES, is_printable
from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.command_line import VERBS, Command, Context, find_verb, parse
from hurrinet_tui.palette import offers
from hurrinet_tui.replica import Replica
from hurrinet_tui.screens.help import help_text
from hurrinet_tui.screens.main import MainScreen
from hurrinet_tui.widgets.grid import VirtualGrid
from hurrinet_tui.widgets.incident_board import IncidentBoard
from hurrinet_tui.widgets.unit_roster import UnitRoster


def own_bindings(cls, base=None):
    inherited = {b.id for b in (base.BINDINGS if base else [])}
    return [b for b in cls.BINDINGS if b.id not in inherited or b.id is None]


def bound() -> dict[str, set[str]]:
    """Row name → the places its key is bound."""
    places: dict[str, set[str]] = {}
    for place, bindings in (("app", HurriNetApp.BINDINGS), ("screen", MainScreen.BINDINGS),
                            ("board", own_bindings(IncidentBoard, VirtualGrid)),
                            ("roster", own_bindings(UnitRoster, VirtualGrid))):  # fmt: skip
        for binding in bindings:
            assert binding.id, f"{place}: {binding.key} → {binding.action} is not from the action table"
            places.setdefault(binding.id, set()).add(place)
    return places


def test_every_row_with_a_key_is_bound_where_its_scope_says_and_nothing_else_is():
    expected = {"app": {"app"}, "screen": {"screen"}, "lists": {"board", "roster"}, "board": {"board"},
                "roster": {"roster"}}  # fmt: skip
    places = bound()
    assert set(places) == {a.name for a in ACTIONS if a.key}
    for action in ACTIONS:
        if action.key:
            assert places[action.name] == expected[action.scope], action.name


def test_no_printable_key_works_outside_the_lists():
    """A letter typed in a form must never reach an action: only the board and roster bind them."""
    for action in ACTIONS:
        assert action.scope in SCOPES
        if action.key and action.scope in ("app", "screen"):
            assert not any(is_printable(k) for k in action.key.split(",")), action.name


def test_the_verbs_are_the_table_rows_with_a_verb():
    assert [v.key for v in VERBS] == [a.verb for a in ACTIONS if a.verb]
    for action in ACTIONS:
        if action.verb:
            verb = find_verb(action.verb)
            assert (verb.usage, verb.summary, verb.aliases) == (action.usage, action.help, action.aliases)


def test_the_palette_offers_exactly_the_rows_with_palette_text_that_fit_the_selection():
    everything = Context(Replica(), selected_incident="K00001abc", selected_unit="E1", call_on_line="C00001xyz")
    assert [a.name for _, a in offers(everything)] == [a.name for a in ACTIONS if a.palette]
    nothing = Context(Replica())
    assert [a.name for _, a in offers(nothing)] == [a.name for a in ACTIONS if a.palette and not a.needs]
    titles = dict((a.name, t) for t, a in offers(everything))
    assert titles["out_of_service"] == "Out of service — unit E1"


def test_the_help_lists_every_row_its_key_and_every_verb():
    console = Console(width=200, record=True)
    console.print(help_text())
    text = console.export_text()
    lines = text.splitlines()
    for action in ACTIONS:
        if action.key:
            assert any(line.split()[:1] and line.lstrip().startswith(action.key_display) and action.help in line
                       for line in lines), action.name  # fmt: skip
        if action.verb:
            assert any(line.lstrip().startswith(action.usage) for line in lines), action.usage


def test_destructive_rows_are_the_ones_the_issue_names():
    assert {a.name for a in ACTIONS if a.destructive} == {"close", "out_of_service", "unassign", "release", "reassign"}


# What a dispatcher types after the verbs that need more words.
SAMPLE = {"ty": "ty flood", "pr": "pr a", "lo": "lo castries market", "st": "st queued", "no": "no roof gone",
          "as": "as E2", "ra": "ra E1 #K00014", "call": "call", "f": "f fire"}  # fmt: skip


def test_every_verb_becomes_commands_or_a_local_action(scene_snapshot):
    replica = Replica()
    replica.load_snapshot(scene_snapshot)
    incident = next(iter(replica.incidents))
    (call,) = replica.calls
    context = Context(replica, selected_incident=incident, selected_unit="E1", call_on_line=call)
    for action in ACTIONS:
        if action.verb:
            line = SAMPLE.get(action.verb) or (action.line or action.verb).format(unit="E1")
            assert parse(line, context), line
    assert parse("rl E1", context) == [Command("unit.release", {"unit": "E1"})]
