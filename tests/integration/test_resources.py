"""Resource status derivation, allocation against capacity, release, release on close."""

import pytest

from server.domain.resources import derive_status
from tests.support.postgres import both_backends

pytestmark = both_backends


@pytest.mark.parametrize(
    "capacity, in_use, forced, status",
    [(100, 0, False, "AVAILABLE"), (100, 75, False, "AVAILABLE"), (100, 76, False, "LIMITED"),
     (100, 99, False, "LIMITED"), (100, 100, False, "ASSIGNED"), (100, 120, False, "ASSIGNED"),
     (0, 0, False, "UNAVAILABLE"), (100, 0, True, "UNAVAILABLE")],
)  # fmt: skip
def test_status_is_derived_from_the_numbers_unless_forced(capacity, in_use, forced, status):
    assert derive_status(capacity, in_use, forced) == status


def shelter(desk, free_at_least=1):
    return next(
        r for r in desk.world.resources.values()
        if r.resource_type == "SHELTER" and r.free >= free_at_least and not r.out_of_service
    )  # fmt: skip


def test_allocation_never_exceeds_capacity_and_release_frees_it(desk):
    incident = desk.ready_incident(incident_type="SHELTER", incident_priority="C")
    target = shelter(desk, 10)
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER",
                   quantity=target.free + 5)["need_id"]  # fmt: skip
    error = desk.refused("resource.allocate", resource_id=target.id, need_id=need, quantity=target.free + 1)
    assert error["code"] == "invariant" and error["details"]["free"] == target.free
    allocation = desk.ok("resource.allocate", resource_id=target.id, need_id=need, quantity=target.free)["allocation_id"]
    full = desk.world.resources[target.id]
    assert full.in_use == full.capacity and full.status == "ASSIGNED"
    assert desk.incident(incident).log[-1].change_data["change"] == "resource_allocated"
    desk.ok("resource.release", allocation_id=allocation)
    assert desk.world.resources[target.id].in_use == target.in_use
    assert desk.refused("resource.release", allocation_id=allocation)["code"] == "invariant"


def test_allocation_respects_type_need_and_service(desk):
    incident = desk.ready_incident()
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="WATER", quantity=10)["need_id"]
    assert desk.refused("resource.allocate", resource_id=shelter(desk).id, need_id=need, quantity=1)["code"] == "validation"
    water = next(r for r in desk.world.resources.values() if r.resource_type == "WATER" and r.free > 20)
    assert desk.refused("resource.allocate", resource_id=water.id, need_id=need, quantity=11)["code"] == "invariant"
    desk.ok("resource.update", resource_id=water.id, out_of_service=True)
    assert desk.world.resources[water.id].status == "UNAVAILABLE"
    assert "out of service" in desk.refused("resource.allocate", resource_id=water.id, need_id=need, quantity=1)["message"]


def test_closing_an_incident_releases_its_allocations(desk):
    incident = desk.ready_incident()
    target = shelter(desk, 5)
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=5)["need_id"]
    desk.ok("resource.allocate", resource_id=target.id, need_id=need, quantity=5)
    desk.ok("incident.close", incident_id=incident)
    assert desk.world.resources[target.id].in_use == target.in_use
    assert [e.change_data["change"] for e in desk.incident(incident).log][-2:] == ["resource_released", "state"]


def test_manual_in_use_cannot_drop_below_allocations(desk):
    incident = desk.ready_incident()
    target = shelter(desk, 5)
    need = desk.ok("incident.add_need", incident_id=incident, resource_type="SHELTER", quantity=5)["need_id"]
    desk.ok("resource.allocate", resource_id=target.id, need_id=need, quantity=5)
    error = desk.refused("resource.update", resource_id=target.id, in_use=4)
    assert error["code"] == "invariant" and error["details"]["allocated"] == 5
    assert desk.refused("resource.update", resource_id=target.id, capacity=-1)["code"] == "validation"
