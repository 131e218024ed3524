"""The lock: covers the whole workstation until its user's PIN is typed.

A full screen on an opaque background, so Textual draws nothing of the screens under it (a
translucent one would let the board show through). It shows where and when, whether the link is
up, and how many incidents wait at each priority (a dispatcher coming back wants to know whether
to hurry) — never an incident, a call or a unit. The link and the screens underneath go on
applying events, so unlocking shows the board as it is now. There is no way out of it but
unlocking: no quit, no palette, no help.

How it opens (docs/workstation.md, "The lock"):
- with the user's PIN (4–8 digits), checked by the server (`account.verify_pin`), which counts
  wrong PINs and locks the PIN for a while after five in a row;
- with the workstation's token, always: it is the account's real credential, and the only way
  in while the server is out of reach or the PIN is locked;
- the first time, before the user has a PIN: the token, once, and then the user chooses a PIN
  (typed twice; Esc skips, and it is asked again at the next lock). The token comes first so
  that whoever finds a workstation locked before its user chose a PIN cannot choose one for them.
"""

from __future__ import annotations

import asyncio
import hmac
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ..link import CommandFailed, LinkStatus
from ..messages import ReplicaChanged
from ..widgets.bars import StatusBar
from .main import zone_of

HINTS = "Enter unlocks"
PRIORITIES = ("A", "B", "C", "D", "N")
WAITING = ("new", "queued")  # not yet worked: what the domain's overdue flags call waiting
PIN = re.compile(r"[0-9]{4,8}")
ANSWER_TIMEOUT_S = 10.0

# What the entry asks for at each step, its label and the line under it.
STEPS: dict[str, tuple[str, str]] = {
    "asking": ("PIN ›", "Checking this user's PIN with the server…"),
    "pin": ("PIN ›", "Type your PIN and press Enter."),
    "token": ("Token ›", "No PIN yet: type this workstation's token once, then choose a PIN."),
    "offline": ("Token ›", "The server is out of reach, so a PIN cannot be checked: the token opens the lock."),
    "choose": ("New PIN ›", "Choose a PIN of 4 to 8 digits; it opens the lock from now on. Esc: not now."),
    "confirm": ("Again ›", "Type the same PIN again. Esc: not now."),
}


def token_matches(entered: str, token: str) -> bool:
    # Constant time, so how long a refusal takes says nothing about how close the guess was.
    return hmac.compare_digest(entered.strip().encode(), token.encode())


def waiting_by_priority(incidents: Iterable[dict[str, Any]]) -> dict[str, int]:
    """How many incidents wait (new or queued) at each priority; those without one are left out."""
    counts = Counter(i.get("incident_priority") for i in incidents if i.get("state") in WAITING)
    return {p: counts[p] for p in PRIORITIES}


def waiting_text(counts: dict[str, int]) -> Text:
    text = Text("Waiting  ")
    if not any(counts.values()):
        return text.append("nothing", style="bold")
    for priority, count in counts.items():
        urgent = priority in ("A", "B") and count
        text.append(f"{priority} {count}", style="bold reverse" if urgent else "bold" if count else "dim")
        text.append("   ")
    return text


class LockScreen(Screen[None]):
    AUTO_FOCUS = "#lock-token"
    BINDINGS = [Binding("escape", "not_now", "Not now", show=False)]

    def __init__(self, app_state, reason: str, hint: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        self.reason = reason
        self.hint = hint  # where the token is (the demo says); shown while the token is asked for
        self.refusals = 0
        self.step = "asking"
        self.pin_set: bool | None = None  # unknown until the server says
        self.chosen = ""
        self.status_bar = StatusBar(HINTS, id="lock-status")

    def compose(self) -> ComposeResult:
        with Vertical(id="lock-box"):
            yield Static(id="lock-place")
            yield Static(Text(self.reason), id="lock-reason")
            yield Static(id="lock-waiting")
            with Horizontal(id="lock-entry"):
                yield Label(id="lock-label")
                yield Input(password=True, id="lock-token")
            yield Static(id="lock-message")
        yield self.status_bar

    def on_mount(self) -> None:
        self.query_one("#lock-box").border_title = "HurriNet Dispatch — locked"
        self.show_status(self.state.link.status)
        self.show_waiting()
        self.tick()
        self.set_interval(1.0, self.tick)
        self.ask_pin_status()

    # --- what it shows --------------------------------------------------------------------
    def tick(self) -> None:
        deployment = self.state.link.replica.deployment
        moment = self.state.now().astimezone(zone_of(deployment.get("timezone")))
        place = Text()
        place.append(deployment.get("name") or "HurriNet Dispatch", style="bold")
        place.append("\n" + moment.strftime("%a %d %b %Y  %H:%M:%S %Z"))
        self.query_one("#lock-place", Static).update(place)

    def show_waiting(self) -> None:
        counts = waiting_by_priority(self.state.link.replica.incidents.values())
        self.query_one("#lock-waiting", Static).update(waiting_text(counts))

    @on(ReplicaChanged)
    def replica_changed(self, message: ReplicaChanged) -> None:
        self.apply(message.update)

    def apply(self, update) -> None:
        """The replica changed (the app tells every screen): only the counts can change here."""
        if update.full or update.incidents:
            self.show_waiting()

    def show_status(self, status: LinkStatus) -> None:
        self.status_bar.status = status
        if not self.is_mounted:
            return
        if not status.connected and self.step in ("asking", "pin", "token"):
            self.go("offline")
        elif status.connected and self.step == "offline":
            self.ask_pin_status()

    def go(self, step: str, message: str | None = None, error: bool = False) -> None:
        self.step = step
        label, prompt = STEPS[step]
        self.query_one("#lock-label", Label).update(label)
        entry = self.query_one("#lock-token", Input)
        choosing = step in ("choose", "confirm")
        entry.restrict = r"[0-9]*" if choosing else None
        entry.max_length = 8 if choosing else 0
        if message is None and step in ("token", "offline") and self.hint:
            prompt = f"{prompt}\n{self.hint}"
        self.tell(message or prompt, error)

    def tell(self, text: str, error: bool = False) -> None:
        line = self.query_one("#lock-message", Static)
        line.update(Text(text))
        line.set_class(error, "-error")

    # --- the server's answers ---------------------------------------------------------------
    async def _ask(self, name: str, args: dict[str, Any] | None = None) -> dict[str, Any]:
        # Only over a live link: a PIN must not wait in the outbox to be sent, unseen, later.
        if not self.state.link.status.connected:
            raise TimeoutError
        return await asyncio.wait_for(self.state.link.command(name, args), ANSWER_TIMEOUT_S)

    @work(exclusive=True, group="pin-status")
    async def ask_pin_status(self) -> None:
        if not self.state.link.status.connected:
            self.go("offline")
            return
        self.go("asking")
        try:
            status = await self._ask("account.pin_status")
        except (CommandFailed, TimeoutError):
            self.go("offline")
            return
        self.pin_set = bool(status.get("pin_set"))
        if self.step == "asking":
            self.go("pin" if self.pin_set else "token")

    # --- what the user types ----------------------------------------------------------------
    @on(Input.Submitted, "#lock-token")
    def submitted(self, message: Input.Submitted) -> None:
        entered = message.value
        message.input.clear()
        if not entered.strip():
            self.go(self.step)
        elif self.step == "choose":
            self.choose(entered)
        elif self.step == "confirm":
            self.confirm(entered)
        elif token_matches(entered, self.state.link.token):
            self.opened_with_token()
        elif self.step == "pin" and PIN.fullmatch(entered):
            self.check_pin(entered)
        elif self.step == "asking":
            self.tell("Still asking the server about the PIN; the token opens the lock meanwhile.")
        elif self.step == "offline" and PIN.fullmatch(entered):
            self.tell("✗ A PIN cannot be checked while the server is out of reach: type the token.", error=True)
        else:
            self.refused("That is not your PIN." if self.step == "pin" else "That is not this workstation's token.")

    def refused(self, why: str) -> None:
        self.refusals += 1
        times = f" ({self.refusals} refused)" if self.refusals > 1 else ""
        self.tell(f"✗ {why}{times} It stays locked.", error=True)

    def opened_with_token(self) -> None:
        if self.pin_set is False and self.state.link.status.connected:
            self.go("choose")  # the token proved who this is: now the PIN for next time
        else:
            self.dismiss()

    @work(exclusive=True, group="pin")
    async def check_pin(self, pin: str) -> None:
        self.tell("Checking…")
        try:
            await self._ask("account.verify_pin", {"pin": pin})
        except CommandFailed as error:
            self.refusals += 1
            self.tell(f"✗ {error.message[:1].upper()}{error.message[1:]}.", error=True)
            return
        except TimeoutError:
            self.tell("✗ The server did not answer; try again, or use the token.", error=True)
            return
        self.dismiss()

    def choose(self, pin: str) -> None:
        if not PIN.fullmatch(pin):
            self.go("choose", "✗ A PIN is 4 to 8 digits. Choose again.", error=True)
            return
        self.chosen = pin
        self.go("confirm")

    @work(exclusive=True, group="pin")
    async def confirm(self, pin: str) -> None:
        chosen, self.chosen = self.chosen, ""
        if pin != chosen:
            self.go("choose", "✗ The two PINs differ. Choose again.", error=True)
            return
        self.tell("Saving…")
        try:
            await self._ask("account.set_pin", {"pin": pin})
        except (CommandFailed, TimeoutError) as error:
            why = error.message if isinstance(error, CommandFailed) else "the server did not answer"
            self.go("choose", f"✗ Not saved: {why}. Choose again, or Esc.", error=True)
            return
        self.app.notify("Your PIN is set: it opens the lock from now on.")  # shown once unlocked
        self.dismiss()

    def action_not_now(self) -> None:
        """Esc while choosing a PIN: open without one (the token was typed); asked again next time."""
        if self.step in ("choose", "confirm"):
            self.dismiss()
