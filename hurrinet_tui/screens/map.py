"""The live map (m from the board): where every incident and unit is, the selected incident and
the units the server recommends for it highlighted, following the replica as events arrive.

Keys: arrows or hjkl pan, + and - zoom, 0 shows the whole service area again, [ and ] walk the
incidents (most urgent first), c centres on the selected one, r asks for recommendations again,
Esc closes. The recommendations are the server's (`recommend.units`), asked again at most once
a second while units move (AdvisoryScreen's pacing); nothing on this screen changes anything.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..format import INCIDENT_STATE_LABEL, location_summary
from ..link import CommandFailed
from ..map_picture import LEGEND, PRIORITY_MARK, Marks, incident_key, incident_point
from ..messages import ReplicaChanged
from ..replica import Update
from ..widgets.map_canvas import Counts, MapCanvas
from .advisory import AdvisoryScreen, ref, refusal

WAITING = ("new", "queued", "active")  # the incident states the server recommends units for
CENTRE_ZOOM = 3  # c: close enough to tell a street's units apart


class MapScreen(AdvisoryScreen):
    BINDINGS = [
        Binding("left,h", "pan(-1, 0)", "Pan west", show=False),
        Binding("right,l", "pan(1, 0)", "Pan east", show=False),
        Binding("up,k", "pan(0, -1)", "Pan north", show=False),
        Binding("down,j", "pan(0, 1)", "Pan south", show=False),
        Binding("plus,equals_sign", "zoom(1)", "Zoom in"),
        Binding("minus", "zoom(-1)", "Zoom out"),
        Binding("0", "reset", "Whole area"),
        Binding("right_square_bracket", "walk(1)", "Next incident"),
        Binding("left_square_bracket", "walk(-1)", "Previous incident"),
        Binding("c", "centre", "Centre on incident"),
    ]
    HINTS = "←↓↑→/hjkl pan  +/- zoom  0 all  [ ] incident  c centre  r refresh  Esc close"

    def __init__(self, app_state, incident_id: str | None = None, **kwargs) -> None:
        super().__init__(app_state, incident_id, **kwargs)
        self.canvas = MapCanvas(self.replica, id="map")
        self.title_line = Static(id="map-title")
        self.legend = Static(Text(LEGEND), id="map-legend")
        self.recommended: tuple[str, ...] = ()
        self.recommended_for: str | None = None
        self.how_far: dict[str, str] = {}  # callsign → "2.3 km 4 min", from the recommendation
        self._title_shown = ""
        self._query_failed = False

    def compose(self) -> ComposeResult:
        yield self.title_line
        yield self.canvas
        yield self.legend
        yield from self.footer()

    def on_mount(self) -> None:
        super().on_mount()
        self.message_line.display = False
        self.canvas.focus()
        self.select(self.incident_id)

    # --- the replica changed ----------------------------------------------------------------------
    @on(ReplicaChanged)
    def replica_changed(self, message: ReplicaChanged) -> None:
        self.apply(message.update)

    def apply(self, update: Update) -> None:
        if not self.is_mounted or not (update.full or update.units or update.incidents):
            return
        if self.incident_id is not None and self.incident_id not in self.replica.incidents:
            self.select(None)  # archived under us
        self.canvas.redraw()
        self.show_title()
        if self.incident_id is not None:
            self.schedule_requery()

    # --- the selected incident and its recommendations ---------------------------------------------
    def select(self, incident_id: str | None) -> None:
        self.incident_id = incident_id
        if incident_id != self.recommended_for:
            self.recommended, self.recommended_for = (), None
        self.canvas.mark(Marks(incident_id, frozenset(self.recommended)))
        self.show_title()
        if incident_id is not None:
            self.requery()

    @work(exclusive=True, group="map-recommend")
    async def requery(self, announce: bool = False) -> None:
        incident_id = self.incident_id
        if incident_id is None:
            if announce:
                self.say("no incident selected: [ and ] select one", error=True)
            return
        if not self.queried():
            return
        incident = self.replica.incidents.get(incident_id)
        if incident is None or incident["state"] not in WAITING:
            self.recommended, self.recommended_for = (), incident_id
            self.canvas.mark(Marks(incident_id, frozenset()))
            self.show_title()
            return
        try:
            value = await self.link.command("recommend.units", {"incident_id": incident_id})
        except CommandFailed as error:
            self.say(f"✗ recommendations: {refusal(error)}", error=True)
            self._query_failed = True
            return
        if self._query_failed and not announce:
            self.say("")  # the failure shown is over
        self._query_failed = False
        if incident_id != self.incident_id:
            return  # the dispatcher moved on while the server answered
        rows = [r for r in value["recommendations"] if r["incident_id"] == incident_id]
        self.recommended, self.recommended_for = tuple(r["unit"] for r in rows), incident_id
        self.how_far = {r["unit"]: distance_and_time(r) for r in rows}
        self.canvas.mark(Marks(incident_id, frozenset(self.recommended)))
        self.show_title()
        if announce:
            self.say(f"✓ asked again: {len(rows)} recommended for {ref(incident_id)}", ok=True)

    # --- what the screen shows --------------------------------------------------------------------
    @on(MapCanvas.Drawn)
    def drawn(self) -> None:
        self.show_title()

    def show_title(self) -> None:
        replica = self.replica
        counts: Counts = self.canvas.counts
        open_incidents = sum(1 for i in replica.incidents.values() if i["state"] != "ended")
        text = Text.assemble(("Map", "bold"), f"  {len(replica.units)} units · {open_incidents} incidents")
        text.append(f" · zoom {self.canvas.zoom}" if self.canvas.zoom else " · all")
        notes = []
        if counts.hidden:
            notes.append(f"{counts.hidden} hidden (+ zooms)")
        if counts.off_canvas:
            notes.append(f"{counts.off_canvas} off the map")
        if counts.without_position:
            notes.append(f"{counts.without_position} without position")
        if not replica.deployment.get("outlines"):
            notes.append("no outlines")
        if notes:
            text.append(" · " + " · ".join(notes), style="italic")
        incident = replica.incidents.get(self.incident_id) if self.incident_id else None
        if incident is not None:
            priority = incident.get("incident_priority")
            parts = [
                (priority or "?") + PRIORITY_MARK.get(priority or "", ""),
                incident.get("incident_type") or "no type",
                INCIDENT_STATE_LABEL[incident["state"]],
            ]
            text.append(f"\n[{ref(incident['id'])}]", style="bold")
            text.append(" " + " ".join(parts))
            # The recommended units before the place: on 80 columns the line's end is cut.
            if self.recommended:
                text.append(" · recommended ✓ ", style="bold")
                text.append(" · ".join(f"{c} {self.how_far.get(c, '')}".strip() for c in self.recommended))
            text.append(" · " + (location_summary(incident.get("location")) or "no location"))
            if incident_point(incident) is None:
                text.append(" (not on the map: no coordinates)", style="italic")
        text.no_wrap, text.overflow = True, "ellipsis"
        if text.markup == self._title_shown:
            return  # units move every second: an unchanged title must not cost a layout pass
        self._title_shown = text.markup
        self.title_line.update(text)
        self.title_line.styles.height = 2 if incident is not None else 1

    def say(self, text: str, error: bool = False, ok: bool = False) -> None:
        super().say(text, error, ok)
        self.message_line.display = bool(text)  # no empty line taken from the map

    # --- keys -------------------------------------------------------------------------------------
    def action_pan(self, cols: int, rows: int) -> None:
        self.canvas.pan(cols, rows)
        self.show_title()

    def action_zoom(self, steps: int) -> None:
        self.canvas.zoom_by(steps)
        self.show_title()

    def action_reset(self) -> None:
        self.canvas.reset()
        self.show_title()

    def action_walk(self, step: int) -> None:
        incidents = sorted((i for i in self.replica.incidents.values() if i["state"] != "ended"), key=incident_key)
        if not incidents:
            self.say("no open incidents to walk through", error=True)
            return
        ids = [i["id"] for i in incidents]
        at = ids.index(self.incident_id) if self.incident_id in ids else (-1 if step > 0 else 0)
        self.select(ids[(at + step) % len(ids)])

    def action_centre(self) -> None:
        incident = self.replica.incidents.get(self.incident_id) if self.incident_id else None
        point = incident_point(incident) if incident else None
        if point is None:
            self.say("no selected incident with coordinates to centre on ([ ] selects one)", error=True)
            return
        self.canvas.centre_on(point, max(self.canvas.zoom, CENTRE_ZOOM))
        self.show_title()


def distance_and_time(row: dict) -> str:
    """How far a recommended unit is, as the recommendation worked it out (straight line, kind's speed)."""
    if "distance_m" not in row or "eta_s" not in row:
        return ""
    return f"{row['distance_m'] / 1000:.1f} km {max(1, round(row['eta_s'] / 60))} min"
