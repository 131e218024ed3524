"""The incident board: every incident worth a dispatcher's attention, most urgent first."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from ..command_line import short_id
from ..format import INCIDENT_STATE_LABEL, PRIORITY_CLASS, age, location_summary
from ..keymap import list_bindings
from ..overdue import MARK, incident_flag
from ..replica import Entity, Replica
from .grid import Cell, Column, VirtualGrid

PRIORITY_RANK = {"A": 0, "B": 1, "C": 2, "D": 3, None: 4, "N": 5}
STATE_RANK = {"new": 0, "queued": 1, "active": 2, "monitored": 3, "ended": 4}

COLUMNS = (
    Column("priority", "Pri", 4),  # room for the sort mark
    Column("id", "Incident", 8),
    Column("state", "State", 7),
    Column("type", "Type", 8),
    Column("location", "Location", 0, min_width=12),
    Column("desk", "Desk", 12),  # "public works" whole: a cut desk reads as another
    Column("units", "Un", 2, right=True),
    Column("age", "Age", 5, right=True),
)


def priority_mark(priority: str | None) -> str:
    """A and B carry a mark as well as a colour; N (orders, not emergencies) reads differently."""
    return {"A": "A!!", "B": "B! ", "N": "·N·"}.get(priority, f"{priority} " if priority else "–")


def open_units(incident: Entity) -> int:
    return sum(1 for u in incident["units"] if "unit_unassigned_at" not in u)


def matches(incident: Entity, text: str) -> bool:
    haystack = " ".join([
        incident["id"], incident.get("incident_type") or "", incident.get("incident_priority") or "",
        incident["state"], incident.get("desk") or "", incident.get("description", ""),
        location_summary(incident.get("location")), " ".join(u["callsign"] for u in incident["units"]),
    ]).casefold()  # fmt: skip
    return all(word in haystack for word in text.casefold().split())


class IncidentBoard(VirtualGrid):
    COMPONENT_CLASSES = VirtualGrid.COMPONENT_CLASSES | {
        "board--prio-a", "board--prio-b", "board--prio-n", "board--ended", "board--new", "board--overdue",
    }
    SORTS = ("priority", "age", "state", "type")
    SORT_COLUMN = {s: s for s in SORTS}
    BINDINGS = list_bindings("board")  # the incident's keys: only while the board has focus

    def __init__(self, replica: Replica, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(COLUMNS, empty_text="no incidents", **kwargs)
        self.replica = replica
        self.now = now
        self.show_ended = False
        # While a call's vicinity is shown: the incidents near it, id → metres (None: the whole board).
        self.vicinity: dict[str, int] | None = None
        self._order: list[tuple[tuple, str]] = []  # (sort key, incident id), sorted
        self._key_of: dict[str, tuple] = {}

    # --- order and filter -------------------------------------------------------------------------
    def sort_key(self, incident: Entity) -> tuple | None:
        """Where the incident goes, or None when it is not on the board now."""
        if self.vicinity is not None:  # nearest first: no column carries that order
            distance = self.vicinity.get(incident["id"])
            return None if distance is None else (False, distance, incident["id"])
        ended = incident["state"] == "ended"
        if (ended and not self.show_ended) or (self.filter_text and not matches(incident, self.filter_text)):
            return None
        priority = PRIORITY_RANK.get(incident.get("incident_priority"), 4)
        state = STATE_RANK[incident["state"]]
        created = incident["incident_created"]
        if self.sort == "age":
            return (ended, created, incident["id"])
        if self.sort == "state":
            return (ended, state, priority, created, incident["id"])
        if self.sort == "type":
            return (ended, incident.get("incident_type") or "~", priority, created, incident["id"])
        return (ended, priority, state, created, incident["id"])

    def rebuild(self) -> None:
        keyed = ((self.sort_key(i), i["id"]) for i in self.replica.incidents.values())
        self._order = sorted((k, i) for k, i in keyed if k is not None)
        self._key_of = {i: k for k, i in self._order}
        self.set_rows([i for _, i in self._order])

    def update_incidents(self, ids: Iterable[str]) -> None:
        """Incidents changed: move the rows whose place changed, repaint the others in place."""
        moved = False
        for incident_id in ids:
            incident = self.replica.incidents.get(incident_id)
            new = self.sort_key(incident) if incident else None
            old = self._key_of.get(incident_id)
            if old == new:
                self.refresh_row(incident_id)
                continue
            moved = True
            if old is not None:
                del self._order[bisect.bisect_left(self._order, (old, incident_id))]
                del self._key_of[incident_id]
            if new is not None:
                bisect.insort(self._order, (new, incident_id))
                self._key_of[incident_id] = new
        if moved:
            self.set_rows([i for _, i in self._order])

    def set_view(self, *, show_ended: bool | None = None, **view: str | None) -> None:
        if show_ended is not None:
            self.show_ended = show_ended
        super().set_view(**view)

    def show_vicinity(self, distances: dict[str, int] | None) -> None:
        """Only the incidents near a call, nearest first (None: back to the whole board)."""
        self.vicinity = distances
        self.empty_text = "no incidents near the call" if distances is not None else "no incidents"
        self.rebuild()

    def header_label(self, column: Column) -> str:
        return column.label if self.vicinity is not None else super().header_label(column)

    # --- one row --------------------------------------------------------------------------------
    def cells(self, key: str) -> Sequence[Cell]:
        incident = self.replica.incidents[key]
        priority = incident.get("incident_priority")
        state = incident["state"]
        row_class = "board--ended" if state == "ended" else None
        return (
            (priority_mark(priority), PRIORITY_CLASS.get(priority) or row_class),
            (f"#{short_id(key)}", row_class),
            (INCIDENT_STATE_LABEL[state], "board--new" if state == "new" else row_class),
            (incident.get("incident_type") or "–", row_class),
            (location_summary(incident.get("location")) or "(no location)", row_class),
            ((incident.get("desk") or "").replace("_", " "), row_class),
            (str(open_units(incident)), row_class),
            self.age_cell(incident, row_class),
        )

    def age_cell(self, incident: Entity, row_class: str | None) -> Cell:
        """An overdue incident's age is marked (and styled) so it reads without colour too."""
        now = self.now()
        text = age(incident["incident_created"], now)
        if incident_flag(incident, self.replica.deployment.get("overdue") or {}, now):
            return (MARK + text, "board--overdue")
        return (text, row_class)
