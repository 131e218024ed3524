"""The dispatcher's main screen: its layout (board, roster, detail, feed, call form, command line,
status), what has focus, and the screen's own actions. Running commands lives in `runner.py`,
the vicinity banner in `widgets/vicinity.py`, the keys in the action table (`actions.py`)."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static, Tabs

from ..actions import BY_NAME
from ..command_line import Context
from ..format import alert_failure
from ..keymap import screen_bindings
from ..link import LinkStatus
from ..messages import LinkStatusChanged, PreferencesLoaded, ReplicaChanged
from ..overdue import Announcer, announcements
from ..replica import Update
from ..widgets.bars import HeaderBar, StatusBar
from ..widgets.call_form import CallForm
from ..widgets.command_input import CommandInput
from ..widgets.confirm_bar import ConfirmBar
from ..widgets.feed import Feed
from ..widgets.form import EntityForm
from ..widgets.grid import VirtualGrid
from ..widgets.incident_board import IncidentBoard
from ..widgets.incident_detail import IncidentDetail
from ..widgets.key_bar import KeyBar
from ..widgets.pending import PendingCommands
from ..widgets.unit_roster import UnitRoster
from ..widgets.vicinity import VicinityBanner
from .archive import ArchiveScreen
from .map import MapScreen
from .recommendations import RecommendationsScreen
from .resources import ResourcesScreen
from .runner import ActionRunner
from .supervisor import SupervisorScreen

NARROW = 120  # columns below which the detail and feed leave the main screen
# Layout presets (F5–F8): which part of the screen gets the room.
PRESETS = {"call": "call taking", "incident": "incident", "board": "board", "roster": "roster"}


def zone_of(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except ZoneInfoNotFoundError:
        return UTC


class MainScreen(ActionRunner, Screen):
    BINDINGS = screen_bindings()  # the board's and roster's own keys are bound on them

    def __init__(self, app_state, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        replica, now = app_state.link.replica, app_state.now
        self.zone = zone_of(replica.deployment.get("timezone"))
        self.board = IncidentBoard(replica, now, id="board")
        self.roster = UnitRoster(replica, now, id="roster")
        self.detail = IncidentDetail(replica, self.zone, app_state.link, id="detail")
        self.call_form = CallForm(app_state.link, self.zone, now, id="call-form")
        self.vicinity = VicinityBanner(app_state.link, id="vicinity")
        saved = app_state.preferences.layout
        self.preset = saved if saved in PRESETS else "board"
        # Classes the first layout depends on, set before the first styling: each one set after
        # mounting restyled the whole screen again (about a tenth of a second apiece at start).
        self.set_class(True, f"-preset-{self.preset}", update=False)
        self.set_class(not app_state.link.status.connected, "-disconnected", update=False)
        self.timed_out: str | None = None  # the callsign of the latest dispatch timeout
        self.overdue = Announcer()  # overdue flags already notified
        self.feed = Feed(self.zone, replica, id="feed")
        self.header_bar = HeaderBar(now, id="header")
        self.status_bar = StatusBar("", id="status")  # the keys are on the key bar above it
        self.command_input = CommandInput(replica, id="command")
        self.confirm_bar = ConfirmBar(id="confirm")
        self.pending = PendingCommands(app_state.link, id="pending")

    def compose(self) -> ComposeResult:
        yield self.header_bar
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield self.vicinity
                yield self.board
                yield self.detail
            with Vertical(id="right"):
                yield self.call_form
                yield self.roster
                yield self.feed
        yield Static(id="message")
        yield self.confirm_bar
        yield self.command_input
        yield KeyBar(id="keys")
        yield self.pending
        yield self.status_bar

    def on_mount(self) -> None:
        self.board.border_title = "Incidents"
        self.roster.border_title = "Units"
        self.set_interval(1.0, self.tick)
        self.apply(Update(full=True))
        self.show_status(self.state.link.status)
        self.set_preset(self.preset)
        self.show_simulation()
        self.board.focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    # --- from the app -------------------------------------------------------------------------------
    @on(ReplicaChanged)
    def replica_changed(self, message: ReplicaChanged) -> None:
        self.apply(message.update)

    @on(LinkStatusChanged)
    def link_status_changed(self, message: LinkStatusChanged) -> None:
        self.show_status(message.status)

    @on(PreferencesLoaded)
    def preferences_loaded(self, message: PreferencesLoaded) -> None:
        if message.preferences.layout in PRESETS:  # a name from an old or hand-edited file is ignored
            self.set_preset(message.preferences.layout)

    def apply(self, update: Update) -> None:
        replica = self.state.link.replica
        if update.full:
            self.zone = zone_of(replica.deployment.get("timezone"))
            self.detail.zone = self.feed.zone = self.header_bar.zone = self.call_form.zone = self.zone
            self.header_bar.deployment = replica.deployment.get("name", "")
            self.board.rebuild()
            self.roster.rebuild()
        else:
            if update.incidents:
                self.board.update_incidents(update.incidents)
            if update.units:
                self.roster.update_units(update.units)
        if self.detail.concerns(update):
            self.detail.refresh_content()
        call = self.call_form.call
        if update.full or (call and (call["id"] in update.calls or call.get("incident_id") in update.incidents)):
            self.call_form.refresh_content()
            self.vicinity.check(self.call_form.call)
        for event in update.events:
            if event.get("caused_by") not in self.state.link.own_ids:
                self.feed.add(event)
            if event["name"] == "unit.dispatch_timed_out":
                self.dispatch_timed_out(event)
            elif event["name"] == "unit.alert_failed":
                self.alert_failed(event)

    def tick(self) -> None:
        """Ages and timers move every second: repaint what is on screen (only that)."""
        self.board.refresh()
        self.roster.refresh()
        self.call_form.tick()
        self.state.link.poll()
        replica = self.state.link.replica
        for text in announcements(self.overdue, replica.incidents, replica.units, replica.deployment, self.state.now()):
            self.notify(text, title="Overdue", severity="warning", timeout=10)  # a toast takes no focus

    def alert_failed(self, event: dict[str, Any]) -> None:
        value = ((event["data"].get("log_entry") or {}).get("change_data") or {}).get("value") or {}
        if value:
            self.notify(alert_failure(value), title="Alert not delivered", severity="error" if value.get("final")
                        else "warning", timeout=30 if value.get("final") else 10)  # fmt: skip

    def action_supervisor(self) -> None:
        self.app.push_screen(SupervisorScreen(self.state))

    def action_archive(self, text: str = "") -> None:
        self.app.push_screen(ArchiveScreen(self.state, text))

    def action_map(self) -> None:
        self.app.push_screen(MapScreen(self.state, self.board.cursor_key))

    def action_focus_pending(self) -> None:
        self.pending.take_focus(self.focused)

    def show_status(self, status: LinkStatus) -> None:
        if status.degraded and not self.status_bar.status.degraded:
            self.notify("answers are slow: the board may lag behind the server", title="Link degraded",
                        severity="warning", timeout=15)  # fmt: skip
        self.status_bar.status = status
        if status.user:
            self.header_bar.user = f"{status.user} ({status.role})"
        self.set_class(not status.connected, "-disconnected")

    # --- selection and focus ------------------------------------------------------------------------
    @on(VirtualGrid.Highlighted, "#board")
    def incident_highlighted(self, message: VirtualGrid.Highlighted) -> None:
        self.detail.show(message.key)

    @on(VirtualGrid.Selected, "#board")
    def incident_opened(self, message: VirtualGrid.Selected) -> None:
        if self.has_class("-narrow"):
            self.app.open_detail(message.key)
        else:
            self.detail_tabs.focus()

    @property
    def detail_tabs(self) -> Tabs:
        return self.detail.query_one("#detail-tabs Tabs", Tabs)

    def context(self) -> Context:
        unit = self.roster.cursor_key
        return Context(self.state.link.replica, self.board.cursor_key,
                       unit and self.state.link.replica.units[unit]["callsign"], self.call_form.call_id)  # fmt: skip

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        if action == "act" and parameters and BY_NAME[parameters[0]].method == "dismiss_vicinity":
            return self.vicinity.shown
        return True

    def action_command_line(self) -> None:
        self.command_input.focus()

    def action_sort(self) -> None:
        grid = self.roster if self.roster.has_focus else self.board
        self.say(f"{'units' if grid is self.roster else 'incidents'} sorted by {grid.next_sort()}")

    def action_retry(self) -> None:
        self.state.link.retry_now()
        self.say("retrying the connection now")

    def action_focus_board(self) -> None:
        self.board.focus()

    def action_focus_roster(self) -> None:
        self.roster.focus()

    def action_focus_detail(self) -> None:
        """F4: the detail's tabs; F4 again (or → there): the next tab."""
        if self.has_class("-narrow"):
            self.app.open_detail(self.board.cursor_key)
        elif self.detail_tabs.has_focus:
            self.detail_tabs.action_next_tab()
        else:
            self.detail_tabs.focus()

    # --- advice and resources -----------------------------------------------------------------------
    def action_recommend(self) -> None:
        if self.board.cursor_key is None:
            self.say("select an incident on the board first (F2)", error=True)
            return
        self.app.push_screen(RecommendationsScreen(self.state, self.board.cursor_key))

    def action_recommend_all(self) -> None:
        self.app.push_screen(RecommendationsScreen(self.state, None))

    def action_resources(self) -> None:
        self.app.push_screen(ResourcesScreen(self.state, self.board.cursor_key))

    # --- layout presets ---------------------------------------------------------------------------
    def action_preset(self, name: str) -> None:
        self.set_preset(name)
        self.app.update_preferences(layout=name)  # remembered for this user
        self.say(f"{PRESETS[name]} layout (F5 call taking, F6 incident, F7 board, F8 roster)")

    def set_preset(self, name: str) -> None:
        for preset in PRESETS:
            self.set_class(preset == name, f"-preset-{preset}")
        self.preset = name

    # --- the call on the line -----------------------------------------------------------------------
    def action_new_call(self) -> None:
        if not self.state.link.status.connected:
            self.say("Disconnected — the call is created when the link is back; type meanwhile (^R retries now)")
        self.set_preset("call")
        self.call_form.take_new_call()

    def action_end_call(self) -> None:
        self.call_form.end_call()

    def action_incident_from_call(self) -> None:
        self.call_form.create_incident()

    def action_attach_call(self) -> None:
        self.call_form.attach(self.board.cursor_key)

    def action_copy_location(self) -> None:
        self.call_form.copy_location()

    @on(EntityForm.AskFirst)
    def ask_first(self, message: EntityForm.AskFirst) -> None:
        self.confirm_bar.ask(message.question, message.then)

    @on(CallForm.Linked)
    def call_linked(self, message: CallForm.Linked) -> None:
        self.action_dismiss_vicinity()  # the vicinity did its job: the call has its incident
        self.board.move_to(message.incident_id)
        self.detail.show(message.incident_id)

    # --- vicinity: what is already going on near the call -------------------------------------------
    @on(VicinityBanner.Changed)
    def vicinity_changed(self, message: VicinityBanner.Changed) -> None:
        self.show_vicinity_on_board(message.distances)

    @on(VicinityBanner.Said)
    def vicinity_said(self, message: VicinityBanner.Said) -> None:
        self.say(message.text, error=message.error, ok=not message.error)

    def show_vicinity_on_board(self, distances: dict[str, int] | None) -> None:
        self.board.show_vicinity(distances)
        self.board.border_title = "Incidents" if distances is None else "Incidents near the call"

    def action_dismiss_vicinity(self) -> None:
        if self.vicinity.shown:
            self.show_vicinity_on_board(None)
        self.vicinity.dismiss()

    # --- notifications: never steal focus ------------------------------------------------------------
    def dispatch_timed_out(self, event: dict[str, Any]) -> None:
        unit = event["data"].get("unit") or {}
        self.timed_out = unit.get("callsign")
        self.notify(f"{self.timed_out} did not acknowledge its dispatch — F10 confirms it by hand (radio contact)",
                    title="Dispatch timeout", severity="error", timeout=30)  # fmt: skip

    def action_confirm_timed_out(self) -> None:
        if not self.timed_out:
            self.say("no dispatch has timed out", error=True)
            return
        self.run_line(f"cf {self.timed_out}")
        self.timed_out = None

    # --- the command line ---------------------------------------------------------------------
    @on(CommandInput.Submitted)
    def submitted(self, message: CommandInput.Submitted) -> None:
        line = message.value.strip()
        self.command_input.remember(line)
        self.command_input.value = ""
        self.board.focus()
        if line:
            self.run_line(line)

    @on(CommandInput.Left)
    def left_command_line(self) -> None:
        self.board.focus()

    @on(CommandInput.Candidates)
    def show_candidates(self, message: CommandInput.Candidates) -> None:
        shown = "  ".join(c.split(" ")[-1] if "@" not in c else c.split("@ ")[-1] for c in message.candidates[:12])
        self.say(f"Tab again for the next: {shown}")
