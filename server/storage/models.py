"""SQLModel tables: the persistent form of the domain, the event log and command results.

Composite values (locations, staffing, plans) are JSON columns; times are UTC. The store maps
rows to the domain's immutable entities and back (`server/storage/store.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator):
    """Stores naive UTC, returns aware UTC: the same instant on SQLite and PostgreSQL."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def _time(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kw)


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=sa.JSON, nullable=nullable)


# --- reference data ---------------------------------------------------------------------------


class DistrictRow(SQLModel, table=True):
    __tablename__ = "district"
    code: str = Field(primary_key=True, max_length=16)
    name: str = Field(max_length=200)


class StationRow(SQLModel, table=True):
    __tablename__ = "station"
    id: str = Field(primary_key=True, max_length=21)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=200)
    district: str = Field(foreign_key="district.code", max_length=16)
    location: dict = _json(nullable=False)
    active: bool = True


class UnitRow(SQLModel, table=True):
    __tablename__ = "unit"
    id: str = Field(primary_key=True, max_length=21)
    callsign: str = Field(unique=True, max_length=16)
    kind: str = Field(max_length=32)
    station_id: str = Field(foreign_key="station.id", max_length=21)
    active: bool = True


class IncidentTypeRow(SQLModel, table=True):
    __tablename__ = "incident_type"
    code: str = Field(primary_key=True, max_length=10)
    description: str = Field(max_length=200)
    priority: str = Field(max_length=1)
    desk: str = Field(max_length=32)
    plan: dict = _json(nullable=False)
    keywords: list = _json(nullable=False)


class AlertTargetRow(SQLModel, table=True):
    __tablename__ = "alert_target"
    id: str = Field(primary_key=True, max_length=21)
    code: str = Field(unique=True, max_length=32)
    name: str = Field(max_length=200)
    type: str = Field(max_length=32)
    config: str = Field(max_length=200)
    active: bool = True


class AlertTargetUnitRow(SQLModel, table=True):
    __tablename__ = "alert_target_unit"
    target_id: str = Field(foreign_key="alert_target.id", primary_key=True, max_length=21)
    unit_id: str = Field(foreign_key="unit.id", primary_key=True, max_length=21)


# --- live data --------------------------------------------------------------------------------


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incident"
    id: str = Field(primary_key=True, max_length=21)
    state: str = Field(max_length=16, index=True)
    incident_created: datetime = _time(nullable=False)
    incident_ended: datetime | None = _time()
    incident_type: str | None = Field(default=None, max_length=10)
    incident_priority: str | None = Field(default=None, max_length=1)
    location: dict | None = _json()
    description: str = ""
    desk: str | None = Field(default=None, max_length=32)


class IncidentUnitRow(SQLModel, table=True):
    __tablename__ = "incident_unit"
    id: str = Field(primary_key=True, max_length=21)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=21)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=21)
    ordinal: int  # position among the incident's assignments
    callsign: str = Field(max_length=16)
    unit_staffing: dict | None = _json()
    unit_assigned_at: datetime = _time(nullable=False)
    unit_unassigned_at: datetime | None = _time()
    unit_dispatched: datetime | None = _time()
    unit_en_route: datetime | None = _time()
    unit_on_scene: datetime | None = _time()
    unit_available: datetime | None = _time()
    unit_back_at_station: datetime | None = _time()


class LogEntryRow(SQLModel, table=True):
    __tablename__ = "incident_log_entry"
    id: str = Field(primary_key=True, max_length=21)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=21)
    ordinal: int  # position in the incident's log: entries of one instant keep their order
    log_timestamp: datetime = _time(nullable=False)
    dispatcher: str | None = Field(default=None, max_length=64)
    dispatcher_name: str | None = Field(default=None, max_length=100)
    entry_type: str = Field(max_length=16)
    description: str | None = None
    change_data: dict | None = _json()


class NeedRow(SQLModel, table=True):
    __tablename__ = "resource_need"
    id: str = Field(primary_key=True, max_length=21)
    incident_id: str = Field(foreign_key="incident.id", index=True, max_length=21)
    ordinal: int
    resource_type: str = Field(max_length=16)
    quantity: int


class ResourceRow(SQLModel, table=True):
    __tablename__ = "resource"
    id: str = Field(primary_key=True, max_length=21)
    name: str = Field(max_length=200)
    resource_type: str = Field(max_length=16)
    district: str = Field(foreign_key="district.code", max_length=16)
    location: dict = _json(nullable=False)
    capacity: int
    in_use: int = 0
    out_of_service: bool = False


class AllocationRow(SQLModel, table=True):
    __tablename__ = "resource_allocation"
    id: str = Field(primary_key=True, max_length=21)
    need_id: str = Field(foreign_key="resource_need.id", index=True, max_length=21)
    resource_id: str = Field(foreign_key="resource.id", index=True, max_length=21)
    quantity: int
    allocated_at: datetime = _time(nullable=False)
    released_at: datetime | None = _time()


class CallRow(SQLModel, table=True):
    __tablename__ = "call"
    id: str = Field(primary_key=True, max_length=21)
    state: str = Field(max_length=16)
    receiving_dispatcher: str | None = Field(default=None, max_length=64)
    call_started: datetime = _time(nullable=False)
    call_ended: datetime | None = _time()
    caller_name: str | None = Field(default=None, max_length=100)
    caller_phone: str | None = Field(default=None, max_length=16)
    location: dict | None = _json()
    description: str = ""
    outcome: str | None = Field(default=None, max_length=32)
    outcome_rationale: str | None = None
    incident_id: str | None = Field(default=None, foreign_key="incident.id", index=True, max_length=21)


class UnitStatusRow(SQLModel, table=True):
    __tablename__ = "unit_status"
    unit_id: str = Field(foreign_key="unit.id", primary_key=True, max_length=21)
    state: str = Field(max_length=24)
    state_changed_at: datetime = _time(nullable=False)
    staffing: dict | None = _json()
    staffing_changed_at: datetime | None = _time()
    coordinates: dict | None = _json()
    coordinates_changed_at: datetime | None = _time()
    assigned_to_incident_id: str | None = Field(default=None, foreign_key="incident.id", max_length=21)
    assigned_to_incident_at: datetime | None = _time()


class UnitStatusHistoryRow(SQLModel, table=True):
    """Every unit status change, appended; the current status is in `unit_status`."""

    __tablename__ = "unit_status_history"
    id: int | None = Field(default=None, primary_key=True)
    unit_id: str = Field(foreign_key="unit.id", index=True, max_length=21)
    state: str = Field(max_length=24)
    recorded_at: datetime = _time(nullable=False)
    seq: int | None = None  # the event log position of the command that made the change
    status: dict = _json(nullable=False)


# --- event log and idempotency ----------------------------------------------------------------


class EventRow(SQLModel, table=True):
    """The single source of truth for what clients see: strictly increasing, gap-free `seq`."""

    __tablename__ = "event"
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    name: str = Field(max_length=64)
    at: datetime = _time(nullable=False)
    caused_by: str | None = Field(default=None, max_length=64)
    data: dict = _json(nullable=False)


class CommandResultRow(SQLModel, table=True):
    """The one answer each (user, command_id) gets; a resend is answered from here. Ids are
    per user: `user_key` is the user's id ('' for none), so one user cannot answer or block
    another's command."""

    __tablename__ = "command_result"
    user_key: str = Field(primary_key=True, max_length=64)
    command_id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    user_id: str | None = Field(default=None, max_length=64)
    at: datetime = _time(nullable=False)
    ok: bool
    result: dict = _json(nullable=False)


# --- users and audit --------------------------------------------------------------------------


class UserRow(SQLModel, table=True):
    """A dispatch position's account; only a hash of its bearer token is kept."""

    __tablename__ = "user"
    id: str = Field(primary_key=True, max_length=21)
    name: str = Field(unique=True, max_length=100)
    role: str = Field(max_length=16)
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = _time(nullable=False)
    revoked_at: datetime | None = _time()
    # The lock screen's PIN: a salted scrypt hash (never the PIN), and the count of wrong PINs
    # since the last right one, which locks the PIN for a while (server/net/accounts.py).
    pin_hash: str | None = Field(default=None, max_length=200)
    pin_failures: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    pin_locked_until: datetime | None = _time()
    unit_callsign: str | None = Field(default=None, max_length=16)  # a unit account's own unit


class AuditRow(SQLModel, table=True):
    """Append-only: connections, logins, failed logins and every command, without personal data."""

    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = _time(nullable=False, index=True)
    kind: str = Field(max_length=32)  # connect, login, login_failed, disconnect, command
    user_id: str | None = Field(default=None, max_length=21)
    address: str | None = Field(default=None, max_length=64)
    command: str | None = Field(default=None, max_length=64)
    command_id: str | None = Field(default=None, max_length=64)
    result: str | None = Field(default=None, max_length=32)  # ok or the error code
