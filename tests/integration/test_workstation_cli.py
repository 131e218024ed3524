"""`hurrinet connect` and `hurrinet demo` from the outside: token lookup, the demo server, and the\noptions for the look and the lock."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys

import pytest

from hurrinet_tui.__main__ import (
    DemoServer,
    Shell,
    build_parser,
    build_workstation,
    keep_demo_token,
    main,
    shell_from,
    token_from,
    urls_from,
)
from hurrinet_tui.config import read_config
from hurrinet_tui.link import Backoff, ServerLink


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


def test_connect_without_a_server_or_with_a_bad_url_says_what_to_give(tmp_path, capsys):
    config = tmp_path / "none.toml"
    assert main(["connect", "--token", "t", "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert "no server" in error and "ws://HOST:8765/ws" in error and str(config) in error
    assert main(["connect", "ws://127.0.0.1:9/ws", "http://127.0.0.1:9/ws", "--token", "t", "--config", str(config)]) == 2
    assert "not a server URL: 'http://127.0.0.1:9/ws'" in capsys.readouterr().err


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


# --- how it looks and locks: command line over config file over defaults -------------------------
def shell_for(argv: list[str]):
    args = build_parser().parse_args(argv)
    return shell_from(args, read_config(args.config))


def test_look_and_lock_options_come_from_the_command_line_then_the_config_file(tmp_path):
    config = tmp_path / "workstation.toml"
    config.write_text('idle_lock_minutes = 10\ntheme = "monochrome"\n')
    url = "ws://127.0.0.1:9/ws"
    assert shell_for(["connect", url, "--config", str(tmp_path / "none.toml")]) == Shell(30 * 60, False, None)
    assert shell_for(["connect", url, "--config", str(config)]) == Shell(600, False, "hurrinet-monochrome")
    assert shell_for(["connect", url, "--config", str(config), "--idle-lock", "2.5", "--monochrome"]) == Shell(
        150, True, "hurrinet-monochrome"
    )
    assert shell_for(["connect", url, "--config", str(config), "--idle-lock", "0"]).idle_lock_s is None
    assert shell_for(["demo", "--config", str(config), "--monochrome", "--idle-lock", "5"]) == Shell(
        300, True, "hurrinet-monochrome"
    )


def test_the_options_reach_the_workstation(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    shell = shell_for(["connect", "ws://127.0.0.1:9/ws", "--idle-lock", "2", "--monochrome"])
    app = build_workstation("ws://127.0.0.1:9/ws", "t0ken", Backoff(), compression=False, shell=shell)
    assert app.idle.limit_s == 120 and app.theme == "hurrinet-monochrome"
    assert app.preferences_dir == tmp_path / "hurrinet" / "preferences"
    never = build_workstation("ws://127.0.0.1:9/ws", "t0ken", Backoff(), compression=False,
                              shell=shell_for(["demo", "--idle-lock", "0"]))  # fmt: skip
    assert never.idle is None and never.theme == "textual-dark"


def test_several_servers_reach_the_link_in_order(tmp_path):
    config = tmp_path / "workstation.toml"
    config.write_text('server = ["ws://127.0.0.1:9/ws", "ws://127.0.0.1:10/ws"]\n')
    args = build_parser().parse_args(["connect", "--config", str(config)])
    urls = urls_from(args.url, read_config(config))
    app = build_workstation(urls, "t0ken", Backoff(), compression=False)
    link = app.state.link
    assert link.servers.urls == ("ws://127.0.0.1:9/ws", "ws://127.0.0.1:10/ws") and link.url == urls[0]
    assert link.status.describe() == "Connecting to 127.0.0.1:9…"
    one = build_workstation("ws://127.0.0.1:9/ws", "t0ken", Backoff(), compression=False).state.link
    assert one.servers.urls == ("ws://127.0.0.1:9/ws",) and one.status.describe() == "Connecting…"  # as before


@pytest.mark.parametrize(
    "value, problem",
    [("-1", "0 (never lock) or more minutes"), ("soon", "must be a number of minutes"), ("inf", "number of minutes")],
)
def test_a_bad_idle_lock_option_is_refused_by_name(value, problem, capsys):
    with pytest.raises(SystemExit) as exit:
        build_parser().parse_args(["connect", "ws://127.0.0.1:9/ws", "--idle-lock", value])
    assert exit.value.code == 2
    error = capsys.readouterr().err
    assert "--idle-lock" in error and problem in error


@pytest.mark.parametrize(
    "text, problem",
    [
        ("idle_lock_minutes = -5\n", "idle_lock_minutes must be 0 (never lock) or more minutes"),
        ("idle_lock_minutes = true\n", "idle_lock_minutes must be a number of minutes"),
        ('theme = "sunset"\n', "unknown theme 'sunset'; choose one of:"),
        ("theme = 3\n", "theme must be a non-empty string"),
        ('token = ""\n', "token must be a non-empty string"),
        ("idle_lock_minutes = \n", "Invalid value"),
        ('tokn = "t"\n', "unknown setting tokn (known: token, theme, idle_lock_minutes, server)"),
        ('server = "localhost:8765"\n', "server: not a server URL: 'localhost:8765'"),
        ("idle_lock = 5\ncolour = 1\n", "unknown settings colour, idle_lock"),
    ],
)
def test_a_bad_config_file_stops_both_commands_with_its_name_and_the_problem(tmp_path, capsys, text, problem):
    config = tmp_path / "workstation.toml"
    config.write_text(text)
    for argv in (["connect", "ws://127.0.0.1:9/ws", "--token", "t"], ["demo", "--data-dir", str(tmp_path / "d")]):
        assert main([*argv, "--config", str(config)]) == 2
        error = capsys.readouterr().err
        assert str(config) in error and problem in error
    assert not (tmp_path / "d").exists()  # refused before a demo server was started


def test_a_demo_server_that_died_is_named_as_the_reason_the_link_is_down(tmp_path):
    server = DemoServer(tmp_path / "demo", simulation=False)
    assert server.gone() is None  # not started: nothing to say
    server.process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    server.process.wait()
    assert server.gone() == f"the demo server stopped (exit 3); see {tmp_path / 'demo' / 'demo-server.err'}"


def test_the_demo_token_waits_in_a_file_only_its_owner_can_read(tmp_path):
    path = keep_demo_token(tmp_path, "s3cret")
    assert path.read_text() == "s3cret\n" and stat.S_IMODE(os.stat(path).st_mode) == 0o600
