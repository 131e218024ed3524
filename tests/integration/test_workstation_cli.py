"""`hurrinet connect` and `hurrinet demo` from the outside: token lookup and the demo server."""

from __future__ import annotations

import asyncio

from hurrinet_tui.__main__ import DemoServer, main, token_from
from hurrinet_tui.link import ServerLink


def test_the_token_comes_from_the_option_then_the_environment_then_the_config_file(tmp_path):
    config = tmp_path / "workstation.toml"
    config.write_text('token = "from-file"\n')
    assert token_from("from-option", {"HURRINET_TOKEN": "from-env"}, config) == "from-option"
    assert token_from(None, {"HURRINET_TOKEN": "from-env"}, config) == "from-env"
    assert token_from(None, {}, config) == "from-file"
    assert token_from(None, {}, tmp_path / "missing.toml") is None


def test_connect_without_any_token_says_where_to_put_one(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("HURRINET_TOKEN", raising=False)
    assert main(["connect", "ws://127.0.0.1:9/ws", "--config", str(tmp_path / "none.toml")]) == 2
    assert "HURRINET_TOKEN" in capsys.readouterr().err


def test_the_demo_server_starts_fresh_serves_the_storm_and_stops(tmp_path):
    server = DemoServer(tmp_path / "demo", simulation=False)
    ready = server.start()
    try:
        assert ready["url"].startswith("ws://127.0.0.1:") and ready["simulation"] == "paused"

        async def look() -> tuple[int, int]:
            link = ServerLink(ready["url"], ready["token"], compression=False)
            link.start()
            async with asyncio.timeout(10):
                while not link.status.connected:
                    await asyncio.sleep(0.02)
            await link.close()
            return len(link.replica.incidents), len(link.replica.gazetteer)

        incidents, places = asyncio.run(look())
        assert incidents > 0 and places > 0  # the warm-up picture and the gazetteer arrived
    finally:
        server.stop()
    assert server.process.returncode == 0
