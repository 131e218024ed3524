"""The workstation's copy of the server's state, fed by a snapshot and then by events.

Pure: no network, no Textual. Events carry whole entities (protocol.md, "Events"), so applying
one is replacing entities by id; the replica never re-derives a domain rule. Its one duty of
care is order: events apply strictly in `seq` order, and a gap is reported (`SeqGap`) so the
link resynchronises instead of showing a board that silently missed something.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Entity = dict[str, Any]


class SeqGap(Exception):
    """An event arrived out of order: the replica no longer matches the server."""

    def __init__(self, expected: int, got: int) -> None:
        super().__init__(f"expected event {expected}, got {got}")
        self.expected, self.got = expected, got


@dataclass
class Update:
    """What one snapshot or event changed, for views that redraw only what changed."""

    full: bool = False
    incidents: set[str] = field(default_factory=set)
    units: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    resources: set[str] = field(default_factory=set)
    events: list[Entity] = field(default_factory=list)

    def merge(self, other: Update) -> None:
        self.full = self.full or other.full
        for kind in ("incidents", "units", "calls", "resources"):
            getattr(self, kind).update(getattr(other, kind))
        self.events.extend(other.events)


_KINDS = {"incident": "incidents", "unit": "units", "call": "calls", "resource": "resources"}


class Replica:
    def __init__(self) -> None:
        self.seq: int | None = None
        self.deployment: Entity = {}
        self.districts: dict[str, Entity] = {}
        self.stations: dict[str, Entity] = {}
        self.incident_types: dict[str, Entity] = {}
        self.incidents: dict[str, Entity] = {}
        self.units: dict[str, Entity] = {}
        self.calls: dict[str, Entity] = {}
        self.resources: dict[str, Entity] = {}
        self.unit_by_callsign: dict[str, Entity] = {}
        self.gazetteer: list[Entity] = []

    @property
    def loaded(self) -> bool:
        return self.seq is not None

    def load_snapshot(self, snapshot: Entity) -> Update:
        self.seq = snapshot["seq"]
        self.deployment = snapshot.get("deployment", {})
        self.districts = {d["code"]: d for d in snapshot["districts"]}
        self.stations = {s["id"]: s for s in snapshot["stations"]}
        self.incident_types = {t["code"]: t for t in snapshot["incident_types"]}
        self.incidents = {i["id"]: i for i in snapshot["incidents"]}
        self.units = {u["id"]: u for u in snapshot["units"]}
        self.calls = {c["id"]: c for c in snapshot["calls"]}
        self.resources = {r["id"]: r for r in snapshot["resources"]}
        self.unit_by_callsign = {u["callsign"]: u for u in self.units.values()}
        self.gazetteer = snapshot.get("gazetteer", [])
        return Update(full=True)

    def apply(self, event: Entity) -> Update:
        """Apply the next event; an event already applied (a resend) changes nothing."""
        if self.seq is None:
            raise SeqGap(1, event["seq"])
        if event["seq"] <= self.seq:
            return Update()
        if event["seq"] != self.seq + 1:
            raise SeqGap(self.seq + 1, event["seq"])
        update = Update(events=[event])
        data = event["data"]
        if event["name"] == "incident.archived":
            self._archive(data["incident_id"], update)
        for kind, plural in _KINDS.items():
            entity = data.get(kind)
            if entity is not None:
                self._put(plural, entity)
                getattr(update, plural).add(entity["id"])
        self.seq = event["seq"]
        return update

    def _put(self, plural: str, entity: Entity) -> None:
        getattr(self, plural)[entity["id"]] = entity
        if plural == "units":
            self.unit_by_callsign[entity["callsign"]] = entity

    def _archive(self, incident_id: str, update: Update) -> None:
        incident = self.incidents.pop(incident_id, None)
        update.incidents.add(incident_id)
        for call_id in incident["call_ids"] if incident else ():
            self.calls.pop(call_id, None)
            update.calls.add(call_id)

    # --- lookups the views share ---------------------------------------------------------------
    def incident_of_unit(self, unit: Entity) -> Entity | None:
        incident_id = unit["status"].get("assigned_to_incident_id")
        return self.incidents.get(incident_id) if incident_id else None

    def station_code(self, unit: Entity) -> str:
        station = self.stations.get(unit["station_id"])
        return station["code"] if station else "?"
