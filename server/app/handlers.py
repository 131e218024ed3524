"""One function per command: (Change, validated args) → result value.

Handlers only translate: the rules are in `server.domain.operations`. The runner gives each
command its own `Change` and commits it as one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from server import protocol as p
from server.app import wire
from server.domain import shapes
from server.domain.errors import NotFound
from server.domain.operations import archive as archival
from server.domain.operations import calls, incidents, received, resources, units
from server.domain.values import Coordinates, Staffing
from server.domain.world import Change
from server.exchange import eido
from server.storage.archive import Archive, ArchivedIncident

Value = dict[str, Any]
Handler = Callable[[Change, Any], Value]
# A query that may read the archive besides the world (an incident no longer live).
Reader = Callable[[Change, Any, Archive], Value]


def _given(args: p.Args, *exclude: str) -> dict[str, Any]:
    """The fields the client sent (absent = leave alone, null = clear)."""
    return {k: getattr(args, k) for k in args.model_fields_set if k not in exclude}


def incident_create(ch: Change, a: p.IncidentCreate) -> Value:
    return {"incident_id": incidents.create_incident(ch, **_given(a)).id}


def incident_update(ch: Change, a: p.IncidentUpdate) -> Value:
    incidents.update_incident(ch, a.incident_id, _given(a, "incident_id"))
    return {}


def incident_set_state(ch: Change, a: p.IncidentSetState) -> Value:
    incidents.set_state(ch, a.incident_id, a.state)
    return {}


def incident_close(ch: Change, a: p.IncidentRef) -> Value:
    incidents.close(ch, a.incident_id)
    return {}


def incident_note(ch: Change, a: p.IncidentNote) -> Value:
    return {"entry_id": incidents.note(ch, a.incident_id, a.text)}


def incident_add_need(ch: Change, a: p.IncidentAddNeed) -> Value:
    return {"need_id": incidents.add_need(ch, a.incident_id, a.resource_type, a.quantity)}


def call_create(ch: Change, a: p.CallCreate) -> Value:
    return {"call_id": calls.create(ch, _given(a)).id}


def call_update(ch: Change, a: p.CallUpdate) -> Value:
    calls.update(ch, a.call_id, _given(a, "call_id"))
    return {}


def call_create_incident(ch: Change, a: p.CallRef) -> Value:
    return {"incident_id": calls.create_incident(ch, a.call_id)}


def call_attach(ch: Change, a: p.CallAttach) -> Value:
    calls.attach(ch, a.call_id, a.incident_id)
    return {}


def call_detach(ch: Change, a: p.CallRef) -> Value:
    calls.detach(ch, a.call_id)
    return {}


def call_copy_location(ch: Change, a: p.CallRef) -> Value:
    calls.copy_location(ch, a.call_id)
    return {}


def call_end(ch: Change, a: p.CallRef) -> Value:
    calls.end(ch, a.call_id)
    return {}


def unit_assign(ch: Change, a: p.UnitAssign) -> Value:
    return {"incident_unit_ids": units.assign(ch, a.incident_id, a.units, a.state)}


def unit_unassign(ch: Change, a: p.UnitRef) -> Value:
    units.unassign(ch, a.unit)
    return {}


def unit_release(ch: Change, a: p.UnitRef) -> Value:
    units.release(ch, a.unit)
    return {}


def unit_reassign(ch: Change, a: p.UnitReassign) -> Value:
    return {"incident_unit_ids": units.reassign(ch, a.unit, a.incident_id, a.state)}


def unit_dispatch(ch: Change, a: p.UnitDispatch) -> Value:
    return units.dispatch(ch, a.incident_id, a.units)


def unit_confirm_dispatch(ch: Change, a: p.UnitRef) -> Value:
    units.confirm_dispatch(ch, a.unit)
    return {}


def unit_set_state(ch: Change, a: p.UnitSetState) -> Value:
    units.set_state(ch, a.unit, a.state)
    return {}


def unit_set_staffing(ch: Change, a: p.UnitSetStaffing) -> Value:
    units.set_staffing(ch, a.unit, Staffing(a.officers, a.subofficers, a.crew))
    return {}


def unit_set_position(ch: Change, a: p.UnitSetPosition) -> Value:
    units.set_position(ch, a.unit, Coordinates(a.coordinates.lat, a.coordinates.lon))
    return {}


def alert_ack(ch: Change, a: p.AlertAck) -> Value:
    return {"applied": units.acknowledge(ch, a.unit, a.target_id)}


def unit_dispatch_timeout(ch: Change, a: p.UnitDispatchTimeout) -> Value:
    return {"timed_out": units.dispatch_timeout(ch, a.unit, wire.parse_iso(a.since))}


def alert_failed(ch: Change, a: p.AlertFailed) -> Value:
    failure = {"target_id": a.target_id, "reason": a.reason, "attempt": a.attempt, "final": a.final}
    return {"recorded": units.alert_failed(ch, a.unit, a.incident_id, failure)}


def resource_update(ch: Change, a: p.ResourceUpdate) -> Value:
    resources.update(ch, a.resource_id, _given(a, "resource_id"))
    return {}


def resource_allocate(ch: Change, a: p.ResourceAllocate) -> Value:
    return {"allocation_id": resources.allocate(ch, a.resource_id, a.need_id, a.quantity)}


def resource_release(ch: Change, a: p.ResourceRelease) -> Value:
    resources.release(ch, a.allocation_id)
    return {}


def eido_import(ch: Change, a: p.EidoImport) -> Value:
    from server.exchange import eido_import as eido_reading  # on first use: see DEFERRED_IMPORTS

    places = eido_reading.Places(ch.world.districts, ch.deployment.service_area)
    plan = eido_reading.from_eido(a.eido, places, ch.world.incident_types)
    return {"incident_id": received.create_received(ch, plan)}


# Queries read through the Change like any handler and must leave it empty.

# What only some queries (and the EIDO import) need is imported when first asked for, not
# at start: numpy under the recommendations, the vicinity and the statistics, and the EIDO
# reader cost about 0.2 s of every start (docs/performance.md § Start-up). `serve` imports
# them in the background once it listens, so the first such query does not wait for them.
DEFERRED_IMPORTS = ("server.advice.recommendations", "server.app.lookups", "server.advice.stats_query",
               "server.app.archive_stats", "server.exchange.eido_import")  # fmt: skip


def _archived(ch: Change, archive: Archive, incident_id: str) -> ArchivedIncident:
    """An incident that is not live, read back from the archive; not_found if it is neither."""
    found = archive.get(incident_id)
    if found is None:
        raise NotFound(f"no incident {incident_id!r}", incident_id=incident_id)
    return found


def incident_eido(ch: Change, a: p.IncidentRef, archive: Archive) -> Value:
    incident_id = eido.incident_id_from_tracking(a.incident_id, eido.agency_id(ch.deployment))
    if incident_id in ch.world.incidents:
        incident = ch.incident(incident_id)
        calls_of = [ch.call(call_id) for call_id in incident.call_ids]
    else:
        found = _archived(ch, archive, incident_id)
        incident, calls_of = found.incident, list(found.calls)
    return {"eido": eido.to_eido(incident, calls_of, eido.Directory.of(ch.world))}


def classify(ch: Change, a: p.Classify) -> Value:
    from server.advice import recommendations  # on first use: see DEFERRED_IMPORTS

    return recommendations.classify_query(ch, a.text, a.location, a.incident_id, a.call_id)


def recommend_units(ch: Change, a: p.RecommendFor) -> Value:
    from server.advice import recommendations  # on first use: see DEFERRED_IMPORTS

    return recommendations.recommend_units_query(ch, a.incident_id)


def recommend_resources(ch: Change, a: p.RecommendFor) -> Value:
    from server.advice import recommendations  # on first use: see DEFERRED_IMPORTS

    return recommendations.recommend_resources_query(ch, a.incident_id)


def call_vicinity(ch: Change, a: p.CallVicinity) -> Value:
    from server.app import lookups  # on first use: see DEFERRED_IMPORTS

    point = Coordinates(a.coordinates.lat, a.coordinates.lon) if a.coordinates is not None else None
    return lookups.vicinity_query(ch, a.call_id, point, a.radius_m)


def geocode(ch: Change, a: p.Geocode) -> Value:
    from server.app import lookups  # on first use: see DEFERRED_IMPORTS

    return lookups.geocode_query(ch, a.query)


def incident_log(ch: Change, a: p.IncidentRef, archive: Archive) -> Value:
    """Any incident's whole log, live or archived: the snapshot carries only open incidents'."""
    live = ch.world.incidents.get(a.incident_id)
    incident = live if live is not None else _archived(ch, archive, a.incident_id).incident
    return {"entries": [wire.log_entry(e) for e in incident.log]}


def stats(ch: Change, a: p.Stats, archive: Archive) -> Value:
    from server.advice.stats_query import live_table, stats_query  # on first use: see DEFERRED_IMPORTS
    from server.app.archive_stats import archive_source

    sources = (live_table, archive_source(archive))  # live and archived alike (domain.md § Statistics)
    return stats_query(ch.world, ch.now, p.parse_iso(a.from_), p.parse_iso(a.to), a.by, sources)


def incident_archive(ch: Change, a: p.IncidentArchive) -> Value:
    done = archival.remove(ch, a.incidents, a.calls, timedelta(seconds=a.older_than_s))
    return {"archived": done.incidents, "calls": done.calls, "skipped": done.skipped}


def archive_search(ch: Change, a: p.ArchiveSearch, archive: Archive) -> Value:
    found = archive.search(a.text, p.parse_iso(a.from_), p.parse_iso(a.to), a.incident_type, a.district, a.limit)
    return {
        "incidents": [shapes.INCIDENT.wire(i) | {"archived_at": p.iso(at)} for i, at in found.incidents],
        "calls": [wire.call(c) | {"archived_at": p.iso(at)} for c, at in found.calls],
        "more": found.more,
    }


def archive_get(ch: Change, a: p.IncidentRef, archive: Archive) -> Value:
    """The archived incident whole, in the same wire shapes the live one had."""
    found = _archived(ch, archive, a.incident_id)
    return {
        "incident": wire.incident(found.incident),
        "calls": [wire.call(c) for c in found.calls],
        "log_entries": [wire.log_entry(e) for e in found.incident.log],
        "archived_at": p.iso(found.archived_at),
    }


# Controls act on the server process and account commands on the user's account: the hub
# answers both, not a handler.
HANDLERS: dict[str, Handler] = {
    "incident.create": incident_create,
    "incident.update": incident_update,
    "incident.set_state": incident_set_state,
    "incident.close": incident_close,
    "incident.note": incident_note,
    "incident.add_need": incident_add_need,
    "call.create": call_create,
    "call.update": call_update,
    "call.create_incident": call_create_incident,
    "call.attach": call_attach,
    "call.detach": call_detach,
    "call.copy_location": call_copy_location,
    "call.end": call_end,
    "unit.assign": unit_assign,
    "unit.unassign": unit_unassign,
    "unit.release": unit_release,
    "unit.reassign": unit_reassign,
    "unit.dispatch": unit_dispatch,
    "unit.confirm_dispatch": unit_confirm_dispatch,
    "unit.set_state": unit_set_state,
    "unit.set_staffing": unit_set_staffing,
    "unit.set_position": unit_set_position,
    "alert.ack": alert_ack,
    "alert.failed": alert_failed,
    "unit.dispatch_timeout": unit_dispatch_timeout,
    "resource.update": resource_update,
    "resource.allocate": resource_allocate,
    "resource.release": resource_release,
    "classify": classify,
    "recommend.units": recommend_units,
    "recommend.resources": recommend_resources,
    "call.vicinity": call_vicinity,
    "geocode": geocode,
    "eido.import": eido_import,
    "incident.archive": incident_archive,
}

# Queries that read the archive too (the runner hands them its `Archive`).
READERS: dict[str, Reader] = {
    "incident.log": incident_log,
    "incident.eido": incident_eido,
    "stats": stats,
    "archive.search": archive_search,
    "archive.get": archive_get,
}
