"""Recommended units for one incident, or for every waiting incident during a surge, and the
suggested type, priority and desk beside the incident: each accepted with one key.

Everything here is the server's advice (`recommend.units`, `classify`); nothing changes until
the dispatcher accepts, and acceptance is the ordinary `unit.assign` (one per incident) or
`incident.update` (only the fields that differ).
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..advice import assignments, describe_changes, desk_label, suggested_changes, unit_key
from ..format import INCIDENT_STATE_LABEL, location_summary
from ..link import CommandFailed
from ..replica import Entity, Update
from ..widgets.grid import VirtualGrid
from ..widgets.recommendation_grid import RecommendationGrid
from .advisory import AdvisoryScreen, ref, refusal

WAITING = ("new", "queued", "active")  # the incident states the server recommends units for
SHOWN_LINES = 4  # unserved and left-out lines shown below the table; more are counted


class RecommendationsScreen(AdvisoryScreen):
    BINDINGS = [
        Binding("A", "accept_all", "Accept all"),
        Binding("t", "apply_suggestion", "Apply suggestion"),
    ]
    HINTS = "Space mark  Enter accept  A accept all  t apply suggestion  r refresh  Esc close"

    def __init__(self, app_state, incident_id: str | None = None, **kwargs) -> None:
        super().__init__(app_state, incident_id, **kwargs)
        self.grid = RecommendationGrid(self.replica, all_waiting=incident_id is None, id="recommendations")
        self.title_line, self.strip = Static(id="rec-title"), Static(id="suggestion")
        self.why, self.unserved_lines = Static(id="why"), Static(id="unserved")
        self.unserved: list[Entity] = []
        self.excluded: list[Entity] = []
        self.subject: str | None = incident_id  # the incident the suggestion strip is about
        self.suggestion: Entity | None = None
        self.suggestion_error: str | None = None

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.strip
        yield self.grid
        yield self.why
        yield self.unserved_lines
        yield from self.footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.show_title()
        self.show_suggestion()
        self.grid.focus()
        self.requery()

    # --- the replica changed ----------------------------------------------------------------------
    def apply(self, update: Update) -> None:
        # Pushed screens hear every update, even one that arrives before they are composed.
        if not self.is_mounted or not (update.full or update.units or update.incidents):
            return
        if self.grid.recheck():
            self.show_why()
        self.show_title()
        self.show_suggestion()
        self.schedule_requery()

    # --- asking the server ------------------------------------------------------------------------
    @work(exclusive=True, group="recommend-query")
    async def requery(self, announce: bool = False) -> None:
        if not self.queried():
            return
        args = {"incident_id": self.incident_id} if self.incident_id else {}
        try:
            value = await self.link.command("recommend.units", args)
        except CommandFailed as error:
            self.say(f"✗ recommendations: {refusal(error)}", error=True)
            return
        self.unserved, self.excluded = value["unserved"], value.get("excluded_units", [])
        self.grid.show(value["recommendations"])
        self.show_title()
        self.show_unserved()
        self.show_why()
        if announce:
            self.say(f"✓ asked again: {self.summary()}", ok=True)
        if self.subject is not None:
            await self.classify(self.subject)

    async def classify(self, incident_id: str) -> None:
        try:
            suggestion, error = await self.link.command("classify", {"incident_id": incident_id}), None
        except CommandFailed as failed:
            suggestion, error = None, refusal(failed)
        if incident_id == self.subject:  # the cursor may have moved on while the server answered
            self.suggestion, self.suggestion_error = suggestion, error
            self.show_suggestion()

    @work(exclusive=True, group="classify")
    async def follow_subject(self, incident_id: str) -> None:
        await self.classify(incident_id)

    @on(VirtualGrid.Highlighted, "#recommendations")
    def row_highlighted(self) -> None:
        self.show_why()
        row = self.grid.current()
        if self.incident_id is None and row is not None and row["incident_id"] != self.subject:
            # In the all-waiting view the suggestion follows the incident under the cursor.
            self.subject, self.suggestion, self.suggestion_error = row["incident_id"], None, None
            self.show_suggestion()
            if self.link.status.connected:
                self.follow_subject(row["incident_id"])

    # --- what the screen shows --------------------------------------------------------------------
    def show_title(self) -> None:
        title = self.title_line
        if self.incident_id is None:
            title.update(Text.assemble(("All waiting incidents", "bold"), f" — {self.summary()}"))
            return
        incident = self.replica.incidents.get(self.incident_id)
        if incident is None:
            title.update(Text(f"Units for {ref(self.incident_id)} — the incident is no longer on the board"))
            return
        parts = [
            incident.get("incident_type") or "no type",
            incident.get("incident_priority") or "no priority",
            desk_label(incident.get("desk")) or "no desk",
            INCIDENT_STATE_LABEL[incident["state"]],
            location_summary(incident.get("location")) or "no location",
        ]
        title.update(Text.assemble(("Units for ", "bold"), (ref(self.incident_id), "bold"), "  " + " · ".join(parts)))

    def summary(self) -> str:
        units = plural(len(self.grid.rows), "unit")
        if self.incident_id is not None:
            return f"{units} recommended"
        return f"{units} recommended for {plural(len({r['incident_id'] for r in self.grid.rows.values()}), 'incident')}"

    def show_suggestion(self) -> None:
        strip = self.strip
        incident = self.replica.incidents.get(self.subject) if self.subject else None
        if incident is None:
            strip.update("")
            return
        if self.suggestion_error:
            strip.update(Text(f"No suggestion for {ref(self.subject)}: {self.suggestion_error}", style="italic"))
            return
        if self.suggestion is None:
            strip.update(Text(f"Suggestion for {ref(self.subject)}: asking…", style="italic"))
            return
        strip.update(suggestion_text(self.subject, incident, self.suggestion, self.replica.incident_types))

    def show_why(self) -> None:
        row = self.grid.current()
        why = self.why
        if row is None:
            why.update("")
            return
        stale = self.grid.stale.get(self.grid.cursor_key or "")
        head = f"{ref(row['incident_id'])}: " if self.incident_id is None else ""
        if stale:
            why.update(Text(f"{head}{row['unit']} no longer fits: {stale} — r asks again", style="italic"))
        else:
            why.update(Text(head + row["reason"]))

    def show_unserved(self) -> None:
        lines = [self._unserved_line(u) for u in self.unserved]
        if self.incident_id is None:
            lines.extend(f"{ref(i['id'])} — no type yet, so no response plan to recommend for"
                         for i in self.replica.incidents.values()
                         if i["state"] in WAITING and not i.get("incident_type"))  # fmt: skip
        lines.extend(f"Left out: {e['unit']} ({e['kind'].replace('_', ' ')}) — {e['reason']}" for e in self.excluded)
        shown = lines[:SHOWN_LINES]
        if len(lines) > SHOWN_LINES:
            shown[-1] = f"… and {len(lines) - SHOWN_LINES + 1} more unserved or left out"
        self.unserved_lines.update(Text("\n".join(shown)))

    def _unserved_line(self, unserved: Entity) -> str:
        head = f"{ref(unserved['incident_id'])} " if self.incident_id is None else ""
        kind = unserved.get("kind")
        what = f"{kind.replace('_', ' ')} ×{unserved.get('missing', 1)} unserved" if kind else "unserved"
        return f"{head}{what} — {unserved['reason']}"

    # --- accepting ----------------------------------------------------------------------------------
    @on(VirtualGrid.Selected, "#recommendations")
    def accept_chosen(self) -> None:
        """Enter: the marked rows, or the highlighted one when none is marked."""
        self.accept(self.grid.chosen())

    def action_accept_all(self) -> None:
        self.accept([self.grid.rows[k] for k in self.grid.keys])

    def accept(self, rows: list[Entity]) -> None:
        if not rows:
            self.say("nothing to accept: no recommendation here (r asks again)", error=True)
            return
        fresh = [r for r in rows if unit_key(r) not in self.grid.stale]
        skipped = [r["unit"] for r in rows if unit_key(r) in self.grid.stale]
        if not fresh:
            self.say(f"nothing to accept: {', '.join(skipped)} no longer fit (r asks again)", error=True)
            return
        if self.may_change():
            self.send_assignments(fresh, skipped)

    @work(group="commands")
    async def send_assignments(self, rows: list[Entity], skipped: list[str]) -> None:
        done, failed = [], []
        for incident_id, callsigns in assignments(rows):
            try:
                await self.link.command("unit.assign", {"incident_id": incident_id, "units": callsigns})
            except CommandFailed as error:
                failed.append(f"✗ {' '.join(callsigns)} → {ref(incident_id)}: {refusal(error)}")
                continue
            done.append(f"{' '.join(callsigns)} → {ref(incident_id)}")
            self.grid.marked -= {unit_key(r) for r in rows if r["incident_id"] == incident_id}
        parts = failed + ([f"✓ assigned {'; '.join(done)}"] if done else [])
        if skipped:
            parts.append(f"skipped {', '.join(skipped)} (no longer fit)")
        self.say("  ".join(parts), error=bool(failed), ok=not failed)

    # --- the suggestion -------------------------------------------------------------------------------
    def action_apply_suggestion(self) -> None:
        incident = self.replica.incidents.get(self.subject) if self.subject else None
        if incident is None or self.suggestion is None:
            why = self.suggestion_error or "none yet"
            self.say(f"no suggestion to apply ({why})" if incident else "no incident selected", error=True)
            return
        changes = suggested_changes(incident, self.suggestion)
        if not changes:
            self.say(f"{ref(incident['id'])} already has the suggested type, priority and desk", ok=True)
            return
        if self.may_change():
            self.send_update(incident["id"], changes)

    @work(group="commands")
    async def send_update(self, incident_id: str, changes: dict[str, str]) -> None:
        try:
            await self.link.command("incident.update", {"incident_id": incident_id, **changes})
        except CommandFailed as error:
            self.say(f"✗ {ref(incident_id)}: {refusal(error)}", error=True)
            return
        self.say(f"✓ {ref(incident_id)}: applied {describe_changes(changes)}", ok=True)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def suggestion_text(incident_id: str, incident: Entity, suggestion: Entity, types: dict[str, Entity]) -> Text:
    """The strip: what `classify` suggests, what applying it would change, and why."""
    code = suggestion.get("incident_type")
    what = []
    if code:
        description = types.get(code, {}).get("description")
        what.append(f"type {code}" + (f" ({description})" if description else ""))
    if suggestion.get("incident_priority"):
        what.append(f"priority {suggestion['incident_priority']}")
    if suggestion.get("desk"):
        what.append(f"desk {desk_label(suggestion['desk'])}")
    changes = suggested_changes(incident, suggestion)
    # The incident is named: in the all-waiting view the strip follows the cursor from one to the next.
    text = Text.assemble((f"Suggested for {ref(incident_id)}: ", "bold"), (" · ".join(what) or "nothing", "bold"))
    if changes:
        text.append(f"  — t applies {describe_changes(changes)}", style="italic")
    elif what:
        text.append("  — as the incident has it", style="italic")
    reasons = " · ".join(r["text"] for r in suggestion.get("reasons", []))
    if reasons:
        text.append(f"\nWhy: {reasons}")
    return text
