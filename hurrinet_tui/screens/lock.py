"""The lock: covers the whole workstation until the token is typed again.

A full screen on an opaque background, so Textual draws nothing of the screens under it (a
translucent one would let the board show through). It shows where and when, and whether the link
is up — never an incident, a call or a unit. The link and the screens underneath go on applying
events, so unlocking shows the board as it is now.
"""

from __future__ import annotations

import hmac

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ..link import LinkStatus
from ..widgets.bars import StatusBar
from .main import zone_of

HINTS = "Enter unlocks  ^Q quit"


def token_matches(entered: str, token: str) -> bool:
    # Constant time, so how long a refusal takes says nothing about how close the guess was.
    return hmac.compare_digest(entered.strip().encode(), token.encode())


class LockScreen(Screen[None]):
    AUTO_FOCUS = "#lock-token"

    def __init__(self, app_state, reason: str, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        self.reason = reason
        self.hint = hint
        self.refusals = 0
        self.prompt = hint or "Type this workstation's token and press Enter."
        self.status_bar = StatusBar(HINTS, id="lock-status")

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(id="lock-place")
            yield Static(Text(self.reason), id="lock-reason")
            with Horizontal(id="lock-entry"):
                yield Label("Token ›", id="lock-label")
                yield Input(password=True, id="lock-token")
            yield Static(Text(self.prompt), id="lock-message")
        yield self.status_bar

    def on_mount(self) -> None:
        self.query_one("#lock-box").border_title = "HurriNet Dispatch — locked"
        self.show_status(self.state.link.status)
        self.tick()
        self.set_interval(1.0, self.tick)

    def tick(self) -> None:
        deployment = self.state.link.replica.deployment
        moment = self.state.now().astimezone(zone_of(deployment.get("timezone")))
        place = Text()
        place.append(deployment.get("name") or "HurriNet Dispatch", style="bold")
        place.append("\n" + moment.strftime("%a %d %b %Y  %H:%M:%S %Z"))
        self.query_one("#lock-place", Static).update(place)

    def show_status(self, status: LinkStatus) -> None:
        self.status_bar.status = status

    @on(Input.Submitted, "#lock-token")
    def try_token(self, message: Input.Submitted) -> None:
        entered = message.value
        message.input.clear()
        if not entered.strip():
            self.tell(self.prompt)
        elif token_matches(entered, self.state.link.token):
            self.dismiss()
        else:
            self.refusals += 1
            times = f" ({self.refusals} refused)" if self.refusals > 1 else ""
            self.tell(f"✗ That is not this workstation's token{times}. It stays locked.", error=True)

    def tell(self, text: str, error: bool = False) -> None:
        line = self.query_one("#lock-message", Static)
        line.update(Text(text))
        line.set_class(error, "-error")
