"""Render the workstation's main views to SVG from the real app (run on demand).

    python screenshots/render.py

Starts the real demo server (`hurrinet-server demo`, fixed seed, storm paused so the picture
holds still), connects the real workstation to it headless, and saves what a dispatcher sees.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hurrinet_tui.__main__ import DemoServer  # noqa: E402
from hurrinet_tui.app import HurriNetApp  # noqa: E402
from hurrinet_tui.link import ServerLink  # noqa: E402


async def typed(pilot, *keys: str, wait: float = 0.3) -> None:
    await pilot.press(*keys)
    await pilot.pause(wait)


async def board_and_roster(pilot) -> None:
    await typed(pilot)


async def call_taking(pilot) -> None:
    """A call being taken: caller, place picked from the gazetteer, what is happening."""
    await typed(pilot, "ctrl+n", *"Ann Joseph", "tab", *"758 555 0101", "tab", *"derek", wait=0.5)
    await typed(pilot, "down", "enter", wait=0.5)
    await typed(pilot, "tab", "tab", *"smoke from a shop roof, people inside", "enter", wait=1.0)


async def incident_detail(pilot) -> None:
    await typed(pilot, "f6")
    pilot.app.main_screen.query_one("#detail-tabs").active = "tab-incident"
    await typed(pilot)


async def recommendations(pilot) -> None:
    await typed(pilot, "W", wait=1.5)


async def resources(pilot) -> None:
    await typed(pilot, "f12", wait=1.0)


async def confirm_close(pilot) -> None:
    """`c` on the board: the one-line question before an incident is closed (default: no)."""
    await typed(pilot, "c")


async def help_screen(pilot) -> None:
    await typed(pilot, "f1")


async def locked(pilot) -> None:
    """Locked with Ctrl+L by a user who has chosen a PIN: the waiting counts and the PIN field."""
    await pilot.app.state.link.command("account.set_pin", {"pin": "2468"})
    await typed(pilot, "ctrl+l")
    async with asyncio.timeout(20):
        while pilot.app.screen.step != "pin":
            await pilot.pause(0.05)
    pilot.app.screen.query_one("#lock-token").cursor_blink = False
    await typed(pilot)


# name, terminal size, what to do first, options for the app
VIEWS = (
    ("main-160x50", (160, 50), board_and_roster, {}),
    ("main-80x24", (80, 24), board_and_roster, {}),
    ("call-taking", (160, 50), call_taking, {}),
    ("incident-detail", (160, 50), incident_detail, {}),
    ("recommendations", (160, 50), recommendations, {}),
    ("resources", (160, 50), resources, {}),
    ("monochrome", (160, 50), board_and_roster, {"monochrome": True}),
    ("help", (120, 45), help_screen, {}),
    ("lock", (80, 24), locked, {}),
    ("confirm-close", (100, 30), confirm_close, {}),
)


async def connected(pilot) -> None:
    async with asyncio.timeout(20):
        # Connected, and the header has caught up with it (the place, its clock, the user).
        while not (pilot.app.state.link.status.connected and pilot.app.main_screen.header_bar.user):
            await pilot.pause(0.05)
        await pilot.pause(0.3)
    pilot.app.main_screen.command_input.cursor_blink = False


async def render(url: str, token: str) -> None:
    for name, size, steps, options in VIEWS:
        app = HurriNetApp(ServerLink(url, token, compression=False), **options)
        async with app.run_test(size=size) as pilot:
            await connected(pilot)
            await steps(pilot)
            app.save_screenshot(str(HERE / f"{name}.svg"))
            print(f"wrote screenshots/{name}.svg")


async def render_disconnected(url: str, token: str, server: DemoServer) -> None:
    """The server goes away under a connected workstation: the status bar says so."""
    app = HurriNetApp(ServerLink(url, token, compression=False))
    async with app.run_test(size=(160, 50)) as pilot:
        await connected(pilot)
        server.stop()
        async with asyncio.timeout(20):
            while app.state.link.status.connected:
                await pilot.pause(0.05)
        await pilot.pause(0.5)
        app.save_screenshot(str(HERE / "disconnected.svg"))
        print("wrote screenshots/disconnected.svg")


def main() -> None:
    server = DemoServer(Path(tempfile.mkdtemp(prefix="hurrinet-shots-")), simulation=False, seed=1979)
    ready = server.start()
    try:
        asyncio.run(render(ready["url"], ready["token"]))
        asyncio.run(render_disconnected(ready["url"], ready["token"], server))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
