"""The archive as a source of the `stats` query (domain.md § Statistics: live and archived
alike), kept between queries like the live table (server/advice/stats_query.py).

Read from the archive once per process, then topped up with each batch this process archives
(`Archive.listeners`). One incident counts from one source only: while an incident is in both
(a run that stopped between the archive's commit and the live removal) its archived row is
withheld, and added back once it has left the live world.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable

from server.advice import statistics
from server.advice.statistics import IncidentRecord
from server.domain.call import Call
from server.domain.incident import Incident
from server.domain.operations.archive import Archivable
from server.domain.world import World
from server.storage.archive import Archive

Pair = tuple[Incident, tuple[Call, ...]]


class ArchiveTable:
    def __init__(self, archive: Archive) -> None:
        self.archive = archive
        self.kinds: dict[str, str] | None = None
        self.table = statistics.RecordTable()
        self.records: dict[str, IncidentRecord] = {}
        self.rows: dict[str, int] = {}  # incident id → its row, for those counted
        self.waiting: set[str] = set()  # records not counted (yet): new, or still live too
        self.pending: list[Pair] = []  # archived since the last query
        archive.listeners.append(self._archived)

    def _archived(self, items: Archivable) -> None:
        # Possibly in the archiver's thread: only a list extend here, the work on the next query.
        self.pending.extend(items.incidents)

    def _add(self, found: Iterable[Pair], kinds: dict[str, str]) -> None:
        found = list(found)
        calls = {c.id: c for _, linked in found for c in linked}
        for record in statistics.incident_records([i for i, _ in found], calls, kinds):
            if record.id in self.rows:  # archived again (copied twice): its newer copy counts
                self.table.remove(self.rows.pop(record.id))
            self.records[record.id] = record
            self.waiting.add(record.id)

    def refresh(self, world: World) -> statistics.RecordTable:
        kinds = {u.id: u.kind for u in world.units.values()}
        if kinds != self.kinds:  # first use, or a reference reload changed a unit's kind
            self.kinds, self.pending, self.records, self.waiting = kinds, [], {}, set()
            self.table, self.rows = statistics.RecordTable(), {}
            self._add(((a.incident, a.calls) for a in self.archive.all_incidents()), kinds)
        if self.pending:
            pending, self.pending = self.pending, []
            self._add(pending, kinds)
        for incident_id in [i for i in self.waiting if i not in world.incidents]:
            self.rows[incident_id] = self.table.add(self.records[incident_id])
            self.waiting.discard(incident_id)
        for doubled in self.rows.keys() & world.incidents.keys():  # still live: the live table counts it
            self.table.remove(self.rows.pop(doubled))
            self.waiting.add(doubled)
        if self.table.dead > max(1000, self.table.size // 2):  # compact, as the live table does
            self.table = statistics.RecordTable()
            self.rows = {i: self.table.add(self.records[i]) for i in self.rows}
        return self.table


_tables: weakref.WeakKeyDictionary[Archive, ArchiveTable] = weakref.WeakKeyDictionary()


def archive_source(archive: Archive) -> Callable[[World], statistics.RecordTable]:
    """The `stats` source reading `archive` (one kept table per archive)."""
    held = _tables.get(archive)
    if held is None:
        held = _tables[archive] = ArchiveTable(archive)
    return held.refresh
