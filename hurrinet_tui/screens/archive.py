"""The archive (`A` on the board, `arc [WORDS]`): read-only. A search line, the incidents (and
calls archived on their own) it finds, and the chosen incident read whole: its fields, units
with every timestamp, calls, needs and the whole log (docs/archive.md).

The search line takes words and, among them, `type:CODE`, `district:CODE`, `from:DATE` and
`to:DATE` (ISO dates or times, UTC unless a zone is given). The server answers at most 100
at a time, so Textual's DataTable is enough here (the board's VirtualGrid is for thousands).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static

from ..command_line import short_id
from ..format import location_summary, log_words, parse_time, staffing
from ..format import refusal as format_refusal
from ..link import CommandFailed
from .supervisor import zone_named

FILTERS = {"type": "incident_type", "district": "district", "from": "from", "to": "to"}
UNIT_STAMPS = (("unit_assigned_at", "assigned"), ("unit_dispatched", "dispatched"), ("unit_en_route", "en route"),
               ("unit_on_scene", "on scene"), ("unit_available", "available"),
               ("unit_back_at_station", "at station"), ("unit_unassigned_at", "unassigned"))  # fmt: skip


class SearchError(ValueError):
    pass


def search_args(line: str) -> dict[str, Any]:
    """`roof type:STRFIRE from:2026-09-01` → archive.search's arguments."""
    args: dict[str, Any] = {}
    words = []
    for word in line.split():
        key, colon, value = word.partition(":")
        if colon and key.lower() in FILTERS and value:
            name = FILTERS[key.lower()]
            if name in ("from", "to"):
                try:
                    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    raise SearchError(f"{key}:{value} is not a date such as 2026-09-01 or 2026-09-01T06:00") from None
                value = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat().replace("+00:00", "Z")
            else:
                value = value.upper()  # types and districts are codes in capitals
            args[name] = value
        else:
            words.append(word)
    if words:
        args["text"] = " ".join(words)
    return args


def heading(name: str) -> Text:
    """A section's name underlined, and only the name: what is appended after it is plain."""
    return Text.assemble((name, "bold underline"), "\n")


class ArchiveScreen(Screen):
    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("ctrl+r", "retry", "Retry now"),
        Binding("down", "to_results", show=False),  # from the search line (the results take ↓ themselves)
    ]
    HINTS = "Enter search · ↓ results · Enter read one · Tab its record (↑↓ scroll) · Esc close"

    def __init__(self, app_state, text: str = "", **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = app_state
        self.search = Input(text, placeholder="search the archive: words, type:CODE, district:CODE, from:DATE, to:DATE",
                            id="archive-search")  # fmt: skip
        self.results: DataTable = DataTable(id="archive-results", cursor_type="row", zebra_stripes=True)
        self.record = Static(id="archive-record")
        self.message_line = Static(id="message")
        self.found: dict[str, dict[str, Any]] = {}  # row key → the incident or call found
        self.shown: dict[str, Any] | None = None  # the archived incident read whole (archive.get)

    @property
    def link(self):
        return self.state.link

    @property
    def zone(self):
        return zone_named(self.link.replica.deployment.get("timezone"))

    def compose(self) -> ComposeResult:
        yield Static(Text("Archive · ended incidents moved out of the live board (read only)", style="bold"),
                     id="archive-title")  # fmt: skip
        yield self.search
        yield self.results
        with VerticalScroll(id="archive-body"):
            yield self.record
        yield self.message_line
        yield Static(Text(self.HINTS), classes="hints")

    def on_mount(self) -> None:
        for key, label in (("ended", "Ended"), ("id", "Id"), ("type", "Type"), ("pr", "Pr"),
                           ("where", "Location"), ("what", "Description")):  # fmt: skip
            self.results.add_column(label, key=key)
        self.search.focus()
        self.run_search()

    def say(self, text: str, error: bool = False, ok: bool = False) -> None:
        self.message_line.update(Text(text))
        self.message_line.set_class(error, "-error")
        self.message_line.set_class(ok, "-ok")

    @property
    def message_text(self) -> str:
        return str(self.message_line.render())

    def when(self, text: str | None) -> str:
        moment = parse_time(text)
        return moment.astimezone(self.zone).strftime("%d %b %H:%M") if moment else ""

    # --- searching ----------------------------------------------------------------------------------
    @on(Input.Submitted, "#archive-search")
    def submitted(self) -> None:
        self.run_search()

    @work(exclusive=True, group="archive-search")
    async def run_search(self) -> None:
        try:
            args = search_args(self.search.value)
        except SearchError as error:
            self.say(str(error), error=True)
            return
        self.say("searching the archive…")
        try:
            value = await self.link.command("archive.search", args)
        except CommandFailed as error:
            self.say(f"✗ archive: {format_refusal(error.message, error.code)}", error=True)
            return
        self.show_results(value)

    def show_results(self, value: dict[str, Any]) -> None:
        self.results.clear()
        self.found = {}
        for incident in value["incidents"]:
            self.found[incident["id"]] = incident
            self.results.add_row(self.when(incident.get("incident_ended")), f"#{short_id(incident['id'])}",
                                 incident.get("incident_type") or "", incident.get("incident_priority") or "",
                                 location_summary(incident.get("location")), incident.get("description") or "",
                                 key=incident["id"])  # fmt: skip
        for call in value["calls"]:
            self.found[call["id"]] = call | {"_call": True}
            self.results.add_row(self.when(call.get("call_ended")), f"call {short_id(call['id'])}", "call", "",
                                 location_summary(call.get("location")),
                                 f"{call.get('caller_name') or 'unknown caller'}: {call.get('description') or ''}",
                                 key=call["id"])  # fmt: skip
        count = len(value["incidents"])
        more = " (more: narrow the search)" if value["more"] else ""
        calls = f" and {len(value['calls'])} call(s) on their own" if value["calls"] else ""
        self.say(f"{count} archived incident(s){calls}{more}" if count or calls else "nothing in the archive matches",
                 ok=bool(count or calls))  # fmt: skip

    # --- reading one ------------------------------------------------------------------------------
    @on(DataTable.RowSelected, "#archive-results")
    def row_chosen(self, message: DataTable.RowSelected) -> None:
        key = message.row_key.value
        item = self.found.get(key or "")
        if item is None:
            return
        if item.get("_call"):
            self.shown = None
            self.record.update(self.call_text(item))
            return
        self.read(item["id"])

    @work(exclusive=True, group="archive-get")
    async def read(self, incident_id: str) -> None:
        try:
            value = await self.link.command("archive.get", {"incident_id": incident_id})
        except CommandFailed as error:
            self.say(f"✗ #{short_id(incident_id)}: {format_refusal(error.message, error.code)}", error=True)
            return
        self.shown = value
        self.record.update(self.record_text(value))
        self.say(f"#{short_id(incident_id)} archived {self.when(value['archived_at'])}", ok=True)

    def record_text(self, value: dict[str, Any]) -> Group:
        incident = value["incident"]
        head = Text.assemble((f"#{short_id(incident['id'])} ", "bold"), incident.get("incident_type") or "no type",
                             f" · priority {incident.get('incident_priority') or '–'} · {incident['state']}",
                             f" · desk {incident.get('desk') or '–'}\n",
                             f"{location_summary(incident.get('location')) or 'no location'}\n",
                             f"created {self.when(incident['incident_created'])} · ended "
                             f"{self.when(incident.get('incident_ended'))}\n",
                             incident.get("description") or "")  # fmt: skip
        units = Table(box=None, padding=(0, 1), header_style="bold")
        units.add_column("unit")
        units.add_column("staff")
        for _, label in UNIT_STAMPS:
            units.add_column(label)
        for u in incident.get("units", []):
            units.add_row(u["callsign"], staffing(u.get("unit_staffing")),
                          *(self.when(u.get(stamp))[-5:] for stamp, _ in UNIT_STAMPS))  # fmt: skip
        calls = heading("Calls")
        if not value["calls"]:
            calls.append("none\n")
        for call in value["calls"]:
            calls.append(self.call_text(call))
            calls.append("\n")
        needs = heading("Needs")
        if not incident.get("needs"):
            needs.append("none\n")
        for need in incident.get("needs", []):
            needs.append(f"{need['resource_type'].lower()} {need['quantity']}, "
                         f"{len(need['allocations'])} allocation(s)\n")  # fmt: skip
        log = heading("Log")
        for entry in value["log_entries"]:
            who = f" ({entry['dispatcher_name']})" if entry.get("dispatcher_name") else ""
            log.append(f"{self.when(entry['log_timestamp'])}{who} {log_words(entry)}\n")
        if not incident.get("units"):
            return Group(head, Text(""), Text.assemble(("Units", "bold underline"), "\nnone\n"), calls, needs, log)
        return Group(head, Text(""), Text("Units", style="bold underline"), units, Text(""), calls, needs, log)

    def call_text(self, call: dict[str, Any]) -> Text:
        outcome = (call.get("outcome") or "no outcome").replace("_", " ")
        return Text(f"call {short_id(call['id'])} · {call.get('caller_name') or 'unknown caller'} "
                    f"{call.get('caller_phone') or ''} · {self.when(call['call_started'])}–{self.when(call.get('call_ended'))}"
                    f" · {outcome} · {call.get('description') or ''}")  # fmt: skip

    def action_to_results(self) -> None:
        if self.results.row_count:
            self.results.focus()

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_retry(self) -> None:
        self.link.retry_now()
        self.say("retrying the connection now")
