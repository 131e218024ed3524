"""The browser session's sign-in (`hurrinet web`), as the real app under Pilot against a real server
on 127.0.0.1: nothing runs and nothing is loaded before a token the server takes; a bad token is
refused in words and never shown; a good one connects and shows the board."""

from __future__ import annotations

import html

from hurrinet_tui.screens.lock import LockScreen
from hurrinet_tui.screens.main import MainScreen
from hurrinet_tui.screens.sign_in import SignInScreen
from hurrinet_tui.web.session import build_browser_workstation
from tests.support.ports import free_port as closed_port

from .conftest import until
from .test_lock import create_incident


def shown(app) -> str:
    return html.unescape(app.export_screenshot()).replace("\xa0", " ")


def message(app) -> str:
    return str(app.screen.query_one("#sign-in-message").render())


async def type_token(pilot, token: str) -> None:
    await pilot.press(*token, "enter")
    await pilot.pause()



async def test_a_bad_token_is_refused_in_words_and_a_good_one_opens_the_board(live):
    incident = await create_incident(live, "already on the board before the sign-in")
    app = build_browser_workstation(live.url, idle_lock_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        link = app.state.link
        assert link.token == "" and link.welcome_modes == [] and not link.replica.incidents
        await pilot.press("ctrl+l", "n", "ctrl+p")  # the lock, a new incident, the palette: none runs
        await pilot.pause()
        assert isinstance(app.screen, SignInScreen)

        await type_token(pilot, "not-a-token")
        await until(pilot, lambda: "refused" in message(app))
        assert "HTTP 401" in message(app) and "check it and type it again" in message(app)
        assert isinstance(app.screen, SignInScreen) and link.welcome_modes == [] and link.token == ""
        assert "not-a-token" not in shown(app)  # a password field, and the message never quotes it

        token = live.tokens["dispatcher"]
        await pilot.press(*token)
        assert token not in shown(app)  # while it is typed too
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert link.status.connected and link.status.user == "dispatcher" and link.token == token
        assert incident in link.replica.incidents
        assert "already on the board" in shown(app)

        await pilot.press("ctrl+l")  # signed in, the app's actions run again: the lock opens with the token
        await until(pilot, lambda: isinstance(app.screen, LockScreen))


async def test_a_server_out_of_reach_is_named_and_the_token_can_be_typed_again(live):
    app = build_browser_workstation(f"ws://127.0.0.1:{closed_port()}/ws", idle_lock_s=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SignInScreen))
        await type_token(pilot, live.tokens["dispatcher"])
        await until(pilot, lambda: "Cannot reach the server" in message(app))
        assert "connection refused" in message(app) and isinstance(app.screen, SignInScreen)
        assert app.state.link.token == "" and not app.screen.query_one("#sign-in-token").disabled
