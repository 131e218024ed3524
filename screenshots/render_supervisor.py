"""Render the supervisor screen (Ctrl+S) to SVG from the real app (run on demand).

    python screenshots/render_supervisor.py

Plays three hours of storm (the tests' seeded history, then the fixed hurricane-night scene)
into a fresh database through the real command runner, ending a few minutes ago; serves it
with the real server on 127.0.0.1; connects the real workstation headless as a supervisor and
saves what it sees: supervisor.svg (100×32) and supervisor-80x24.svg.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from hurrinet_tui.app import HurriNetApp  # noqa: E402
from hurrinet_tui.link import ServerLink  # noqa: E402
from hurrinet_tui.screens.supervisor import SupervisorScreen  # noqa: E402
from server.app.bootstrap import open_runner  # noqa: E402
from server.config import Settings  # noqa: E402
from server.net.serve import running  # noqa: E402
from server.storage.database import checkpoint, sqlite_url  # noqa: E402
from tests.support import history, scene  # noqa: E402
from tests.support.desk import Desk  # noqa: E402

VIEWS = (("supervisor", (100, 32)), ("supervisor-80x24", (80, 24)))


def prepare(directory: Path) -> str:
    """The storm so far, its last command about eight minutes ago (as in the scene)."""
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=25)
    clock = history.clock(end - timedelta(hours=3))
    url = sqlite_url(directory / "hurrinet.db")
    desk = Desk(open_runner(url, clock=clock), clock)
    history.play(desk, begin=end - timedelta(hours=3), end=end)
    scene.build(desk)
    checkpoint(desk.runner.store.engine)
    desk.runner.store.engine.dispose()
    return url


async def render(directory: Path, url: str) -> None:
    settings = Settings(host="127.0.0.1", port=0, data_dir=directory, database_url=url, compression=False)
    async with running(settings) as server:
        _, token = server.hub.accounts.add("sofia", "supervisor", datetime.now(UTC))
        for name, size in VIEWS:
            app = HurriNetApp(ServerLink(f"ws://127.0.0.1:{server.port}/ws", token, compression=False))
            async with app.run_test(size=size) as pilot:
                async with asyncio.timeout(20):
                    while not app.state.link.status.connected:
                        await pilot.pause(0.05)
                app.main_screen.command_input.cursor_blink = False
                await pilot.press("ctrl+s")
                screen = app.screen
                assert isinstance(screen, SupervisorScreen)
                async with asyncio.timeout(20):
                    while screen.figures is None:
                        await pilot.pause(0.05)
                app.clear_notifications()
                await pilot.pause(0.3)
                app.save_screenshot(str(HERE / f"{name}.svg"))
                print(f"wrote screenshots/{name}.svg")


def main() -> None:
    directory = Path(tempfile.mkdtemp(prefix="hurrinet-supervisor-shots-"))
    asyncio.run(render(directory, prepare(directory)))


if __name__ == "__main__":
    main()
