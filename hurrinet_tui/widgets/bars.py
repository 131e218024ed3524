"""The top and bottom lines: who and when, and whether the link can be trusted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo

from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget

from ..link import LinkState, LinkStatus


class HeaderBar(Widget):
    """Deployment, user and role, and the clock in the deployment's time zone (not the PC's)."""

    def __init__(self, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(**kwargs)
        self.now = now
        self.deployment = ""
        self.zone: tzinfo | None = None
        self.user = ""

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
    """Connection (connected / reconnecting / offline), normal or degraded, and the keys."""

    status: reactive[LinkStatus] = reactive(LinkStatus, always_update=True)
    note: reactive[str] = reactive("")

    def __init__(self, hints: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.hints = hints

    def watch_status(self, status: LinkStatus) -> None:
        self.set_class(status.state in (LinkState.RECONNECTING, LinkState.OFFLINE), "-down")
        self.set_class(status.connected and status.degraded, "-degraded")

    def render(self) -> Text:
        status = self.status
        mark = {"connected": "●", "connecting": "◌", "reconnecting": "✖", "offline": "✖"}[status.state.value]
        text = Text(f" {mark} {status.describe()} ", style="bold")
        text.append("│ degraded " if status.connected and status.degraded else "│ normal ")
        if self.note:
            text.append(f"│ {self.note} ")
        pad = max(self.size.width - text.cell_len - len(self.hints) - 1, 1)
        text.append(" " * pad)
        text.append(self.hints, style="dim")
        return text
