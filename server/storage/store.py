"""The persistence adapter: loads the world at start and writes each command's change,
its events and its result in one database transaction.

Reads and writes go through SQLAlchemy Core on the SQLModel tables: loading ORM objects costs
about ten times more (design.md), and the live state is served from memory anyway.
"""

from __future__ import annotations

import contextlib
import operator
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect, Engine

from server.domain import shapes
from server.domain.call import Call
from server.domain.incident import Allocation, Incident, IncidentUnit, LogEntry, Need
from server.domain.location import Location, Place, location_to_wire
from server.domain.reference import (
    AlertTarget,
    AlertTargetType,
    District,
    IncidentType,
    Priority,
    ReferenceData,
    Station,
    Unit,
)
from server.domain.reference_sync import ReferencePlan, plan_is_stored, plan_reference
from server.domain.resources import Resource, ResourceType
from server.domain.unit_status import UnitStatus
from server.domain.world import Change, World
from server.protocol import iso
from server.storage import models as m
from server.storage.database import reader


def _table(model: type[m.SQLModel]) -> sa.Table:
    return model.__table__  # type: ignore[attr-defined]


# --- rows ⇄ entities: declared once in server/domain/shapes.py ---------------------------------


def incident_row(i: Incident) -> dict[str, Any]:
    return shapes.INCIDENT.row(i)


def incident_unit_row(incident_id: str, u: IncidentUnit, ordinal: int) -> dict[str, Any]:
    return shapes.INCIDENT_UNIT.row(u, incident_id=incident_id, ordinal=ordinal)


def log_row(e: LogEntry, ordinal: int) -> dict[str, Any]:
    return shapes.LOG_ENTRY.row(e, ordinal=ordinal)


def call_row(c: Call) -> dict[str, Any]:
    return shapes.CALL.row(c)


def status_row(s: UnitStatus) -> dict[str, Any]:
    return shapes.UNIT_STATUS.row(s)


def resource_row(r: Resource) -> dict[str, Any]:
    return shapes.RESOURCE.row(r)


def location_from_json(data: dict[str, Any] | None) -> Location | None:
    return None if data is None else shapes.location_from_row(data)


def _location_json(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else location_to_wire(location)


def _upsert(conn: Connection, model: type[m.SQLModel], rows: Iterable[dict[str, Any]]) -> None:
    """Insert or replace by primary key (the reference data), as a command's rows are written."""
    rows = list(rows)
    if rows:
        _write_rows(conn, _table(model), rows, True, {})


class _Rendered:
    """One table's INSERT, or upsert by primary key (`ON CONFLICT … DO UPDATE`, which SQLite and
    PostgreSQL share), for one set of columns, rendered once per dialect. A command's rows go
    to the driver as this SQL and plain tuples: SQLAlchemy's statement building, cache key and
    per-row parameter machinery cost more than the inserts themselves (docs/performance.md).
    Each value still passes through its column type's own bind processor, so what is stored is
    exactly what SQLAlchemy would have stored."""

    def __init__(self, table: sa.Table, columns: tuple[str, ...], upsert: bool, dialect: Any) -> None:
        quote = dialect.identifier_preparer.quote
        marker = "?" if dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(quote(c) for c in columns)
        self.sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({', '.join([marker] * len(columns))})"
        if upsert:
            keys = [c.name for c in table.primary_key.columns]
            updates = ", ".join(f"{quote(c)} = excluded.{quote(c)}" for c in columns if c not in keys)
            self.sql += f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {updates}"
        types = [table.c[c].type for c in columns]
        self.columns = columns
        getter = operator.itemgetter(*columns)  # a row's values in one C call; one column gives a bare value
        self.take = getter if len(columns) > 1 else lambda row: (getter(row),)
        self.processors = [t.dialect_impl(dialect).bind_processor(dialect) for t in types]
        # Times repeat across a batch's rows (a command's `now` is in most of them): converted once each.
        self.memoised = [isinstance(t, m.UTCDateTime) for t in types]

    def params(self, rows: list[dict[str, Any]], memo: dict[Any, Any]) -> list[tuple[Any, ...]]:
        values = [list(self.take(row)) for row in rows]
        for n, (process, memoised) in enumerate(zip(self.processors, self.memoised, strict=True)):
            if process is None:
                continue
            for row in values:
                value = row[n]
                if value is None:
                    continue
                if memoised:
                    converted = memo.get(value)
                    if converted is None:
                        converted = memo[value] = process(value)
                    row[n] = converted
                else:
                    row[n] = process(value)
        return [tuple(row) for row in values]


_RENDERED: dict[tuple[str, str, tuple[str, ...], bool], _Rendered] = {}


def _write_rows(conn: Connection, table: sa.Table, rows: list[dict[str, Any]], upsert: bool,
                memo: dict[Any, Any]) -> None:  # fmt: skip
    """Write `rows` in `conn`'s transaction."""
    _execute(conn, _table_statements(conn.dialect, table, rows, upsert, memo))


def _execute(conn: Connection, statements: Iterable[tuple[str, list[tuple[Any, ...]]]]) -> None:
    for sql, params in statements:
        conn.exec_driver_sql(sql, params if len(params) > 1 else params[0])


def _table_statements(dialect: Dialect, table: sa.Table, rows: list[dict[str, Any]], upsert: bool,
                memo: dict[Any, Any]) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:  # fmt: skip
    """The statements that write `rows`, with their parameters: one executemany per set of
    columns (rows made by one function share it)."""
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_columns[tuple(row)].append(row)
    for columns, same in by_columns.items():
        key = (dialect.name, table.name, columns, upsert)
        rendered = _RENDERED.get(key)
        if rendered is None:
            rendered = _RENDERED[key] = _Rendered(table, columns, upsert, dialect)
        yield rendered.sql, rendered.params(same, memo)


def user_key(user_id: str | None) -> str:
    """Command ids are unique per user; the system's (timers) have no user."""
    return user_id or ""


@dataclass
class WriteSet:
    """The rows one command writes, computed before its change is installed in the world
    (so a commit may run in another thread while the world moves on)."""

    upserts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    inserts: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    # Ids of entities that leave the live state (archived), by table: "incident" (with its
    # units, log, needs and allocations) and "call"; deleted after every upsert and insert.
    deletes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def merge(self, other: WriteSet) -> None:
        for mine, theirs in ((self.upserts, other.upserts), (self.inserts, other.inserts)):
            for name, rows in theirs.items():
                mine[name].extend(rows)
        for name, ids in other.deletes.items():
            self.deletes[name] |= ids


_TABLES = {model.__tablename__: _table(model) for model in (  # type: ignore[attr-defined]
    m.ResourceRow, m.IncidentRow, m.IncidentUnitRow, m.LogEntryRow, m.NeedRow, m.AllocationRow, m.CallRow,
    m.UnitStatusRow, m.UnitStatusHistoryRow, m.EventRow, m.CommandResultRow, m.AuditRow,
)}  # fmt: skip
# Parents before children, so foreign keys hold inside the transaction.
_ORDER = ("resource", "incident", "call", "incident_unit", "incident_log_entry", "resource_need",
          "resource_allocation", "unit_status", "unit_status_history", "event", "command_result", "audit")  # fmt: skip


# Read per batch, as plain SQL: through SQLAlchemy's statement machinery it cost as much as a batch's row writes.
_LAST_SEQ = f"SELECT coalesce(max(seq), 0) FROM {m.EventRow.__tablename__}"

# Any 64-bit number of our own: the servers sharing one PostgreSQL database take it per batch.
WRITE_LOCK = 0x4855_5252_494E_4554 >> 1  # "HURRINET", kept positive for bigint
NOTIFY_CHANNEL = "hurrinet_events"

# What an event's data names an entity by, and where that entity lives in the world.
_NAMED = {"incident": "incidents", "call": "calls", "unit": "unit_status", "resource": "resources"}


@dataclass
class Touched:
    """The entities a run of events named, by id: first the ids, then (once read) the rows'
    entities. An id that names no row any more is gone (archived)."""

    incidents: dict[str, Any] = field(default_factory=dict)
    calls: dict[str, Any] = field(default_factory=dict)
    unit_status: dict[str, Any] = field(default_factory=dict)
    resources: dict[str, Any] = field(default_factory=dict)
    named: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))

    def note(self, data: dict[str, Any]) -> None:
        for key, kind in _NAMED.items():
            entity = data.get(key)
            if isinstance(entity, dict) and "id" in entity:
                getattr(self, kind)[entity["id"]] = None
                self.named[kind].add(entity["id"])
        # incident.archived and call.archived name only the id of what left
        for key, kind in (("incident_id", "incidents"), ("call_id", "calls")):
            if key in data and key[:-3] not in data:
                getattr(self, kind)[data[key]] = None
                self.named[kind].add(data[key])


def _delete(conn: Connection, incident_ids: set[str], call_ids: set[str]) -> None:
    """Children first, so foreign keys hold: allocations, needs, log entries, IncidentUnits,
    calls, then the incidents."""
    ids, calls = sorted(incident_ids), sorted(call_ids)
    t = _TABLES
    if ids:
        needs = sa.select(t["resource_need"].c.id).where(t["resource_need"].c.incident_id.in_(ids))
        conn.execute(t["resource_allocation"].delete().where(t["resource_allocation"].c.need_id.in_(needs)))
        for name in ("resource_need", "incident_log_entry", "incident_unit"):
            conn.execute(t[name].delete().where(t[name].c.incident_id.in_(ids)))
    if calls:
        conn.execute(t["call"].delete().where(t["call"].c.id.in_(calls)))
    if ids:
        conn.execute(t["incident"].delete().where(t["incident"].c.id.in_(ids)))


class _Memo(dict[Any, Any]):
    """Raw value → the value a field gets, made on the first row that holds it and then shared
    by every other: the hit is a C dict lookup (`memo[raw]`), the miss `__missing__`."""

    def __init__(self, make: Callable[[Any], Any]) -> None:
        super().__init__()
        self.make = make
        self.by_json: dict[bytes, Any] = {}

    def __missing__(self, raw: Any) -> Any:
        value = self[raw] = self.make(raw)
        return value

    def lookup(self, raw: Any) -> Any:
        """For a driver that decodes JSON itself (PostgreSQL): its dicts and lists are not
        hashable, so they are shared by their JSON text instead."""
        try:
            return self[raw]
        except TypeError:
            import orjson  # loaded already (the engine's JSON columns); imported here to keep this local

            try:
                key = orjson.dumps(raw)
            except orjson.JSONEncodeError:  # not JSON: kept as it is
                return self.make(raw)
            if key not in self.by_json:
                self.by_json[key] = self.make(raw)
            return self.by_json[key]


def _then(process: Callable[[Any], Any] | None, from_row: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    """The column type's conversion, then the codec's (None stays None: JSON's null)."""
    if process is None or from_row is None:
        return process or from_row  # type: ignore[return-value]  # one of the two is set

    def both(raw: Any) -> Any:
        value = process(raw)
        return None if value is None else from_row(value)

    return both


class _Decoder:
    """How one load turns raw driver rows into entities, one object per repeated value (ids of
    parents, dispatchers, instants, places, change records) across every table it reads: a
    storm's board holds far fewer distinct values than rows, and each row decoded its own copy
    (docs/performance.md). Each column's own type converts its raw value, then the field's
    codec, both once per distinct raw value."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        self.strings = _Memo(lambda raw: raw)  # repeated values no type converts: ids, dispatchers
        self.memos: dict[tuple[str, Any], _Memo] = {}

    def step(self, column: sa.Column[Any], from_row: Callable[[Any], Any] | None, repeated: bool) -> Callable[[Any], Any] | None:
        process = column.type.dialect_impl(self.dialect).result_processor(self.dialect, None)
        if process is None and from_row is None:
            if not repeated:
                return None  # taken as the driver gives it
            memo = self.strings
        else:
            # By the column's type with its arguments and the codec: all of a load's times share one memo.
            key = (repr(column.type), from_row)
            memo = self.memos.get(key) or self.memos.setdefault(key, _Memo(_then(process, from_row)))
        # SQLite's driver hands JSON over as text; another (psycopg) may decode it itself into
        # dicts and lists, which no dict can key.
        decoded = isinstance(column.type, sa.JSON) and self.dialect.name != "sqlite"
        return memo.lookup if decoded else memo.__getitem__

    def rows(self, conn: Connection, query: sa.Select[Any], table: sa.Table, shape: shapes.Shape, key: str,
             ) -> tuple[Callable[..., Any], Iterator[tuple[Any, Sequence[Any]]]]:  # fmt: skip
        """The load of `shape` from `query`'s raw rows, and the rows with their `key` column
        (shared as the ids are), fetched a few hundred at a time (one fetchmany each, not one
        fetchone per row): holding every row first raised the peak and left the heap
        fragmented for the rest of the shift."""
        compiled = query.compile(dialect=self.dialect, compile_kwargs={"literal_binds": True})
        result = conn.exec_driver_sql(str(compiled))
        names = list(result.keys())
        load = shape.tuple_loader(names, lambda name, from_row, repeated: self.step(table.c[name], from_row, repeated))
        at, strings = names.index(key), self.strings

        def keyed() -> Iterator[tuple[Any, Sequence[Any]]]:
            for part in result.partitions(500):
                for raw in part:
                    yield strings[raw[at]], raw

        return load, keyed()


@dataclass(frozen=True, slots=True)
class StoredResult:
    ok: bool
    result: dict[str, Any]


class Staged(Protocol):
    """A transaction with its rows written, to be committed or rolled back, from one thread at
    a time (not necessarily the one that wrote them)."""

    def commit(self) -> None:
        """Commit (rolled back if that fails, and raises)."""

    def rollback(self) -> None: ...


class _ConnectionTransaction:
    """A transaction on one of SQLAlchemy's connections."""

    def __init__(self, conn: Connection, rows: WriteSet) -> None:
        self.conn, self.rows = conn, rows

    def commit(self) -> None:
        try:
            if self.rows.inserts.get("event") and self.conn.dialect.name == "postgresql":  # wake the other servers
                self.conn.execute(sa.text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
            self.conn.commit()
        finally:
            self.conn.close()  # rolls back what did not commit

    def rollback(self) -> None:
        Store.abort(self.conn)


class _DriverTransaction:
    """A transaction on the driver's own connection, bypassing SQLAlchemy (`Store.stage`)."""

    def __init__(self, raw: Any) -> None:
        self.raw, self.cursor = raw, raw.cursor()

    def commit(self) -> None:
        try:
            self.cursor.execute("COMMIT")
        except BaseException:
            self.rollback()
            raise
        self.raw.close()  # back to the pool

    def rollback(self) -> None:
        try:
            self.cursor.execute("ROLLBACK")
        except Exception:  # the connection itself failed: the pool must not hand it out again
            self.raw.invalidate()
        self.raw.close()


class Store:
    """Owns the engine's use: one instance per server process."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.reader = reader(engine)

    @property
    def shared(self) -> bool:
        """Whether other server processes may write this database too (design.md § Persistence,
        beyond one machine). PostgreSQL is how a site runs several; a SQLite file has one."""
        return self.engine.dialect.name == "postgresql"

    # --- loading ------------------------------------------------------------------------------
    def load_world(self) -> World:
        """The world as stored."""
        world = World()
        with self.consistent_read() as conn:
            self._load_reference(conn, world)
            self._load_live(conn, world)
        world.index_units()
        return world

    @staticmethod
    def _load_reference(conn: Connection, world: World) -> None:
        """Into `world`: the reference data as stored, with the units' status and the resources."""
        rows = lambda model: conn.execute(sa.select(_table(model))).mappings().all()  # noqa: E731
        world.districts = {r["code"]: District(r["code"], r["name"]) for r in rows(m.DistrictRow)}
        for r in rows(m.StationRow):
            world.stations[r["id"]] = Station(r["id"], r["code"], r["name"], r["district"],
                                              location_from_json(r["location"]), r["active"])  # fmt: skip
        for r in rows(m.UnitRow):
            world.units[r["id"]] = Unit(r["id"], r["callsign"], r["kind"], r["station_id"], r["active"])
        for r in rows(m.IncidentTypeRow):
            world.incident_types[r["code"]] = IncidentType(
                r["code"], r["description"], Priority(r["priority"]), r["desk"],
                tuple(r["plan"].items()), tuple(r["keywords"]),
            )  # fmt: skip
        served: dict[str, set[str]] = defaultdict(set)
        for r in rows(m.AlertTargetUnitRow):
            served[r["target_id"]].add(r["unit_id"])
        for r in rows(m.AlertTargetRow):
            world.alert_targets[r["id"]] = AlertTarget(
                r["id"], r["code"], r["name"], AlertTargetType(r["type"]), r["config"],
                frozenset(served[r["id"]]), r["active"],
            )  # fmt: skip
        decoder = _Decoder(conn.dialect)  # 2,000 units' status with their times: decoded as the incidents are
        for model, shape, key, into in ((m.UnitStatusRow, shapes.UNIT_STATUS, "unit_id", world.unit_status),
                                        (m.ResourceRow, shapes.RESOURCE, "id", world.resources)):  # fmt: skip
            table = _table(model)
            load, keyed = decoder.rows(conn, sa.select(table), table, shape, key)
            into.update((entity_id, load(raw)) for entity_id, raw in keyed)

    def _load_live(self, conn: Connection, world: World) -> None:
        """Into `world`: the incidents and calls, and the last event's seq."""
        decoder = _Decoder(conn.dialect)
        table = _table(m.CallRow)
        load, rows = decoder.rows(conn, sa.select(table), table, shapes.CALL, "id")
        world.calls = {call_id: load(raw) for call_id, raw in rows}
        world.incidents = self._incidents(conn, world.calls.values(), decoder)
        world.seq = self.stored_seq(conn)

    def consistent_read(self) -> Connection:
        """A read that sees one moment of the database throughout: other servers may commit
        between its statements (a world loaded half before and half after a commit would
        hold events it never applied). SQLite's read transaction is such a snapshot already."""
        conn = self.reader.connect()
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    @staticmethod
    def _call(r: Any) -> Call:
        return shapes.CALL.load(r)

    def _incidents(self, conn: Connection, calls: Iterable[Call], decoder: _Decoder | None = None,
                   only: set[str] | None = None) -> dict[str, Incident]:  # fmt: skip
        """Every incident, or those in `only` (a catch-up's few), whole: units, log, needs,
        allocations. Rows become entities as they are fetched, each distinct raw value decoded
        once (`_Decoder`; the storm's 90,000 times and 50,000 change records hold a few
        thousand distinct ones)."""
        decoder = decoder or _Decoder(conn.dialect)

        def select(table: sa.Table, *order: Any, key: str = "incident_id") -> sa.Select[Any]:
            query = sa.select(table).order_by(*order)
            return query if only is None else query.where(table.c[key].in_(sorted(only)))

        def grouped(model: type[m.SQLModel], shape: shapes.Shape) -> dict[str, list[Any]]:
            table = _table(model)
            out: dict[str, list[Any]] = defaultdict(list)
            load, rows = decoder.rows(conn, select(table, table.c.ordinal), table, shape, "incident_id")
            for incident_id, raw in rows:
                out[incident_id].append(load(raw))
            return out

        units = grouped(m.IncidentUnitRow, shapes.INCIDENT_UNIT)
        log = grouped(m.LogEntryRow, shapes.LOG_ENTRY)
        needs: dict[str, list[Any]] = defaultdict(list)
        need_table = _table(m.NeedRow)
        need_query = sa.select(need_table).order_by(need_table.c.ordinal)
        if only is not None:
            need_query = need_query.where(need_table.c.incident_id.in_(only))
        for r in conn.execute(need_query).mappings():
            needs[r["incident_id"]].append(r)
        allocations: dict[str, list[Allocation]] = defaultdict(list)
        alloc_table = _table(m.AllocationRow)
        alloc_query = sa.select(alloc_table).order_by(alloc_table.c.allocated_at, alloc_table.c.id)
        if only is not None:
            alloc_query = alloc_query.where(alloc_table.c.need_id.in_(
                sa.select(need_table.c.id).where(need_table.c.incident_id.in_(only))))  # fmt: skip
        for r in conn.execute(alloc_query).mappings():
            allocations[r["need_id"]].append(
                Allocation(r["id"], r["resource_id"], r["quantity"], r["allocated_at"], r["released_at"])
            )
        call_ids: dict[str, list[str]] = defaultdict(list)
        for c in sorted(calls, key=lambda c: c.call_started):
            if c.incident_id:
                call_ids[c.incident_id].append(c.id)
        incidents = {}
        table = _table(m.IncidentRow)
        load, rows = decoder.rows(conn, select(table, key="id"), table, shapes.INCIDENT, "id")
        for iid, raw in rows:
            incidents[iid] = load(
                raw,
                call_ids=tuple(call_ids.get(iid, ())),
                units=tuple(units.pop(iid, ())),
                log=tuple(log.pop(iid, ())),
                needs=tuple(
                    Need(n["id"], ResourceType(n["resource_type"]), n["quantity"], tuple(allocations[n["id"]]))
                    for n in needs.get(iid, ())
                ),
            )
        return incidents

    # --- reference data -----------------------------------------------------------------------
    def install_reference(self, data: ReferenceData, new_id: Callable[[], str], now: datetime) -> World:
        """The world as stored with the reference files' content in it (ids kept), resources
        seeded into an empty deployment. Files that say nothing the database does not hold
        already (every start but the first after they change) are not written: the world is
        then read once, in one consistent read, instead of written, committed and read again."""
        with self.consistent_read() as conn:
            world = World()
            self._load_reference(conn, world)
            plan = plan_reference(world, data, new_id, now)
            stored = plan_is_stored(world, data, plan)
            if stored:
                self._load_live(conn, world)
                world.index_units()
        if not stored:
            self._write_reference(data, plan, new_id)
            world = self.load_world()
        world.deployment = data.deployment
        world.gazetteer = data.gazetteer
        return world

    def _write_reference(self, data: ReferenceData, plan: ReferencePlan, new_id: Callable[[], str]) -> None:
        with self.engine.begin() as conn:
            _upsert(conn, m.DistrictRow, ({"code": d.code, "name": d.name} for d in data.districts))
            _upsert(conn, m.StationRow, (
                {"id": s.id, "code": s.code, "name": s.name, "district": s.district,
                 "location": _location_json(s.location), "active": s.active}
                for s in plan.stations.values()
            ))  # fmt: skip
            _upsert(conn, m.UnitRow, (
                {"id": u.id, "callsign": u.callsign, "kind": u.kind, "station_id": u.station_id, "active": u.active}
                for u in plan.units.values()
            ))  # fmt: skip
            conn.execute(_table(m.IncidentTypeRow).delete())
            if data.incident_types:
                conn.execute(_table(m.IncidentTypeRow).insert(), [
                    {"code": t.code, "description": t.description, "priority": t.priority.value,
                     "desk": t.desk, "plan": dict(t.plan), "keywords": list(t.keywords)}
                    for t in data.incident_types
                ])  # fmt: skip
            _upsert(conn, m.AlertTargetRow, (
                {"id": t.id, "code": t.code, "name": t.name, "type": t.type.value, "config": t.config, "active": t.active}
                for t in plan.alert_targets.values()
            ))  # fmt: skip
            conn.execute(_table(m.AlertTargetUnitRow).delete())
            links = [{"target_id": t.id, "unit_id": u} for t in plan.alert_targets.values() for u in sorted(t.unit_ids)]
            if links:
                conn.execute(_table(m.AlertTargetUnitRow).insert(), links)
            if plan.new_statuses:
                conn.execute(_table(m.UnitStatusRow).insert(), [status_row(s) for s in plan.new_statuses.values()])
            empty = conn.execute(sa.select(sa.func.count()).select_from(_table(m.ResourceRow))).scalar_one() == 0
            if empty and data.resources:
                conn.execute(_table(m.ResourceRow).insert(), [
                    resource_row(Resource(new_id(), r.name, ResourceType(r.resource_type), r.district,
                                          Place(r.district, r.name, r.coordinates), r.capacity, r.in_use))
                    for r in data.resources
                ])  # fmt: skip

    # --- commands -----------------------------------------------------------------------------
    def known_commands(self) -> set[tuple[str, str]]:
        """Every (user, command_id) answered so far: loaded once at start, so the check for a
        resend needs no database read unless the id was seen."""
        table = _table(m.CommandResultRow)
        with self.reader.connect() as conn:
            return {(r[0], r[1]) for r in conn.execute(sa.select(table.c.user_key, table.c.command_id))}

    def result_for(self, user_id: str | None, command_id: str, conn: Connection | None = None) -> StoredResult | None:
        """The stored answer to a command, read in `conn` (a batch's transaction) or on its own."""
        table = _table(m.CommandResultRow)
        query = sa.select(table.c.ok, table.c.result).where(
            table.c.user_key == user_key(user_id), table.c.command_id == command_id)  # fmt: skip
        if conn is None:
            with self.reader.connect() as own:
                row = own.execute(query).first()
        else:
            row = conn.execute(query).first()
        return None if row is None else StoredResult(row.ok, row.result)

    @staticmethod
    def result_row(command_id: str, name: str, user_id: str | None, at: datetime, ok: bool,
                   result: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
        return {"user_key": user_key(user_id), "command_id": command_id, "name": name, "user_id": user_id,
                "at": at, "ok": ok, "result": result}  # fmt: skip

    def rows_of(self, change: Change, events: list[dict[str, Any]],
                encode_status: Callable[[UnitStatus], dict[str, Any]]) -> WriteSet:  # fmt: skip
        """What a change writes: its entities (diffed against the world it was made on), its
        status history and its events. Call before the change is installed."""
        world, rows = change.world, WriteSet()
        rows.upserts["resource"] += [resource_row(r) for r in change.changed("resources").values()]
        for incident_id, incident in change.changed("incidents").items():
            if incident is None:  # removed (archived)
                rows.deletes["incident"].add(incident_id)
            else:
                self._incident_rows(rows, world.incidents.get(incident.id), incident)
        for call_id, call in change.changed("calls").items():
            if call is None:
                rows.deletes["call"].add(call_id)
            else:
                rows.upserts["call"].append(call_row(call))
        rows.upserts["unit_status"] += [status_row(s) for s in change.changed("unit_status").values()]
        first_seq = events[0]["seq"] if events else None
        rows.inserts["unit_status_history"] += [
            {"unit_id": s.unit_id, "state": s.state.value, "recorded_at": change.now, "seq": first_seq,
             "status": encode_status(s)}
            for s in change.status_history
        ]  # fmt: skip
        rows.inserts["event"] += [
            {"seq": e["seq"], "name": e["name"], "at": change.now, "caused_by": e["caused_by"], "data": e["data"]}
            for e in events
        ]  # fmt: skip
        return rows

    # --- batches: the write lock, then what other servers wrote, then ours ---------------------
    def begin(self) -> Connection:
        """A transaction holding the database's write lock until `commit` or `abort`: on SQLite
        `BEGIN IMMEDIATE`, on PostgreSQL a transaction-level advisory lock, so the servers
        sharing the database append events one batch at a time."""
        conn = self.engine.connect()
        try:
            conn.begin()
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK})
        except BaseException:
            conn.close()
            raise
        return conn

    def commit(self, conn: Connection, rows: WriteSet) -> None:
        """Write `rows` in the batch's transaction and commit it (one fsync), waking the other
        servers when it appended events."""
        self._staged_in(conn, rows).commit()

    def _staged_in(self, conn: Connection, rows: WriteSet) -> _ConnectionTransaction:
        try:
            self._write(conn, rows)
        except BaseException:
            self.abort(conn)
            raise
        return _ConnectionTransaction(conn, rows)

    @staticmethod
    def abort(conn: Connection) -> None:
        with contextlib.suppress(Exception):  # the connection may be what failed
            conn.rollback()
        with contextlib.suppress(Exception):
            conn.close()

    def write(self, rows: WriteSet) -> None:
        """One transaction (one fsync) for everything in `rows`: several commands may share it."""
        self.stage(rows).commit()

    def stage(self, rows: WriteSet) -> Staged:
        """Write `rows` in a transaction of their own, left for the caller to commit. Writing
        the rows is all CPU (the driver steps each one); the commit is the WAL's write and
        fsync, which holds no GIL, so the hub runs it in its writer thread while the loop goes
        on. Nothing else may write through the store until it has run. A failed write is
        rolled back here and raises. On SQLite, rows without deletions (every command's) go
        straight to the driver's connection: SQLAlchemy's connection, transaction and
        execution of each statement were a quarter of a batch's write."""
        if self.shared or any(rows.deletes.values()):
            return self._staged_in(self.begin(), rows)
        raw = self.engine.raw_connection()  # the pragmas of `database._sqlite_pragmas` are set on it
        try:
            raw.cursor().execute("BEGIN IMMEDIATE")
        except BaseException:
            raw.close()
            raise
        staged = _DriverTransaction(raw)
        try:
            for sql, params in self._statements(self.engine.dialect, rows):
                staged.cursor.executemany(sql, params)
        except BaseException:
            staged.rollback()
            raise
        return staged

    def _statements(self, dialect: Dialect, rows: WriteSet) -> Iterator[tuple[str, list[tuple[Any, ...]]]]:
        """Every statement of a batch's rows, tables in foreign-key order (its deletions aside)."""
        memo: dict[Any, Any] = {}
        for name in _ORDER:
            if rows.upserts.get(name):
                yield from _table_statements(dialect, _TABLES[name], rows.upserts[name], True, memo)
            if rows.inserts.get(name):
                yield from _table_statements(dialect, _TABLES[name], rows.inserts[name], False, memo)

    def _write(self, conn: Connection, rows: WriteSet) -> None:
        _execute(conn, self._statements(conn.dialect, rows))
        if rows.deletes:
            _delete(conn, rows.deletes.get("incident", set()), rows.deletes.get("call", set()))

    def last_seq(self) -> int:
        """The last event's seq as committed now (a hint: read without the lock)."""
        with self.reader.connect() as conn:
            return self.stored_seq(conn)

    def stored_seq(self, conn: Connection) -> int:
        return conn.exec_driver_sql(_LAST_SEQ).scalar_one()

    def changes_after(self, conn: Connection, seq: int) -> tuple[list[dict[str, Any]], Touched]:
        """The events after `seq` and the current rows of every entity they name, read in
        `conn` (which holds the write lock, so the rows are exactly as of the last event)."""
        events = self.events_after(seq, conn=conn)
        touched = Touched()
        for event in events:
            touched.note(event["data"])
        if not events:
            return events, touched
        calls_table = _table(m.CallRow)
        if touched.calls:
            touched.calls = {r["id"]: self._call(r) for r in conn.execute(
                sa.select(calls_table).where(calls_table.c.id.in_(touched.calls))).mappings()}  # fmt: skip
        if touched.incidents:
            # An incident's calls come with it (its `call_ids`), so it needs their order too.
            linked = [self._call(r) for r in conn.execute(
                sa.select(calls_table).where(calls_table.c.incident_id.in_(touched.incidents))).mappings()]  # fmt: skip
            touched.incidents = self._incidents(conn, linked, only=set(touched.incidents))
        if touched.unit_status:
            table = _table(m.UnitStatusRow)
            touched.unit_status = {r["unit_id"]: shapes.UNIT_STATUS.load(r) for r in conn.execute(
                sa.select(table).where(table.c.unit_id.in_(touched.unit_status))).mappings()}  # fmt: skip
        if touched.resources:
            table = _table(m.ResourceRow)
            touched.resources = {r["id"]: shapes.RESOURCE.load(r) for r in conn.execute(
                sa.select(table).where(table.c.id.in_(touched.resources))).mappings()}  # fmt: skip
        return events, touched

    @staticmethod
    def _incident_rows(rows: WriteSet, before: Incident | None, after: Incident) -> None:
        rows.upserts["incident"].append(incident_row(after))
        old_units = {u.id: u for u in before.units} if before else {}
        rows.upserts["incident_unit"] += [
            incident_unit_row(after.id, u, n) for n, u in enumerate(after.units) if old_units.get(u.id) is not u
        ]
        known = len(before.log) if before else 0
        rows.inserts["incident_log_entry"] += [log_row(e, n) for n, e in enumerate(after.log) if n >= known]
        old_needs = {n.id: n for n in before.needs} if before else {}
        for ordinal, need in enumerate(after.needs):
            old = old_needs.get(need.id)
            if old is need:
                continue
            rows.upserts["resource_need"].append({"id": need.id, "incident_id": after.id, "ordinal": ordinal,
                                                  "resource_type": need.resource_type.value, "quantity": need.quantity})  # fmt: skip
            old_allocations = {a.id: a for a in old.allocations} if old else {}
            rows.upserts["resource_allocation"] += [
                {"id": a.id, "need_id": need.id, "resource_id": a.resource_id, "quantity": a.quantity,
                 "allocated_at": a.allocated_at, "released_at": a.released_at}
                for a in need.allocations if old_allocations.get(a.id) is not a
            ]  # fmt: skip

    def log_of(self, incident_id: str) -> list[dict[str, Any]]:
        """An incident's log rows from the table (for incidents no longer held in memory)."""
        table = _table(m.LogEntryRow)
        with self.reader.connect() as conn:
            return [dict(r) for r in conn.execute(
                sa.select(table).where(table.c.incident_id == incident_id).order_by(table.c.ordinal)).mappings()]  # fmt: skip

    def events_after(self, seq: int, limit: int | None = None, conn: Connection | None = None) -> list[dict[str, Any]]:
        table = _table(m.EventRow)
        query = sa.select(table).where(table.c.seq > seq).order_by(table.c.seq)
        if limit is not None:
            query = query.limit(limit)
        if conn is None:
            with self.reader.connect() as own:
                return self.events_after(seq, limit, own)
        return [
            {"seq": r["seq"], "name": r["name"], "at": iso(r["at"]), "caused_by": r["caused_by"], "data": r["data"]}
            for r in conn.execute(query).mappings()
        ]
