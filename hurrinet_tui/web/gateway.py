"""The web gateway: textual-serve, serving a page that needs nothing from the internet, and one
workstation process per browser tab, each opening on the sign-in screen.

textual-serve runs a shell command for every browser websocket; ours is `hurrinet web-session`
with the server's URL and the look-and-lock options, never a token (there is none to give: each
session asks its user for one). What differs from textual-serve's own server:

- the page is our template (templates/app_index.html): textual-serve's fetches its font from a
  CDN; ours serves the font files its wheel ships, like the JavaScript and the CSS;
- the browser's websocket is refused unless its Origin is this page's own, so another site open
  in the same browser cannot start sessions here (cross-site websocket hijacking);
- at most `max_sessions` workstation processes at once, so the port cannot be made to fork
  without end;
- Textual's log and devtools are switched off for the sessions: they would record keystrokes,
  and a typed token is keystrokes.
"""

from __future__ import annotations

import logging
import os
import shlex
import sys
from pathlib import Path
from urllib.parse import urlsplit

from aiohttp import web
from textual_serve.server import Server

TEMPLATES = Path(__file__).parent / "templates"
TITLE = "HurriNet Dispatch"
DEFAULT_MAX_SESSIONS = 16
# Textual's own switches that log what is typed (TEXTUAL=debug,devtools; TEXTUAL_LOG=file).
KEYSTROKE_LOGGING = ("TEXTUAL", "TEXTUAL_LOG")
LOOPBACK = ("127.0.0.1", "localhost", "::1")

log = logging.getLogger("hurrinet.web")


def session_command(server_url: str, options: list[str]) -> str:
    """The command textual-serve runs (through a shell) for each browser tab."""
    return shlex.join([sys.executable, "-m", "hurrinet_tui", "web-session", server_url, *options])


def public_url(host: str, port: int, given: str | None) -> str:
    if given:
        return given.rstrip("/")
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def same_origin(origin: str | None, request_host: str | None, public: str) -> bool:
    """Whether a browser websocket comes from this gateway's own page. Browsers always send
    Origin on a websocket; a client without one is not a browser that another site could drive."""
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc
    return netloc == urlsplit(public).netloc or (request_host is not None and netloc == request_host)


class WorkstationGateway(Server):
    def __init__(self, command: str, host: str, port: int, public: str | None = None,
                 max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:  # fmt: skip
        super().__init__(command, host=host, port=port, title=TITLE, public_url=public_url(host, port, public),
                         templates_path=TEMPLATES)  # fmt: skip
        self.max_sessions = max_sessions
        self.sessions = 0

    async def handle_websocket(self, request: web.Request) -> web.StreamResponse:
        if not same_origin(request.headers.get("Origin"), request.host, self.public_url):
            log.warning("refused a browser session from origin %s", request.headers.get("Origin"))
            raise web.HTTPForbidden(text="this page's sessions open only from its own origin\n")
        if self.sessions >= self.max_sessions:
            raise web.HTTPServiceUnavailable(text=f"all {self.max_sessions} workstation sessions are in use\n")
        self.sessions += 1
        try:
            return await super().handle_websocket(request)
        finally:
            self.sessions -= 1


def serve(server_url: str, host: str, port: int, options: list[str], public: str | None = None,
          max_sessions: int = DEFAULT_MAX_SESSIONS) -> None:  # fmt: skip
    for name in KEYSTROKE_LOGGING:
        os.environ.pop(name, None)  # the sessions inherit this environment
    if host not in LOOPBACK and not (public or "").startswith("https://"):
        print(f"hurrinet: serving on {host}, beyond this machine, without TLS: tokens typed in the page would "
              "cross the network in clear. Put a TLS proxy in front and give --public-url https://…",
              file=sys.stderr)  # fmt: skip
    gateway = WorkstationGateway(session_command(server_url, options), host, port, public, max_sessions)
    gateway.serve()
