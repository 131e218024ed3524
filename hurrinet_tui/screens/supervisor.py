"""The supervisor's picture: are we keeping up, and what is going wrong right now?

The figures are the server's (`stats`: response stages against the deployment's targets,
waiting incidents over the storm, unit-hour utilisation, resource occupancy), asked when the
screen opens, every REFRESH_S and on `r`. The overdue flags are the workstation's own, derived
from the replica each second like the board's and roster's. Plots are Textual's Sparklines:
bar heights read in monochrome as well as in colour, and every plot carries its numbers in words.
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Sparkline, Static

from ..format import parse_time
from ..link import CommandFailed
from ..messages import ReplicaChanged
from ..overdue import all_flags
from ..replica import Update
from .advisory import AdvisoryScreen, refusal

REFRESH_S = 30.0  # the figures move slowly; the overdue count moves every second
STAGES = (
    ("call_processing", "Call processing", "call → incident"),
    ("alarm_processing", "Alarm processing", "incident → 1st dispatch"),
    ("turnout", "Turnout", "dispatched → en route"),
    ("travel", "Travel", "en route → on scene"),
    ("total_response", "Total response", "call → 1st on scene"),
)
DIMENSIONS = (("priority", "priority"), ("district", "district"), ("incident_type", "type"), ("hour", "hour"))
PRIORITIES = ("A", "B", "C", "D", "N", "(none)")
BREAKDOWN_STAGES = (("alarm_processing", "alarm"), ("turnout", "turnout"), ("travel", "travel"),
                    ("total_response", "response"))  # fmt: skip


def zone_named(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name) if name else UTC
    except ZoneInfoNotFoundError:
        return UTC


def duration(seconds: float | None) -> str:
    """m:ss (h:mm:ss past an hour); – for a figure nobody measured."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    if whole >= 3600:
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{whole // 60}:{whole % 60:02d}"


def target_text(targets: dict[str, Any], stage: str) -> str:
    limit = targets.get(f"{stage}_s")
    text = "–" if limit is None else duration(limit)
    if stage == "turnout":
        kinds = targets.get("turnout_s_by_kind") or {}
        text += "".join(f" {kind[:3]} {duration(s)}" for kind, s in kinds.items())
    return text


def within_text(item: dict[str, Any], share: float) -> Text:
    """Share within target and whether it is met, in words as well as style."""
    if "within_share" not in item:
        return Text("no target", style="dim")
    percent = f"{item['within_share'] * 100:.0f}%"
    if item["target_met"]:
        return Text(f"{percent} ✓ met", style="bold")
    return Text(f"{percent} ✗ under {share * 100:.0f}%", style="bold reverse")


def figures_table(figures: dict[str, Any]) -> Table:
    targets = figures["targets"]
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold underline")
    table.add_column("Stage", no_wrap=True, ratio=3)
    table.add_column("n", justify="right", no_wrap=True)
    table.add_column("median", justify="right", no_wrap=True)
    table.add_column("90th", justify="right", no_wrap=True)
    table.add_column("target", no_wrap=True, overflow="ellipsis", ratio=2)
    table.add_column("within", no_wrap=True)
    for key, name, _ in STAGES:
        item = figures["stages"][key]
        table.add_row(name, str(item["count"]), duration(item.get("median_s")), duration(item.get("p90_s")),
                      target_text(targets, key), within_text(item, targets["share"]))  # fmt: skip
    return table


def breakdown_table(figures: dict[str, Any], dimension: str, label: str) -> Table:
    """Median / 90th of the later stages for each group of one dimension."""
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold underline")
    table.add_column(label.capitalize(), no_wrap=True, overflow="ellipsis", ratio=1)
    for _, name in BREAKDOWN_STAGES:
        table.add_column(name, no_wrap=True, justify="right")
    groups = figures["by"].get(dimension, {})
    for group, stages in groups.items():
        cells = []
        for stage, _ in BREAKDOWN_STAGES:
            item = stages.get(stage)
            cells.append("–" if item is None else f"{duration(item['median_s'])} / {duration(item['p90_s'])}")
        table.add_row(group, *cells)
    if not groups:
        table.add_row(Text("no incidents in the window", style="dim"), *[""] * len(BREAKDOWN_STAGES))
    return table


class PlotRow(Horizontal):
    """A label, a sparkline and its numbers in words."""

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.label, self.line, self.words = Static(label, classes="plot-label"), Sparkline([]), Static(classes="plot-words")

    def compose(self) -> ComposeResult:
        yield self.label
        yield self.line
        yield self.words

    def show(self, values: list[float], words: str) -> None:
        self.line.data = values or [0]
        self.words.update(Text(words))


class SupervisorScreen(AdvisoryScreen):
    BINDINGS = [
        Binding("b", "next_breakdown", "Breakdown"),
        Binding("escape,q", "close", "Close"),
    ]
    HINTS = "r refresh  b breakdown: priority, district, type, hour  ↑↓ scroll  Esc close"

    def __init__(self, app_state, **kwargs) -> None:
        super().__init__(app_state, None, **kwargs)
        self.figures: dict[str, Any] | None = None
        self.dimension = 0
        self.title_line, self.overdue_line = Static(id="sup-title"), Static(id="sup-overdue")
        self.table, self.breakdown = Static(id="sup-figures"), Static(id="sup-breakdown")
        self.plots_title, self.dist_title = Static(id="sup-plots-title"), Static(id="sup-dist-title")
        self.waiting, self.utilisation = PlotRow("waiting", id="plot-waiting"), PlotRow("utilised", id="plot-utilisation")
        self.distribution = {p: PlotRow(f"  {p}", classes="plot-priority") for p in PRIORITIES}
        self.occupancy = Static(id="sup-occupancy")

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.overdue_line
        with VerticalScroll(id="sup-body"):
            yield self.table
            yield self.plots_title
            yield self.waiting
            yield self.utilisation
            yield self.dist_title
            yield from self.distribution.values()
            yield self.occupancy
            yield self.breakdown
        yield from self.footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.title_line.update(Text("Supervisor · asking the server for the figures…"))
        for row in self.distribution.values():
            row.display = False
        self.show_overdue()
        self.set_interval(1.0, self.show_overdue)
        self.set_interval(REFRESH_S, self.requery)
        self.query_one("#sup-body").focus()
        self.requery()

    @on(ReplicaChanged)
    def replica_changed(self, message: ReplicaChanged) -> None:
        self.apply(message.update)

    def apply(self, update: Update) -> None:
        """Replica changes move the overdue count at once; the figures wait for their refresh."""
        if self.is_mounted:
            self.show_overdue()

    # --- asking the server ------------------------------------------------------------------------
    @work(exclusive=True, group="stats-query")
    async def requery(self, announce: bool = False) -> None:
        if not self.queried():
            return
        try:
            figures = await self.link.command("stats", {})
        except CommandFailed as error:
            hint = " — the figures are for supervisors and observers" if error.code == "forbidden" else ""
            self.say(f"✗ statistics: {refusal(error)}{hint}", error=True)
            self.title_line.update(Text("Supervisor · no figures (the overdue count below is this workstation's own)"))
            return
        self.figures = figures
        self.show_figures()
        if announce:
            self.say(f"✓ figures as of {self.local(figures['to'])}", ok=True)

    def action_next_breakdown(self) -> None:
        self.dimension = (self.dimension + 1) % len(DIMENSIONS)
        if self.figures is not None:
            self.show_breakdown()

    # --- what the screen shows --------------------------------------------------------------------
    def local(self, text: str | None, fmt: str = "%H:%M") -> str:
        moment = parse_time(text)
        zone = zone_named(self.replica.deployment.get("timezone"))
        return moment.astimezone(zone).strftime(fmt) if moment else "?"

    def show_overdue(self) -> None:
        replica = self.replica
        flags = all_flags(replica.incidents, replica.units, replica.deployment, self.state.now())
        incidents = sum(1 for f in flags if f.entity == "incident")
        units = len(flags) - incidents
        if flags:
            text = Text.assemble(("! ", "bold"), (f"{len(flags)} overdue", "bold reverse"),
                                 f": {incidents} incident(s) waiting too long, {units} unit(s) past their limit")  # fmt: skip
        else:
            text = Text("no overdue flags")
        self.overdue_line.update(text)
        self.overdue_line.set_class(bool(flags), "-flagged")

    def show_figures(self) -> None:
        figures = self.figures
        assert figures is not None
        self.title_line.update(Text.assemble(
            ("Supervisor", "bold"),
            f" · {figures['incidents']} incidents since {self.local(figures['from'], '%d %b %H:%M')}"
            f" · as of {self.local(figures['to'])} · {figures['percentile_method']}",
        ))  # fmt: skip
        self.table.update(figures_table(figures))
        waiting = figures["waiting"]
        counts = waiting["counts"]
        step = waiting["step_s"]
        every = f"{step} s" if step < 60 else f"{step // 60} min" if step < 3600 else f"{step // 3600} h"
        self.plots_title.update(Text(f"Over the storm ({self.local(waiting['at'][0])}–{self.local(waiting['at'][-1])}, "
                                     f"a point each {every})", style="bold"))  # fmt: skip
        self.waiting.show(counts, f"now {counts[-1] if counts else 0}, peak {max(counts, default=0)}")
        use = figures["utilisation"]
        values = [v or 0.0 for v in use["values"]]
        overall = "–" if use["overall"] is None else f"{use['overall'] * 100:.0f}%"
        self.utilisation.show(values, f"{overall} of {use['units']} units, peak {max(values, default=0) * 100:.0f}%")
        dist = figures["distribution"]
        edges = dist["edges_s"]
        self.dist_title.update(Text(f"Total response by priority (bars 0–{edges[-1] // 60} min+)", style="bold"))
        for priority, row in self.distribution.items():
            counts_p = dist["counts"].get(priority)
            row.display = counts_p is not None
            if counts_p is not None:
                item = figures["by"].get("priority", {}).get(priority, {}).get("total_response", {})
                row.show(counts_p, f"n {sum(counts_p)}, 90th {duration(item.get('p90_s'))}")
        if not dist["counts"]:
            self.dist_title.update(Text("Total response by priority: no incident reached the scene yet", style="bold"))
        occupancy = figures["resources"]
        parts = [f"{kind.lower()} {r['in_use']}/{r['capacity']}" + ("" if r["share"] is None else f" ({r['share'] * 100:.0f}%)")
                 for kind, r in occupancy.items()]  # fmt: skip
        self.occupancy.update(Text("Resources in use: " + (", ".join(parts) or "none")))
        self.show_breakdown()

    def show_breakdown(self) -> None:
        assert self.figures is not None
        dimension, label = DIMENSIONS[self.dimension]
        self.breakdown.border_title = f"By {label}: median / 90th (b: next)"
        self.breakdown.update(breakdown_table(self.figures, dimension, label))
