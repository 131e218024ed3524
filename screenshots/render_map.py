"""Render the live map to SVG from the real app against the real demo server (run on demand).

    python screenshots/render_map.py

Kept apart from render.py (which renders the other views) so each can change on its own; the
same demo server (fixed seed, storm paused) and the same headless workstation.
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
from hurrinet_tui.screens.map import MapScreen  # noqa: E402


async def open_map(pilot, *keys: str) -> None:
    """m from the board, then ] to the most urgent incident the server recommends units for;
    then `keys`."""
    await pilot.press("m")
    screen = pilot.app.screen
    assert isinstance(screen, MapScreen)
    for _ in range(len(pilot.app.state.link.replica.incidents)):
        await pilot.press("right_square_bracket")
        async with asyncio.timeout(10):
            while screen.recommended_for != screen.incident_id:
                await pilot.pause(0.05)
        if screen.recommended:
            break
    await pilot.press(*keys)
    await pilot.pause(0.5)


# name, terminal size, keys after opening the map, options for the app
VIEWS = (
    ("map-160x50", (160, 50), (), {}),
    ("map-80x24", (80, 24), (), {}),
    ("map-zoomed", (160, 50), ("c",), {}),
    ("map-monochrome", (120, 40), ("c", "minus"), {"monochrome": True}),
)


async def render(url: str, token: str) -> None:
    for name, size, keys, options in VIEWS:
        app = HurriNetApp(ServerLink(url, token, compression=False), **options)
        async with app.run_test(size=size) as pilot:
            async with asyncio.timeout(20):
                while not pilot.app.state.link.status.connected:
                    await pilot.pause(0.05)
            pilot.app.main_screen.command_input.cursor_blink = False
            await pilot.pause(0.3)
            await open_map(pilot, *keys)
            app.save_screenshot(str(HERE / f"{name}.svg"))
            print(f"wrote screenshots/{name}.svg")


def main() -> None:
    server = DemoServer(Path(tempfile.mkdtemp(prefix="hurrinet-shots-")), simulation=False, seed=1979)
    ready = server.start()
    try:
        asyncio.run(render(ready["url"], ready["token"]))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
