"""One incident in full: its units with every timestamp, its calls, its log."""

from __future__ import annotations

from datetime import tzinfo

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static, TabbedContent, TabPane

from ..command_line import short_id
from ..format import (
    INCIDENT_STATE_LABEL,
    TIMESTAMP_LABEL,
    TIMESTAMP_SHORT,
    clock,
    location_summary,
    log_words,
    staffing,
    state_words,
    who,
)
from ..link import ServerLink
from ..replica import Entity, Replica, Update
from .incident_board import open_units, priority_mark
from .incident_form import IncidentForm


def is_open(record: Entity) -> bool:
    return "unit_unassigned_at" not in record


class IncidentDetail(Vertical):
    """Shows the incident set by `show`; repaints when told the incident changed."""

    def __init__(self, replica: Replica, zone: tzinfo, link: ServerLink | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.replica = replica
        self.zone = zone
        self.link = link  # with a link, the incident's own fields can be edited (the Incident tab)
        self.incident_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="detail-summary")
        with TabbedContent(id="detail-tabs"):
            with TabPane("Units", id="tab-units"):
                yield Static(id="detail-units")
            if self.link is not None:
                with TabPane("Incident", id="tab-incident"):
                    yield IncidentForm(self.link, id="incident-form")
            with TabPane("Calls", id="tab-calls"):
                yield Static(id="detail-calls")
            with TabPane("Log", id="tab-log"):
                yield Static(id="detail-log")

    def on_resize(self) -> None:
        self.refresh_content()

    def concerns(self, update: Update) -> bool:
        """Whether the update changed what this detail shows (its incident or its calls)."""
        if update.full or self.incident_id in update.incidents:
            return True
        incident = self.replica.incidents.get(self.incident_id) if self.incident_id else None
        return bool(incident and update.calls.intersection(incident["call_ids"]))

    def show(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        self.refresh_content()
        incident = self.replica.incidents.get(incident_id) if incident_id else None
        if incident is not None and incident["state"] == "ended" and not self.replica.log_of(incident_id):
            self.run_worker(self._fetch_log(incident_id), exclusive=True, group="incident-log")

    async def _fetch_log(self, incident_id: str) -> None:
        """An ended incident's log is not in the snapshot (protocol 2): ask for it when read."""
        if self.link is None:
            return
        try:
            value = await self.link.command("incident.log", {"incident_id": incident_id})
        except Exception:  # offline or refused: the log stays empty, the rest still shows
            return
        self.replica.set_log(incident_id, value["entries"])
        if self.incident_id == incident_id:
            self.refresh_content()

    def refresh_content(self) -> None:
        for form in self.query(IncidentForm):
            if form.incident_id != self.incident_id:
                form.show(self.incident_id)  # another incident: every field from the server
            else:
                form.refresh_content()
        incident = self.replica.incidents.get(self.incident_id) if self.incident_id else None
        summary = self.query_one("#detail-summary", Static)
        if incident is None:
            summary.update(Text("No incident selected — pick one on the board", style="italic"))
            for part in ("units", "calls", "log"):
                self.query_one(f"#detail-{part}", Static).update("")
            return
        summary.update(self.summary(incident))
        self.query_one("#detail-units", Static).update(self.units_table(incident))
        self.query_one("#detail-calls", Static).update(self.calls_table(incident))
        self.query_one("#detail-log", Static).update(self.log_table(incident))

    # --- parts ----------------------------------------------------------------------------------
    def summary(self, incident: Entity) -> Text:
        text = Text()
        text.append(f"#{short_id(incident['id'])}  ", style="bold")
        text.append(f"{priority_mark(incident.get('incident_priority')).strip()} ", style="bold")
        text.append(f"{incident.get('incident_type') or 'no type'} ")
        text.append(f"[{INCIDENT_STATE_LABEL[incident['state']]}] ", style="bold")
        text.append(location_summary(incident.get("location")) or "(no location)")
        if incident.get("desk"):
            text.append(f"  desk {incident['desk'].replace('_', ' ')}")
        text.append(f"  units {open_units(incident)}")
        if incident.get("description"):
            text.append(f"\n{incident['description']}", style="italic")
        return text

    def units_table(self, incident: Entity) -> Table | Text:
        if not incident["units"]:
            return Text("No units assigned yet — `as UNIT` on the command line", style="italic")
        table = Table(box=None, expand=True, header_style="bold", pad_edge=False)
        table.add_column("")
        table.add_column("Unit")
        table.add_column("Staff")
        # Below 100 columns nine full columns are cut ("Assign…", "20:26:…"): short, no seconds.
        narrow = 0 < self.size.width < 100
        for label in (TIMESTAMP_SHORT if narrow else TIMESTAMP_LABEL).values():
            table.add_column(label.capitalize(), no_wrap=True)
        # Open assignments first and marked: they are what still needs the dispatcher.
        records = sorted(incident["units"], key=lambda r: (not is_open(r), r["unit_assigned_at"]))
        for record in records:
            live = is_open(record)
            cells = [record["callsign"], staffing(record.get("unit_staffing")),
                     *(clock(record.get(field), self.zone, not narrow) or "–" for field in TIMESTAMP_LABEL)]  # fmt: skip
            table.add_row("●" if live else "○", *map(Text, cells), style="bold" if live else "dim")
        return table

    def calls_table(self, incident: Entity) -> Table | Text:
        calls = [self.replica.calls[c] for c in incident["call_ids"] if c in self.replica.calls]
        if not calls:
            return Text("No calls linked", style="italic")
        table = Table(box=None, expand=True, header_style="bold", pad_edge=False)
        for name in ("Call", "State", "Started", "Caller", "Phone", "Outcome"):
            table.add_column(name)
        for call in calls:
            cells = [short_id(call["id"]), state_words(call["state"]), clock(call["call_started"], self.zone),
                     call.get("caller_name") or "–", call.get("caller_phone") or "–",
                     (call.get("outcome") or "").replace("_", " ")]  # fmt: skip
            # Text, never markup: a caller's words may hold brackets.
            table.add_row(*map(Text, cells))
        return table

    def log_table(self, incident: Entity) -> Table:
        table = Table(box=None, expand=True, header_style="bold", pad_edge=False, show_header=False)
        table.add_column("Time", no_wrap=True)
        table.add_column("Who", no_wrap=True)
        table.add_column("Entry", ratio=1)
        for entry in reversed(self.replica.log_of(incident["id"])):  # newest first: what just happened is on top
            manual = entry["entry_type"] == "manual"
            cells = [clock(entry["log_timestamp"], self.zone), who(entry), log_words(entry)]
            table.add_row(*map(Text, cells), style="bold" if manual else None)
        return table
