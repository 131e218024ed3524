"""The `stats` query and the after-action report: the world's incidents (and any further
source of records, such as an archive) handed to the pure `statistics` module.

A source is a function of the world giving `IncidentRecord`s; `SOURCES` lists the live one, and
an archive adds its own next to it (records of one incident must come from one source only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.advice import statistics
from server.advice.statistics import IncidentRecord, ResourceRecord
from server.domain.world import World

RecordSource = Callable[[World], Iterable[IncidentRecord]]


def live_records(world: World) -> Iterable[IncidentRecord]:
    kinds = {u.id: u.kind for u in world.units.values()}
    return statistics.incident_records(world.incidents.values(), world.calls, kinds)


SOURCES: tuple[RecordSource, ...] = (live_records,)


def stats_query(
    world: World,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    by: Sequence[str] | None = None,
    sources: Sequence[RecordSource] = SOURCES,
) -> dict[str, Any]:
    """Every figure over incidents created in [start, end) (default: the first one → now)."""
    records = (record for source in sources for record in source(world))
    return statistics.compute(
        records,
        start=start.timestamp() if start else None,
        end=(end or now).timestamp(),
        targets=world.deployment.stats_targets,
        zone=ZoneInfo(world.deployment.timezone),
        units={u.id: u.kind for u in world.units.values() if u.active},
        resources=[
            ResourceRecord(str(r.resource_type), r.capacity, r.in_use, r.out_of_service)
            for r in world.resources.values()
        ],
        by=tuple(by) if by else statistics.DIMENSIONS,
    )
