"""Run the server: open the deployment, listen, shut down cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass

from websockets.asyncio.server import Server, serve

from server.app.bootstrap import open_runner
from server.app.commands import Clock
from server.config import Settings
from server.net.accounts import Accounts
from server.net.alerts import SimulatedDelivery
from server.net.eido_feed import EidoFeed
from server.net.hub import Hub
from server.storage.database import checkpoint

log = logging.getLogger("hurrinet.server")
MAX_MESSAGE_BYTES = 1024 * 1024  # larger frames close the connection; 64 KiB–1 MiB get bad_request


@dataclass
class Running:
    hub: Hub
    server: Server

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]


@contextlib.asynccontextmanager
async def running(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Running]:
    """The server listening on settings.host/port (port 0: any free port) until the block ends."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    runner = open_runner(settings.database, settings.reference_dir, clock=clock)
    hub = Hub(runner, Accounts(runner.store.engine), SimulatedDelivery(settings.alert_delay_s))
    feed = EidoFeed.attach(hub)
    server = await serve(
        hub.handler,
        settings.host,
        settings.port,
        process_request=hub.process_request,
        compression="deflate" if settings.compression else None,
        max_size=MAX_MESSAGE_BYTES,
    )
    log.info("listening on %s:%s, database %s", settings.host, server.sockets[0].getsockname()[1],
             settings.database.split("://")[0])  # fmt: skip
    try:
        yield Running(hub, server)
    finally:
        hub.cancel_timers()
        server.close(close_connections=False)
        await hub.close_sessions()
        await feed.close()
        await server.wait_closed()
        checkpoint(runner.store.engine)
        runner.store.engine.dispose()
        log.info("stopped; WAL checkpointed")


async def serve_forever(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(settings):
        await stop.wait()
