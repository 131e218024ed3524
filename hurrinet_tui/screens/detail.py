"""The incident detail on its own, for terminals too narrow to show it beside the board."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from ..messages import ReplicaChanged
from ..widgets.confirm_bar import ConfirmBar
from ..widgets.form import EntityForm
from ..widgets.incident_detail import IncidentDetail


class DetailScreen(Screen):
    BINDINGS = [Binding("escape,f4", "app.pop_screen", "Back")]

    def __init__(self, detail: IncidentDetail, **kwargs) -> None:
        super().__init__(**kwargs)
        self.detail = detail

    def compose(self) -> ComposeResult:
        yield self.detail
        yield ConfirmBar(id="confirm")

    def on_mount(self) -> None:
        self.detail.refresh_content()

    @on(ReplicaChanged)
    def replica_changed(self, message: ReplicaChanged) -> None:
        if self.detail.concerns(message.update):
            self.detail.refresh_content()

    @on(EntityForm.AskFirst)
    def ask_first(self, message: EntityForm.AskFirst) -> None:
        self.query_one(ConfirmBar).ask(message.question, message.then)
