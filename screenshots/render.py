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

VIEWS = (("main-160x50", (160, 50), ()), ("main-80x24", (80, 24), ()), ("help", (120, 45), ("f1",)))


async def render(url: str, token: str) -> None:
    for name, size, keys in VIEWS:
        app = HurriNetApp(ServerLink(url, token, compression=False))
        async with app.run_test(size=size) as pilot:
            async with asyncio.timeout(20):
                while not app.state.link.status.connected:
                    await pilot.pause(0.05)
            app.main_screen.command_input.cursor_blink = False
            await pilot.press(*keys)
            await pilot.pause(0.3)
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
