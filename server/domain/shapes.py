"""Each stored entity's fields and how each is written, declared once.

The store maps entities to rows and rows back to entities, and the codec encodes them for the
wire, all from these declarations, so a new field is one line here (besides its column, its
migration and the rule that sets it). Nested records (an incident's units, log and needs) are
entities of their own; what an entity's wire form adds beyond its fields (an incident's
`call_ids`, a resource's derived `status`) is added by the codec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
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
    return Codec(lambda v: v.value, kind, lambda v: v.value)


def _value(kind: type[Any]) -> Codec:
    """A small value type stored and sent as its wire object (staffing, coordinates)."""
    return Codec(lambda v: v.to_wire(), lambda d: kind(**d), lambda v: v.to_wire())


PLAIN = Codec()
TIME = Codec(to_wire=iso)
LOCATION = Codec(location_to_wire, location_from_row, location_to_wire)


@dataclass(frozen=True, slots=True)
class Shape:
    entity: type[Any]
    fields: tuple[tuple[str, Codec], ...]

    def row(self, item: Any, **extra: Any) -> dict[str, Any]:
        row = {}
        for name, codec in self.fields:
            value = getattr(item, name)
            row[name] = None if value is None else codec.to_row(value)
        return row | extra

    def load(self, row: Mapping[str, Any], **extra: Any) -> Any:
        values = {}
        for name, codec in self.fields:
            value = row[name]
            values[name] = None if value is None else codec.from_row(value)
        return self.entity(**values, **extra)

    def wire(self, item: Any) -> dict[str, Any]:
        """The fields that are set (absence is an absent field, never a placeholder)."""
        out = {}
        for name, codec in self.fields:
            value = getattr(item, name)
            if value is not None:
                out[name] = codec.to_wire(value)
        return out


def shape(entity: type[Any], *fields: str | tuple[str, Codec]) -> Shape:
    return Shape(entity, tuple((f, PLAIN) if isinstance(f, str) else f for f in fields))


INCIDENT = shape(
    Incident, "id", ("state", _enum(IncidentState)), ("incident_created", TIME), ("incident_ended", TIME),
    "incident_type", ("incident_priority", _enum(Priority)), ("location", LOCATION), "description", "desk",
)  # fmt: skip
INCIDENT_UNIT = shape(
    IncidentUnit, "id", "unit_id", "callsign", ("unit_staffing", _value(Staffing)), ("unit_assigned_at", TIME),
    ("unit_unassigned_at", TIME), ("unit_dispatched", TIME), ("unit_en_route", TIME), ("unit_on_scene", TIME),
    ("unit_available", TIME), ("unit_back_at_station", TIME),
)  # fmt: skip
LOG_ENTRY = shape(
    LogEntry, "id", "incident_id", ("log_timestamp", TIME), "dispatcher", "dispatcher_name",
    ("entry_type", _enum(EntryType)), "description", "change_data",
)  # fmt: skip
CALL = shape(
    Call, "id", ("state", _enum(CallState)), "receiving_dispatcher", ("call_started", TIME), ("call_ended", TIME),
    "caller_name", "caller_phone", ("location", LOCATION), "description", ("outcome", _enum(Outcome)),
    "outcome_rationale", "incident_id",
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
