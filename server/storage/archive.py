"""The archive store: ended incidents with their calls, IncidentUnits, log entries, needs and
allocations, and calls archived on their own, kept out of the live database (docs/archive.md).

A separate SQLite file by default (`hurrinet-archive.db` beside `hurrinet.db`); on PostgreSQL a
schema of its own (`hurrinet_archive`) in the same database. Its tables are the live tables'
columns, copied from them (so a field added to the live schema is archived too), plus what a
search needs: when it was archived, the district, the words to match and the incident's call
order. Writing is idempotent: an item archived again replaces its earlier copy whole, so a run
that stopped between the archive's commit and the live removal is simply finished by the next.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from server.domain import shapes
from server.domain.call import Call
from server.domain.incident import Allocation, Incident, Need
from server.domain.location import Location
from server.domain.operations.archive import Archivable
from server.domain.resources import ResourceType
from server.storage import models as m
from server.storage.database import checkpoint, make_engine
from server.storage.store import call_row, incident_row, incident_unit_row, log_row

SCHEMA = "hurrinet_archive"  # PostgreSQL: the archive's own schema in the live database
VERSION = 1  # of the tables below; a newer archive is refused rather than misread

metadata = sa.MetaData()


def _copy(model: type[m.SQLModel], *extra: sa.Column, indexed: Sequence[str] = ()) -> sa.Table:
    """The live table's columns (types, keys, nullability) without its foreign keys: an archived
    row names units and resources the archive does not hold."""
    live: sa.Table = model.__table__  # type: ignore[attr-defined]
    columns = [sa.Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable, index=c.name in indexed)
               for c in live.columns]  # fmt: skip
    return sa.Table(live.name, metadata, *columns, *extra)


def _extra() -> tuple[sa.Column, ...]:
    return (
        sa.Column("archived_at", m.UTCDateTime, nullable=False),
        sa.Column("district", sa.String(16), nullable=True, index=True),
        sa.Column("search_text", sa.Text, nullable=False, default=""),
    )


INCIDENT = _copy(m.IncidentRow, *_extra(), sa.Column("call_ids", sa.JSON, nullable=False),
                 indexed=("incident_created", "incident_type"))  # fmt: skip
INCIDENT_UNIT = _copy(m.IncidentUnitRow, indexed=("incident_id",))
LOG_ENTRY = _copy(m.LogEntryRow, indexed=("incident_id",))
NEED = _copy(m.NeedRow, indexed=("incident_id",))
ALLOCATION = _copy(m.AllocationRow, indexed=("need_id",))
CALL = _copy(m.CallRow, *_extra(), indexed=("incident_id", "call_started"))
META = sa.Table("archive_meta", metadata, sa.Column("key", sa.String(32), primary_key=True),
                sa.Column("value", sa.String(200), nullable=False))  # fmt: skip


def default_url(database_url: str) -> str:
    """Beside the live SQLite file (`hurrinet.db` → `hurrinet-archive.db`); on any other
    database, the same one (its own schema)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        path = Path(url.database)
        return str(url.set(database=str(path.with_name(f"{path.stem}-archive{path.suffix or '.db'}"))))
    return database_url


@dataclass(frozen=True, slots=True)
class ArchivedIncident:
    incident: Incident
    calls: tuple[Call, ...]
    archived_at: datetime


@dataclass(frozen=True, slots=True)
class Found:
    incidents: list[tuple[Incident, datetime]]  # the incident's own fields (no units, log, needs)
    calls: list[tuple[Call, datetime]]
    more: bool


def _district(location: Location | None) -> str | None:
    return getattr(location, "district", None)


def _words(*parts: Any) -> str:
    """What `text` is matched against, lower-cased once here."""
    out = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, dict):
            out.extend(str(v) for v in part.values() if isinstance(v, str | int | float))
        else:
            out.append(str(part))
    return " ".join(out).lower()


def _location_words(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else shapes.LOCATION.to_wire(location)


def _call_words(call: Call) -> str:
    return _words(call.id, call.caller_name, call.caller_phone, call.description, _location_words(call.location))


class Archive:
    """One per process; the engine is made (and the tables created) on first use."""

    def __init__(self, url: str, schema: str | None = None) -> None:
        self.url = url
        self._engine: Engine | None = None
        self._opening = threading.Lock()  # the archiver's thread and a query may both open it first
        # PostgreSQL keeps the archive in a schema of its own; SQLite in its own file.
        self.schema = schema if schema is not None else (SCHEMA if make_url(url).get_backend_name() != "sqlite" else "")
        # Told of every batch this process archived, once committed (possibly from a thread):
        # the statistics' kept table adds them instead of reading the whole archive again.
        self.listeners: list[Callable[[Archivable], None]] = []

    @property
    def where(self) -> str:
        """The archive as an operator names it (no password)."""
        url = make_url(self.url)
        return url.database or "memory" if not self.schema else f"schema {self.schema} of {url.render_as_string()}"

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            with self._opening:
                if self._engine is None:
                    self._engine = self._open()
        return self._engine

    def _open(self) -> Engine:
        engine = make_engine(self.url)
        if self.schema:
            with engine.begin() as conn:
                conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
            engine = engine.execution_options(schema_translate_map={None: self.schema})
        metadata.create_all(engine)
        with engine.begin() as conn:
            found = conn.execute(sa.select(META.c.value).where(META.c.key == "version")).scalar_one_or_none()
            if found is None:
                conn.execute(META.insert(), {"key": "version", "value": str(VERSION)})
            elif int(found) > VERSION:
                engine.dispose()
                raise RuntimeError(f"the archive at {self.where} is of version {found}; this server reads {VERSION}")
        return engine

    def dispose(self) -> None:
        if self._engine is not None:
            checkpoint(self._engine)  # a stopped server leaves its archive file whole, as the live one
            self._engine.dispose()
            self._engine = None

    # --- writing --------------------------------------------------------------------------------
    def put(self, items: Archivable, at: datetime) -> None:
        """Copy every item in one transaction, replacing any earlier copy of it whole."""
        if not items:
            return
        incidents = [i for i, _ in items.incidents]
        calls = [c for _, linked in items.incidents for c in linked] + list(items.calls)
        with self.engine.begin() as conn:
            self._delete(conn, [i.id for i in incidents], [c.id for c in calls])
            rows: dict[sa.Table, list[dict[str, Any]]] = {t: [] for t in (INCIDENT, NEED, ALLOCATION, INCIDENT_UNIT,
                                                                          LOG_ENTRY, CALL)}  # fmt: skip
            for incident, linked in items.incidents:
                self._incident_rows(rows, incident, linked, at)
            for call in calls:
                rows[CALL].append(call_row(call) | {"archived_at": at, "district": _district(call.location),
                                                    "search_text": _call_words(call)})  # fmt: skip
            for table, batch in rows.items():
                if batch:
                    conn.execute(table.insert(), batch)
        for listener in self.listeners:
            listener(items)

    @staticmethod
    def _incident_rows(rows: dict[sa.Table, list[dict[str, Any]]], incident: Incident, calls: Iterable[Call],
                       at: datetime) -> None:  # fmt: skip
        words = _words(incident.id, incident.incident_type, incident.description, _location_words(incident.location),
                       *(_call_words(c) for c in calls), *(e.description for e in incident.log))  # fmt: skip
        rows[INCIDENT].append(incident_row(incident) | {
            "archived_at": at, "district": _district(incident.location), "search_text": words,
            "call_ids": list(incident.call_ids),
        })  # fmt: skip
        rows[INCIDENT_UNIT] += [incident_unit_row(incident.id, u, n) for n, u in enumerate(incident.units)]
        rows[LOG_ENTRY] += [log_row(e, n) for n, e in enumerate(incident.log)]
        for ordinal, need in enumerate(incident.needs):
            rows[NEED].append({"id": need.id, "incident_id": incident.id, "ordinal": ordinal,
                               "resource_type": need.resource_type.value, "quantity": need.quantity})  # fmt: skip
            rows[ALLOCATION] += [
                {"id": a.id, "need_id": need.id, "resource_id": a.resource_id, "quantity": a.quantity,
                 "allocated_at": a.allocated_at, "released_at": a.released_at}
                for a in need.allocations
            ]  # fmt: skip

    @staticmethod
    def _delete(conn: Connection, incident_ids: list[str], call_ids: list[str]) -> None:
        if incident_ids:
            needs = sa.select(NEED.c.id).where(NEED.c.incident_id.in_(incident_ids))
            conn.execute(ALLOCATION.delete().where(ALLOCATION.c.need_id.in_(needs)))
            for table in (NEED, LOG_ENTRY, INCIDENT_UNIT):
                conn.execute(table.delete().where(table.c.incident_id.in_(incident_ids)))
            conn.execute(INCIDENT.delete().where(INCIDENT.c.id.in_(incident_ids)))
        if call_ids:
            conn.execute(CALL.delete().where(CALL.c.id.in_(call_ids)))

    # --- reading --------------------------------------------------------------------------------
    def get(self, incident_id: str) -> ArchivedIncident | None:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(INCIDENT).where(INCIDENT.c.id == incident_id)).mappings().first()
            if row is None:
                return None
            loaded = self._load(conn, [row])
        return loaded[0]

    def has(self, incident_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(INCIDENT.c.id).where(INCIDENT.c.id == incident_id)).first() is not None

    def all_incidents(self) -> list[ArchivedIncident]:
        """Every archived incident whole (statistics)."""
        with self.engine.connect() as conn:
            return self._load(conn, conn.execute(sa.select(INCIDENT)).mappings().all())

    @staticmethod
    def _load(conn: Connection, rows: Sequence[Any]) -> list[ArchivedIncident]:
        ids = [r["id"] for r in rows]
        if not ids:
            return []

        def grouped(table: sa.Table) -> dict[str, list[Any]]:
            out: dict[str, list[Any]] = {i: [] for i in ids}
            query = sa.select(table).where(table.c.incident_id.in_(ids)).order_by(table.c.incident_id, table.c.ordinal)
            for r in conn.execute(query).mappings():
                out[r["incident_id"]].append(r)
            return out

        units, log, needs = grouped(INCIDENT_UNIT), grouped(LOG_ENTRY), grouped(NEED)
        need_ids = [n["id"] for group in needs.values() for n in group]
        allocations: dict[str, list[Allocation]] = {n: [] for n in need_ids}
        if need_ids:
            query = sa.select(ALLOCATION).where(ALLOCATION.c.need_id.in_(need_ids)).order_by(
                ALLOCATION.c.allocated_at, ALLOCATION.c.id)  # fmt: skip
            for r in conn.execute(query).mappings():
                allocations[r["need_id"]].append(
                    Allocation(r["id"], r["resource_id"], r["quantity"], r["allocated_at"], r["released_at"]))
        calls: dict[str, Call] = {}
        for r in conn.execute(sa.select(CALL).where(CALL.c.incident_id.in_(ids))).mappings():
            calls[r["id"]] = shapes.CALL.load(r)
        out = []
        for r in rows:
            iid = r["id"]
            incident = shapes.INCIDENT.load(
                r,
                call_ids=tuple(r["call_ids"]),
                units=tuple(shapes.INCIDENT_UNIT.load(u) for u in units[iid]),
                log=tuple(shapes.LOG_ENTRY.load(e) for e in log[iid]),
                needs=tuple(Need(n["id"], ResourceType(n["resource_type"]), n["quantity"], tuple(allocations[n["id"]]))
                            for n in needs[iid]),  # fmt: skip
            )
            linked = {c.id: c for c in calls.values() if c.incident_id == iid}
            ordered = [linked.pop(c) for c in incident.call_ids if c in linked]
            ordered += sorted(linked.values(), key=lambda c: c.call_started)
            out.append(ArchivedIncident(incident, tuple(ordered), r["archived_at"]))
        return out

    def search(self, text: str | None = None, start: datetime | None = None, end: datetime | None = None,
               incident_type: str | None = None, district: str | None = None, limit: int = 100) -> Found:  # fmt: skip
        """Incidents created in [start, end) (and unlinked calls started then) matching every
        filter given, newest first; a call has no type, so a type filter leaves calls out."""
        words = [w for w in (text or "").lower().split() if w]
        where = [INCIDENT.c.search_text.contains(w, autoescape=True) for w in words]
        call_where = [CALL.c.incident_id.is_(None), *(CALL.c.search_text.contains(w, autoescape=True) for w in words)]
        if start is not None:
            where.append(INCIDENT.c.incident_created >= start)
            call_where.append(CALL.c.call_started >= start)
        if end is not None:
            where.append(INCIDENT.c.incident_created < end)
            call_where.append(CALL.c.call_started < end)
        if district is not None:
            where.append(INCIDENT.c.district == district)
            call_where.append(CALL.c.district == district)
        if incident_type is not None:
            where.append(INCIDENT.c.incident_type == incident_type)
        with self.engine.connect() as conn:
            found = conn.execute(sa.select(INCIDENT).where(*where).order_by(
                INCIDENT.c.incident_created.desc(), INCIDENT.c.id).limit(limit + 1)).mappings().all()  # fmt: skip
            incidents = [(shapes.INCIDENT.load(r), r["archived_at"]) for r in found]
            calls: list[tuple[Call, datetime]] = []
            if incident_type is None:
                rows = conn.execute(sa.select(CALL).where(*call_where).order_by(
                    CALL.c.call_started.desc(), CALL.c.id).limit(limit + 1)).mappings().all()  # fmt: skip
                calls = [(shapes.CALL.load(r), r["archived_at"]) for r in rows]
        more = len(incidents) > limit or len(calls) > limit
        return Found(incidents[:limit], calls[:limit], more)
