"""The snapshot kept encoded and current, and cut into parts, open work first.

Every entity's wire form is encoded once (orjson) when a change installs it, so a `hello`
costs a plan (which ids go in which part) and, per part, a concatenation of bytes. Parts are
built when they are sent, from the entities as they are then: a part may be newer than the
snapshot's `seq`, which is harmless because the client applies every event after `seq` in
order, and events carry absolute values (protocol.md § Snapshot).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate, chain, repeat
from typing import overload

import orjson

from server.app import wire
from server.domain.call import Call, CallState
from server.domain.incident import Incident, IncidentState
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


class Plan(Sequence[list[Item]]):
    """Which entities go in which part, fixed at the hello: the keys in order (references to
    the snapshot's own strings) and where each part starts. A part's items are made when it is
    sent, so a hello costs the concatenation of the ordered buckets, not an object per entity."""

    __slots__ = ("kinds", "keys", "sizes", "starts")

    def __init__(self, kinds: list[str], keys: list[str], sizes: list[int], starts: list[int]) -> None:
        self.kinds, self.keys, self.sizes, self.starts = kinds, keys, sizes, starts

    def __len__(self) -> int:
        return len(self.starts)

    @overload
    def __getitem__(self, index: int) -> list[Item]: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[list[Item]]: ...
    def __getitem__(self, index: int | slice) -> list[Item] | Sequence[list[Item]]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not 0 <= index < len(self.starts):
            raise IndexError(index)
        a = self.starts[index]
        b = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.keys)
        return list(map(Item, self.kinds[a:b], self.keys[a:b], self.sizes[a:b]))


class LiveSnapshot:
    """The encoded entities, and the order the parts take them in, both kept current as changes
    are installed: incidents in buckets (waiting, active, ended, each in the order incidents
    entered it), calls by the incident they are linked to, and the calls not shown with an open
    incident (active ones first). A hello only concatenates these (protocol.md § Snapshot)."""

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
        self.logs: dict[str, list[bytes]] = {}
        self.log_bytes: dict[str, int] = {}  # each open incident's entries, as the parts count them
        for incident in world.incidents.values():
            if incident.state is not IncidentState.ENDED:
                self._extend_log(incident)
        # The order of the parts (dicts as ordered sets: insertion order, O(1) moves).
        self.waiting: dict[str, None] = {}
        self.active: dict[str, None] = {}
        self.ended: dict[str, None] = {}
        self._bucket: dict[str, dict[str, None]] = {}  # incident id → the bucket holding it
        self.calls_of: dict[str, dict[str, None]] = {}  # incident id → the calls linked to it
        self._link: dict[str, str] = {}  # call id → the incident it is linked to
        self.live_calls: dict[str, None] = {}  # active, and not shown with an open incident
        self.other_calls: dict[str, None] = {}  # the rest of the calls not shown with one
        for incident in world.incidents.values():
            self._place_incident(incident)
        for call in world.calls.values():
            self._place_call(call)

    def installed(self, change: Change) -> None:
        """Re-encode and re-place what `change` wrote (already installed in the world)."""
        world, encode = self.world, wire.encoders(self.world)
        for unit_id in change.changed("unit_status"):
            if world.units[unit_id].active:
                self.blobs["units"][unit_id] = _dumps(encode["unit"](world.unit_status[unit_id]))
        for resource_id in change.changed("resources"):
            self.blobs["resources"][resource_id] = _dumps(encode["resource"](world.resources[resource_id]))
        for incident_id in change.changed("incidents"):
            incident = world.incidents.get(incident_id)
            if incident is None:  # gone from the world (archived)
                self._forget_incident(incident_id)
                continue
            self.blobs["incidents"][incident_id] = _dumps(encode["incident"](incident))
            if incident.state is IncidentState.ENDED:
                self.logs.pop(incident_id, None)
                self.log_bytes.pop(incident_id, None)
            else:
                self._extend_log(incident)
            self._place_incident(incident)
        for call_id in change.changed("calls"):
            call = world.calls.get(call_id)
            if call is None:
                self._forget_call(call_id)
                continue
            self.blobs["calls"][call_id] = _dumps(encode["call"](call))
            self._place_call(call)

    # --- keeping the order ------------------------------------------------------------------------
    def _extend_log(self, incident: Incident) -> None:
        """Encode the entries added since; an incident without entries has no log here."""
        done = len(self.logs.get(incident.id, ()))
        if len(incident.log) > done:
            new = [_dumps(wire.log_entry(e)) for e in incident.log[done:]]
            self.logs.setdefault(incident.id, []).extend(new)
            self.log_bytes[incident.id] = self.log_bytes.get(incident.id, 0) + sum(len(b) + 1 for b in new)

    def _place_incident(self, incident: Incident) -> None:
        state = incident.state
        bucket = self.waiting if state in WAITING else self.ended if state is IncidentState.ENDED else self.active
        before = self._bucket.get(incident.id)
        if before is bucket:
            return
        if before is not None:
            del before[incident.id]
        bucket[incident.id] = None
        self._bucket[incident.id] = bucket
        if (before is self.ended) != (bucket is self.ended):  # its calls move with it, or leave it
            for call_id in self.calls_of.get(incident.id, ()):
                self._sort_call(call_id)

    def _place_call(self, call: Call) -> None:
        before = self._link.get(call.id)
        if before != call.incident_id:
            if before is not None:
                linked = self.calls_of[before]
                del linked[call.id]
                if not linked:
                    del self.calls_of[before]
                del self._link[call.id]
            if call.incident_id:
                self.calls_of.setdefault(call.incident_id, {})[call.id] = None
                self._link[call.id] = call.incident_id
        self._sort_call(call.id)

    def _sort_call(self, call_id: str) -> None:
        """Shown with its open incident, or among the active calls, or with the rest."""
        incident_id = self._link.get(call_id)
        bucket = self._bucket.get(incident_id) if incident_id else None
        if bucket is not None and bucket is not self.ended:
            target = None
        elif self.world.calls[call_id].state is CallState.ACTIVE:
            target = self.live_calls
        else:
            target = self.other_calls
        for loose in (self.live_calls, self.other_calls):
            if loose is not target:
                loose.pop(call_id, None)
        if target is not None and call_id not in target:
            target[call_id] = None

    def _forget_incident(self, incident_id: str) -> None:
        self.blobs["incidents"].pop(incident_id, None)
        self.logs.pop(incident_id, None)
        self.log_bytes.pop(incident_id, None)
        bucket = self._bucket.pop(incident_id, None)
        if bucket is not None:
            del bucket[incident_id]
        for call_id in self.calls_of.get(incident_id, ()):
            if call_id in self.world.calls:
                self._sort_call(call_id)

    def _forget_call(self, call_id: str) -> None:
        self.blobs["calls"].pop(call_id, None)
        self.live_calls.pop(call_id, None)
        self.other_calls.pop(call_id, None)
        incident_id = self._link.pop(call_id, None)
        if incident_id is not None:
            linked = self.calls_of[incident_id]
            del linked[call_id]
            if not linked:
                del self.calls_of[incident_id]

    # --- parts --------------------------------------------------------------------------------
    def plan(self) -> Plan:
        """Which entities go in which part: reference data and units, then waiting incidents
        with their calls, then the other open ones, then the active calls not linked to an open
        incident, then the open incidents' log entries and the gazetteer, then resources, then
        the ended incidents and the rest of the calls. Work in C loops over the kept buckets,
        but for the open incidents that have calls (their calls go right after them)."""
        kinds: list[str] = []
        keys: list[str] = []
        sizes: list[int] = []

        def add(kind: str, ids: Iterable[str], blobs: Mapping[str, bytes]) -> None:
            ids = list(ids)
            keys.extend(ids)
            kinds.extend(repeat(kind, len(ids)))
            sizes.extend(map(len, map(blobs.__getitem__, ids)))

        incidents, calls = self.blobs["incidents"], self.blobs["calls"]
        add("units", self.blobs["units"], self.blobs["units"])
        calls_of = self.calls_of
        for group in (self.waiting, self.active):
            run: list[str] = []  # incidents in a row without calls, added in one go
            for incident_id in group:
                run.append(incident_id)
                linked = calls_of.get(incident_id)
                if linked is None:
                    continue
                add("incidents", run, incidents)
                run = []
                add("calls", linked, calls)
            add("incidents", run, incidents)
        add("calls", self.live_calls, calls)
        # The board first; the logs only its detail view reads, and the places a call taker types.
        logged = list(filter(self.log_bytes.__contains__, chain(self.waiting, self.active)))
        keys += logged
        kinds += repeat("log_entries", len(logged))
        sizes += map(self.log_bytes.__getitem__, logged)
        keys.append("")
        kinds.append("gazetteer")
        sizes.append(len(self.gazetteer))
        add("resources", self.blobs["resources"], self.blobs["resources"])
        add("incidents", self.ended, incidents)
        add("calls", self.other_calls, calls)
        return Plan(kinds, keys, sizes, _cuts(sizes, PART_BYTES - len(self.reference) // 2))

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


def _cuts(sizes: list[int], budget: int) -> list[int]:
    """Where each part starts: a part takes items while their sizes (each plus a comma) stay
    within `budget`, and at least one. One bisection per part over the running sums."""
    ends = list(accumulate(map((1).__add__, sizes), initial=0))  # ends[i]: bytes before item i, commas counted
    starts, start, count = [], 0, len(sizes)
    while start < count:
        starts.append(start)
        # the part [start, stop) holds while ends[stop] - 1 - ends[start] <= budget
        stop = bisect_right(ends, ends[start] + budget + 1, lo=start + 1) - 1
        start = max(stop, start + 1)
    return starts or [0]
