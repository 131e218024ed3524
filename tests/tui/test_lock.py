"""The idle lock against a real server on 127.0.0.1: what the screen shows while locked (nothing
of the board but the waiting counts), what keeps happening underneath (the link, the replica),
and how it opens (the user's PIN; the token the first time and while the server is away)."""

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


async def create_incident(live, description: str, priority: str = "A") -> str:
    other = ServerLink(live.url, live.tokens["supervisor"], compression=False)
    other.start()
    try:
        value = await other.command("incident.create", {"incident_type": "FLOOD", "incident_priority": priority,
                                                        "description": description})  # fmt: skip
    finally:
        await other.close()
    return value["incident_id"]


async def type_token(pilot, token: str) -> None:
    await pilot.press(*token, "enter")
    await pilot.pause()


async def asked_for(pilot, step: str) -> None:
    """Wait until the lock asks for `step` (it asks the server first whether the user has a PIN)."""
    await until(pilot, lambda: getattr(pilot.app.screen, "step", None) == step)


async def unlock_first_time(pilot, token: str) -> None:
    """No PIN yet: the token, then Esc at 'choose a PIN' (not now)."""
    await asked_for(pilot, "token")
    await type_token(pilot, token)
    await asked_for(pilot, "choose")
    await pilot.press("escape")
    await pilot.pause()


async def test_left_alone_the_workstation_locks_itself_and_hides_the_board(live):
    incident_id = await create_incident(live, "Water knee deep in the market")
    app = app_with_idle_lock(live, 3)  # long enough to see the board first on a busy machine
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

        await unlock_first_time(pilot, live.tokens["dispatcher"])
        assert app.screen is app.main_screen and not app.locked
        await pilot.pause()
        assert f"#{incident_id[:6]}" in shown(app)  # the current board, at once


async def test_a_wrong_token_is_refused_and_nothing_else_happens(live):
    app = live_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("ctrl+l")
        await asked_for(pilot, "token")  # no PIN chosen yet
        await type_token(pilot, live.tokens["supervisor"])  # a real token, just not this one
        assert isinstance(app.screen, LockScreen)
        assert "not this workstation's token" in lock_message(app)
        assert app.screen.query_one("#lock-token").value == ""
        await type_token(pilot, "guess")
        assert "(2 refused)" in lock_message(app)
        await pilot.press("enter")  # nothing typed: a hint, not a refusal
        assert "No PIN yet: type this workstation's token once" in lock_message(app)
        assert app.state.link.status.connected

        await unlock_first_time(pilot, live.tokens["dispatcher"])
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
        await pilot.press("ctrl+t")  # no theme change either: nothing but unlocking works
        assert app.theme == "textual-dark"

        app.notify("E1 dispatched to the Castries fire")
        await pilot.pause()
        assert "Castries fire" not in shown(app)
        await unlock_first_time(pilot, live.tokens["dispatcher"])
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
        await unlock_first_time(pilot, live.tokens["dispatcher"])
        assert type(app.screen).__name__ == "HelpScreen"


def pin_status(live, name: str = "dispatcher") -> dict:
    accounts = live.hub.accounts
    user_id = next(u.id for u in accounts.list() if u.name == name)
    return accounts.pin_status(user_id, live.hub.now())


async def test_the_first_lock_asks_for_the_token_once_then_a_pin_which_opens_it_from_then_on(live):
    # Finding 8: unlocking needed the 43-character token every time.
    app = live_app(live)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("ctrl+l")
        await asked_for(pilot, "token")
        await type_token(pilot, live.tokens["dispatcher"])
        await asked_for(pilot, "choose")
        assert isinstance(app.screen, LockScreen) and "Choose a PIN of 4 to 8 digits" in lock_message(app)
        await type_token(pilot, "12")
        assert "A PIN is 4 to 8 digits" in lock_message(app)
        await type_token(pilot, "73x0519")  # only digits go in
        assert app.screen.step == "confirm"
        await type_token(pilot, "730518")
        assert "The two PINs differ" in lock_message(app) and app.screen.step == "choose"
        assert pin_status(live) == {"pin_set": False}
        await type_token(pilot, "730519")
        await type_token(pilot, "730519")
        await until(pilot, lambda: app.screen is app.main_screen)
        assert pin_status(live) == {"pin_set": True}
        await until(pilot, lambda: "Your PIN is set" in shown(app))

        await pilot.press("ctrl+l")
        await asked_for(pilot, "pin")
        assert str(app.screen.query_one("#lock-label").render()).startswith("PIN")
        await type_token(pilot, "1111")
        await until(pilot, lambda: "Wrong PIN; 4 more tries before it locks" in lock_message(app))
        assert isinstance(app.screen, LockScreen)
        await type_token(pilot, "730519")
        await until(pilot, lambda: app.screen is app.main_screen)


async def test_while_locked_it_shows_only_how_many_wait_at_each_priority_and_offers_no_quit(live):
    for priority in ("A", "A", "B"):
        await create_incident(live, f"Flooded road, priority {priority}", priority)
    app = live_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: len(app.state.link.replica.incidents) == 3)
        await pilot.press("ctrl+l")
        await asked_for(pilot, "token")
        waiting = lambda: str(app.screen.query_one("#lock-waiting").render())  # noqa: E731
        assert waiting().split() == ["Waiting", "A", "2", "B", "1", "C", "0", "D", "0", "N", "0"]
        await create_incident(live, "Tree on the house", "D")
        await until(pilot, lambda: "D 1" in waiting())  # kept current under the lock
        text = shown(app)
        assert "quit" not in text.lower() and "FLOOD" not in text and "Flooded road" not in text

        await pilot.press("ctrl+q")  # no way out but unlocking
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.is_running and isinstance(app.screen, LockScreen)


async def test_while_the_server_is_away_the_token_opens_the_lock(live):
    app = live_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await app.state.link.command("account.set_pin", {"pin": "2468"})
        await live.stop()
        await until(pilot, lambda: not app.state.link.status.connected)
        await pilot.press("ctrl+l")
        await asked_for(pilot, "offline")
        assert "server is out of reach" in lock_message(app)
        await type_token(pilot, "2468")
        assert "cannot be checked while the server is out of reach" in lock_message(app)
        await type_token(pilot, live.tokens["dispatcher"])
        assert app.screen is app.main_screen
