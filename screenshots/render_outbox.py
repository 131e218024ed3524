"""Render the pending outbox (screenshots/pending-outbox.svg) from the real app (run on demand).

    python screenshots/render_outbox.py

The real demo server (fixed seed, storm paused) under a connected workstation stops; commands
typed afterwards wait in the outbox, and the strip above the status bar lists them with their
age while the status bar says why the link is down and when it last heard the server.
Kept apart from render.py so the two can change independently.
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


async def until(pilot, condition, timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause(0.05)


async def render(url: str, token: str, server: DemoServer) -> None:
    app = HurriNetApp(ServerLink(url, token, compression=False, explain=server.gone))
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        screen = app.main_screen
        screen.command_input.cursor_blink = False
        await pilot.pause(0.5)
        server.stop()
        await until(pilot, lambda: not app.state.link.status.connected)
        for line in ("ni flood b @ castries market // water in the ground floor", "no caller says the bridge is out"):
            await pilot.press("colon")
            screen.command_input.insert_text_at_cursor(line)
            await pilot.press("enter")
            await pilot.pause(2.0)
        await pilot.press("f11")  # the strip takes the keyboard: ↑/↓ pick, Del cancels
        await pilot.pause(1.5)
        app.save_screenshot(str(HERE / "pending-outbox.svg"))
        print("wrote screenshots/pending-outbox.svg")


def main() -> None:
    server = DemoServer(Path(tempfile.mkdtemp(prefix="hurrinet-shots-")), simulation=False, seed=1979)
    ready = server.start()
    try:
        asyncio.run(render(ready["url"], ready["token"], server))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
