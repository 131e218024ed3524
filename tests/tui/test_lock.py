"""The idle lock against a real server on 127.0.0.1: what the screen shows while locked (nothing
of the board), what keeps happening underneath (the link, the replica), and how it opens."""

from __future__ import annotations

import html

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import Backoff, ServerLink
from hurrinet_tui.screens.lock import LockScreen
from hurrinet_tui.widgets.feed import Feed
from hurrinet_tui.widgets.grid import VirtualGrid

from .conftest import live_app, until


def shown(app) -> str:
    """Everything drawn on the terminal now, as text (the screen and whatever shows through)."""
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def lock_message(app) -> str:
    return str(app.screen.query_one("#lock-message").render())


def app_with_idle_lock(live, seconds: float | None) -> HurriNetApp:
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.02, cap=0.1), compression=False)
    return HurriNetApp(link, idle_lock_s=seconds)


async def create_incident(live, description: str) -> str:
    other = ServerLink(live.url, live.tokens["supervisor"], compression=False)
    other.start()
    try:
        value = await other.command("incident.create", {"incident_type": "FLOOD", "incident_priority": "A",
                                                        "description": description})  # fmt: skip
    finally:
        await other.close()
    return value["incident_id"]


async def type_token(pilot, token: str) -> None:
    await pilot.press(*token, "enter")
    await pilot.pause()


async def test_left_alone_the_workstation_locks_itself_and_hides_the_board(live):
    incident_id = await create_incident(live, "Water knee deep in the market")
    app = app_with_idle_lock(live, 0.5)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: incident_id in app.main_screen.board.keys)
        assert f"#{incident_id[:6]}" in shown(app)  # the check below can see the board when it is there

        await until(pilot, lambda: app.locked)  # nobody touched a key
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "without a key or the mouse" in str(app.screen.query_one("#lock-reason").render())
        text = shown(app)
        assert f"#{incident_id[:6]}" not in text and "FLOOD" not in text and "Units" not in text
        assert "Connected" in text  # the link's state is the one thing it shows besides place and time
        assert not app.screen.query(VirtualGrid) and not app.screen.query(Feed)
        assert app.screen.styles.background.a == 1  # nothing under it shows through


async def test_a_key_puts_the_idle_time_back_to_the_start(live):
    app = app_with_idle_lock(live, 600)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        before = app.idle.last_input
        await pilot.press("down")
        after_key = app.idle.last_input
        assert after_key > before
        await pilot.click("#board")
        assert app.idle.last_input > after_key


async def test_ctrl_l_locks_at_once_and_the_board_goes_on_living_underneath(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("colon")  # even from the command line
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "Ctrl+L" in str(app.screen.query_one("#lock-reason").render())

        incident_id = await create_incident(live, "Roof torn off in Gros Islet")
        await until(pilot, lambda: incident_id in app.state.link.replica.incidents)
        await until(pilot, lambda: incident_id in app.main_screen.board.keys)  # applied under the lock
        assert f"#{incident_id[:6]}" not in shown(app)
        assert app.state.link.status.connected and len(app.state.link.welcome_modes) == 1  # never dropped

        await type_token(pilot, live.tokens["dispatcher"])
        assert app.screen is app.main_screen and not app.locked
        await pilot.pause()
        assert f"#{incident_id[:6]}" in shown(app)  # the current board, at once


async def test_a_wrong_token_is_refused_and_nothing_else_happens(live):
    app = live_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("ctrl+l")
        await pilot.pause()
        await type_token(pilot, live.tokens["supervisor"])  # a real token, just not this one
        assert isinstance(app.screen, LockScreen)
        assert "not this workstation's token" in lock_message(app)
        assert app.screen.query_one("#lock-token").value == ""
        await type_token(pilot, "guess")
        assert "(2 refused)" in lock_message(app)
        await pilot.press("enter")  # nothing typed: a hint, not a refusal
        assert "Type this workstation's token" in lock_message(app)
        assert app.state.link.status.connected

        await type_token(pilot, live.tokens["dispatcher"])
        assert app.screen is app.main_screen


async def test_while_locked_the_palette_and_help_stay_shut_and_toasts_wait(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:  # toasts drawn, as in real use
        await until(pilot, lambda: app.state.link.status.connected)
        app.notify("Shelter at Castries Comprehensive is full")
        await until(pilot, lambda: "Castries Comprehensive" in shown(app))
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert "Castries Comprehensive" not in shown(app)  # a toast draws over any screen: cleared
        await pilot.press("ctrl+p")  # the palette lists the selected incident and unit
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+t")  # no theme change either: nothing but the token works
        assert app.theme == "textual-dark"

        app.notify("E1 dispatched to the Castries fire")
        await pilot.pause()
        assert "Castries fire" not in shown(app)
        await type_token(pilot, live.tokens["dispatcher"])
        await until(pilot, lambda: "Castries fire" in shown(app))  # held, then shown


async def test_a_lock_over_an_open_dialog_returns_to_it(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("f1")
        await pilot.pause()
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "Keys and commands" not in shown(app)  # the help is translucent; the lock is not
        await type_token(pilot, live.tokens["dispatcher"])
        assert type(app.screen).__name__ == "HelpScreen"
