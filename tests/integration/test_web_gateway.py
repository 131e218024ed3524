"""The web gateway's own rules, against the real aiohttp app on 127.0.0.1 (no browser needed): the
page names no other host, a websocket from another site's page is refused, and the number of
sessions is capped. The browser's whole path is in test_web_browser.py."""

from __future__ import annotations

import re
import shlex
import socket
import subprocess
import sys
from contextlib import asynccontextmanager

import httpx
import pytest
from aiohttp import web
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from hurrinet_tui.__main__ import main
from hurrinet_tui.web.gateway import WorkstationGateway, public_url, same_origin, session_command
from tests.support.ports import free_port
from tests.support.web import ROOT


@asynccontextmanager
async def gateway(max_sessions: int = 4):
    port = free_port()
    served = WorkstationGateway("false", "127.0.0.1", port, max_sessions=max_sessions)
    runner = web.AppRunner(await served._make_app())
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield served
    finally:
        await runner.cleanup()


async def test_the_page_and_everything_it_loads_come_from_the_gateway():
    async with gateway() as served, httpx.AsyncClient() as client:
        page = (await client.get(served.public_url + "/")).text
        addresses = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)""", page) + re.findall(r"url\(\"([^\"]+)", page)
        assert len(addresses) >= 4  # the CSS, the script, the two fonts (and the background)
        assert all(address.startswith(served.public_url + "/static/") for address in addresses), addresses
        for address in addresses:  # each is in textual-serve's package, served here
            assert (await client.get(address)).status_code == 200, address
        assert "googleapis" not in page and "<title>HurriNet Dispatch</title>" in page


async def test_a_websocket_from_another_sites_page_is_refused():
    async with gateway() as served:
        url = served.public_url.replace("http", "ws") + "/ws"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin="http://attacker.example", open_timeout=5):
                pass
        assert refused.value.response.status_code == 403


async def test_sessions_beyond_the_cap_are_refused():
    async with gateway(max_sessions=0) as served:
        url = served.public_url.replace("http", "ws") + "/ws"
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url, origin=served.public_url, open_timeout=5):
                pass
        assert refused.value.response.status_code == 503


def test_same_origin_is_the_page_itself_or_the_host_it_was_asked_for():
    public = "http://127.0.0.1:8080"
    assert same_origin("http://127.0.0.1:8080", "127.0.0.1:8080", public)
    assert same_origin("https://dispatch.example", "dispatch.example", public)  # behind a proxy keeping Host
    assert not same_origin("https://evil.example", "127.0.0.1:8080", public)
    assert not same_origin("null", "127.0.0.1:8080", public)  # a sandboxed frame or a file:// page
    assert same_origin(None, "127.0.0.1:8080", public)  # not a browser: no page to hijack it
    assert public_url("::1", 8080, None) == "http://[::1]:8080"
    assert public_url("0.0.0.0", 8080, "https://dispatch.example/") == "https://dispatch.example"


def test_the_session_command_carries_the_server_and_options_quoted_and_no_token():
    command = session_command("ws://host:8765/ws?x=1;rm -rf", ["--idle-lock", "5"])
    assert shlex.split(command) == [sys.executable, "-m", "hurrinet_tui", "web-session",
                                    "ws://host:8765/ws?x=1;rm -rf", "--idle-lock", "5"]  # fmt: skip
    assert "token" not in command.lower()


def test_hurrinet_web_refuses_a_server_address_that_is_not_a_websocket(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["web", "--server", "http://dispatch.example:8765/ws"])
    assert stopped.value.code == 2
    assert "is not a websocket URL" in capsys.readouterr().err


def test_hurrinet_web_says_when_its_port_is_taken(tmp_path):
    with socket.socket() as taken:  # a process of its own: serving runs its own event loop to the end
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "hurrinet_tui", "web", "--server", "ws://127.0.0.1:9/ws",
                               "--port", str(port), "--config", str(tmp_path / "none.toml")],
                              cwd=ROOT, capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in done.stderr
