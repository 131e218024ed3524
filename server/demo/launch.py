"""`hurrinet-server demo`: a throwaway server for the workstation's `hurrinet demo`.

The workstation starts it as a subprocess and learns from the ready file where to connect.
Every run starts from a fresh database with a `dispatcher` account and, unless told
otherwise, the hurricane scenario of `server/demo/simulate.py` running. The terminal belongs to
the workstation, so the server logs to `demo.log` in its data directory; stderr carries one
line only if the server cannot start. It stops on SIGTERM/SIGINT and when its parent process
goes away, so a crashed workstation never leaves a server behind.
"""

from __future__ import annotations

import asyncio
import fcntl
import ipaddress
import json
import logging
import os
import random
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from server.config import Settings
from server.demo.simulate import Pace, Scenario, Simulation
from server.domain.world import Actor
from server.net.serve import Running, running
from server.reference import DEMO, load_reference
from server.storage.database import sqlite_url

log = logging.getLogger("hurrinet.demo")

DATABASE = "demo.db"
LOG = "demo.log"
LOCK = "demo.lock"
DISPATCHER = "dispatcher"
SIMULATOR = "simulator"
PARENT_POLL_S = 1.0


class DemoError(Exception):
    """The demo server cannot start; the message says why, in one line."""


@dataclass(frozen=True)
class DemoOptions:
    data_dir: Path
    ready_file: Path
    host: str = "127.0.0.1"
    port: int = 0  # any free port
    simulation: bool = True
    paused: bool = False  # warm up, then wait for simulation.set {running: true}
    seed: int | None = None  # None: a random seed (written to the log and the ready file)
    pace: float = 1.0  # 2: twice as busy
    reference_dir: Path = DEMO


def loopback_host(host: str) -> str:
    """The demo server holds a dispatcher's token in a file; it never listens beyond this machine."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise DemoError(f"--host {host}: the demo server listens on a loopback address only (127.0.0.1, ::1)")
    return host


def ws_url(host: str, port: int) -> str:
    return f"ws://[{host}]:{port}/ws" if ":" in host else f"ws://{host}:{port}/ws"


def lock_data_dir(data_dir: Path) -> TextIO:
    """Hold the data dir for this process: a second demo server must not delete a live database."""
    handle = (data_dir / LOCK).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise DemoError(f"another demo server (pid {owner}) is using {data_dir}; stop it or pass --data-dir") from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def remove_database(data_dir: Path) -> Path:
    """Delete the previous run's database, WAL and shared memory: every demo starts fresh."""
    database = data_dir / DATABASE
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    return database


def write_ready_file(path: Path, content: dict[str, Any]) -> None:
    """Whole or not at all (temp file + rename), readable by this user only: it holds a token."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        json.dump(content, out)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def log_to_file(path: Path) -> None:
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)


def run(options: DemoOptions) -> int:
    """Run the demo server until a signal or the parent's death. 0 on a clean stop."""
    parent = os.getppid()  # before anything else: the parent may die while we start
    host = loopback_host(options.host)
    try:
        options.data_dir.mkdir(parents=True, exist_ok=True)
        lock = lock_data_dir(options.data_dir)
    except OSError as error:
        raise DemoError(f"cannot use the data dir {options.data_dir}: {error}") from None
    with lock:
        options.ready_file.unlink(missing_ok=True)  # a stale file must not pass for this run
        log_to_file(options.data_dir / LOG)
        try:
            asyncio.run(_serve(options, host, parent))
        except Exception as error:
            log.exception("the demo server failed")
            raise DemoError(f"{error} (see {options.data_dir / LOG})") from error
        finally:
            options.ready_file.unlink(missing_ok=True)
    return 0


async def _serve(options: DemoOptions, host: str, parent: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    database = remove_database(options.data_dir)
    settings = Settings(host=host, port=options.port, data_dir=options.data_dir,
                        database_url=sqlite_url(database), reference_dir=options.reference_dir,
                        simulate_alerts=True)  # fmt: skip
    async with running(settings) as server:
        hub = server.hub
        _, token = hub.accounts.add(DISPATCHER, "dispatcher", hub.now())
        simulation = _start_simulation(server, options) if options.simulation else None
        tasks = [asyncio.create_task(_watch_parent(parent, stop))]
        if simulation is not None:
            tasks.append(asyncio.create_task(simulation.run()))
        ready = {
            "url": ws_url(host, server.port),
            "token": token,
            "user": DISPATCHER,
            "role": "dispatcher",
            "pid": os.getpid(),
            "log": str((options.data_dir / LOG).resolve()),
            "simulation": "off" if simulation is None else "running" if simulation.running else "paused",
        }
        if simulation is not None:
            ready["seed"] = simulation.scenario.seed
        write_ready_file(options.ready_file, ready)
        log.info("demo ready at %s (simulation %s)", ready["url"], ready["simulation"])
        try:
            await stop.wait()
        finally:
            for task in tasks:  # the simulator must not issue commands while the hub shuts down
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if simulation is not None:
                log.info("simulation issued %d commands, %d refused", simulation.issued, simulation.refusals)


def _start_simulation(server: Running, options: DemoOptions) -> Simulation:
    hub = server.hub
    seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**32)
    user, _ = hub.accounts.add(SIMULATOR, "dispatcher", hub.now())  # its token is never used
    gazetteer = load_reference(options.reference_dir).gazetteer
    scenario = Scenario(user.id, gazetteer, seed, Pace().scaled(options.pace))
    simulation = Simulation(scenario, hub.execute, hub.runner.world, hub.runner.clock, Actor(user.id, user.role))
    log.info("simulation seed %d, pace %g", seed, options.pace)
    simulation.step()  # the warm-up: the board is alive before the workstation connects
    if options.paused:
        simulation.set_running(False)
    hub.controls["simulation.set"] = simulation.control
    return simulation


async def _watch_parent(parent: int, stop: asyncio.Event) -> None:
    """When the process that started us dies we are re-parented: stop rather than linger."""
    while True:
        if os.getppid() != parent:
            log.info("parent process %d is gone; stopping", parent)
            stop.set()
            return
        await asyncio.sleep(PARENT_POLL_S)

