"""Run the server: open the deployment, listen, shut down cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import importlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from websockets.asyncio.server import Server, serve

from server.app.bootstrap import open_runner
from server.app.commands import Clock, CommandRunner
from server.app.handlers import DEFERRED_IMPORTS
from server.config import Settings
from server.net.accounts import Accounts
from server.net.alerts import (
    AckLinks,
    AckPage,
    AlertDelivery,
    ConfigError,
    SimulatedDelivery,
    load_secret,
    target_configs,
)
from server.net.alerts.ack import PREFIX
from server.net.archiver import Archiver
from server.net.cluster import Follower
from server.net.eido_feed import EidoFeed
from server.net.hub import Hub
from server.storage.checkpoints import Checkpointer
from server.storage.database import checkpoint

log = logging.getLogger("hurrinet.server")
WARM_UP_AFTER_S = 5.0  # after start, when the reconnecting positions have joined
GIL_SWITCH_INTERVAL_S = 0.0005  # Python's default is 0.005
MAX_MESSAGE_BYTES = 1024 * 1024  # larger frames close the connection; 64 KiB–1 MiB get bad_request


@dataclass
class Running:
    hub: Hub
    server: Server
    archiver: Archiver

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]


def _delivery(settings: Settings, runner: CommandRunner, links: AckLinks) -> AlertDelivery:
    """Real transports for the targets whose config names one; the rest simulated or refused."""
    simulated = SimulatedDelivery(settings.alert_delay_s) if settings.simulate_alerts else None
    configs = target_configs(runner.world, os.environ)
    log.info("alert delivery: %d targets by e-mail or webhook, the rest %s", len(configs),
             "simulated" if simulated else "reported undeliverable")  # fmt: skip

    def urls(unit_id: str, target_id: str, incident_id: str) -> tuple[str, str]:
        return links.urls(unit_id, target_id, incident_id, runner.clock.now())

    return AlertDelivery(lambda: runner.world, runner.clock.now, urls, configs, simulated)


def _base_url(settings: Settings, port: int) -> str:
    if settings.public_url:
        return settings.public_url
    host = socket.gethostname() if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"http://{f'[{host}]' if ':' in host else host}:{port}"


@contextlib.asynccontextmanager
async def running(settings: Settings, clock: Clock | None = None) -> AsyncIterator[Running]:
    """The server listening on settings.host/port (port 0: any free port) until the block ends."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Loading allocates hundreds of thousands of objects that live all shift: the cyclic
    # collector, run while they arrive, only scans them again and again (~15 % of the load).
    gc.disable()
    try:
        runner = open_runner(settings.database, settings.reference_dir, clock=clock, archive_url=settings.archive_url)
        links = AckLinks(load_secret(settings.data_dir), settings.ack_link_ttl_s)
        try:
            delivery = _delivery(settings, runner, links)
        except ConfigError:
            runner.store.engine.dispose()
            raise
        hub = Hub(runner, Accounts(runner.store.engine), delivery)
        # What start-up keeps lives all shift: frozen out of the cyclic collector, which would
        # otherwise scan it on its first pass after this (25-35 ms of each start) and on every
        # full collection (about 70 ms at 10k incidents, a stall of every session each time).
        # Entities are acyclic, so those replaced later are still freed by their count. No
        # collection first: after a load with the collector off it found 288 objects to free.
        gc.freeze()
    finally:
        gc.enable()
    # Acknowledgements go through the hub's own path, as a simulated acknowledgement does.
    hub.pages[PREFIX] = AckPage(links, lambda: runner.world, runner.clock.now, hub._acknowledge)
    feed = EidoFeed.attach(hub)
    archiver = Archiver(runner, hub.settle, hub._run_system, settings.archive_interval_s)
    server = await serve(
        hub.handler,
        settings.host,
        settings.port,
        process_request=hub.process_request,
        compression="deflate" if settings.compression else None,
        max_size=MAX_MESSAGE_BYTES,
    )
    links.base_url = _base_url(settings, server.sockets[0].getsockname()[1])
    hub.start()  # timers and unanswered alerts, from the stored state (the links need the URL)
    # Other servers may share the database: follow what they commit.
    follower = Follower(runner.store.engine, hub.catch_up, lambda: runner.store.last_seq() > hub.runner.world.seq)
    if runner.store.shared:
        follower.start()
    archiver.start()
    checkpoints = Checkpointer(runner.store.engine)
    checkpoints.start()
    _return_freed_memory()
    stop_warming = _warm_up()
    log.info("listening on %s:%s, database %s, acknowledgement links under %s%s", settings.host,
             server.sockets[0].getsockname()[1], settings.database.split("://")[0], links.base_url, PREFIX)  # fmt: skip
    # The hub's writer thread commits each batch with the GIL released and needs it back only
    # to say it is done; by default it waits up to 5 ms for the busy loop to hand it over, and
    # the batch's answers with it (docs/performance.md: the durable rate, 0.5 against 5 ms).
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    try:
        yield Running(hub, server, archiver)
    finally:
        await follower.close()
        await archiver.stop()
        hub.cancel_timers()
        await delivery.close()
        server.close(close_connections=False)
        await hub.close_sessions()
        await feed.close()
        await server.wait_closed()
        await hub.close()  # the sessions' last audit rows (disconnect), written before the database closes
        checkpoints.stop()
        checkpoint(runner.store.engine)
        runner.store.engine.dispose()
        runner.archive.dispose()
        gc.unfreeze()  # what start-up froze may be garbage now (a process that serves again, tests)
        stop_warming()
        sys.setswitchinterval(switch_interval)
        log.info("stopped; WAL checkpointed")


def _return_freed_memory() -> None:
    """Loading the world frees far more than it keeps (rows, JSON, SQLAlchemy's caches); glibc
    keeps freed heap for reuse, so hand it back once, after start-up, instead of holding it
    all shift."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def _warm_up() -> Callable[[], None]:
    """Import, in a thread of its own, what start-up left to the first query that needs it
    (numpy under the recommendations and the statistics, the EIDO reader): listening does not
    wait for it, and that first query, on the event loop, does not either. The imports hold
    the GIL for about 0.4 s in all (numpy's C set-up, 40–110 ms, in one piece), so they wait
    `WARM_UP_AFTER_S` first: the positions that reconnect when a server restarts join, and
    their commands run, without sharing the loop's one core with them (docs/performance.md).
    Returns what stops it (at once if it is still waiting)."""
    stopping = threading.Event()

    def run() -> None:
        if stopping.wait(WARM_UP_AFTER_S):
            return
        for name in DEFERRED_IMPORTS:
            try:
                importlib.import_module(name)
            except Exception:  # the query that needs it will report it
                log.exception("importing %s in the background", name)

    thread = threading.Thread(target=run, name="hurrinet-warm-up", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join()  # no thread of ours outlives the server (a few hundred ms at most, once)

    return stop


async def serve_forever(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running(settings):
        await stop.wait()
