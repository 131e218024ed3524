"""The shell around the dispatcher's screens, pinned on the fixed scene (tests/support/scene.py):
the lock, and the main screen without colour."""

from __future__ import annotations

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import LinkState, LinkStatus

from .conftest import CONNECTED, StaticLink
from .test_snapshots import settle


class PinAnsweringLink(StaticLink):
    """The fixed scene, and a server that says whether the user has a PIN (nothing else)."""

    def __init__(self, snapshot: dict, pin_set: bool) -> None:
        super().__init__(snapshot, CONNECTED)
        self.pin_set = pin_set

    async def command(self, name: str, args: dict | None = None) -> dict:
        assert name == "account.pin_status", name
        return {"pin_set": self.pin_set}


def locked_app(scene_snapshot, pin_set: bool) -> HurriNetApp:
    from tests.support import scene

    return HurriNetApp(PinAnsweringLink(scene_snapshot, pin_set), now=lambda: scene.NOW, start_link=False)


async def lock(pilot) -> None:
    await settle(pilot)
    await pilot.press("ctrl+l")
    await pilot.pause()
    pilot.app.screen.query_one("#lock-token").cursor_blink = False
    while pilot.app.screen.step == "asking":
        await pilot.pause(0.02)
    await pilot.pause()


def test_lock_screen(snap_compare, scene_snapshot):
    """You should see only a box on a plain background: 'HurriNet Dispatch — locked', Saint Lucia
    and the frozen time, 'Locked with Ctrl+L.', the counts of waiting incidents by priority (A and
    B in reverse where any wait), the 'PIN ›' field; the status bar says Connected and 'Enter
    unlocks', no quit. No board, no roster, no incident."""
    assert snap_compare(locked_app(scene_snapshot, pin_set=True), terminal_size=(80, 24), run_before=lock)


def test_lock_screen_before_a_pin_is_chosen(snap_compare, scene_snapshot):
    """You should see the 'Token ›' field and 'No PIN yet: type this workstation's token once,
    then choose a PIN.'"""
    assert snap_compare(locked_app(scene_snapshot, pin_set=False), terminal_size=(80, 24), run_before=lock)


def monochrome(scene_snapshot, status: LinkStatus = CONNECTED) -> HurriNetApp:
    from tests.support import scene

    return HurriNetApp(StaticLink(scene_snapshot, status), now=lambda: scene.NOW, start_link=False, monochrome=True)


def test_main_screen_in_monochrome(snap_compare, scene_snapshot):
    """You should see the board in greys: A incidents in reverse, B bold, the cursor row in
    reverse on the board and underlined on the roster; alerting units reverse, assigned underlined,
    on scene bold italic."""
    assert snap_compare(monochrome(scene_snapshot), terminal_size=(160, 50), run_before=settle)


def test_disconnected_in_monochrome(snap_compare, scene_snapshot):
    """You should see the status bar reversed (light, dark text): '✖ Disconnected — reconnecting'."""
    status = LinkStatus(LinkState.RECONNECTING, attempt=3, retry_in=4.0, user=CONNECTED.user, role=CONNECTED.role)
    assert snap_compare(monochrome(scene_snapshot, status), terminal_size=(80, 24), run_before=settle)


def test_call_taking_in_monochrome_80x24(snap_compare, scene_snapshot):
    """You should see the call form in greys with the 'approx.' box as a lighter empty square
    (it was dark grey on dark grey, fg 233 on bg 236), and the footer's keys whole."""

    async def call_form(pilot):
        from .test_snapshots import call_on_the_line

        await call_on_the_line(pilot)

    assert snap_compare(monochrome(scene_snapshot), terminal_size=(80, 24), run_before=call_form)


def test_confirm_bar_80x24(snap_compare, static_app):
    """`c` on the board: you should see, above the command line, 'Close incident #K00028
    (TRAPPED)?' with No chosen (reversed) and 'y: yes · Enter/n/Esc = no'."""

    async def ask(pilot):
        await settle(pilot)
        await pilot.press("c")
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=ask)
