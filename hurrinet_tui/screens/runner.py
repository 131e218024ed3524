"""The main screen's action runner: a row of the action table, or a typed command line, becomes
what the workstation does — a command to the server (asked first when it destroys something),
a local action, or a screen method. Mixed into `MainScreen`; the layout stays there."""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.widgets import Static

from ..actions import BY_NAME, BY_VERB, DESTRUCTIVE_VERBS, Action
from ..command_line import Command, CommandLineError, LocalAction, find_verb, parse, resolve_call, short_id
from ..format import refusal
from ..link import CommandFailed

WAITS = "waits for the link, goes out when it is back (F11 shows what waits, ^R retries now)"


class ActionRunner:
    """Needs from the screen: `state`, `board`, `roster`, `call_form`, `command_input`,
    `confirm_bar`, `context()`, and the `action_*` methods the table's `method` rows name."""

    # --- a row of the table (keys and palette come here) -------------------------------------------
    def action_act(self, name: str) -> None:
        self.perform(BY_NAME[name])

    def perform(self, action: Action) -> None:
        if action.needs == "unit" and self.roster.cursor_key is None:
            self.say("select a unit on the roster first (F3)", error=True)
            return
        unit = self.context().selected_unit or ""
        if action.method:
            self.call_method(action.method)
        elif action.fill:
            self.prefill(action.fill.format(unit=unit))
        else:
            self.run_line(action.line.format(unit=unit))

    def call_method(self, method: str) -> None:
        """A Textual action string ("preset('call')", "app.help") run on this screen."""
        self.call_next(self.run_action, method)

    def action_simulation(self) -> None:
        self.toggle_simulation()

    def prefill(self, text: str) -> None:
        """The verb on the command line, the cursor after it: the first letter typed adds to it."""
        line = self.command_input
        line.value = text
        line.focus()
        line.cursor_position = len(text)

    # --- a command line ------------------------------------------------------------------------
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
            self.say(f"⧗ {line}: {WAITS}")
        verb = find_verb(line.split()[0]).key
        if verb in DESTRUCTIVE_VERBS:
            self.say("")
            # From the command line, a no (or a yes) goes back to the board, not to the line.
            back_to = self.board if self.command_input.has_focus else None
            self.confirm_bar.ask(self.question(parsed), lambda: self.send(parsed, line), back_to)
            return
        self.send(parsed, line)

    def question(self, commands: list[Command]) -> str:
        """What is about to happen, in words, naming what it happens to."""
        replica = self.state.link.replica
        words = {"incident.close": "Close incident", "unit.set_state": "Out of service:",
                 "unit.unassign": "Unassign", "unit.release": "Release from its incident:",
                 "unit.reassign": "Reassign"}  # fmt: skip
        targets = []
        for command in commands:
            args = command.args
            if "unit" in args:
                targets.append(args["unit"])
            elif "incident_id" in args:
                incident = replica.incidents.get(args["incident_id"]) or {}
                what = incident.get("incident_type") or "no type"
                targets.append(f"#{short_id(args['incident_id'])} ({what})")
        name = commands[0].name
        tail = ""
        if name == "unit.reassign":
            tail = f" to #{short_id(commands[0].args['incident_id'])}"
        return f"{words.get(name, name)} {', '.join(targets)}{tail}?"

    @work(group="commands")
    async def send(self, commands: list[Command], line: str) -> None:
        for command in commands:
            try:
                value = await self.state.link.command(command.name, command.args, label=line)
            except CommandFailed as error:
                self.say(f"✗ {line}: {refusal(error.message, error.code)}", error=True)
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
            self.say(self.filter_notice() or "filter cleared")
        elif action.name == "ended":
            self.board.set_view(show_ended=not self.board.show_ended)
            self.say("ended incidents shown" if self.board.show_ended else "ended incidents hidden")
        elif action.name == "call" and action.argument:
            try:
                call_id = resolve_call(action.argument, self.state.link.replica)
            except CommandLineError as error:
                self.say(str(error), error=True)
                return
            self.set_preset("call")
            self.call_form.show(call_id)
            self.call_form.focus_first()
            self.say(f"call {short_id(call_id)} is on the line", ok=True)
        elif action.name == "arc":
            self.action_archive(action.argument)
        else:
            self.call_method(BY_VERB[action.name].method)

    def filter_notice(self) -> str:
        text = self.board.filter_text
        return f"showing only {text!r} (/ then Enter clears)" if text else ""

    @work(group="commands")
    async def toggle_simulation(self) -> None:
        # What the server last said. Unknown (`hurrinet connect` starts not knowing): pause, the
        # safe guess for a storm on screen; the answer says the state from then on.
        wanted = self.state.simulation_running is False
        try:
            value = await self.state.link.command("simulation.set", {"running": wanted})
        except CommandFailed as error:
            self.say(f"✗ simulation: {error.message}", error=True)
            return
        self.state.simulation_running = value["running"]
        self.show_simulation()
        self.say(self.status_bar.note, ok=True)

    def show_simulation(self) -> None:
        running = self.state.simulation_running
        if running is None:
            return
        self.status_bar.note = "simulation running (F9 pauses)" if running else "simulation paused (F9 resumes)"

    def say(self, text: str, error: bool = False, ok: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(Text(text))  # never markup: the line echoed may hold brackets
        message.set_class(error, "-error")
        message.set_class(ok, "-ok")

