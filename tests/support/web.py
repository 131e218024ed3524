"""`hurrinet web` in a real browser: a real server and the web gateway as subprocesses on
127.0.0.1, and Debian's Chromium driven by Playwright (never Playwright's own browser download).

The page draws the terminal on a canvas, so what it shows is read from the bytes the gateway
sends it over the page's websocket (Textual's output, escape sequences removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
STEP_TIMEOUT_S = 20.0
ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>78NOMc])")



@dataclass
class Stack:
    """The server (with one dispatcher) and `hurrinet web` in front of it."""

    server_port: int
    token: str
    web_url: str
    directory: Path
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    @property
    def server_url(self) -> str:
        return f"ws://127.0.0.1:{self.server_port}/ws"

    @property
    def gateway_log(self) -> Path:
        return self.directory / "gateway.log"

    def files_holding(self, secret: str) -> list[Path]:
        """Files the gateway and its sessions wrote (their output, config and data homes) that hold `secret`."""
        places = [self.gateway_log, *(self.directory / "config").rglob("*"), *(self.directory / "data").rglob("*")]
        return [path for path in places if path.is_file() and secret.encode() in path.read_bytes()]


async def _run(*command: str, env: dict[str, str]) -> str:
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def _server(data_dir: Path, env: dict[str, str]) -> tuple[asyncio.subprocess.Process, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "server", "serve", "--port", "0", "--data-dir", str(data_dir),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    async with asyncio.timeout(120):
        while True:
            line = (await process.stderr.readline()).decode()
            assert line, "the server exited before listening"
            if match := re.search(r"listening on 127\.0\.0\.1:(\d+)", line):
                break
    # Keep reading its log, or the pipe fills and the server blocks writing to it.
    asyncio.get_running_loop().create_task(process.stderr.read())
    return process, int(match.group(1))


async def _until_served(url: str, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(60), httpx.AsyncClient() as client:
        while True:
            assert process.returncode is None, "hurrinet web exited"
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)


async def _stop(process: asyncio.subprocess.Process, group: bool = False) -> None:
    if process.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        process.kill()
        await process.wait()
    if group:  # the gateway's browser sessions, in its process group
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)


@contextlib.asynccontextmanager
async def web_stack(directory: Path, template_db: Path | None = None):
    """A fresh server and `hurrinet web` on free loopback ports; both stopped at the end.
    `template_db`: a migrated database to start from (else the server makes one)."""
    data_dir = directory / "server"
    data_dir.mkdir()
    if template_db is not None:
        shutil.copyfile(template_db, data_dir / "hurrinet.db")
    # The sessions' config and preferences stay in the test's directory, not the user's home.
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "XDG_CONFIG_HOME": str(directory / "config"),
           "XDG_DATA_HOME": str(directory / "data")}  # fmt: skip
    env.pop("HURRINET_TOKEN", None)
    added = await _run(sys.executable, "-m", "server", "user", "add", "maria", "--role", "dispatcher",
                       "--data-dir", str(data_dir), env=env)  # fmt: skip
    token = added.strip().splitlines()[-1]
    server, port = await _server(data_dir, env)
    stack = Stack(port, token, "", directory, [server])
    try:
        web_port = free_port()
        stack.web_url = f"http://127.0.0.1:{web_port}"
        with open(stack.gateway_log, "wb") as output:  # what an operator's terminal or journal would get
            gateway = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "hurrinet_tui", "web", "--server", stack.server_url, "--port", str(web_port),
                "--idle-lock", "0", cwd=ROOT, env=env, stdout=output, stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        stack.processes.append(gateway)
        await _until_served(stack.web_url + "/", gateway)
        yield stack
    finally:
        for process in reversed(stack.processes):
            await _stop(process, group=process is not server)


class Screen:
    """What the page's terminal has been sent so far, as text."""

    def __init__(self) -> None:
        self.received = bytearray()

    def watch(self, page) -> None:
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: str | bytes) -> None:
        self.received += payload.encode() if isinstance(payload, str) else payload

    @property
    def text(self) -> str:
        return ESCAPES.sub(b"", bytes(self.received)).decode("utf-8", "replace")

    def mark(self) -> int:
        return len(self.received)

    def since(self, mark: int) -> str:
        return ESCAPES.sub(b"", bytes(self.received[mark:])).decode("utf-8", "replace")

    async def shows(self, words: str, mark: int = 0, timeout: float = STEP_TIMEOUT_S) -> None:
        async with asyncio.timeout(timeout):
            while words not in self.since(mark):
                await asyncio.sleep(0.05)


async def launch(playwright):
    return await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"], timeout=30_000)
