"""Reconcile a deployment's reference files with the reference data already in service.

Entities keep their Nano IDs across reloads (matched by station code, callsign, target code);
what disappeared from the files is deactivated, never deleted, because history refers to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from server.domain.errors import InvariantViolated
from server.domain.records import replace
from server.domain.reference import AlertTarget, ReferenceData, Station, Unit
from server.domain.unit_status import UnitState, UnitStatus
from server.domain.world import World


@dataclass(frozen=True, slots=True)
class ReferencePlan:
    stations: dict[str, Station]
    units: dict[str, Unit]
    alert_targets: dict[str, AlertTarget]
    new_statuses: dict[str, UnitStatus]


def plan_reference(world: World, data: ReferenceData, new_id: Callable[[], str], now: datetime) -> ReferencePlan:
    station_ids = {s.code: s.id for s in world.stations.values()}
    stations = {
        s.id: replace(s, active=False) for s in world.stations.values()
    }  # whatever the files no longer list
    for seed in data.stations:
        sid = station_ids.get(seed.code) or new_id()
        station_ids[seed.code] = sid
        stations[sid] = Station(sid, seed.code, seed.name, seed.district, seed.location, seed.active)

    unit_ids = {u.callsign: u.id for u in world.units.values()}
    units = {u.id: replace(u, active=False) for u in world.units.values()}
    new_statuses: dict[str, UnitStatus] = {}
    for seed in data.units:
        uid = unit_ids.get(seed.callsign)
        if uid is None:
            uid = unit_ids[seed.callsign] = new_id()
            new_statuses[uid] = UnitStatus(uid, UnitState.UNAVAILABLE, now, staffing=seed.staffing,
                                           staffing_changed_at=now if seed.staffing else None)  # fmt: skip
        units[uid] = Unit(uid, seed.callsign, seed.kind, station_ids[seed.station_code], seed.active)
    still_assigned = [
        u.callsign
        for u in units.values()
        if not u.active
        and (status := world.unit_status.get(u.id)) is not None
        and status.assigned_to_incident_id is not None
    ]
    if still_assigned:
        raise InvariantViolated(
            f"cannot deactivate units still assigned: {', '.join(sorted(still_assigned))}",
            units=sorted(still_assigned),
        )

    target_ids = {t.code: t.id for t in world.alert_targets.values()}
    targets = {t.id: replace(t, active=False) for t in world.alert_targets.values()}
    for seed in data.alert_targets:
        tid = target_ids.get(seed.code) or new_id()
        served = frozenset(unit_ids[c] for c in seed.callsigns)
        targets[tid] = AlertTarget(tid, seed.code, seed.name, seed.type, seed.config, served, seed.active)
    return ReferencePlan(stations, units, targets, new_statuses)


def plan_is_stored(world: World, data: ReferenceData, plan: ReferencePlan) -> bool:
    """Whether `world` (as stored) holds everything installing `plan` and `data` would write:
    then a start need not write it. Exact, or else cautious: any difference (even of order in
    the incident types, which are rewritten whole) means the files are written."""
    return (
        not plan.new_statuses
        and all(world.districts.get(d.code) == d for d in data.districts)
        and plan.stations == world.stations
        and plan.units == world.units
        and plan.alert_targets == world.alert_targets
        and list(world.incident_types.values()) == list(data.incident_types)
        and not (data.resources and not world.resources)  # resources are seeded into an empty deployment only
    )
