"""Resource operations: manual updates, allocations to incident needs, releases."""

from __future__ import annotations

from typing import Any

from server.domain.errors import InvariantViolated, NotFound, ValidationFailed
from server.domain.incident import Allocation, Incident, Need, ensure_open
from server.domain.incident import ChangeKind as Kind
from server.domain.operations import log
from server.domain.records import replace
from server.domain.resources import Resource
from server.domain.values import check_count
from server.domain.world import Change


def _count(field: str, value: Any) -> int:
    return check_count(field, value, minimum=0)


def allocated_at(ch: Change, resource_id: str) -> int:
    """Quantity of a resource held by open allocations, across every incident."""
    return sum(
        a.quantity
        for incident in ch.all_incidents()
        for need in incident.needs
        for a in need.allocations
        if a.open and a.resource_id == resource_id
    )


def update(ch: Change, resource_id: str, fields: dict[str, Any]) -> Resource:
    resource = ch.resource(resource_id)
    changes: dict[str, Any] = {}
    if "capacity" in fields:
        changes["capacity"] = _count("capacity", fields["capacity"])
    if "in_use" in fields:
        changes["in_use"] = _count("in_use", fields["in_use"])
    if "out_of_service" in fields:
        if not isinstance(fields["out_of_service"], bool):
            raise ValidationFailed("out_of_service must be true or false", field="out_of_service")
        changes["out_of_service"] = fields["out_of_service"]
    updated = replace(resource, **changes)
    held = allocated_at(ch, resource_id)
    if updated.in_use < held:
        raise InvariantViolated(
            f"{resource.name}: in use {updated.in_use} is below the {held} held for incidents",
            resource_id=resource_id,
            allocated=held,
        )
    if updated != resource:
        ch.emit("resource.updated", resource=ch.put_resource(updated))
    return updated


def _find_need(ch: Change, need_id: str) -> tuple[Incident, Need]:
    for incident in ch.all_incidents():
        need = incident.need(need_id)
        if need is not None:
            return incident, need
    raise NotFound(f"no resource need {need_id!r}", need_id=need_id)


def _find_allocation(ch: Change, allocation_id: str) -> tuple[Incident, Need, Allocation]:
    for incident in ch.all_incidents():
        for need in incident.needs:
            for allocation in need.allocations:
                if allocation.id == allocation_id:
                    return incident, need, allocation
    raise NotFound(f"no allocation {allocation_id!r}", allocation_id=allocation_id)


def allocate(ch: Change, resource_id: str, need_id: str, quantity: Any) -> str:
    resource = ch.resource(resource_id)
    incident, need = _find_need(ch, need_id)
    incident = ch.incident(incident.id)
    ensure_open(incident)
    quantity = check_count("quantity", quantity)
    if resource.resource_type != need.resource_type:
        raise ValidationFailed(
            f"{resource.name} is {resource.resource_type}; the need is for {need.resource_type}",
            field="resource_id",
        )
    if resource.out_of_service:
        raise InvariantViolated(f"{resource.name} is out of service", resource_id=resource_id)
    if quantity > need.remaining:
        raise InvariantViolated(
            f"the need has {need.remaining} left to allocate; asked for {quantity}",
            need_id=need_id,
            remaining=need.remaining,
        )
    if quantity > resource.free:
        raise InvariantViolated(
            f"{resource.name} has {resource.free} free; asked for {quantity}",
            resource_id=resource_id,
            free=resource.free,
        )
    allocation = Allocation(ch.new_id(), resource_id, quantity, allocated_at=ch.now)
    resource = ch.put_resource(replace(resource, in_use=resource.in_use + quantity))
    incident = incident.with_need(replace(need, allocations=(*need.allocations, allocation)))
    value = {"resource_id": resource_id, "need_id": need_id, "quantity": quantity}
    log.record(ch, incident, Kind.RESOURCE_ALLOCATED, value, "resource.updated", resource=resource)
    return allocation.id


def _release(ch: Change, incident: Incident, need: Need, allocation: Allocation) -> Incident:
    resource = ch.resource(allocation.resource_id)
    resource = ch.put_resource(replace(resource, in_use=max(0, resource.in_use - allocation.quantity)))
    released = replace(allocation, released_at=ch.now)
    need = incident.need(need.id) or need
    need = replace(need, allocations=tuple(released if a.id == allocation.id else a for a in need.allocations))
    value = {"resource_id": resource.id, "need_id": need.id, "quantity": allocation.quantity}
    return log.record(
        ch, incident.with_need(need), Kind.RESOURCE_RELEASED, value, "resource.updated", resource=resource
    )


def release(ch: Change, allocation_id: str) -> None:
    incident, need, allocation = _find_allocation(ch, allocation_id)
    incident = ch.incident(incident.id)
    ensure_open(incident)
    if not allocation.open:
        raise InvariantViolated(f"allocation {allocation_id} was already released", allocation_id=allocation_id)
    _release(ch, incident, need, allocation)


def release_all(ch: Change, incident: Incident) -> Incident:
    """Free every open allocation of an incident that is about to end."""
    for need in incident.needs:
        for allocation in need.allocations:
            if allocation.open:
                incident = _release(ch, incident, need, allocation)
    return incident
