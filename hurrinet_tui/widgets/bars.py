"""The top and bottom lines: who and when, and whether the link can be trusted."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, tzinfo

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..link import LinkState, LinkStatus


class HeaderBar(Widget):
    """Deployment, user and role, and the clock in the deployment's time zone (not the PC's)."""

    # Reactive: they arrive with the snapshot's first part and the welcome, after mounting, and
    # must show at once rather than at the clock's next tick.
    deployment: reactive[str] = reactive("")
    zone: reactive[tzinfo | None] = reactive(None)
    user: reactive[str] = reactive("")

    def __init__(self, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(**kwargs)
        self.now = now

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        wide = self.size.width >= 100
        text = Text()
        text.append(" HurriNet Dispatch " if wide else " HurriNet ", style="bold reverse")
        if self.deployment:
            text.append(f"  {self.deployment}")
        if self.user:
            text.append(f"  {self.user}")
        moment = self.now().astimezone(self.zone) if self.zone else self.now()
        stamp = moment.strftime("%a %d %b %H:%M:%S %Z" if wide else "%H:%M:%S %Z")
        pad = max(self.size.width - text.cell_len - len(stamp) - 1, 1)
        text.append(" " * pad)
        text.append(stamp, style="bold")
        return text


class StatusBar(Widget):
    """Connection (connected / reconnecting / offline) and why, normal or degraded, when the
    server was last heard from, and the keys; with several servers, which one (host:port) and,
    for a while after the link moved, where from and when (LinkStatus.describe)."""

    status: reactive[LinkStatus] = reactive(LinkStatus, always_update=True)
    note: reactive[str] = reactive("")  # e.g. the demo's simulation state: shown only while connected

    def __init__(self, hints: str, clock: Callable[[], float] = time.time, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hints = hints
        self.clock = clock

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        # "last heard 12 s ago" moves on its own while the link is down or degraded, and so does
        # "failed over from … 40 s ago" until it has left the line (a tick or two after it expires).
        status, now = self.status, self.clock()
        if status.degraded or not status.connected or status.failover_shown(now - 2.0):
            self.refresh()
            self.set_class(status.connected and status.failover_shown(now), "-failed-over")

    def watch_status(self, status: LinkStatus) -> None:
        self.set_class(status.state in (LinkState.RECONNECTING, LinkState.OFFLINE), "-down")
        self.set_class(status.connected and status.degraded, "-degraded")
        self.set_class(status.connected and status.failover_shown(self.clock()), "-failed-over")

    def render(self) -> Text:
        status = self.status
        mark = {"connected": "●", "connecting": "◌", "reconnecting": "✖", "offline": "✖"}[status.state.value]
        text = Text(f" {mark} {status.describe(now=self.clock())} ", style="bold")
        if status.connected and not status.degraded:
            text.append("│ normal ")
        elif status.state in (LinkState.RECONNECTING, LinkState.OFFLINE):
            text.append("│ degraded ")
        if self.note and status.connected:  # what the server said last is not news once it is gone
            text.append(f"│ {self.note} ")
        pad = self.size.width - text.cell_len - len(self.hints) - 1
        if pad >= 0:  # the keys make way for why the link is down
            text.append(" " * max(pad, 1))
            text.append(self.hints, style="dim")
        return text
