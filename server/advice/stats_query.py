"""The `stats` query and the after-action report: the world's incidents (and any further
source of records, such as an archive) handed to the pure `statistics` module.

A source is a function of the world giving a `RecordTable` of its incidents; `SOURCES` lists
the live one, and an archive adds its own next to it (`RecordTable.of(records)` or a kept
table; one incident must come from one source only).
"""

from __future__ import annotations

import itertools
import operator
import weakref
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.advice import statistics
from server.advice.statistics import IncidentRecord, ResourceRecord
from server.domain.incident import Incident
from server.domain.world import World

# A source gives the table of its records (built from IncidentRecords, kept as it likes).
RecordSource = Callable[[World], statistics.RecordTable]


class _LiveTable:
    """The live incidents as a `RecordTable`, kept between queries. Incidents are immutable
    (a change installs a new object), so an incident still the same object keeps its rows and
    a query converts only the incidents changed since the last one."""

    def __init__(self, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.table = statistics.RecordTable()
        self.rows: dict[str, tuple[Incident, IncidentRecord, int]] = {}
        self.order: list[str] = []  # the world's incident ids and objects at the last refresh
        self.objects: list[Incident] = []

    def refresh(self, world: World) -> statistics.RecordTable:
        kept, table = self.rows, self.table
        current, order = list(world.incidents.values()), list(world.incidents)
        if self.order == order:
            # The usual case: the same incidents in the same order (an update keeps a key's
            # place), so one C-level pass of `is not` finds the changed ones.
            changed = itertools.compress(current, map(operator.is_not, current, self.objects))
            stale = list(changed)
        else:
            stale = [i for i in current if (e := kept.get(i.id)) is None or e[0] is not i]
        for record, incident in zip(statistics.incident_records(stale, world.calls, self.kinds), stale, strict=True):
            old = kept.get(incident.id)
            if old is not None:
                table.remove(old[2])
            kept[incident.id] = (incident, record, table.add(record))
        if len(kept) != len(world.incidents):  # some left the world (archived)
            for gone in kept.keys() - world.incidents.keys():
                table.remove(kept.pop(gone)[2])
        if table.dead > max(1000, table.size // 2):  # compact: start again from the kept records
            self.table = table = statistics.RecordTable()
            self.rows = {key: (i, r, table.add(r)) for key, (i, r, _) in kept.items()}
        self.order, self.objects = order, current
        return table


# One table per live world (a World compares by value, so it is keyed by identity and dropped
# with the world).
_tables: dict[int, tuple[weakref.ref[World], _LiveTable]] = {}


def live_table(world: World) -> statistics.RecordTable:
    kinds = {u.id: u.kind for u in world.units.values()}
    held = _tables.get(id(world))
    live = held[1] if held is not None and held[0]() is world else None
    if live is None or live.kinds != kinds:  # a reference reload may change a unit's kind
        live = _LiveTable(kinds)
        key = id(world)
        _tables[key] = (weakref.ref(world, lambda _: _tables.pop(key, None)), live)
    return live.refresh(world)


SOURCES: tuple[RecordSource, ...] = (live_table,)


def stats_query(
    world: World,
    now: datetime,
    start: datetime | None = None,
    end: datetime | None = None,
    by: Sequence[str] | None = None,
    sources: Sequence[RecordSource] = SOURCES,
) -> dict[str, Any]:
    """Every figure over incidents created in [start, end) (default: the first one → now)."""
    return statistics.compute(
        [source(world) for source in sources],
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
