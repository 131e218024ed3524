"""The sign-in: what a browser session opens on (`hurrinet web`), before anything else.

A page served to whoever reaches the port must not be a logged-in workstation by itself, so the
session starts with no credential at all: this screen covers the (empty) main screen until a
user's token has passed the server's handshake and the link has loaded the board. Like the lock
it is opaque and no app action runs under it but quitting (app.py, `check_action`).

Token only, no PIN: the server authenticates a connection by its bearer token alone, at the
handshake; the PIN is checked by a command on a session that is already authenticated
(`account.verify_pin`, the lock's re-verification of who sits at a running workstation). A PIN
sign-in would need the server to accept 4–8 digits as a network credential, far weaker than
a 256-bit token, so it is not offered (docs/web.md).

The token lives in memory only: a password field (never drawn), cleared as soon as it is sent,
then the link's attribute for its reconnects. It is never written to a file or a log, and it
never travels in a URL: it goes from the browser to this process as keystrokes over the page's
websocket, and from here to the server in the Authorization header.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ..handshake import try_token
from ..link import LinkState
from ..messages import LinkStatusChanged

PROMPT = "Type your token and press Enter. It is kept in this session's memory only."


class SignInScreen(Screen[None]):
    AUTO_FOCUS = "#sign-in-token"

    def __init__(self, app_state, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        self.refusals = 0
        self.signed_in = False  # the token passed; waiting for the link's first whole picture
        self.link_started = False

    def compose(self) -> ComposeResult:
        with Vertical(id="sign-in-box"):
            yield Static(Text(f"Server  {self.state.link.url}"), id="sign-in-server")
            with Horizontal(id="sign-in-entry"):
                yield Label("Token ›", id="sign-in-label")
                yield Input(password=True, id="sign-in-token")
            yield Static(Text(PROMPT), id="sign-in-message")

    def on_mount(self) -> None:
        self.query_one("#sign-in-box").border_title = "HurriNet Dispatch — sign in"

    def tell(self, text: str, error: bool = False) -> None:
        line = self.query_one("#sign-in-message", Static)
        line.update(Text(text))
        line.set_class(error, "-error")

    @on(Input.Submitted, "#sign-in-token")
    def submitted(self, message: Input.Submitted) -> None:
        token = message.value.strip()
        message.input.clear()
        if self.signed_in:
            return
        if not token:
            self.tell(PROMPT)
            return
        self.check(token)

    @work(exclusive=True, group="sign-in")
    async def check(self, token: str) -> None:
        entry = self.query_one("#sign-in-token", Input)
        entry.disabled = True  # one check at a time; a second Enter would only count as another failure
        self.tell("Checking the token with the server…")
        try:
            verdict = await try_token(self.state.link.url, token)
        finally:
            entry.disabled = False
        if not verdict.ok:
            self.refusals += 1
            times = f" ({self.refusals} refused)" if self.refusals > 1 else ""
            entry.focus()  # disabling it took the focus away; back before the refusal shows
            self.tell(f"✗ {verdict.reason}{times}", error=True)
            return
        self.signed_in = True
        entry.disabled = True
        self.tell("Signed in; loading the board…")
        link = self.state.link
        link.token = token
        if self.link_started:
            link.retry_now()  # it stopped at a refusal (below) and waits to be asked again
        else:
            self.link_started = True
            link.start()

    @on(LinkStatusChanged)
    def link_status(self, message: LinkStatusChanged) -> None:
        if not self.signed_in:
            return
        status = message.status
        if status.connected:
            self.dismiss()
        elif status.state is LinkState.OFFLINE:
            # Refused after all (the token revoked since the check): the link waits; ask again.
            self.signed_in = False
            self.state.link.token = ""
            entry = self.query_one("#sign-in-token", Input)
            entry.disabled = False
            entry.focus()
            self.tell(f"✗ {status.describe()}", error=True)
        else:  # the server went between the check and the session: say so while the link retries
            self.tell(status.describe())
