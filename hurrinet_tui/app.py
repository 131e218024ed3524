"""HurriNetApp: the workstation. Wires the link to the screens; the screens do the rest."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from .link import LinkStatus, ServerLink
from .palette import DispatchCommands
from .replica import Update
from .screens.detail import DetailScreen
from .screens.help import HelpScreen
from .screens.main import MainScreen
from .widgets.incident_detail import IncidentDetail

HERE = Path(__file__).parent


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppState:
    link: ServerLink
    now: Callable[[], datetime] = _now
    simulation_running: bool = False
    pending: Update = field(default_factory=Update)
    flushing: bool = False


class HurriNetApp(App):
    TITLE = "HurriNet Dispatch"
    CSS_PATH = [HERE / "app.tcss", *sorted((HERE / "widgets").glob("*.tcss")), *sorted((HERE / "screens").glob("*.tcss"))]
    COMMANDS = App.COMMANDS | {DispatchCommands}
    BINDINGS = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def __init__(self, link: ServerLink, now: Callable[[], datetime] = _now, simulation: bool = False,
                 start_link: bool = True) -> None:  # fmt: skip
        super().__init__()
        self.state = AppState(link, now, simulation)
        self.start_link = start_link
        self.main_screen = MainScreen(self.state)

    def on_mount(self) -> None:
        link = self.state.link
        link.status_listeners.append(self._status_changed)
        link.update_listeners.append(self._replica_changed)
        self.push_screen(self.main_screen)
        if self.start_link:
            link.start()

    async def on_unmount(self) -> None:
        await self.state.link.close()

    # --- from the link (same event loop, outside Textual's message flow) ----------------------
    def _status_changed(self, status: LinkStatus) -> None:
        self.main_screen.show_status(status)

    def _replica_changed(self, update: Update) -> None:
        # A burst of events becomes one repaint: collect, then flush once the burst is read.
        self.state.pending.merge(update)
        if not self.state.flushing:
            self.state.flushing = True
            self.call_later(self._flush)

    def _flush(self) -> None:
        update, self.state.pending, self.state.flushing = self.state.pending, Update(), False
        for screen in self.screen_stack:
            if hasattr(screen, "apply"):
                screen.apply(update)

    # --- actions ----------------------------------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def open_detail(self, incident_id: str | None) -> None:
        detail = IncidentDetail(self.state.link.replica, self.main_screen.zone)
        detail.incident_id = incident_id
        self.push_screen(DetailScreen(detail))
