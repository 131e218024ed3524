"""HurriNet resources (shelters, medical, supplies, water) and their derived status."""

from __future__ import annotations

from enum import StrEnum

from server.domain.location import Location
from server.domain.records import record


class ResourceType(StrEnum):
    SHELTER = "SHELTER"
    MEDICAL = "MEDICAL"
    SUPPLIES = "SUPPLIES"
    WATER = "WATER"


class ResourceStatus(StrEnum):
    AVAILABLE = "AVAILABLE"
    LIMITED = "LIMITED"
    UNAVAILABLE = "UNAVAILABLE"
    ASSIGNED = "ASSIGNED"


LIMITED_BELOW_FREE = 0.25  # less than a quarter free → LIMITED


def derive_status(capacity: int, in_use: int, out_of_service: bool = False) -> ResourceStatus:
    """Forced out of service or no capacity at all → UNAVAILABLE; fully used → ASSIGNED;
    under 25 % free → LIMITED; else AVAILABLE."""
    if out_of_service or capacity <= 0:
        return ResourceStatus.UNAVAILABLE
    if in_use >= capacity:
        return ResourceStatus.ASSIGNED
    if (capacity - in_use) / capacity < LIMITED_BELOW_FREE:
        return ResourceStatus.LIMITED
    return ResourceStatus.AVAILABLE


@record
class Resource:
    id: str
    name: str
    resource_type: ResourceType
    district: str
    location: Location
    capacity: int
    in_use: int = 0
    out_of_service: bool = False

    @property
    def status(self) -> ResourceStatus:
        return derive_status(self.capacity, self.in_use, self.out_of_service)

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.in_use)
