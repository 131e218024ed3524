"""Issue 14's findings 4 and 5 as a dispatcher meets them, keyboard only, on a real server:
a unit that cleared over the radio no longer dead-ends the close, and the caller's words reach
the incident made from the call, whose call then ends with it."""

from __future__ import annotations

from hurrinet_tui.widgets.incident_board import IncidentBoard

from .conftest import live_app, until
from .test_call_taking import only_call, tab_to, take_a_call, type_text
from .test_workflow import command, unit_state


async def test_a_unit_available_over_radio_does_not_block_the_close(live):
    """Finding 4: after `v` the unit stayed on the incident; `cl` and `ua` both refused."""
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "ni strfire a @ castries market // smoke from the market roof")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        (incident,) = live.world.incidents
        board = app.main_screen.query_one(IncidentBoard)
        await until(pilot, lambda: board.cursor_key == incident)
        await command(pilot, "av E1")
        await until(pilot, lambda: unit_state(live, "E1") == "available_radio")
        await command(pilot, "as e1 os")
        await until(pilot, lambda: unit_state(live, "E1") == "on_scene")
        await command(pilot, "av E1")  # cleared over the radio: still on the incident
        await until(pilot, lambda: unit_state(live, "E1") == "available_radio")
        assert live.world.unit_status[live.world.unit_by_callsign("E1").id].assigned_to_incident_id == incident
        await command(pilot, "cl")
        await pilot.press("y", "enter")  # closing asks first
        await until(pilot, lambda: live.world.incidents[incident].state.value == "ended")
        status = live.world.unit_status[live.world.unit_by_callsign("E1").id]
        assert status.assigned_to_incident_id is None and status.state.value == "available_radio"


async def test_the_callers_words_reach_the_incident_and_the_call_ends_with_it(live):
    """Finding 5: the incident made from a call had an empty description; the call stayed active."""
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await take_a_call(pilot, live)
        await tab_to(pilot, "description")
        await type_text(pilot, "water rising in the kitchen")
        await pilot.press("enter")
        await until(pilot, lambda: only_call(live).description == "water rising in the kitchen")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        (incident,) = live.world.incidents
        replica = app.state.link.replica
        await until(pilot, lambda: replica.incidents.get(incident, {}).get("description") == "water rising in the kitchen")
        await command(pilot, "cl")
        await pilot.press("y", "enter")
        await until(pilot, lambda: live.world.incidents[incident].state.value == "ended")
        await until(pilot, lambda: replica.calls[only_call(live).id]["state"] == "ended")  # the call ended with it
