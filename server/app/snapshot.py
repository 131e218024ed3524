"""The snapshot kept encoded and current, and cut into parts, open work first.

Every entity's wire form is encoded once (orjson) when a change installs it, so a `hello`
costs a plan (which ids go in which part) and, per part, a concatenation of bytes. Parts are
built when they are sent, from the entities as they are then: a part may be newer than the
snapshot's `seq`, which is harmless because the client applies every event after `seq` in
order, and events carry absolute values (protocol.md § Snapshot).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import orjson

from server.app import wire
from server.domain.incident import IncidentState
from server.domain.world import Change, World

PART_BYTES = 32 * 1024  # well under the 64 KiB frame limit; small enough for a slow link

# Open work first: what a dispatcher must see to work, then what is merely history.
WAITING = (IncidentState.NEW, IncidentState.QUEUED)


def _dumps(value: object) -> bytes:
    # orjson's bytes keep its whole working buffer (about 4 KB each, measured with orjson
    # 3.x); an exact-size copy makes 10,000 kept incidents about 6 MB instead of about 110.
    return bytes(memoryview(orjson.dumps(value)))


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # units, incidents, calls, resources, log_entries
    key: str  # the entity's id (for log_entries: the incident's)
    size: int


class LiveSnapshot:
    def __init__(self, world: World) -> None:
        self.rebuild(world)

    def rebuild(self, world: World) -> None:
        self.world = world
        encode = wire.encoders(world)
        reference = wire.snapshot_reference(world)
        # The gazetteer (a few hundred places, tens of KB) is read only when a location is typed:
        # it rides after the open work, so a slow link shows the board first.
        self.gazetteer = _dumps(reference.pop("gazetteer"))
        self.reference = _dumps(reference)[1:-1]  # the fields without braces, ready to splice into part 0
        self.blobs: dict[str, dict[str, bytes]] = {
            "units": {u.id: _dumps(encode["unit"](world.unit_status[u.id])) for u in world.units.values() if u.active},
            "incidents": {i.id: _dumps(encode["incident"](i)) for i in world.incidents.values()},
            "calls": {c.id: _dumps(encode["call"](c)) for c in world.calls.values()},
            "resources": {r.id: _dumps(encode["resource"](r)) for r in world.resources.values()},
        }
        # Log entries of open incidents only: an ended incident's log is asked for when read.
        self.logs: dict[str, list[bytes]] = {
            i.id: [_dumps(wire.log_entry(e)) for e in i.log]
            for i in world.incidents.values()
            if i.state is not IncidentState.ENDED
        }

    def installed(self, change: Change) -> None:
        """Re-encode what `change` wrote (already installed in the world)."""
        world, encode = self.world, wire.encoders(self.world)
        for unit_id in change.changed("unit_status"):
            if world.units[unit_id].active:
                self.blobs["units"][unit_id] = _dumps(encode["unit"](world.unit_status[unit_id]))
        for call_id in change.changed("calls"):
            call = world.calls.get(call_id)
            if call is None:  # archived
                self.blobs["calls"].pop(call_id, None)
            else:
                self.blobs["calls"][call_id] = _dumps(encode["call"](call))
        for resource_id in change.changed("resources"):
            self.blobs["resources"][resource_id] = _dumps(encode["resource"](world.resources[resource_id]))
        for incident_id in change.changed("incidents"):
            incident = world.incidents.get(incident_id)
            if incident is None:  # archived
                self.blobs["incidents"].pop(incident_id, None)
                self.logs.pop(incident_id, None)
                continue
            self.blobs["incidents"][incident_id] = _dumps(encode["incident"](incident))
            if incident.state is IncidentState.ENDED:
                self.logs.pop(incident_id, None)
            else:
                entries = self.logs.setdefault(incident_id, [])
                entries.extend(_dumps(wire.log_entry(e)) for e in incident.log[len(entries):])

    # --- parts --------------------------------------------------------------------------------
    def plan(self) -> list[list[Item]]:
        """Which entities go in which part: reference data and units, then waiting incidents
        with their calls, then the other open ones, then the open incidents' log entries and the
        gazetteer, then resources, then the ended incidents and the rest of the calls."""
        world = self.world
        open_calls: dict[str, list[str]] = {}
        for call in world.calls.values():
            if call.incident_id:
                open_calls.setdefault(call.incident_id, []).append(call.id)
        items: list[Item] = [Item("units", k, len(v)) for k, v in self.blobs["units"].items()]
        waiting, active, ended = [], [], []
        for incident in world.incidents.values():
            bucket = waiting if incident.state in WAITING else ended if incident.state is IncidentState.ENDED else active
            bucket.append(incident.id)
        placed: set[str] = set()
        for group in (waiting, active):
            for incident_id in group:
                items.append(Item("incidents", incident_id, len(self.blobs["incidents"][incident_id])))
                for call_id in open_calls.get(incident_id, ()):
                    placed.add(call_id)
                    items.append(Item("calls", call_id, len(self.blobs["calls"][call_id])))
        rest = [k for k in self.blobs["calls"] if k not in placed]
        live_calls = [k for k in rest if world.calls[k].state.value == "active"]
        items += [Item("calls", k, len(self.blobs["calls"][k])) for k in live_calls]
        # The board first; the logs only its detail view reads, and the places a call taker types.
        for incident_id in (*waiting, *active):
            log = self.logs.get(incident_id)
            if log:
                items.append(Item("log_entries", incident_id, sum(len(b) + 1 for b in log)))
        items.append(Item("gazetteer", "", len(self.gazetteer)))
        items += [Item("resources", k, len(v)) for k, v in self.blobs["resources"].items()]
        items += [Item("incidents", k, len(self.blobs["incidents"][k])) for k in ended]
        live = set(live_calls)
        items += [Item("calls", k, len(self.blobs["calls"][k])) for k in rest if k not in live]
        return list(_cut(items, PART_BYTES - len(self.reference) // 2))

    def part(self, seq: int, index: int, items: list[Item], total: int) -> str:
        """One `snapshot` frame: the reference data rides in part 0."""
        groups: dict[str, list[bytes]] = {}
        body = []
        for item in items:
            if item.kind == "gazetteer":
                body.append(b'"gazetteer":' + self.gazetteer)
                continue
            if item.kind == "log_entries":
                groups.setdefault("log_entries", []).extend(self.logs.get(item.key, ()))
                continue
            blob = self.blobs[item.kind].get(item.key)
            if blob is not None:  # gone since the plan (archived): its event tells the client
                groups.setdefault(item.kind, []).append(blob)
        body += [b'"%s":[%s]' % (kind.encode(), b",".join(blobs)) for kind, blobs in groups.items()]
        if index == 0:
            body.insert(0, self.reference)
        head = b'{"type":"snapshot","seq":%d,"part":%d,"parts":%d,"data":{' % (seq, index, total)
        return (head + b",".join(body) + b"}}").decode()


def _cut(items: list[Item], budget: int) -> Iterator[list[Item]]:
    part: list[Item] = []
    size = 0
    for item in items:
        if part and size + item.size > budget:
            yield part
            part, size = [], 0
        part.append(item)
        size += item.size + 1
    yield part
