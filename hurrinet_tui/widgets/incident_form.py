"""One incident's own fields: type, priority, desk, location, description, and its state.

Only the state changes that are legal now are offered; what the incident still lacks before
it can be queued or made active is marked on the fields themselves, so the dispatcher sees
what to fill before trying.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Input, Label, Select, Static

from ..actions import ACTIONS
from ..command_line import PRIORITIES, short_id
from ..format import INCIDENT_STATE_LABEL
from ..link import ServerLink
from ..rules import missing_for, transitions_now
from .form import EntityForm
from .location_form import LocationForm

PRIORITY_LABEL = {"A": "A highest", "B": "B", "C": "C", "D": "D lowest", "N": "N operational order"}
FIELD_WIDGET = {"incident_type": "incident_type", "incident_priority": "incident_priority", "location": "incident-location"}
TEXT_FIELDS = ("description", "desk")
# From the action table: what the board and the roster do for this incident.
KEYS = "board (F2): " + " · ".join(f"{a.key_display} {a.label.lower()}" for a in ACTIONS if a.scope == "board" and a.needs)
KEYS += " — roster (F3): " + " · ".join(f"{a.key_display} {a.label.lower()}" for a in ACTIONS if a.scope == "roster")


class IncidentForm(EntityForm):
    UPDATE, ID_ARG, COLLECTION, TEXT_FIELDS = "incident.update", "incident_id", "incidents", TEXT_FIELDS

    def __init__(self, link: ServerLink, **kwargs) -> None:
        super().__init__(link, **kwargs)
        self.type_codes: tuple[str, ...] = ()

    @property
    def incident_id(self) -> str | None:
        return self.entity_id

    incident = EntityForm.entity

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("State", classes="form-label")
            yield Static(id="incident-state")
            with Horizontal(id="transitions"):
                for state in ("queued", "active", "monitored"):
                    yield Button(state.capitalize(), id=f"to-{state}", compact=True)
                yield Button("Close", id="to-ended", compact=True, variant="error")
        yield Static(id="incident-missing", classes="field-error")
        with Horizontal(classes="form-row"):
            yield Label("Type", classes="form-label")
            yield Select([], prompt="— no type —", id="incident_type", compact=True)
            yield Label("Prio", classes="form-label-short")
            yield Select([(PRIORITY_LABEL[p], p) for p in PRIORITIES], prompt="—", id="incident_priority", compact=True)
            yield Label("Desk", classes="form-label-short")
            yield Input(id="desk", placeholder="desk", compact=True)
        yield Static(id="incident_type-error", classes="field-error")
        yield Static(id="incident_priority-error", classes="field-error")
        yield Static(id="desk-error", classes="field-error")
        yield LocationForm(self.link.replica, id="incident-location")
        with Horizontal(classes="form-row"):
            yield Label("What", classes="form-label")
            yield Input(id="description", placeholder="what is happening", compact=True)
        yield Static(id="description-error", classes="field-error")
        yield Static(id=f"{self.id}-message", classes="field-error")
        yield Static(Text(KEYS), classes="form-keys")

    def on_mount(self) -> None:
        self.refresh_content(everything=True)

    def show(self, incident_id: str | None) -> None:
        if incident_id != self.entity_id:
            self.entity_id = incident_id
            self.unsaved.clear()
            for name in (*TEXT_FIELDS, "incident_type", "incident_priority", "message"):
                self.set_error(name, None)
            self.query_one(LocationForm).clear_problems()
            self.refresh_content(everything=True)

    def sync_types(self) -> None:
        """The type picker lists the deployment's types (they arrive with the snapshot)."""
        types = sorted(self.link.replica.incident_types.values(), key=lambda t: t["code"])
        codes = tuple(t["code"] for t in types)
        if codes != self.type_codes:
            self.type_codes = codes
            select = self.query_one("#incident_type", Select)
            with select.prevent(Select.Changed):
                select.set_options((f"{t['code']} — {t['description']}", t["code"]) for t in types)

    def refresh_content(self, everything: bool = False) -> None:
        self.sync_types()
        incident = self.incident
        ended = incident is None or incident["state"] == "ended"
        for widget in self.query("Input, Select, LocationForm"):
            widget.disabled = ended
        state = self.query_one("#incident-state", Static)
        state.update(Text(f" {INCIDENT_STATE_LABEL[incident['state']]} " if incident else " – ", style="bold reverse"))
        legal = transitions_now(incident) if incident else ()
        for state_name in ("queued", "active", "monitored"):
            self.query_one(f"#to-{state_name}", Button).display = state_name in legal
        self.query_one("#to-ended", Button).display = not ended
        for name in ("incident_type", "incident_priority"):
            select = self.query_one(f"#{name}", Select)
            value = (incident or {}).get(name) or Select.NULL
            if name == "incident_type" and value not in self.type_codes:
                value = Select.NULL  # a type retired from the reference data: the summary still names it
            if name not in self.unsaved and select.value != value:
                with select.prevent(Select.Changed):
                    select.value = value
        for name in TEXT_FIELDS:
            field = self.query_one(f"#{name}", Input)
            if everything or (not field.has_focus and name not in self.unsaved):
                field.value = (incident or {}).get(name) or ""
        location_form = self.query_one(LocationForm)
        if everything or not location_form.has_focus_within:
            location_form.load((incident or {}).get("location"))
        self.show_missing(incident, legal)

    def show_missing(self, incident: dict[str, Any] | None, legal: tuple[str, ...]) -> None:
        """Mark what the incident lacks before it can be queued or made active (if it could be)."""
        wanted = next((s for s in ("queued", "active") if s in legal), None)
        missing = missing_for(incident, wanted) if incident and wanted else []
        for name, widget in FIELD_WIDGET.items():
            self.query_one(f"#{widget}").set_class(name in missing, "-missing")
        words = ", ".join(m.removeprefix("incident_") for m in missing)
        self.query_one("#incident-missing", Static).update(Text(f"needed before queued or active: {words}" if missing else ""))
        self.query_one("#incident-missing").display = bool(missing)

    # --- saving -------------------------------------------------------------------------------------
    @on(Select.Changed)
    def picked(self, event: Select.Changed) -> None:
        event.stop()
        name = event.select.id
        value = None if event.value is Select.NULL else event.value
        if self.incident is not None and value is not None and value != self.incident.get(name):
            self.save({name: value}, name)

    @on(LocationForm.Committed)
    def location_committed(self, event: LocationForm.Committed) -> None:
        event.stop()
        if self.incident is not None and event.location is not None and event.location != self.incident.get("location"):
            self.save({"location": event.location}, "location")

    @on(Button.Pressed)
    def transition(self, event: Button.Pressed) -> None:
        event.stop()
        target = (event.button.id or "").removeprefix("to-")
        if self.incident_id is None:
            return
        if target == "ended":
            incident_id = self.incident_id
            self.post_message(self.AskFirst(f"Close incident #{short_id(incident_id)}?",
                                            lambda: self.run_command("incident.close", {"incident_id": incident_id})))  # fmt: skip
        else:
            self.run_command("incident.set_state", {"incident_id": self.incident_id, "state": target})

    @work(group="incident-form")
    async def run_command(self, name: str, args: dict[str, Any]) -> None:
        await self.send(name, args)
