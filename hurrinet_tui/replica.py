"""The workstation's copy of the server's state, fed by a snapshot and then by events.

Pure: no network, no Textual. Events carry, for each entity they touched, its id and the
fields that changed (protocol 2): applying one merges those fields by id (a created entity
comes whole, a field set to null is cleared); the replica never re-derives a domain rule. Log
entries travel on their own and are kept per incident. Its one duty of
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
        self.logs: dict[str, list[Entity]] = {}  # incident id → its entries, oldest first
        self.complete = True  # False while a snapshot's parts are still arriving

    @property
    def loaded(self) -> bool:
        return self.seq is not None

    def load_snapshot(self, snapshot: Entity) -> Update:
        """A whole snapshot in one object (tools and tests)."""
        self.begin_snapshot(snapshot["seq"])
        self.load_part(snapshot, last=True)
        return Update(full=True)

    def begin_snapshot(self, seq: int) -> None:
        """Drop everything: the parts of a snapshot at `seq` follow."""
        self.__init__()  # type: ignore[misc]
        self.seq, self.complete = seq, False

    def load_part(self, data: Entity, last: bool) -> Update:
        """Add one part of the snapshot; views may paint what has arrived so far."""
        if "deployment" in data:
            self.deployment = data["deployment"]
        for key, table, id_key in (("districts", self.districts, "code"), ("stations", self.stations, "id"),
                                   ("incident_types", self.incident_types, "code")):  # fmt: skip
            table.update((item[id_key], item) for item in data.get(key, ()))
        if "gazetteer" in data:
            self.gazetteer = data["gazetteer"]
        for plural in _KINDS.values():
            for entity in data.get(plural, ()):
                self._put(plural, entity)
        for entry in data.get("log_entries", ()):
            self.logs.setdefault(entry["incident_id"], []).append(entry)
        self.complete = last
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
        elif event["name"] == "call.archived":  # a call linked to no incident, archived on its own
            self.calls.pop(data["call_id"], None)
            update.calls.add(data["call_id"])
        for kind, plural in _KINDS.items():
            entity = data.get(kind)
            if entity is not None:
                self._merge(plural, entity)
                getattr(update, plural).add(entity["id"])
        for entry in ([data["log_entry"]] if "log_entry" in data else []) + data.get("log_entries", []):
            entries = self.logs.setdefault(entry["incident_id"], [])
            if not any(e["id"] == entry["id"] for e in entries[-3:]):
                entries.append(entry)
            update.incidents.add(entry["incident_id"])
        self.seq = event["seq"]
        return update

    def _merge(self, plural: str, fields: Entity) -> None:
        """Merge an event's fields into the entity (new objects: views may hold the old one)."""
        table = getattr(self, plural)
        current = table.get(fields["id"])
        merged = dict(fields) if current is None else {**current, **fields}
        for key in [k for k, v in merged.items() if v is None]:
            del merged[key]  # null clears: absence is an absent field
        self._put(plural, merged)

    def _put(self, plural: str, entity: Entity) -> None:
        getattr(self, plural)[entity["id"]] = entity
        if plural == "units":
            self.unit_by_callsign[entity["callsign"]] = entity

    def log_of(self, incident_id: str) -> list[Entity]:
        """The incident's log entries as far as this replica has them (an ended incident's come
        from the `incident.log` query, see `set_log`)."""
        return self.logs.get(incident_id, [])

    def set_log(self, incident_id: str, entries: list[Entity]) -> None:
        self.logs[incident_id] = list(entries)

    def _archive(self, incident_id: str, update: Update) -> None:
        incident = self.incidents.pop(incident_id, None)
        self.logs.pop(incident_id, None)
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
