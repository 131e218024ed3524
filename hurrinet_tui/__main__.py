"""`hurrinet`: the dispatcher's workstation.

    hurrinet demo                 a local demo server with a hurricane scenario, and the workstation
    hurrinet connect URL          the workstation against a real server (token: --token,
                                  HURRINET_TOKEN, or `token` in ~/.config/hurrinet/workstation.toml)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

from .link import Backoff, ServerLink


def config_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "hurrinet" / "workstation.toml"


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "hurrinet"


def token_from(option: str | None, environ: dict[str, str], config: Path) -> str | None:
    """The token, from the option, else the environment, else the config file."""
    if option:
        return option
    if environ.get("HURRINET_TOKEN"):
        return environ["HURRINET_TOKEN"]
    if config.exists():
        return tomllib.loads(config.read_text(encoding="utf-8")).get("token")
    return None


def run_workstation(url: str, token: str, backoff: Backoff, compression: bool, simulation: bool = False) -> int:
    from .app import HurriNetApp  # Textual loads only when a screen is wanted

    app = HurriNetApp(ServerLink(url, token, backoff=backoff, compression=compression), simulation=simulation)
    app.run()
    return app.return_code or 0


def _connect(args: argparse.Namespace) -> int:
    token = token_from(args.token, dict(os.environ), args.config)
    if not token:
        print("hurrinet: no token; give --token, set HURRINET_TOKEN, or put `token = \"…\"` in "
              f"{args.config}", file=sys.stderr)  # fmt: skip
        return 2
    backoff = Backoff(give_up_after=args.give_up_after)
    return run_workstation(args.url, token, backoff, compression=not args.no_compression)


class DemoServer:
    """`hurrinet-server demo` in a child process (the workstation never imports the server)."""

    def __init__(self, directory: Path, simulation: bool, seed: int | None = None) -> None:
        self.directory = directory
        self.simulation = simulation
        self.seed = seed
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> dict:
        self.directory.mkdir(parents=True, exist_ok=True)
        ready = Path(tempfile.mkdtemp(prefix="hurrinet-")) / "ready.json"
        command = [sys.executable, "-m", "server", "demo", "--data-dir", str(self.directory), "--ready-file", str(ready)]
        if self.seed is not None:
            command += ["--seed", str(self.seed)]
        if not self.simulation:
            command.append("--paused")  # the storm's opening picture, standing still until F9
        with open(self.directory / "demo-server.err", "w") as errors:
            # Its own session: a Ctrl-C at the terminal is the workstation's, not the server's.
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=errors, start_new_session=True)  # fmt: skip
        deadline = time.monotonic() + timeout
        while not ready.exists():
            if self.process.poll() is not None:
                raise RuntimeError(f"the demo server stopped (exit {self.process.returncode}); "
                                   f"see {self.directory / 'demo-server.err'}")  # fmt: skip
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the demo server did not start within a minute")
            time.sleep(0.05)
        return json.loads(ready.read_text(encoding="utf-8"))

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _demo(args: argparse.Namespace) -> int:
    server = DemoServer(args.data_dir, simulation=not args.no_simulation)
    print("hurrinet: starting the demo server (Saint Lucia, fresh database)…", file=sys.stderr)
    try:
        ready = server.start()
        return run_workstation(ready["url"], ready["token"], Backoff(), compression=False,
                               simulation=ready.get("simulation") == "running")  # fmt: skip
    except RuntimeError as error:
        print(f"hurrinet: {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hurrinet", description="HurriNet Dispatch workstation")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="start a local demo server with a hurricane scenario and open the workstation")
    demo.add_argument("--no-simulation", action="store_true",
                      help="the storm's opening picture, standing still (F9 sets it moving)")  # fmt: skip
    demo.add_argument("--data-dir", type=Path, default=data_dir() / "demo", help="where the demo database lives")
    demo.set_defaults(run=_demo)
    connect = commands.add_parser("connect", help="open the workstation against a server")
    connect.add_argument("url", help="e.g. ws://dispatch.example:8765/ws")
    connect.add_argument("--token", help="bearer token (else HURRINET_TOKEN, else the config file)")
    connect.add_argument("--config", type=Path, default=config_file(), help="workstation config file (TOML)")
    connect.add_argument("--give-up-after", type=int, default=None, help="reconnect attempts before going offline")
    connect.add_argument("--no-compression", action="store_true", help="do not ask for permessage-deflate (LAN)")
    connect.set_defaults(run=_connect)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
