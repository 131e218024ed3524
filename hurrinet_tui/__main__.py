"""`hurrinet`: the dispatcher's workstation.

    hurrinet demo                 a local demo server with a hurricane scenario, and the workstation
    hurrinet connect URL…         the workstation against a real server (token: --token,
                                  HURRINET_TOKEN, or `token` in ~/.config/hurrinet/workstation.toml);
                                  several URLs (or `server = [...]` in that file): it fails over
                                  between them in that order
    hurrinet web --server URL     the workstation in a browser (http://127.0.0.1:8080 by default),
                                  each tab opening on a sign-in that asks its user for a token

All three take --monochrome (grey scale; NO_COLOR does the same) and --idle-lock MINUTES (default 30,
or `idle_lock_minutes` in the config file; 0 never locks).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from server.protocol import version_line

from .config import ConfigError, WorkstationConfig, config_file, idle_minutes, preferences_dir, read_config
from .idle import DEFAULT_MINUTES
from .link import Backoff, ServerLink
from .reconnect import BadServerURL, server_urls


def data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "hurrinet"


def token_from(option: str | None, environ: dict[str, str], config: Path) -> str | None:
    """The token, from the option, else the environment, else the config file."""
    if option:
        return option
    if environ.get("HURRINET_TOKEN"):
        return environ["HURRINET_TOKEN"]
    return read_config(config).token


@dataclass(frozen=True)
class Shell:
    """How the workstation looks and locks, from the command line over the config file."""

    idle_lock_s: float | None = DEFAULT_MINUTES * 60  # None: never lock
    monochrome: bool = False
    theme: str | None = None  # the machine's default; a user's saved theme wins over it
    lock_hint: str = ""


def shell_from(args: argparse.Namespace, config: WorkstationConfig) -> Shell:
    """The options in effect; an unknown theme in the config raises ConfigError naming it."""
    from .themes import UnknownTheme, theme_name  # Textual's themes: only once a screen is wanted

    minutes = args.idle_lock if args.idle_lock is not None else config.idle_lock_minutes
    minutes = DEFAULT_MINUTES if minutes is None else minutes
    try:
        theme = theme_name(config.theme) if config.theme else None
    except UnknownTheme as error:
        raise ConfigError(f"{args.config}: {error}") from None
    return Shell(idle_lock_s=minutes * 60 or None, monochrome=args.monochrome, theme=theme)


def build_workstation(url: str | Sequence[str], token: str, backoff: Backoff, compression: bool,
                      simulation: bool | None = None, shell: Shell | None = None,
                      explain: Callable[[], str | None] | None = None):  # fmt: skip
    from .app import HurriNetApp  # Textual loads only when a screen is wanted

    shell = shell or Shell()
    link = ServerLink(url, token, backoff=backoff, compression=compression, explain=explain)
    return HurriNetApp(link, simulation=simulation, idle_lock_s=shell.idle_lock_s, monochrome=shell.monochrome,
                       config_theme=shell.theme, preferences_dir=preferences_dir(), lock_hint=shell.lock_hint)  # fmt: skip


def run_workstation(url: str | Sequence[str], token: str, backoff: Backoff, compression: bool,
                    simulation: bool | None = None, shell: Shell | None = None,
                    explain: Callable[[], str | None] | None = None) -> int:  # fmt: skip
    app = build_workstation(url, token, backoff, compression, simulation, shell, explain)
    app.run()
    return app.return_code or 0


def urls_from(given: list[str], config: WorkstationConfig) -> tuple[str, ...] | None:
    """The servers to connect to: the URLs on the command line (spaces or commas between them),
    else `server` in the config file; None when neither names one. A bad URL raises ConfigError."""
    if not given:
        return config.server
    try:
        return server_urls(given)
    except BadServerURL as error:
        raise ConfigError(str(error)) from None


def _connect(args: argparse.Namespace) -> int:
    try:
        token = token_from(args.token, dict(os.environ), args.config)
        config = read_config(args.config)
        shell = shell_from(args, config)
        urls = urls_from(args.url, config)
    except ConfigError as error:
        print(f"hurrinet: {error}", file=sys.stderr)
        return 2
    if not urls:
        print("hurrinet: no server; give its URL (ws://HOST:8765/ws, several to fail over between) or put "
              f"`server = \"ws://…\"` in {args.config}", file=sys.stderr)  # fmt: skip
        return 2
    if not token:
        print("hurrinet: no token; give --token, set HURRINET_TOKEN, or put `token = \"…\"` in "
              f"{args.config}", file=sys.stderr)  # fmt: skip
        return 2
    backoff = Backoff(give_up_after=args.give_up_after)
    return run_workstation(urls, token, backoff, compression=not args.no_compression, shell=shell)


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

    def gone(self) -> str | None:
        """Why the link is down, if it is because this server stopped (the link cannot see that)."""
        if self.process is None or self.process.poll() is None:
            return None
        return f"the demo server stopped (exit {self.process.returncode}); see {self.directory / 'demo-server.err'}"

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def keep_demo_token(directory: Path, token: str) -> Path:
    """The demo's token is made afresh and never shown; the lock needs it, so it waits in a file
    only this user can read (the demo server listens on 127.0.0.1 and is gone after the demo)."""
    path = directory / "token"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
    return path


def _demo(args: argparse.Namespace) -> int:
    try:
        shell = shell_from(args, read_config(args.config))
    except ConfigError as error:
        print(f"hurrinet: {error}", file=sys.stderr)
        return 2
    server = DemoServer(args.data_dir, simulation=not args.no_simulation)
    print("hurrinet: starting the demo server (Saint Lucia, fresh database)…", file=sys.stderr)
    try:
        ready = server.start()
        token_file = keep_demo_token(args.data_dir, ready["token"])
        shell = replace(shell, lock_hint=f"Demo: the token is in {token_file}")
        return run_workstation(ready["url"], ready["token"], Backoff(), compression=False,
                               simulation=ready.get("simulation") == "running", shell=shell,
                               explain=server.gone)  # fmt: skip
    except RuntimeError as error:
        print(f"hurrinet: {error}", file=sys.stderr)
        return 1
    finally:
        server.stop()


def shell_options(args: argparse.Namespace) -> list[str]:
    """The look-and-lock options as given, for the browser sessions' own command line."""
    options = ["--config", str(args.config)]
    if args.monochrome:
        options.append("--monochrome")
    if args.idle_lock is not None:
        options += ["--idle-lock", f"{args.idle_lock:g}"]
    return options


def _web(args: argparse.Namespace) -> int:
    try:
        shell_from(args, read_config(args.config))  # a bad config is told now, not in every tab
    except ConfigError as error:
        print(f"hurrinet: {error}", file=sys.stderr)
        return 2
    from .web.gateway import serve  # textual-serve (aiohttp) only for this command

    try:
        serve(args.server, args.host, args.port, shell_options(args), public=args.public_url,
              max_sessions=args.max_sessions)  # fmt: skip
    except OSError as error:  # the port taken, the address not this machine's
        print(f"hurrinet: cannot serve on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    return 0


def _web_session(args: argparse.Namespace) -> int:
    try:
        shell = shell_from(args, read_config(args.config))
    except ConfigError as error:
        print(f"hurrinet: {error}", file=sys.stderr)
        return 2
    from .web.session import build_browser_workstation

    app = build_browser_workstation(args.url, idle_lock_s=shell.idle_lock_s, monochrome=shell.monochrome,
                                    config_theme=shell.theme, preferences_dir=preferences_dir())  # fmt: skip
    app.run()
    return app.return_code or 0


def websocket_url(text: str) -> str:
    if not text.startswith(("ws://", "wss://")):
        raise argparse.ArgumentTypeError(f"{text!r} is not a websocket URL (ws://HOST:PORT/ws or wss://…)")
    return text


def minutes(text: str) -> float:
    try:
        return idle_minutes(text, "--idle-lock")
    except ConfigError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def add_shell_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--monochrome", action="store_true",
                        help="grey scale, every state marked by text style (NO_COLOR does the same)")  # fmt: skip
    parser.add_argument("--idle-lock", type=minutes, default=None, metavar="MINUTES",
                        help=f"lock after this long without input (default {DEFAULT_MINUTES:g}; 0: never)")  # fmt: skip
    parser.add_argument("--config", type=Path, default=config_file(), help="workstation config file (TOML)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hurrinet", description="HurriNet Dispatch workstation")
    parser.add_argument("--version", action="version", version=version_line("hurrinet"))
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="start a local demo server with a hurricane scenario and open the workstation")
    demo.add_argument("--no-simulation", action="store_true",
                      help="the storm's opening picture, standing still (F9 sets it moving)")  # fmt: skip
    demo.add_argument("--data-dir", type=Path, default=data_dir() / "demo", help="where the demo database lives")
    add_shell_options(demo)
    demo.set_defaults(run=_demo)
    connect = commands.add_parser("connect", help="open the workstation against a server")
    connect.add_argument("url", nargs="*", metavar="URL",
                         help="e.g. ws://dispatch.example:8765/ws; several (or `server` in the config file): "
                              "fails over between them in that order")  # fmt: skip
    connect.add_argument("--token", help="bearer token (else HURRINET_TOKEN, else the config file)")
    connect.add_argument("--give-up-after", type=int, default=None, help="reconnect attempts before going offline")
    connect.add_argument("--no-compression", action="store_true", help="do not ask for permessage-deflate (LAN)")
    add_shell_options(connect)
    connect.set_defaults(run=_connect)
    web = commands.add_parser("web", help="serve the workstation to browsers (each tab signs in with a token)")
    web.add_argument("--server", required=True, type=websocket_url, help="the dispatch server, e.g. ws://dispatch.example:8765/ws")
    web.add_argument("--host", default="127.0.0.1", help="address to serve the page on (default: this machine only)")
    web.add_argument("--port", type=int, default=8080, help="port to serve the page on (default 8080)")
    web.add_argument("--public-url", default=None,
                     help="the page's address as browsers reach it, e.g. https://dispatch.example behind a TLS proxy")  # fmt: skip
    web.add_argument("--max-sessions", type=int, default=16, help="browser tabs served at once (default 16)")
    add_shell_options(web)
    web.set_defaults(run=_web)
    session = commands.add_parser("web-session", help="one browser tab's workstation (run by `hurrinet web`)")
    session.add_argument("url", help="the dispatch server")
    add_shell_options(session)
    session.set_defaults(run=_web_session)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
