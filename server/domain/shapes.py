"""Each stored entity's fields and how each is written, declared once.

The store maps entities to rows and rows back to entities, and the codec encodes them for the
wire, all from these declarations, so a new field is one line here (besides its column, its
migration and the rule that sets it). Nested records (an incident's units, log and needs) are
entities of their own; what an entity's wire form adds beyond its fields (an incident's
`call_ids`, a resource's derived `status`) is added by the codec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import Enum
from functools import lru_cache
from operator import attrgetter, itemgetter
from typing import Any

from server.domain.call import Call, CallState, Outcome
from server.domain.incident import EntryType, Incident, IncidentState, IncidentUnit, LogEntry
from server.domain.location import VARIANTS, Location, location_to_wire
from server.domain.reference import Priority
from server.domain.resources import Resource, ResourceType
from server.domain.unit_status import UnitState, UnitStatus
from server.domain.values import Coordinates, Staffing
from server.protocol import iso


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True, slots=True)
class Codec:
    """How one field's value is stored (`to_row`, `from_row`) and sent (`to_wire`); None is
    always None, whatever the codec."""

    to_row: Callable[[Any], Any] = _same
    from_row: Callable[[Any], Any] = _same
    to_wire: Callable[[Any], Any] = _same


def location_from_row(data: dict[str, Any]) -> Location:
    fields = {k: v for k, v in data.items() if k != "kind"}
    if "coordinates" in fields:
        fields["coordinates"] = Coordinates(**fields["coordinates"])
    return VARIANTS[data["kind"]](**fields)


def _enum(kind: type[Enum]) -> Codec:
    members = kind._value2member_map_  # a dict lookup: calling the enum costs ~2 µs a row at start-up
    # `_value_` is the attribute `value` reads through a descriptor, at several times the cost
    # (38,000 a 10k-incident snapshot).
    return Codec(lambda v: v._value_, lambda v: members.get(v) or kind(v), lambda v: v._value_)


def _value(kind: type[Any]) -> Codec:
    """A small value type stored and sent as its wire object (staffing, coordinates)."""
    return Codec(lambda v: v.to_wire(), lambda d: kind(**d), lambda v: v.to_wire())


@lru_cache(maxsize=8192)
def _iso(moment: Any) -> Any:
    # One command's entries share their instant (and a loaded world shares equal instants), so
    # the snapshot's 45,000 times at 10k incidents are a few thousand strings to format. Equal
    # instants give the same UTC text whatever their zone, so caching by equality is exact.
    return iso(moment)


PLAIN = Codec()
TIME = Codec(to_wire=_iso)
LOCATION = Codec(location_to_wire, location_from_row, location_to_wire)


@dataclass(frozen=True, slots=True)
class Shape:
    entity: type[Any]
    fields: tuple[tuple[str, Codec], ...]
    # Fields whose values repeat across many rows (a parent's id, a dispatcher, an instant of
    # one command): a load given `share` keeps one object per value (docs/performance.md).
    repeated: tuple[str, ...] = ()
    # Derived from `fields` once: the loops of load, row and wire skip the identity codecs.
    _names: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _from_row: tuple[tuple[str, Callable[[Any], Any]], ...] = field(init=False, repr=False, compare=False)
    _to_wire: tuple[tuple[str, Callable[[Any], Any] | None], ...] = field(init=False, repr=False, compare=False)
    _to_row: tuple[tuple[str, Callable[[Any], Any]], ...] = field(init=False, repr=False, compare=False)
    _get: Callable[[Any], tuple[Any, ...]] = field(init=False, repr=False, compare=False)

    # The fields in the entity's own order, and whether they are its first ones (so a load of
    # tuples passes them by position).
    _order: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _positional: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_names", tuple(name for name, _ in self.fields))
        own = [f.name for f in fields(self.entity) if f.init]
        leading = set(own[: len(self.fields)]) == set(self._names)
        object.__setattr__(self, "_order", tuple(own[: len(self.fields)]) if leading else self._names)
        object.__setattr__(self, "_positional", leading)
        object.__setattr__(self, "_from_row", tuple((n, c.from_row) for n, c in self.fields if c.from_row is not _same))
        wire = tuple((n, None if c.to_wire is _same else c.to_wire) for n, c in self.fields)
        object.__setattr__(self, "_to_wire", wire)
        object.__setattr__(self, "_to_row", tuple((n, c.to_row) for n, c in self.fields if c.to_row is not _same))
        one = self._names[0]
        get = attrgetter(*self._names) if len(self._names) > 1 else lambda item: (getattr(item, one),)
        object.__setattr__(self, "_get", get)

    def row(self, item: Any, **extra: Any) -> dict[str, Any]:
        row = dict(zip(self._names, self._get(item), strict=True))
        for name, to_row in self._to_row:
            value = row[name]
            if value is not None:
                row[name] = to_row(value)
        if extra:
            row.update(extra)
        return row

    def load(self, row: Mapping[str, Any], share: Callable[[Any], Any] | None = None, **extra: Any) -> Any:
        values = {name: row[name] for name in self._names}
        for name, from_row in self._from_row:
            value = values[name]
            if value is not None:
                values[name] = from_row(value)
        if share is not None:
            for name in self.repeated:
                value = values[name]
                if value is not None:
                    values[name] = share(value)
        return self.entity(**values, **extra)

    def tuple_loader(
        self, columns: Sequence[str], prepare: Callable[[str, Callable[[Any], Any] | None, bool], Callable[[Any], Any] | None]
    ) -> Callable[..., Any]:
        """A load of rows that come as tuples in `columns`' order (start-up's 65,000 rows at
        10k incidents: `load`'s dict per row and loop over every field cost 0.8 s). For each
        field, `prepare(name, from_row, repeated)` gives what turns a column's raw value into
        the field's (None: taken as it is), typically a memo of every raw value seen; the
        loader applies only those, and passes the fields in the entity's order. Keyword
        arguments are fields the rows do not hold (an incident's units and log)."""
        at = [list(columns).index(name) for name in self._order]
        pick = itemgetter(*at) if len(at) > 1 else lambda raw: (raw[at[0]],)
        codecs = dict(self.fields)
        steps = tuple(
            (n, step) for n, name in enumerate(self._order)
            if (step := prepare(name, None if codecs[name].from_row is _same else codecs[name].from_row,
                                name in self.repeated)) is not None
        )  # fmt: skip
        entity, order, positional = self.entity, self._order, self._positional

        def load(raw: Sequence[Any], **extra: Any) -> Any:
            values = list(pick(raw))
            for n, step in steps:
                value = values[n]
                if value is not None:
                    values[n] = step(value)
            return entity(*values, **extra) if positional else entity(**dict(zip(order, values, strict=True)), **extra)

        return load

    def wire(self, item: Any) -> dict[str, Any]:
        """The fields that are set (absence is an absent field, never a placeholder)."""
        out = {}
        for (name, to_wire), value in zip(self._to_wire, self._get(item), strict=True):  # one C call reads every field
            if value is not None:
                out[name] = value if to_wire is None else to_wire(value)
        return out


def shape(entity: type[Any], *fields: str | tuple[str, Codec], repeated: tuple[str, ...] = ()) -> Shape:
    return Shape(entity, tuple((f, PLAIN) if isinstance(f, str) else f for f in fields), repeated)


INCIDENT = shape(
    Incident, "id", ("state", _enum(IncidentState)), ("incident_created", TIME), ("incident_ended", TIME),
    "incident_type", ("incident_priority", _enum(Priority)), ("location", LOCATION), "description", "desk",
    repeated=("id", "incident_created", "incident_ended", "incident_type", "location", "desk"),
)  # fmt: skip
INCIDENT_UNIT = shape(
    IncidentUnit, "id", "unit_id", "callsign", ("unit_staffing", _value(Staffing)), ("unit_assigned_at", TIME),
    ("unit_unassigned_at", TIME), ("unit_dispatched", TIME), ("unit_en_route", TIME), ("unit_on_scene", TIME),
    ("unit_available", TIME), ("unit_back_at_station", TIME),
    repeated=("unit_id", "callsign", "unit_staffing", "unit_assigned_at", "unit_unassigned_at", "unit_dispatched",
              "unit_en_route", "unit_on_scene", "unit_available", "unit_back_at_station"),
)  # fmt: skip
LOG_ENTRY = shape(
    LogEntry, "id", "incident_id", ("log_timestamp", TIME), "dispatcher", "dispatcher_name",
    ("entry_type", _enum(EntryType)), "description", "change_data",
    repeated=("incident_id", "log_timestamp", "dispatcher", "dispatcher_name", "change_data"),
)  # fmt: skip
CALL = shape(
    Call, "id", ("state", _enum(CallState)), "receiving_dispatcher", ("call_started", TIME), ("call_ended", TIME),
    "caller_name", "caller_phone", ("location", LOCATION), "description", ("outcome", _enum(Outcome)),
    "outcome_rationale", "incident_id",
    repeated=("receiving_dispatcher", "call_started", "call_ended", "location", "incident_id"),
)  # fmt: skip
UNIT_STATUS = shape(
    UnitStatus, "unit_id", ("state", _enum(UnitState)), ("state_changed_at", TIME), ("staffing", _value(Staffing)),
    ("staffing_changed_at", TIME), ("coordinates", _value(Coordinates)), ("coordinates_changed_at", TIME),
    "assigned_to_incident_id", ("assigned_to_incident_at", TIME),
)  # fmt: skip
RESOURCE = shape(
    Resource, "id", "name", ("resource_type", _enum(ResourceType)), "district", ("location", LOCATION), "capacity",
    "in_use", "out_of_service",
)  # fmt: skip
