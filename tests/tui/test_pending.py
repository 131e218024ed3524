"""The pending strip at the keyboard, against a real server that goes away: commands typed
meanwhile are listed with their age, F11 gives the strip the keyboard, Del takes one back, and
only the rest go out once the server is back."""

from __future__ import annotations

from .conftest import live_app, until
from .test_workflow import command, message


def strip(app) -> str:
    return str(app.main_screen.pending.render())


async def test_a_waiting_command_is_listed_with_its_age_and_cancelled_with_f11_then_del(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        screen = app.main_screen
        assert not screen.pending.display  # nothing waits: no strip
        await live.stop()
        await until(pilot, lambda: not app.state.link.status.connected)
        await command(pilot, "ni flood b // first")
        await command(pilot, "ni strfire a // second")
        await until(pilot, lambda: screen.pending.display and "2 commands not yet answered" in strip(app))
        assert "waiting for the link" in strip(app) and " s  ni flood b // first" in strip(app)
        board = screen.board
        board.focus()
        await pilot.press("f11")
        assert app.focused is screen.pending and "Del cancels" in strip(app)
        await pilot.press("down", "delete")  # the second one goes
        await until(pilot, lambda: "1 command not yet answered" in strip(app))
        assert "STRFIRE" not in strip(app)
        await until(pilot, lambda: "✗ ni strfire a // second" in message(app) and "cancelled" in message(app))
        await pilot.press("escape")
        assert app.focused is board
        await live.start()
        await until(pilot, lambda: app.state.link.status.connected and len(live.world.incidents) == 1)
        assert [i.description for i in live.world.incidents.values()] == ["first"]
        await until(pilot, lambda: not screen.pending.display)
