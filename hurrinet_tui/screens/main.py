"""The dispatcher's main screen: board, roster, detail, feed, command line, status."""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Static

from ..command_line import Command, CommandLineError, Context, LocalAction, parse, resolve_call, short_id
from ..format import alert_failure
from ..link import CommandFailed, LinkStatus
from ..overdue import Announcer, announcements
from ..replica import Update
from ..widgets.bars import HeaderBar, StatusBar
from ..widgets.call_form import CallForm
from ..widgets.command_input import CommandInput
from ..widgets.feed import Feed
from ..widgets.grid import VirtualGrid
from ..widgets.incident_board import IncidentBoard
from ..widgets.incident_detail import IncidentDetail
from ..widgets.pending import PendingCommands
from ..widgets.unit_roster import UnitRoster
from .map import MapScreen
from .recommendations import RecommendationsScreen
from .resources import ResourcesScreen
from .supervisor import SupervisorScreen

NARROW = 120  # columns below which the detail and feed leave the main screen
HINTS = "F1 help  : command  ^N call  ^P palette  ^L lock  ^Q quit"
# Layout presets (F5–F8): which part of the screen gets the room.
PRESETS = {"call": "call taking", "incident": "incident", "board": "board", "roster": "roster"}


def zone_of(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except ZoneInfoNotFoundError:
        return UTC


class MainScreen(Screen):
    BINDINGS = [
        Binding("colon,space", "command_line", "Command", key_display=":"),
        Binding("f1,question_mark", "app.help", "Help"),
        Binding("slash", "prefill('f ')", "Find"),
        Binding("e", "run('ended')", "Ended"),
        Binding("s", "sort", "Sort"),
        Binding("ctrl+r", "retry", "Retry now"),
        Binding("f9", "run('sim')", "Simulation"),
        Binding("f5", "preset('call')", "Call-taking layout"),
        Binding("f6", "preset('incident')", "Incident layout"),
        Binding("f7", "preset('board')", "Board layout"),
        Binding("f8", "preset('roster')", "Roster layout"),
        # The call on the line: these work while typing in a field too.
        Binding("ctrl+n", "new_call", "New call", priority=True),
        Binding("ctrl+e", "end_call", "End call", priority=True),
        Binding("ctrl+o", "incident_from_call", "Incident from call", priority=True),
        Binding("ctrl+b", "attach_call", "Attach call", priority=True),
        Binding("ctrl+y", "copy_call_location", "Call location to incident", priority=True),
        Binding("escape", "dismiss_vicinity", "Dismiss vicinity", show=False),
        Binding("f10", "confirm_timed_out", "Confirm timed-out dispatch"),
        Binding("f11", "focus_pending", "Pending commands"),
        # Advice: who to send, and the resources (shelters, medical, supplies, water).
        Binding("w", "recommend", "Recommend units"),
        Binding("W", "recommend_all", "All waiting"),
        Binding("f12", "resources", "Resources"),
        Binding("m", "map", "Map"),
        Binding("ctrl+s", "supervisor", "Supervisor"),
        Binding("f2", "focus_board", "Board"),
        Binding("f3", "focus_roster", "Roster"),
        Binding("f4", "focus_detail", "Detail"),
        # On an incident (the board has focus)
        Binding("n", "prefill('ni ')", "New incident"),
        Binding("a", "assign", "Assign"),
        Binding("d", "run('d')", "Dispatch"),
        Binding("c", "run('cl')", "Close"),
        Binding("t", "prefill('ty ')", "Type"),
        Binding("p", "prefill('pr ')", "Priority"),
        Binding("g", "prefill('lo ')", "Locate"),
        Binding("S", "prefill('st ')", "State"),
        Binding("l", "prefill('no ')", "Note"),
        # On a unit (the roster has focus)
        Binding("v", "unit('av')", "Avail radio"),
        Binding("V", "unit('avs')", "Avail station"),
        Binding("r", "unit('er')", "En route"),
        Binding("o", "unit('os')", "On scene"),
        Binding("x", "unit('oos')", "Out of service"),
        Binding("f", "unit('cf')", "Confirm"),
        Binding("u", "unit('ua')", "Unassign"),
        Binding("R", "reassign", "Reassign"),
    ]

    def __init__(self, app_state, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        replica, now = app_state.link.replica, app_state.now
        self.zone = zone_of(replica.deployment.get("timezone"))
        self.board = IncidentBoard(replica, now, id="board")
        self.roster = UnitRoster(replica, now, id="roster")
        self.detail = IncidentDetail(replica, self.zone, app_state.link, id="detail")
        self.call_form = CallForm(app_state.link, self.zone, now, id="call-form")
        self.preset = "board"
        self.timed_out: str | None = None  # the callsign of the latest dispatch timeout
        self.overdue = Announcer()  # overdue flags already notified
        self.vicinity_of: tuple[str, Any] | None = None  # (call id, coordinates) the vicinity shows
        self.feed = Feed(self.zone, replica, id="feed")
        self.header_bar = HeaderBar(now, id="header")
        self.status_bar = StatusBar(HINTS, id="status")
        self.pending = PendingCommands(app_state.link, id="pending")
        self.command_input = CommandInput(replica, id="command")

    def compose(self) -> ComposeResult:
        yield self.header_bar
        with Horizontal(id="body"):
            with Vertical(id="left"):
                yield Static(id="vicinity")
                yield self.board
                yield self.detail
            with Vertical(id="right"):
                yield self.call_form
                yield self.roster
                yield self.feed
        yield Static(id="message")
        yield self.command_input
        yield self.pending
        yield self.status_bar

    def on_mount(self) -> None:
        self.board.border_title = "Incidents"
        self.roster.border_title = "Units"
        self.set_interval(1.0, self.tick)
        self.apply(Update(full=True))
        self.show_status(self.state.link.status)
        saved = self.state.preferences.layout
        self.set_preset(saved if saved in PRESETS else self.preset)
        self.query_one("#vicinity").display = False
        if self.state.simulation_running:
            self.status_bar.note = "simulation running (F9 pauses)"
        self.board.focus()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    # --- the replica changed ----------------------------------------------------------------------
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
            self.check_vicinity()
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
        self.state.link.poll()
        replica = self.state.link.replica
        for text in announcements(self.overdue, replica.incidents, replica.units, replica.deployment, self.state.now()):
            self.notify(text, title="Overdue", severity="warning", timeout=10)  # a toast takes no focus

    def show_status(self, status: LinkStatus) -> None:
        if status.degraded and not self.status_bar.status.degraded:
            self.notify("answers are slow: the board may lag behind the server", title="Link degraded",
                        severity="warning", timeout=15)  # fmt: skip
        self.status_bar.status = status
        if status.user:
            self.header_bar.user = f"{status.user} ({status.role})"
        self.set_class(not status.connected, "-disconnected")

    # --- selection ----------------------------------------------------------------------------
    @on(VirtualGrid.Highlighted, "#board")
    def incident_highlighted(self, message: VirtualGrid.Highlighted) -> None:
        self.detail.show(message.key)

    @on(VirtualGrid.Selected, "#board")
    def incident_opened(self, message: VirtualGrid.Selected) -> None:
        if self.has_class("-narrow"):
            self.app.open_detail(message.key)
        else:
            self.query_one("#detail-tabs").focus()

    def context(self) -> Context:
        return Context(self.state.link.replica, self.board.cursor_key, self.roster.cursor_key and
                       self.state.link.replica.units[self.roster.cursor_key]["callsign"],
                       self.call_form.call_id)  # fmt: skip

    # --- actions --------------------------------------------------------------------------------
    def action_command_line(self) -> None:
        self.command_input.focus()

    def action_prefill(self, text: str) -> None:
        self.command_input.value = text
        self.command_input.cursor_position = len(text)
        self.command_input.focus()

    def action_run(self, line: str) -> None:
        self.run_line(line)

    def action_sort(self) -> None:
        grid = self.roster if self.roster.has_focus else self.board
        self.say(f"{'units' if grid is self.roster else 'incidents'} sorted by {grid.next_sort()}")

    def action_retry(self) -> None:
        self.state.link.retry_now()
        self.say("retrying the connection now")

    def action_focus_board(self) -> None:
        self.board.focus()

    def action_focus_pending(self) -> None:
        self.pending.take_focus(self.focused)

    def action_focus_roster(self) -> None:
        self.roster.focus()

    def action_focus_detail(self) -> None:
        if self.has_class("-narrow"):
            self.app.open_detail(self.board.cursor_key)
        else:
            self.query_one("#detail-tabs").focus()

    def action_assign(self) -> None:
        """From the board: type the units. From the roster: this unit to the selected incident."""
        if self.roster.has_focus and self.board.cursor_key and self.roster.cursor_key:
            self.run_line(f"as {self.context().selected_unit}")
        else:
            self.action_prefill("as ")

    def action_unit(self, verb: str) -> None:
        if self.roster.cursor_key is None:
            self.say("select a unit on the roster first (F3)", error=True)
            return
        self.run_line(f"{verb} {self.context().selected_unit}")

    def action_reassign(self) -> None:
        callsign = self.context().selected_unit
        self.action_prefill(f"ra {callsign} #" if callsign else "ra ")

    def check_action(self, action: str, parameters: tuple) -> bool | None:
        """Unit keys act on the unit under the roster's cursor, so only while the roster has focus."""
        if action in ("unit", "reassign"):
            return self.roster.has_focus
        if action == "dismiss_vicinity":
            return self.vicinity_shown
        return True

    # --- advice and resources -----------------------------------------------------------------------
    def action_recommend(self) -> None:
        if self.board.cursor_key is None:
            self.say("select an incident on the board first (F2)", error=True)
            return
        self.app.push_screen(RecommendationsScreen(self.state, self.board.cursor_key))

    def action_recommend_all(self) -> None:
        self.app.push_screen(RecommendationsScreen(self.state, None))

    def action_map(self) -> None:
        self.app.push_screen(MapScreen(self.state, self.board.cursor_key))

    def action_resources(self) -> None:
        self.app.push_screen(ResourcesScreen(self.state, self.board.cursor_key))

    def action_supervisor(self) -> None:
        self.app.push_screen(SupervisorScreen(self.state))

    # --- layout presets ---------------------------------------------------------------------------
    def action_preset(self, name: str) -> None:
        self.set_preset(name)
        self.app.update_preferences(layout=name)  # remembered for this user
        self.say(f"{PRESETS[name]} layout (F5 call taking, F6 incident, F7 board, F8 roster)")

    def preferences_loaded(self, preferences) -> None:
        if preferences.layout in PRESETS:  # a name from an old or hand-edited file is ignored
            self.set_preset(preferences.layout)

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

    def action_copy_call_location(self) -> None:
        self.call_form.copy_location()

    @on(CallForm.Linked)
    def call_linked(self, message: CallForm.Linked) -> None:
        self.action_dismiss_vicinity()  # the vicinity did its job: the call has its incident
        self.board.move_to(message.incident_id)
        self.detail.show(message.incident_id)

    # --- vicinity: what is already going on near the call -------------------------------------------
    @property
    def vicinity_shown(self) -> bool:
        return self.board.vicinity is not None

    def check_vicinity(self) -> None:
        """Once the call on the line has coordinates (or they change), look around them."""
        call = self.call_form.call
        coordinates = ((call or {}).get("location") or {}).get("coordinates")
        if call is None or call["state"] == "ended" or not coordinates:
            return
        place = (call["id"], coordinates["lat"], coordinates["lon"])
        if place != self.vicinity_of:
            self.vicinity_of = place
            self.query_vicinity(call["id"])

    @work(group="vicinity", exclusive=True)
    async def query_vicinity(self, call_id: str) -> None:
        try:
            value = await self.state.link.command("call.vicinity", {"call_id": call_id})
        except CommandFailed as error:
            self.say(f"vicinity check failed: {error.message} [{error.code}]", error=True)
            return
        if not value["calls"] and not value["incidents"]:
            self.action_dismiss_vicinity()
            self.say(f"nothing active within {value['radius_m']:.0f} m of the call", ok=True)
            return
        self.show_vicinity(call_id, value)
        self.notify(f"{len(value['incidents'])} incident(s) and {len(value['calls'])} call(s) near this call — "
                    "the board shows them, Esc returns", title="Vicinity", severity="warning")  # fmt: skip

    def show_vicinity(self, call_id: str, value: dict[str, Any]) -> None:
        banner = Text()
        banner.append(f" NEAR CALL {short_id(call_id)} ", style="bold reverse")
        banner.append(f"  within {value['radius_m']:.0f} m: {len(value['incidents'])} incident(s), "
                      f"{len(value['calls'])} other call(s) — nearest first · Esc: whole board · ^B attaches the call")  # fmt: skip
        for call in value["calls"][:3]:
            who = call.get("caller_name") or "unknown caller"
            banner.append(f"\n  call {short_id(call['id'])}  {call['distance_m']} m  {who}: {call.get('description') or ''}")
        self.query_one("#vicinity", Static).update(banner)
        self.query_one("#vicinity").display = True
        self.board.show_vicinity({i["id"]: i["distance_m"] for i in value["incidents"]})
        self.board.border_title = "Incidents near the call"

    def action_dismiss_vicinity(self) -> None:
        if self.vicinity_shown:
            self.board.show_vicinity(None)
            self.board.border_title = "Incidents"
        self.query_one("#vicinity").display = False

    # --- notifications: never steal focus ------------------------------------------------------------
    def dispatch_timed_out(self, event: dict[str, Any]) -> None:
        unit = event["data"].get("unit") or {}
        self.timed_out = unit.get("callsign")
        self.notify(f"{self.timed_out} did not acknowledge its dispatch — F10 confirms it by hand (radio contact)",
                    title="Dispatch timeout", severity="error", timeout=30)  # fmt: skip

    def alert_failed(self, event: dict[str, Any]) -> None:
        value = ((event["data"].get("log_entry") or {}).get("change_data") or {}).get("value") or {}
        if value:
            self.notify(alert_failure(value), title="Alert not delivered", severity="error" if value.get("final")
                        else "warning", timeout=30 if value.get("final") else 10)  # fmt: skip

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
        if line:
            self.run_line(line)
        self.board.focus()

    @on(CommandInput.Left)
    def left_command_line(self) -> None:
        self.board.focus()

    @on(CommandInput.Candidates)
    def show_candidates(self, message: CommandInput.Candidates) -> None:
        shown = "  ".join(c.split(" ")[-1] if "@" not in c else c.split("@ ")[-1] for c in message.candidates[:12])
        self.say(f"Tab again for the next: {shown}")

    def run_line(self, line: str) -> None:
        try:
            parsed = parse(line, self.context())
        except CommandLineError as error:
            self.say(str(error), error=True)
            return
        if isinstance(parsed, LocalAction):
            self.local(parsed)
            return
        if not self.state.link.status.connected:
            self.say(f"⧗ {line}: waits for the link, goes out when it is back (F11 shows what waits, ^R retries now)")
        self.send(parsed, line)

    @work(group="commands")
    async def send(self, commands: list[Command], line: str) -> None:
        for command in commands:
            try:
                value = await self.state.link.command(command.name, command.args)
            except CommandFailed as error:
                self.say(f"✗ {line}: {error.message} [{error.code}]", error=True)
                return
            if "incident_id" in value and command.name in ("incident.create", "call.create_incident"):
                self.action_dismiss_vicinity()
                self.board.move_to(value["incident_id"])
                line = f"{line}  → #{short_id(value['incident_id'])}"
            for warning in value.get("warnings", []):
                # e.g. a unit without alert targets: the dispatcher must reach it another way.
                self.notify(warning, title="Dispatch warning", severity="warning", timeout=20)
                self.say(f"⚠ {warning}", error=True)
                return
        self.say(f"✓ {line}", ok=True)

    def local(self, action: LocalAction) -> None:
        if action.name == "f":
            self.board.set_view(filter_text=action.argument)
            self.roster.set_view(filter_text=action.argument)
            self.say(f"showing only {action.argument!r}" if action.argument else "filter cleared")
        elif action.name == "ended":
            self.board.set_view(show_ended=not self.board.show_ended)
            self.say("ended incidents shown" if self.board.show_ended else "ended incidents hidden")
        elif action.name == "help":
            self.app.action_help()
        elif action.name == "sim":
            self.toggle_simulation()
        elif action.name == "rec":
            self.action_recommend()
        elif action.name == "wait":
            self.action_recommend_all()
        elif action.name == "res":
            self.action_resources()
        elif action.name == "sup":
            self.action_supervisor()
        elif action.name == "ec":
            self.action_end_call()
        elif action.name == "call" and action.argument:
            try:
                call_id = resolve_call(action.argument, self.state.link.replica)
            except CommandLineError as error:
                self.say(str(error), error=True)
                return
            self.set_preset("call")
            self.call_form.show(call_id)
            self.say(f"call {short_id(call_id)} is on the line", ok=True)
        elif action.name == "call":
            self.action_new_call()

    @work(group="commands")
    async def toggle_simulation(self) -> None:
        wanted = not self.state.simulation_running
        try:
            value = await self.state.link.command("simulation.set", {"running": wanted})
        except CommandFailed as error:
            self.say(f"✗ simulation: {error.message}", error=True)
            return
        self.state.simulation_running = value["running"]
        self.status_bar.note = "simulation running (F9 pauses)" if value["running"] else "simulation paused (F9 resumes)"
        self.say(self.status_bar.note, ok=True)

    def say(self, text: str, error: bool = False, ok: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(Text(text))  # never markup: the line echoed may hold brackets
        message.set_class(error, "-error")
        message.set_class(ok, "-ok")
