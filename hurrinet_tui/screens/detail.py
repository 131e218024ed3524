"""The incident detail on its own, for terminals too narrow to show it beside the board."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from ..replica import Update
from ..widgets.incident_detail import IncidentDetail


class DetailScreen(Screen):
    BINDINGS = [Binding("escape,f4", "app.pop_screen", "Back")]

    def __init__(self, detail: IncidentDetail, **kwargs) -> None:
        super().__init__(**kwargs)
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield self.detail

    def on_mount(self) -> None:
        self.detail.refresh_content()

    def apply(self, update: Update) -> None:
        if self.detail.concerns(update):
            self.detail.refresh_content()
