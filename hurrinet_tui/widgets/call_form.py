"""The call on the line: who is calling, where, what happened, and how the call ends.

Each field is saved as the call taker leaves it (Enter or moving on), so another position sees
the call as it is taken and nothing typed waits for a final "save". A field the server refused
keeps what was typed, with the reason beside it, until it is fixed.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select, Static

from ..actions import ACTIONS
from ..command_line import short_id
from ..format import INCIDENT_STATE_LABEL, age, clock
from ..link import ServerLink
from ..rules import NEEDS_RATIONALE, OUTCOME_LABEL, PICKABLE_OUTCOMES, missing_to_end
from .form import EntityForm
from .location_form import LocationForm

TEXT_FIELDS = ("caller_name", "caller_phone", "description", "outcome_rationale")
# From the action table: the call's keys, which work inside its fields too.
KEYS = " · ".join(f"{a.key_display} {a.label.lower()}" for a in ACTIONS if a.needs == "call" and a.key)
KEYS += " · Tab stays in the form · F2 board"


class CallForm(EntityForm):
    """Shows and edits the call in `call_id`; the screen says which call that is."""

    UPDATE, ID_ARG, COLLECTION, TEXT_FIELDS = "call.update", "call_id", "calls", TEXT_FIELDS

    class Linked(Message):
        """The call now belongs to an incident (created from it or attached): show that incident."""

        def __init__(self, incident_id: str) -> None:
            super().__init__()
            self.incident_id = incident_id

    def __init__(self, link: ServerLink, zone: tzinfo, now, **kwargs) -> None:
        super().__init__(link, **kwargs)
        self.zone = zone
        self.now = now
        self.opening = False  # a new call is being created: the fields already take typing

    @property
    def call_id(self) -> str | None:
        return self.entity_id

    call = EntityForm.entity

    def compose(self) -> ComposeResult:
        yield Static(id="call-header")
        with Horizontal(classes="form-row"):
            yield Label("Caller", classes="form-label")
            yield Input(id="caller_name", placeholder="name", compact=True)
            yield Label("Phone", classes="form-label")
            yield Input(id="caller_phone", placeholder="+1 758 …", compact=True)
        yield Static(id="caller_name-error", classes="field-error")
        yield Static(id="caller_phone-error", classes="field-error")
        yield LocationForm(self.link.replica, id="call-location")
        with Horizontal(classes="form-row"):
            yield Label("What", classes="form-label")
            yield Input(id="description", placeholder="what the caller reports", compact=True)
        yield Static(id="description-error", classes="field-error")
        with Horizontal(classes="form-row"):
            yield Label("Outcome", classes="form-label")
            yield Select([(OUTCOME_LABEL[o], o) for o in PICKABLE_OUTCOMES], prompt="— not set —", id="outcome", compact=True)
            yield Static(id="outcome-fixed")
            yield Label("Why", classes="form-label", id="rationale-label")
            yield Input(id="outcome_rationale", placeholder="why (required for this outcome)", compact=True)
        yield Static(id="outcome-error", classes="field-error")
        yield Static(id="outcome_rationale-error", classes="field-error")
        yield Static(id="call-form-message", classes="field-error")
        yield Static(Text(KEYS), id="call-keys")

    def on_mount(self) -> None:
        self.border_title = "Call"
        self.refresh_content()

    # --- showing the call ------------------------------------------------------------------------
    def show(self, call_id: str | None) -> None:
        self.entity_id = call_id
        self.unsaved.clear()
        for name in (*TEXT_FIELDS, "outcome", "message"):
            self.set_error(name, None)
        self.location_form.clear_problems()
        self.refresh_content(everything=True)

    @property
    def location_form(self) -> LocationForm:
        return self.query_one("#call-location", LocationForm)

    def refresh_content(self, everything: bool = False) -> None:
        """Bring the form in line with the server's call; a field being typed in is left alone."""
        call = self.call
        self.query_one("#call-header", Static).update(self.header(call))
        ended = (call is None and not self.opening) or (call is not None and call["state"] == "ended")
        for widget in self.query("Input, Select"):
            widget.disabled = ended
        self.location_form.disabled = ended
        if call is None and self.opening and not everything:
            return  # what is typed while the call is being created is all there is
        for name in TEXT_FIELDS:
            field = self.query_one(f"#{name}", Input)
            if everything or (not field.has_focus and name not in self.unsaved):
                field.value = (call or {}).get(name) or ""
        if everything or not (self.location_form.has_focus_within or "location" in self.unsaved):
            self.location_form.load((call or {}).get("location"))
        self.show_outcome(call)

    def tick(self) -> None:
        """The call's age moves every second while it is on the line."""
        call = self.call
        if call is not None and call["state"] != "ended" and self.display:
            self.query_one("#call-header", Static).update(self.header(call))

    def header(self, call: dict[str, Any] | None) -> Text:
        if call is None:
            return Text("No call on the line — Ctrl+N takes a new call", style="italic")
        text = Text()
        text.append(f"CALL {short_id(call['id'])}  ", style="bold")
        text.append(f"[{call['state'].upper()}] ", style="bold reverse" if call["state"] == "active" else "dim")
        started = call["call_started"]
        text.append(f"since {clock(started, self.zone)} ({age(started, self.now())})")
        if call.get("call_ended"):
            text.append(f"  ended {clock(call['call_ended'], self.zone)}")
        incident = self.link.replica.incidents.get(call.get("incident_id") or "")
        if incident:
            text.append(f"  → #{short_id(incident['id'])} {INCIDENT_STATE_LABEL[incident['state']]}", style="bold")
        return text

    def show_outcome(self, call: dict[str, Any] | None) -> None:
        outcome = (call or {}).get("outcome")
        select = self.query_one("#outcome", Select)
        fixed = self.query_one("#outcome-fixed", Static)
        by_action = outcome is not None and outcome not in PICKABLE_OUTCOMES
        select.display = not by_action
        fixed.display = by_action
        fixed.update(Text(OUTCOME_LABEL.get(outcome or "", ""), style="bold") if by_action else "")
        if not by_action and "outcome" not in self.unsaved and select.value != (outcome or Select.NULL):
            with select.prevent(Select.Changed):
                select.value = outcome or Select.NULL
        chosen = select.value if select.value is not Select.NULL else outcome
        needs_reason = chosen in NEEDS_RATIONALE
        self.query_one("#outcome_rationale", Input).display = needs_reason
        self.query_one("#rationale-label", Label).display = needs_reason

    # --- saving as the call taker moves on (text fields: EntityForm.field_left) --------------------
    @on(Select.Changed, "#outcome")
    def outcome_picked(self, event: Select.Changed) -> None:
        event.stop()
        call = self.call
        if call is None:
            return
        value = None if event.value is Select.NULL else event.value
        self.show_outcome(call)
        if value != call.get("outcome"):
            self.save({"outcome": value}, "outcome")
        if value in NEEDS_RATIONALE:
            self.query_one("#outcome_rationale", Input).focus()

    @on(LocationForm.Committed, "#call-location")
    def location_committed(self, event: LocationForm.Committed) -> None:
        event.stop()
        if self.call is not None and event.location != self.call.get("location"):
            self.save({"location": event.location}, "location")

    # --- the call's actions (the screen's keys call these) -----------------------------------------
    def take_new_call(self) -> None:
        """The form is ready at once, since the caller is already talking; the call is created
        meanwhile, and whatever was typed before the server answered is saved then."""
        self.opening = True
        self.show(None)
        self.query_one("#caller_name", Input).focus()
        self._create()

    @work(group="call-form")
    async def _create(self) -> None:
        value = await self.send("call.create", {})
        self.opening = False
        if value is None:
            self.refresh_content()
            return
        typed = {name: v for name in TEXT_FIELDS if (v := self.query_one(f"#{name}", Input).value.strip())}
        location_typed = not self.location_form.draft().is_blank
        self.unsaved.update(typed, {"location"} if location_typed else ())
        self.entity_id = value["call_id"]
        self.refresh_content()
        for name, text in typed.items():
            self.save({name: text}, name)
        if location_typed:
            self.location_form.commit()

    def end_call(self) -> None:
        call = self.call
        if call is None or call["state"] == "ended":
            self.set_error("message", "no call on the line to end")
            return
        select = self.query_one("#outcome", Select)
        missing = missing_to_end(call, rationale=self.query_one("#outcome_rationale", Input).value,
                                 outcome=None if select.value is Select.NULL else select.value)  # fmt: skip
        if "outcome" in missing:
            self.set_error("outcome", "set the outcome before ending the call")
            select.focus()
            return
        if "outcome_rationale" in missing:
            self.set_error("outcome_rationale", "write why before ending the call (this outcome needs a reason)")
            self.query_one("#outcome_rationale", Input).focus()
            return
        self._end(call["id"])

    @work(group="call-form")
    async def _end(self, call_id: str) -> None:
        # Whatever is still in the fields goes first: ending freezes the outcome and its reason.
        reason = self.query_one("#outcome_rationale", Input).value.strip() or None
        changed = reason != ((self.call or {}).get("outcome_rationale") or None)
        update = {"call_id": call_id, "outcome_rationale": reason}
        if changed and await self.send("call.update", update, "outcome_rationale") is None:
            return
        await self.send("call.end", {"call_id": call_id})

    @work(group="call-form")
    async def create_incident(self) -> None:
        if not self.on_the_line():
            return
        value = await self.send("call.create_incident", {"call_id": self.call_id})
        if value is not None:
            self.post_message(self.Linked(value["incident_id"]))

    @work(group="call-form")
    async def attach(self, incident_id: str | None) -> None:
        if self.call_id is None or incident_id is None:
            self.set_error("message", "no call on the line" if self.call_id is None
                           else "select the incident to attach to on the board first")  # fmt: skip
            return
        if await self.send("call.attach", {"call_id": self.call_id, "incident_id": incident_id}) is not None:
            self.post_message(self.Linked(incident_id))

    @work(group="call-form")
    async def copy_location(self) -> None:
        if self.on_the_line():
            await self.send("call.copy_location", {"call_id": self.call_id})

    def on_the_line(self) -> bool:
        """Whether there is a call to act on; if not, the form says so."""
        if self.call_id is None:
            self.set_error("message", "no call on the line")
        return self.call_id is not None
