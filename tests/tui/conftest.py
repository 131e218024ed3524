from __future__ import annotations

import asyncio

import pytest

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import Backoff, LinkState, LinkStatus, ServerLink
from tests.support import scene
from tests.support.desk import open_desk
from tests.support.live import live_server

TIMEOUT = 10.0


class StaticLink(ServerLink):
    """A link that never connects: the replica holds a fixed snapshot (for snapshot tests)."""

    def __init__(self, snapshot: dict, status: LinkStatus) -> None:
        super().__init__("ws://127.0.0.1:9/ws", "unused")
        self.replica.load_snapshot(snapshot)
        self.status = status

    def start(self):
        return None


@pytest.fixture(scope="session")
def scene_snapshot(template_db, tmp_path_factory) -> dict:
    desk = open_desk(template_db, tmp_path_factory.mktemp("scene"))
    try:
        return scene.build(desk)
    finally:
        desk.runner.store.engine.dispose()


CONNECTED = LinkStatus(LinkState.CONNECTED, user="maria", role="dispatcher")


@pytest.fixture
def static_app(scene_snapshot):
    def make(status: LinkStatus = CONNECTED) -> HurriNetApp:
        return HurriNetApp(StaticLink(scene_snapshot, status), now=lambda: scene.NOW, start_link=False)

    return make


@pytest.fixture
async def live(template_db, tmp_path):
    async with live_server(template_db, tmp_path, alert_delay_s=0.05) as server:
        yield server


def live_app(server, role: str = "dispatcher") -> HurriNetApp:
    link = ServerLink(server.url, server.tokens[role], backoff=Backoff(base=0.02, cap=0.1), compression=False)
    return HurriNetApp(link)


async def until(pilot, condition, timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await pilot.pause(0.02)
