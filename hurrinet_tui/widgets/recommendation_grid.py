"""Unit recommendations as rows a dispatcher marks and accepts: unit, kind, plan slot, distance,
ETA and the server's reason; rows the replica has overtaken are flagged, never accepted."""

from __future__ import annotations

from collections.abc import Sequence

from textual.binding import Binding

from ..advice import by_tier, distance_label, eta_label, stale_unit, unit_key
from ..command_line import short_id
from ..replica import Entity, Replica
from .grid import Cell, Column, VirtualGrid
from .incident_board import priority_mark

MARK, STALE = "●", "✗"
UNIT_COLUMNS = (
    Column("unit", "Unit", 6),
    Column("kind", "Kind", 12),
    Column("slot", "Slot", 6),
    Column("distance", "Dist", 7, right=True),
    Column("eta", "ETA", 5, right=True),
    Column("reason", "Why", 0, min_width=8),
)
INCIDENT_COLUMNS = (
    Column("incident", "Incident", 8),
    Column("priority", "Pri", 3),
    Column("type", "Type", 8),
)
PRIORITY_STYLE = {"A": "recommend--prio-a", "B": "recommend--prio-b", "N": "recommend--prio-n"}


class RecommendationGrid(VirtualGrid):
    """One incident's recommendations, or every waiting incident's (`all_waiting`), most urgent first."""

    COMPONENT_CLASSES = VirtualGrid.COMPONENT_CLASSES | {
        "recommend--marked", "recommend--stale", *PRIORITY_STYLE.values(),
    }  # fmt: skip
    BINDINGS = [Binding("space", "toggle_mark", "Mark", show=False)]

    def __init__(self, replica: Replica, all_waiting: bool, **kwargs) -> None:
        columns = (Column("mark", " ", 1), *(INCIDENT_COLUMNS if all_waiting else ()), *UNIT_COLUMNS)
        empty = "no unit to recommend" + (" for any waiting incident" if all_waiting else "")
        super().__init__(columns, empty_text=empty, **kwargs)
        self.replica = replica
        self.all_waiting = all_waiting
        self.rows: dict[str, Entity] = {}
        self.marked: set[str] = set()
        self.stale: dict[str, str] = {}  # row key → why it no longer holds

    def show(self, recommendations: list[Entity]) -> None:
        """A fresh answer from the server: marks survive on the rows that are still there."""
        ordered = by_tier(recommendations)
        self.rows = {unit_key(r): r for r in ordered}
        self.marked &= self.rows.keys()
        self.stale = self._stale()
        self.set_rows(list(self.rows))

    def recheck(self) -> bool:
        """The replica moved on: flag the rows it overtook. True when a flag changed."""
        stale = self._stale()
        if stale == self.stale:
            return False
        self.stale = stale
        self.refresh()
        return True

    def _stale(self) -> dict[str, str]:
        found = ((key, stale_unit(row, self.replica)) for key, row in self.rows.items())
        return {key: why for key, why in found if why}

    def rebuild(self) -> None:
        self.set_rows(list(self.rows))

    # --- choosing -----------------------------------------------------------------------------------
    def action_toggle_mark(self) -> None:
        key = self.cursor_key
        if key is None:
            return
        self.marked ^= {key}
        self.refresh_row(key)
        self.action_cursor(1)  # mark and move on, the way file managers do

    def chosen(self) -> list[Entity]:
        """The marked rows in screen order, or else the highlighted one."""
        if self.marked:
            return [self.rows[k] for k in self.keys if k in self.marked]
        return [self.rows[self.cursor_key]] if self.cursor_key else []

    def current(self) -> Entity | None:
        return self.rows.get(self.cursor_key) if self.cursor_key else None

    # --- one row ------------------------------------------------------------------------------------
    def cells(self, key: str) -> Sequence[Cell]:
        row = self.rows[key]
        stale = key in self.stale
        muted = "recommend--stale" if stale else None
        mark = STALE if stale else MARK if key in self.marked else " "
        cells: list[Cell] = [(mark, "recommend--stale" if stale else "recommend--marked")]
        if self.all_waiting:
            cells.extend(self._incident_cells(key, row, muted))
        slot = row["slot"]
        cells.extend([
            (row["unit"], muted),
            (row["kind"].replace("_", " "), muted),
            (f"{slot['number']} of {slot['of']}", muted),
            (distance_label(row["distance_m"]), muted),
            (eta_label(row["eta_s"]), muted),
            (self.stale.get(key) or row["reason"], muted),
        ])  # fmt: skip
        return cells

    def _incident_cells(self, key: str, row: Entity, muted: str | None) -> list[Cell]:
        """The incident once, on its first row: the rows below it are its other units."""
        index = self._index.get(key, 0)
        if index > 0 and self.rows[self.keys[index - 1]]["incident_id"] == row["incident_id"]:
            return [("", None)] * 3
        incident = self.replica.incidents.get(row["incident_id"], {})
        priority = row.get("incident_priority")
        return [
            (f"#{short_id(row['incident_id'])}", muted),
            (priority_mark(priority), PRIORITY_STYLE.get(priority) or muted),
            (incident.get("incident_type") or "–", muted),
        ]
