"""`plan_is_stored` (server/domain/reference_sync.py): a start skips writing the reference files
only when the stored rows hold all they say; any difference, even of order, means a write."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime

from server.domain.reference import District
from server.domain.reference_sync import plan_is_stored, plan_reference
from server.domain.world import World
from server.reference import DEMO, load_reference

NOW = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
DATA = load_reference(DEMO)


def installed(data=DATA) -> World:
    """A world as the store holds it once `data` has been written (ids from a counter)."""
    ids = (f"id{n:04d}" for n in itertools.count())
    plan = plan_reference(World(), data, lambda: next(ids), NOW)
    world = World(districts={d.code: d for d in data.districts}, stations=plan.stations, units=plan.units,
                  incident_types={t.code: t for t in data.incident_types}, alert_targets=plan.alert_targets,
                  unit_status=dict(plan.new_statuses))  # fmt: skip
    world.resources = {"r1": object()} if data.resources else {}  # seeded: any resource counts
    return world


def stored(world: World, data=DATA) -> bool:
    return plan_is_stored(world, data, plan_reference(world, data, lambda: "new-id", NOW))


def test_files_already_installed_are_stored():
    assert stored(installed())


def test_a_new_unit_a_renamed_station_or_district_or_an_edited_type_is_not():
    world = installed()
    unit = DATA.units[0]
    assert not stored(world, replace(DATA, units=(*DATA.units, replace(unit, callsign="E99"))))
    station = DATA.stations[0]
    assert not stored(world, replace(DATA, stations=(replace(station, name="Elsewhere"), *DATA.stations[1:])))
    assert not stored(world, replace(DATA, districts=(District(DATA.districts[0].code, "Renamed"), *DATA.districts[1:])))
    kind = DATA.incident_types[0]
    assert not stored(world, replace(DATA, incident_types=(replace(kind, keywords=()), *DATA.incident_types[1:])))


def test_a_unit_gone_from_the_files_or_the_types_in_another_order_is_not():
    world = installed()
    assert not stored(world, replace(DATA, units=DATA.units[1:]))  # deactivated: written
    assert not stored(world, replace(DATA, incident_types=DATA.incident_types[::-1]))  # rewritten whole, in order


def test_resources_are_seeded_into_an_empty_deployment_only():
    world = installed()
    world.resources = {}
    assert DATA.resources and not stored(world, DATA)
    assert stored(installed(replace(DATA, resources=())), replace(DATA, resources=()))
