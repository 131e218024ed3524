"""Archival (domain.md § Archival): which ended incidents and unlinked ended calls may leave the
live state, and their removal from it.

Pure: the archive store copies what `archivable` picks (server/storage/archive.py) and only
then the system command `incident.archive` removes it here, checking each item again against
the fingerprint taken when it was copied, so nothing that changed in between is dropped
unarchived (it is copied again on the next run).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from server.domain.call import Call
from server.domain.incident import Incident
from server.domain.world import Change, World


@dataclass(frozen=True, slots=True)
class Archivable:
    """What one run archives: each incident with every call linked to it, and calls linked to
    no incident."""

    incidents: tuple[tuple[Incident, tuple[Call, ...]], ...] = ()
    calls: tuple[Call, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.incidents or self.calls)


def fingerprint(*items: object) -> str:
    """Every field of the given entities, hashed: entities are immutable values whose repr
    names each field, so an equal fingerprint means nothing changed since the copy."""
    return hashlib.blake2b(repr(items).encode(), digest_size=16).hexdigest()


def _calls_by_incident(calls: Iterable[Call]) -> dict[str | None, list[Call]]:
    grouped: dict[str | None, list[Call]] = defaultdict(list)
    for call in calls:
        grouped[call.incident_id].append(call)
    for linked in grouped.values():
        linked.sort(key=lambda c: c.call_started)
    return grouped


def held_incidents(world: World) -> set[str]:
    """Incidents a unit's status still names: they stay live until it lets go."""
    return {s.assigned_to_incident_id for s in world.unit_status.values() if s.assigned_to_incident_id}


def incident_refusal(incident: Incident, calls: Iterable[Call], held: set[str], cutoff: datetime) -> str | None:
    """Why the incident may not be archived yet (None: it may)."""
    if not incident.ended or incident.incident_ended is None:
        return f"incident {incident.id} has not ended"
    if incident.incident_ended > cutoff:
        return f"incident {incident.id} ended too recently"
    active = [c.id for c in calls if not c.ended]
    if active:
        return f"incident {incident.id} has an active call ({', '.join(active)})"
    if incident.id in held:
        return f"a unit's status still names incident {incident.id}"
    return None


def call_refusal(call: Call, cutoff: datetime) -> str | None:
    if call.incident_id is not None:
        return f"call {call.id} belongs to incident {call.incident_id}"
    if not call.ended or call.call_ended is None:
        return f"call {call.id} has not ended"
    if call.call_ended > cutoff:
        return f"call {call.id} ended too recently"
    return None


def archivable(world: World, now: datetime, older_than: timedelta, limit: int | None = None) -> Archivable:
    """Ended incidents (with their calls) and unlinked ended calls that ended before
    `now - older_than`, oldest first, at most `limit` of each."""
    cutoff = now - older_than
    held = held_incidents(world)
    calls = _calls_by_incident(world.calls.values())
    incidents = sorted(
        (i for i in world.incidents.values() if i.incident_ended is not None and i.incident_ended <= cutoff),
        key=lambda i: i.incident_ended,  # type: ignore[arg-type, return-value]
    )
    picked = [(i, tuple(calls.get(i.id, ()))) for i in incidents if incident_refusal(i, calls.get(i.id, ()), held, cutoff) is None]
    loose = sorted((c for c in calls.get(None, ()) if call_refusal(c, cutoff) is None),
                   key=lambda c: c.call_ended)  # type: ignore[arg-type, return-value]  # fmt: skip
    return Archivable(tuple(picked[:limit]), tuple(loose[:limit]))


@dataclass(frozen=True, slots=True)
class Removed:
    incidents: list[str]
    calls: list[str]
    skipped: list[dict[str, str]]


def remove(ch: Change, incidents: dict[str, str], calls: dict[str, str], older_than: timedelta) -> Removed:
    """Remove the given incidents (with their calls) and unlinked calls from the live state,
    each only if it may still be archived and its fingerprint is the one copied (id →
    fingerprint); one `incident.archived` / `call.archived` event each. An id no longer live
    was removed already (a run that stopped half way): nothing to do."""
    cutoff = ch.now - older_than
    held = held_incidents(ch.world)
    linked = _calls_by_incident(c for c in ch.world.calls.values())
    done = Removed([], [], [])
    for incident_id, copied in incidents.items():
        incident = ch.world.incidents.get(incident_id)
        if incident is None:
            continue
        its_calls = linked.get(incident_id, [])
        why = incident_refusal(incident, its_calls, held, cutoff)
        if why is None and fingerprint(incident, tuple(its_calls)) != copied:
            why = f"incident {incident_id} changed since it was copied to the archive"
        if why is not None:
            done.skipped.append({"id": incident_id, "reason": why})
            continue
        for call in its_calls:
            ch.remove_call(call.id)
        ch.remove_incident(incident_id)
        ch.emit("incident.archived", incident_id=incident_id)
        done.incidents.append(incident_id)
    for call_id, copied in calls.items():
        call = ch.world.calls.get(call_id)
        if call is None:
            continue
        why = call_refusal(call, cutoff)
        if why is None and fingerprint(call) != copied:
            why = f"call {call_id} changed since it was copied to the archive"
        if why is not None:
            done.skipped.append({"id": call_id, "reason": why})
            continue
        ch.remove_call(call_id)
        ch.emit("call.archived", call_id=call_id)
        done.calls.append(call_id)
    return done
