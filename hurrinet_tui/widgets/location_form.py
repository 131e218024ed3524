"""Where it is: one flat form whose variant follows from what is filled.

A call taker types what the caller says; the badge names the variant that makes (a number makes
an address, a cross street an intersection, "approx." a relative location, else a named place),
and place names are suggested from the deployment's gazetteer as they are typed (↓ picks one).
The rules live in `location_entry` and `coordinates`; this widget only shows them.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from ..coordinates import CoordinateError, CoordinateStyle, check_service_area, next_style
from ..location_entry import (
    LocationDraft,
    LocationProblems,
    apply_suggestion,
    badge,
    coordinates_of,
    from_wire,
    show_coordinates,
    suggestions,
    to_wire,
)
from ..replica import Replica

# Draft field → the input that holds it.
INPUTS = {"street_or_place": "loc-name", "number": "loc-number", "cross_street": "loc-cross",
          "district": "loc-district", "details": "loc-details", "coordinates": "loc-coordinates"}  # fmt: skip
SUGGESTIONS = 6


class LocationForm(Vertical):
    BINDINGS = [Binding("ctrl+g", "next_format", "Coordinates format", show=False)]

    class Committed(Message):
        """The call taker finished the location: `location` is its wire shape (None: cleared)."""

        def __init__(self, form: LocationForm, location: dict[str, Any] | None) -> None:
            super().__init__()
            self.form = form
            self.location = location

        @property
        def control(self) -> LocationForm:
            return self.form

    def __init__(self, replica: Replica, **kwargs) -> None:
        super().__init__(**kwargs)
        self.replica = replica
        self.style = CoordinateStyle.DD
        # The value behind the coordinates text while the text shows it (see LocationDraft).
        self.kept_coordinates = None
        self.matches: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Label("Where", classes="form-label")
            yield Static(id="variant-badge")
            yield Input(id="loc-name", placeholder="street, place, or first road", compact=True)
            yield Label("No.", classes="form-label-short")
            yield Input(id="loc-number", placeholder="#", compact=True)
            yield Label("×", classes="form-label-short")
            yield Input(id="loc-cross", placeholder="cross street", compact=True)
        yield OptionList(id="loc-suggestions")
        with Horizontal(classes="form-row"):
            yield Label("", classes="form-label")
            yield Checkbox("approx.", id="loc-approximate", compact=True)
            yield Label("District", classes="form-label-short")
            yield Input(id="loc-district", placeholder="code", compact=True)
            yield Label("Details", classes="form-label-short")
            yield Input(id="loc-details", placeholder="floor, landmark, how to find it", compact=True)
        with Horizontal(classes="form-row"):
            yield Label("", classes="form-label")
            yield Label("Coords", classes="form-label-short")
            yield Input(id="loc-coordinates", placeholder="14.0101, -60.9875 · 14°0.606'N 60°59.25'W · DMS", compact=True)
            yield Static(id="coordinates-format")
        yield Static(id="location-error", classes="field-error")

    def on_mount(self) -> None:
        self.query_one("#loc-suggestions").display = False
        self.show_badge()

    # --- reading and filling the fields ------------------------------------------------------------
    def draft(self) -> LocationDraft:
        values = {name: self.query_one(f"#{widget}", Input).value for name, widget in INPUTS.items()}
        return LocationDraft(approximate=self.query_one("#loc-approximate", Checkbox).value,
                             coordinates_value=self.kept_coordinates, **values)  # fmt: skip

    def fill(self, draft: LocationDraft) -> None:
        for name, widget in INPUTS.items():
            field = self.query_one(f"#{widget}", Input)
            with field.prevent(Input.Changed):
                field.value = getattr(draft, name) or ""
        box = self.query_one("#loc-approximate", Checkbox)
        with box.prevent(Checkbox.Changed):
            box.value = draft.approximate
        self.kept_coordinates = draft.coordinates_value
        self.show_badge()

    def load(self, location: dict[str, Any] | None) -> None:
        """Show a location as the server has it (None: an empty form)."""
        self.fill(from_wire(location, self.style) if location else LocationDraft())

    # --- live feedback while typing ----------------------------------------------------------------
    @on(Input.Changed)
    @on(Checkbox.Changed)
    def changed(self, event: Input.Changed | Checkbox.Changed) -> None:
        event.stop()
        self.show_badge()
        if isinstance(event, Input.Changed) and event.input.id == "loc-name":
            self.suggest(event.value)

    def show_badge(self) -> None:
        draft = self.draft()
        self.query_one("#variant-badge", Static).update(Text(f" {badge(draft)} ", style="bold reverse"))
        both = bool(draft.number.strip() and draft.cross_street.strip())
        for widget in ("loc-number", "loc-cross"):
            self.query_one(f"#{widget}", Input).set_class(both, "-invalid")
        details_needed = draft.approximate and not draft.details.strip()
        self.query_one("#loc-details", Input).set_class(details_needed, "-missing")
        hint = ("a number and a cross street cannot both be given: one is an address, the other an intersection"
                if both else "an approximate location needs details (how far, which way, from where)"
                if details_needed else self.coordinates_hint(draft))  # fmt: skip
        self.show_problem(hint)
        self.query_one("#coordinates-format", Static).update(Text(f" {self.style.name} · ^G ", style="dim"))

    def coordinates_hint(self, draft: LocationDraft) -> str | None:
        try:
            point = coordinates_of(draft)
        except CoordinateError as error:
            return f"coordinates: {error}"
        return check_service_area(point, self.replica.deployment.get("service_area")) if point else None

    def suggest(self, text: str) -> None:
        box = self.query_one("#loc-suggestions", OptionList)
        self.matches = suggestions(text, self.replica.gazetteer, SUGGESTIONS) if len(text.strip()) >= 2 else []
        box.clear_options()
        box.add_options(Option(Text(f"{m['name']}" + (f" × {m['road_b']}" if m.get("road_b") else "")
                                    + f"  ({m['district']})")) for m in self.matches)  # fmt: skip
        box.display = bool(self.matches)

    def key_down(self, event) -> None:
        """↓ from the name field moves into the suggestions."""
        box = self.query_one("#loc-suggestions", OptionList)
        if self.query_one("#loc-name", Input).has_focus and box.display:
            event.stop()
            box.focus()
            box.highlighted = 0

    @on(OptionList.OptionSelected, "#loc-suggestions")
    def suggestion_picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        entry = self.matches[event.option_index]
        self.fill(apply_suggestion(self.draft(), entry, self.style))
        self.query_one("#loc-suggestions").display = False
        self.query_one("#loc-details", Input).focus()
        self.commit()

    def key_escape(self, event) -> None:
        box = self.query_one("#loc-suggestions", OptionList)
        if box.display:
            event.stop()
            box.display = False
            self.query_one("#loc-name", Input).focus()

    # --- coordinates display ---------------------------------------------------------------------
    def action_next_format(self) -> None:
        self.style = next_style(self.style)
        try:
            self.fill(show_coordinates(self.draft(), self.style))
        except CoordinateError:
            self.show_badge()  # what was typed stays; the hint under the form says what is wrong

    # --- committing ------------------------------------------------------------------------------
    @on(Input.Submitted)
    def submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.commit()

    @on(Input.Blurred)
    def blurred(self, event: Input.Blurred) -> None:
        event.stop()
        # Focus moving between the location's own fields is not leaving the location.
        self.call_after_refresh(self._left_if_gone)

    def _left_if_gone(self) -> None:
        if not self.has_focus_within and not self.disabled:
            self.commit()

    def commit(self) -> None:
        draft = self.draft()
        if draft.is_blank:
            self.post_message(self.Committed(self, None))
            return
        try:
            location = to_wire(draft, self.replica.districts, self.replica.deployment.get("service_area"))
        except LocationProblems as problems:
            self.show_problems(problems.problems)
            return
        self.clear_problems()
        self.post_message(self.Committed(self, location))

    def show_problems(self, problems: dict[str, str]) -> None:
        for name, widget in INPUTS.items():
            self.query_one(f"#{widget}", Input).set_class(name in problems, "-invalid")
        self.query_one("#loc-approximate").set_class("approximate" in problems, "-invalid")
        self.show_problem("; ".join(f"{name.replace('_', ' ')}: {message}" for name, message in problems.items()))

    def show_problem(self, message: str | None) -> None:
        error = self.query_one("#location-error", Static)
        error.update(Text(message or ""))
        error.display = bool(message)

    def clear_problems(self) -> None:
        for widget in INPUTS.values():
            self.query_one(f"#{widget}", Input).remove_class("-invalid")
        self.show_badge()
