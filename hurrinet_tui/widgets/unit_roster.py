"""The unit roster: where every unit is and what it is doing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime

from ..command_line import short_id
from ..format import UNIT_STATE_CLASS, UNIT_STATE_LABEL, age, staffing
from ..keymap import list_bindings
from ..overdue import MARK, unit_flag
from ..replica import Entity, Replica
from .grid import Cell, Column, VirtualGrid

STATE_ORDER = list(UNIT_STATE_LABEL)

COLUMNS = (
    Column("callsign", "Unit", 6),
    Column("state", "State", 12),
    Column("staffing", "Staff", 5),  # "0+1+3": the column saved goes to Kind ("ambulance" whole)
    Column("station", "Stn", 6),  # "CAS-PW"
    Column("incident", "Inc", 7),
    Column("time", "InSt", 5, right=True),
    Column("position", "Pos", 4, right=True),
    Column("kind", "Kind", 0, min_width=4),
)


def callsign_key(callsign: str) -> tuple:
    """E2 before E10: letters, then the number as a number."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", callsign))


def matches(unit: Entity, station: str, text: str) -> bool:
    status = unit["status"]
    haystack = " ".join([
        unit["callsign"], unit["kind"], status["state"], UNIT_STATE_LABEL[status["state"]], station,
        status.get("assigned_to_incident_id") or "",
    ]).casefold()  # fmt: skip
    return all(word in haystack for word in text.casefold().split())


class UnitRoster(VirtualGrid):
    COMPONENT_CLASSES = VirtualGrid.COMPONENT_CLASSES | set(UNIT_STATE_CLASS.values()) | {"roster--overdue"}
    SORTS = ("callsign", "state", "station", "time")
    SORT_COLUMN = {s: s for s in SORTS}
    BINDINGS = list_bindings("roster")  # the unit's keys: only while the roster has focus

    def __init__(self, replica: Replica, now: Callable[[], datetime], **kwargs) -> None:
        super().__init__(COLUMNS, empty_text="no units", **kwargs)
        self.replica = replica
        self.now = now

    def sort_key(self, unit: Entity) -> tuple:
        status = unit["status"]
        own = callsign_key(unit["callsign"])
        if self.sort == "state":
            return (STATE_ORDER.index(status["state"]), own)
        if self.sort == "station":
            return (self.replica.station_code(unit), own)
        if self.sort == "time":
            return (status["state_changed_at"], own)
        return own

    def rebuild(self) -> None:
        units = [u for u in self.replica.units.values()
                 if not self.filter_text or matches(u, self.replica.station_code(u), self.filter_text)]  # fmt: skip
        units.sort(key=self.sort_key)
        self.set_rows([u["id"] for u in units])

    def update_units(self, ids: Iterable[str]) -> None:
        # Two thousand units sort in about a millisecond; when a unit's place in the order may
        # have changed, order again rather than keep a second index in step.
        ids = list(ids)
        if self.sort != "callsign" or self.filter_text or any(i not in self._index for i in ids):
            self.rebuild()
            return
        for unit_id in ids:
            self.refresh_row(unit_id)

    def time_cell(self, unit: Entity, incident_id: str | None, now: datetime) -> Cell:
        """Time in state, marked (and styled) once the unit is overdue in it."""
        text = age(unit["status"]["state_changed_at"], now)
        incident = self.replica.incidents.get(incident_id) if incident_id else None
        if unit_flag(unit, incident, self.replica.deployment.get("overdue") or {}, now):
            return (MARK + text, "roster--overdue")
        return (text, None)

    def cells(self, key: str) -> Sequence[Cell]:
        unit = self.replica.units[key]
        status = unit["status"]
        state = status["state"]
        incident = status.get("assigned_to_incident_id")
        now = self.now()
        return (
            (unit["callsign"], None),
            (UNIT_STATE_LABEL[state], UNIT_STATE_CLASS[state]),
            (staffing(status.get("staffing")), None),
            (self.replica.station_code(unit), None),
            (f"#{short_id(incident)}" if incident else "", None),
            self.time_cell(unit, incident, now),
            (age(status.get("coordinates_changed_at"), now) if status.get("coordinates") else "–", None),
            (unit["kind"].replace("_", " "), None),
        )
