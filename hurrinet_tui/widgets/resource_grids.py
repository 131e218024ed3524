"""The tables of the resources screen: resources live from the replica, one incident's needs with
their allocations, and the server's resource suggestions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..advice import (
    RESOURCE_TYPES,
    coordinates_of,
    distance_label,
    free_room,
    great_circle_m,
    open_allocations,
    stale_resource,
)
from ..command_line import short_id
from ..replica import Entity, Replica
from .grid import Cell, Column, VirtualGrid

STATUS_STYLE = {
    "AVAILABLE": "resource--available",
    "LIMITED": "resource--limited",
    "ASSIGNED": "resource--assigned",
    "UNAVAILABLE": "resource--unavailable",
}
TYPE_ORDER = {t: n for n, t in enumerate(RESOURCE_TYPES)}


def status_label(resource: Entity) -> str:
    """Forced out of service reads differently from merely full or empty: a manager can undo it."""
    return "OUT OF SVC" if resource.get("out_of_service") else resource["status"]


class ResourceGrid(VirtualGrid):
    """Every resource, or one type of them (`filter_text` holds the type; empty: all). Given an
    incident with coordinates, the nearest come first and a column says how far each is."""

    COMPONENT_CLASSES = VirtualGrid.COMPONENT_CLASSES | set(STATUS_STYLE.values())
    COLUMNS = (
        Column("type", "Type", 8),
        Column("name", "Name", 0, min_width=12),
        Column("district", "Dist", 4),
        Column("capacity", "Cap", 5, right=True),
        Column("in_use", "In use", 6, right=True),
        Column("free", "Free", 5, right=True),
        Column("status", "Status", 10),
    )
    AWAY = Column("away", "Away", 7, right=True)

    def __init__(self, replica: Replica, incident_id: str | None = None, **kwargs) -> None:
        super().__init__(self.COLUMNS, empty_text="no resources of this type", **kwargs)
        self.replica = replica
        self.incident_id = incident_id
        self.origin: Entity | None = None

    def rebuild(self) -> None:
        self.origin = coordinates_of(self.replica.incidents.get(self.incident_id or ""))
        self.columns = (*self.COLUMNS[:3], self.AWAY, *self.COLUMNS[3:]) if self.origin else self.COLUMNS
        shown = [r for r in self.replica.resources.values()
                 if not self.filter_text or r["resource_type"] == self.filter_text]  # fmt: skip
        shown.sort(key=self._order)
        self.set_rows([r["id"] for r in shown])

    def _order(self, resource: Entity) -> tuple:
        kind = TYPE_ORDER.get(resource["resource_type"], 9)
        return (kind, self.away(resource), resource["name"], resource["id"]) if self.origin else (
            kind, resource["district"], resource["name"], resource["id"])  # fmt: skip

    def away(self, resource: Entity) -> float:
        there = coordinates_of(resource)
        return great_circle_m(self.origin, there) if self.origin and there else float("inf")

    def update_resources(self, ids: Iterable[str]) -> None:
        # Updates change numbers, never a resource's type, place or name: its row stays put.
        if any(i not in self._index and i in self.replica.resources for i in ids):
            self.rebuild()
            return
        for resource_id in ids:
            self.refresh_row(resource_id)

    def current(self) -> Entity | None:
        return self.replica.resources.get(self.cursor_key) if self.cursor_key else None

    def cells(self, key: str) -> Sequence[Cell]:
        resource = self.replica.resources[key]
        style = STATUS_STYLE.get(resource["status"])
        cells: list[Cell] = [(resource["resource_type"], None), (resource["name"], None), (resource["district"], None)]
        if self.origin:
            away = self.away(resource)
            cells.append((distance_label(away) if away != float("inf") else "–", None))
        cells.extend([
            (str(resource["capacity"]), None),
            (str(resource["in_use"]), None),
            (str(free_room(resource)), style),
            (status_label(resource), style),
        ])  # fmt: skip
        return cells


class NeedGrid(VirtualGrid):
    """An incident's needs, each followed by its open allocations (`↳` rows)."""

    COMPONENT_CLASSES = VirtualGrid.COMPONENT_CLASSES | {"need--met", "need--short", "need--allocation"}
    COLUMNS = (
        Column("what", "Need / allocated from", 0, min_width=16),
        Column("quantity", "Qty", 6, right=True),
        Column("allocated", "Held", 6, right=True),
        Column("left", "To go", 6, right=True),
    )

    def __init__(self, replica: Replica, incident_id: str, **kwargs) -> None:
        super().__init__(self.COLUMNS, empty_text="no needs yet — n adds one (e.g. shelter 40)", **kwargs)
        self.replica = replica
        self.incident_id = incident_id
        self.needs: dict[str, Entity] = {}  # row key → need
        self.allocations: dict[str, Entity] = {}  # row key → allocation

    def rebuild(self) -> None:
        incident = self.replica.incidents.get(self.incident_id)
        keys, self.needs, self.allocations = [], {}, {}
        for need in incident["needs"] if incident else ():
            keys.append(f"need:{need['id']}")
            self.needs[keys[-1]] = need
            for allocation in open_allocations(need):
                keys.append(f"allocation:{allocation['id']}")
                self.allocations[keys[-1]] = allocation
                self.needs[keys[-1]] = need  # an allocation row belongs to its need
        self.set_rows(keys)

    def current_need(self) -> Entity | None:
        return self.needs.get(self.cursor_key) if self.cursor_key else None

    def current_allocation(self) -> Entity | None:
        return self.allocations.get(self.cursor_key) if self.cursor_key else None

    def move_to_need(self, need_id: str) -> None:
        self.move_to(f"need:{need_id}")

    def cells(self, key: str) -> Sequence[Cell]:
        need = self.needs[key]
        allocation = self.allocations.get(key)
        if allocation is not None:
            resource = self.replica.resources.get(allocation["resource_id"])
            name = f"{resource['name']} ({resource['district']})" if resource else allocation["resource_id"]
            return (("  ↳ " + name, "need--allocation"), (str(allocation["quantity"]), "need--allocation"),
                    ("", None), ("", None))  # fmt: skip
        left = max(0, need["quantity"] - need["allocated"])
        style = "need--met" if left == 0 else "need--short"
        return (
            (need["resource_type"], None),
            (str(need["quantity"]), None),
            (str(need["allocated"]), None),
            (str(left), style),
        )


class SuggestionGrid(VirtualGrid):
    """`recommend.resources` lines, flagged when the replica has overtaken them."""

    COMPONENT_CLASSES = VirtualGrid.COMPONENT_CLASSES | {"need--stale"}

    def __init__(self, replica: Replica, all_incidents: bool, **kwargs) -> None:
        columns = (
            Column("mark", " ", 1),
            *((Column("incident", "Incident", 8),) if all_incidents else ()),
            Column("type", "Need", 8),
            Column("resource", "Suggested resource", 0, min_width=12),
            Column("quantity", "Qty", 5, right=True),
            Column("free", "Free", 5, right=True),
            Column("distance", "Dist", 7, right=True),
        )
        super().__init__(columns, empty_text="no suggestion: every need is met or cannot be", **kwargs)
        self.replica = replica
        self.all_incidents = all_incidents
        self.rows: dict[str, Entity] = {}
        self.stale: dict[str, str] = {}

    @staticmethod
    def key(recommendation: Entity) -> str:
        return f"{recommendation['need_id']}/{recommendation['resource_id']}"

    def show(self, recommendations: list[Entity]) -> None:
        self.rows = {self.key(r): r for r in recommendations}
        self.stale = self._stale()
        self.set_rows(list(self.rows))

    def recheck(self) -> None:
        stale = self._stale()
        if stale != self.stale:
            self.stale = stale
            self.refresh()

    def _stale(self) -> dict[str, str]:
        found = ((key, stale_resource(row, self.replica)) for key, row in self.rows.items())
        return {key: why for key, why in found if why}

    def rebuild(self) -> None:
        self.set_rows(list(self.rows))

    def current(self) -> Entity | None:
        return self.rows.get(self.cursor_key) if self.cursor_key else None

    def cells(self, key: str) -> Sequence[Cell]:
        row = self.rows[key]
        muted = "need--stale" if key in self.stale else None
        name = row["resource_name"]
        if "split" in row:
            name += f" (part {row['split']['part']} of {row['split']['of']})"
        incident = ((f"#{short_id(row['incident_id'])}", muted),) if self.all_incidents else ()
        return (
            ("✗" if muted else " ", muted),
            *incident,
            (row["resource_type"], muted),
            (name, muted),
            (str(row["quantity"]), muted),
            (str(row["free"]), muted),
            (distance_label(row["distance_m"]), muted),
        )
