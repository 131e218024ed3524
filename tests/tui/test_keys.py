"""Keys that cannot hurt: printable keys act on the board or roster only while they have focus,
prefill keys leave the verb for the dispatcher to complete, and `:call` puts the cursor in the
call form. Against a real server on 127.0.0.1, with real keystrokes."""

from __future__ import annotations

from hurrinet_tui.widgets.incident_board import IncidentBoard

from .conftest import live_app, until
from .test_call_taking import tab_to, take_a_call, type_text
from .test_workflow import command, message


async def an_incident(pilot, live, line: str = "ni strfire a @ derek walcott // smoke from the roof") -> str:
    await command(pilot, line)
    await until(pilot, lambda: len(live.world.incidents) == 1)
    incident_id = next(iter(live.world.incidents))
    board = pilot.app.main_screen.query_one(IncidentBoard)
    await until(pilot, lambda: board.cursor_key == incident_id)
    return incident_id


async def test_letters_in_the_outcome_picker_never_close_the_selected_incident(live):
    """Finding 1: Ctrl+N, a name, Tab to the Outcome picker, `c` ended the selected incident."""
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        incident_id = await an_incident(pilot, live)
        await take_a_call(pilot, live)
        await tab_to(pilot, "outcome")
        await pilot.press("c", "s", "e", "w", "d", "n")
        await pilot.pause(0.3)
        assert live.world.incidents[incident_id].state.value == "new"
        assert "cl" not in message(app) and "sorted" not in message(app)
        assert app.focused.id == "outcome"  # nothing took the focus away either
        assert not app.main_screen.query_one(IncidentBoard).show_ended


async def test_tab_never_leaves_the_call_form_for_the_board(live):
    """Finding 1: a Tab past the form landed on the roster, where typed text ran `os B1`."""
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await take_a_call(pilot, live)
        form = app.main_screen.call_form
        for _ in range(40):
            await pilot.press("tab")
            assert app.focused is not None and form in app.focused.ancestors_with_self, app.focused
        for _ in range(40):
            await pilot.press("shift+tab")
            assert form in app.focused.ancestors_with_self, app.focused


async def test_call_on_the_command_line_puts_the_cursor_in_the_call_form(live):
    """Finding 2: `:call` opened the form but left the focus on the board."""
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "call")
        assert app.focused.id == "caller_name"
        await type_text(pilot, "Ann")
        await until(pilot, lambda: len(live.world.calls) == 1)
        await pilot.press("tab")
        await until(pilot, lambda: next(iter(live.world.calls.values())).caller_name == "Ann")
        assert live.world.incidents == {}


async def test_a_prefill_key_keeps_its_verb_and_the_cursor_after_it(live):
    """Finding 3: `t` then `trap` Enter said `unknown command 'trap'`."""
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        incident_id = await an_incident(pilot, live, "ni")
        line = app.main_screen.command_input
        for key, verb in (("t", "ty "), ("p", "pr "), ("g", "lo "), ("S", "st "), ("l", "no "), ("n", "ni ")):
            await pilot.press(key)
            assert (line.value, line.cursor_position, line.selection.start == line.selection.end) == (verb, 3, True)
            await pilot.press("escape")
        await pilot.press("t", *"trap", "enter")
        await until(pilot, lambda: live.world.incidents[incident_id].incident_type == "TRAPPED")
        assert "✓ ty trap" in message(app)
