"""Destructive actions ask in place and act only on an explicit yes (Enter on the confirm bar
once it says Yes); the default is no, and stray typing never answers. Real server, real keys."""

from __future__ import annotations

from hurrinet_tui.widgets.confirm_bar import ConfirmBar
from hurrinet_tui.widgets.unit_roster import UnitRoster

from .conftest import live_app, until
from .test_keys import an_incident
from .test_workflow import command, message, unit_state


def bar(app) -> ConfirmBar:
    return app.main_screen.query_one(ConfirmBar)


async def test_closing_asks_first_and_only_an_explicit_yes_closes(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        incident_id = await an_incident(pilot, live)
        board = app.main_screen.board

        def still_open() -> bool:
            return live.world.incidents[incident_id].state.value == "new"

        await pilot.press("c")
        assert bar(app).display and app.focused is bar(app)
        assert "Close incident #" in str(bar(app).render()) and "STRFIRE" in str(bar(app).render())
        await pilot.press("enter")  # the default is no
        assert not bar(app).display and app.focused is board
        for answer in (("escape",), ("n",), tuple("xq") + ("enter",), ("y", "z", "enter")):
            await pilot.press("c", *answer)  # cancelled, or stray typing that resets the choice to No
            assert not bar(app).display, answer
        await pilot.pause(0.2)
        assert still_open()

        await pilot.press("c", "y")
        assert "Enter = yes" in str(bar(app).render())  # the bar says what Enter will do now
        await pilot.press("enter")
        await until(pilot, lambda: live.world.incidents[incident_id].state.value == "ended")
        assert "✓ cl" in message(app)


async def test_out_of_service_from_the_roster_and_from_the_command_line_asks_first(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "av E1")
        await until(pilot, lambda: unit_state(live, "E1") == "available_radio")
        roster = app.main_screen.query_one(UnitRoster)
        await pilot.press("f3")
        roster.move_to(app.state.link.replica.unit_by_callsign["E1"]["id"])
        await pilot.press("x")
        assert "Out of service: E1?" in str(bar(app).render())
        await pilot.press("escape")
        assert app.focused is roster
        await command(pilot, "oos e1")
        assert bar(app).display
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert unit_state(live, "E1") == "available_radio"
        await pilot.press("f3", "x", "right", "enter")
        await until(pilot, lambda: unit_state(live, "E1") == "unavailable")


async def test_the_incident_forms_close_button_asks_too(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        incident_id = await an_incident(pilot, live)
        screen = app.main_screen
        screen.query_one("#detail-tabs").active = "tab-incident"
        await pilot.pause()
        screen.query_one("#to-ended").focus()
        await pilot.press("enter")
        assert bar(app).display and "Close incident" in str(bar(app).render())
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert live.world.incidents[incident_id].state.value == "new"
        assert app.focused.id == "to-ended"  # back where the question was asked
        await pilot.press("enter", "y", "enter")
        await until(pilot, lambda: live.world.incidents[incident_id].state.value == "ended")
