"""What the recommendations and resources screens share: a message line, the key hints, edits
that wait for the link while it is down, and a re-query that follows the replica without
flooding the server."""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.binding import Binding
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Static

from ..command_line import short_id
from ..format import refusal as format_refusal
from ..link import CommandFailed, LinkStatus
from ..messages import ReplicaChanged

# A storm moves units every second; asking again more often than this only repeats the server's
# work for answers nobody has had time to read.
REQUERY_GAP_S = 1.0
QUEUED = "Disconnected — this waits for the link and goes out when it is back"


def ref(incident_id: str) -> str:
    """An incident as the board shows it."""
    return f"#{short_id(incident_id)}"


def refusal(error: CommandFailed) -> str:
    return format_refusal(error.message, error.code)


class AdvisoryScreen(Screen):
    BINDINGS = [
        Binding("r", "refresh", "Refresh"),
        Binding("ctrl+r", "retry", "Retry now"),
        Binding("escape", "close", "Close"),
    ]
    HINTS = ""

    def __init__(self, app_state, incident_id: str | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        self.incident_id = incident_id
        # Kept, not queried: an answer landing while the screen closes updates a detached widget
        # harmlessly instead of failing a lookup.
        self.message_line = Static(id="message")
        self._requery_timer: Timer | None = None
        self._last_query = float("-inf")

    @property
    def link(self):
        return self.state.link

    @property
    def replica(self):
        return self.state.link.replica

    def footer(self):
        yield self.message_line
        yield Static(Text(self.HINTS), classes="hints")

    def on_mount(self) -> None:
        self.link.status_listeners.append(self._status_changed)
        self.set_class(not self.link.status.connected, "-disconnected")

    @on(ReplicaChanged)
    def replica_changed(self, message: ReplicaChanged) -> None:
        self.apply(message.update)

    def on_unmount(self) -> None:
        if self._status_changed in self.link.status_listeners:
            self.link.status_listeners.remove(self._status_changed)

    def _status_changed(self, status: LinkStatus) -> None:
        self.set_class(not status.connected, "-disconnected")
        if status.connected:
            self.schedule_requery()  # back after a drop: the answer shown may be old

    # --- the message line -----------------------------------------------------------------------
    def say(self, text: str, error: bool = False, ok: bool = False) -> None:
        message = self.message_line
        message.update(Text(text))  # never markup: names and server messages may hold brackets
        message.set_class(error, "-error")
        message.set_class(ok, "-ok")

    @property
    def message_text(self) -> str:
        return str(self.message_line.render())

    def may_change(self) -> bool:
        """Edits made while the link is down wait in the outbox (docs/workstation.md); the server
        refuses one the board has overtaken meanwhile, and the refusal is shown against it."""
        if not self.link.status.connected:
            self.say(f"{QUEUED} (^R retries now)")
        return True

    # --- asking the server again ------------------------------------------------------------------
    def schedule_requery(self) -> None:
        """Ask again soon: at once if the last answer is old enough, else when it is; never twice."""
        if self._requery_timer is not None or not self.is_mounted:
            return
        # Textual's timers divide by their delay: a due query waits a token 10 ms instead of none.
        wait = max(0.01, self._last_query + REQUERY_GAP_S - time.monotonic())
        self._requery_timer = self.set_timer(wait, self._requery_due)

    def _requery_due(self) -> None:
        self._requery_timer = None
        self.requery()

    def requery(self, announce: bool = False) -> None:
        """Run the screen's query; subclasses make it a worker that calls `queried()` first and,
        when the dispatcher asked (`announce`), says what came back."""

    def queried(self) -> bool:
        """Note a query going out; False (and nothing sent) while the link is down."""
        self._last_query = time.monotonic()
        return self.link.status.connected

    def action_refresh(self) -> None:
        if not self.link.status.connected:
            self.say("Disconnected: showing the last answer (asked again once the link is back)", error=True)
            return
        self.say("asking the server again…")
        self.requery(announce=True)

    def action_retry(self) -> None:
        self.link.retry_now()
        self.say("retrying the connection now")

    def action_close(self) -> None:
        self.app.pop_screen()
