"""`hurrinet-server demo` as the workstation runs it: a subprocess, a ready file, 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from server.__main__ import main
from server.demo.launch import lock_data_dir
from tests.support.client import Client

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 30.0


def demo_command(data_dir: Path, ready: Path, *options: str) -> list[str]:
    return [sys.executable, "-m", "server", "demo", "--data-dir", str(data_dir), "--ready-file", str(ready), *options]


async def wait_for_ready(ready: Path, process: subprocess.Popen | None = None) -> dict:
    deadline = time.monotonic() + START_TIMEOUT_S
    while not ready.exists():
        if process is not None and process.poll() is not None:
            pytest.fail(f"the demo server exited with {process.returncode}: {process.stderr.read()}")
        assert time.monotonic() < deadline, "no ready file"
        await asyncio.sleep(0.05)
    return json.loads(ready.read_text(encoding="utf-8"))


def gone(pid: int) -> bool:
    """Exited (a zombie counts: whoever adopted it may not reap it promptly)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


async def test_the_demo_server_starts_fresh_serves_its_storm_and_stops_on_sigterm(tmp_path):
    data_dir, ready = tmp_path / "demo", tmp_path / "run" / "ready.json"
    data_dir.mkdir()
    (data_dir / "demo.db").write_text("the last run's database, which must not survive")
    process = subprocess.Popen(demo_command(data_dir, ready, "--seed", "4"), cwd=ROOT,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        info = await wait_for_ready(ready, process)
        assert {k: info[k] for k in ("user", "role", "pid", "simulation", "seed")} == {
            "user": "dispatcher", "role": "dispatcher", "pid": process.pid, "simulation": "running", "seed": 4}  # fmt: skip
        assert info["log"] == str((data_dir / "demo.log").resolve())
        assert ready.stat().st_mode & 0o777 == 0o600
        url = urlsplit(info["url"])
        assert (url.scheme, url.hostname, url.path) == ("ws", "127.0.0.1", "/ws")
        client = await Client.open(url.port, info["token"])
        snapshot = client.welcome["snapshot"]
        assert len(snapshot["incidents"]) >= 12 and {i["state"] for i in snapshot["incidents"]} >= {"queued", "active", "ended"}
        assert await client.ok("simulation.set", running=False) == {"running": False}
        assert await client.ok("simulation.set", running=True) == {"running": True}
        await client.close()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
        assert process.stderr.read() == ""
        assert not ready.exists()
        log = (data_dir / "demo.log").read_text(encoding="utf-8")
        assert "0 refused" in log and "stopped; WAL checkpointed" in log
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


async def test_the_demo_server_stops_when_the_workstation_dies(tmp_path):
    """Its parent (here a stand-in for the workstation) is killed outright: no server is left."""
    data_dir, ready = tmp_path / "demo", tmp_path / "ready.json"
    launcher_code = ("import subprocess, sys, time\n"
                     f"subprocess.Popen({demo_command(data_dir, ready, '--no-simulation')!r}, "
                     "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
                     "time.sleep(120)\n")  # fmt: skip
    launcher = subprocess.Popen([sys.executable, "-c", launcher_code], cwd=ROOT)
    server_pid = None
    try:
        info = await wait_for_ready(ready, launcher)
        server_pid = info["pid"]
        assert info["simulation"] == "off" and "seed" not in info
        client = await Client.open(urlsplit(info["url"]).port, info["token"])
        assert not client.welcome["snapshot"]["incidents"]
        refused = await client.command("simulation.set", running=True)
        assert refused["error"]["code"] == "not_found"
        await client.close()
        launcher.kill()
        launcher.wait()
        deadline = time.monotonic() + 15
        while not gone(server_pid):
            assert time.monotonic() < deadline, "the demo server outlived its parent"
            await asyncio.sleep(0.1)
        assert "is gone; stopping" in (data_dir / "demo.log").read_text(encoding="utf-8")
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.wait()
        if server_pid is not None and not gone(server_pid):
            os.kill(server_pid, signal.SIGKILL)


def test_the_demo_server_listens_on_loopback_only(tmp_path, capsys):
    assert main(["demo", "--host", "0.0.0.0", "--data-dir", str(tmp_path), "--ready-file", str(tmp_path / "r")]) == 1
    assert "loopback address only" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_second_demo_server_does_not_delete_a_running_ones_database(tmp_path, capsys):
    with lock_data_dir(tmp_path):
        (tmp_path / "demo.db").write_text("in use")
        assert main(["demo", "--data-dir", str(tmp_path), "--ready-file", str(tmp_path / "r")]) == 1
    assert "another demo server" in capsys.readouterr().err
    assert (tmp_path / "demo.db").read_text() == "in use"
