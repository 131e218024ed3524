"""The wire contract shared by the server and every client (shared/protocol.md).

Command arguments are pydantic models (strict, no extra fields): the server validates with
them and `hurrinet-server protocol --json` prints their JSON schema, so the two cannot drift.
This module imports nothing else of the server, so clients may import it alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

PROTOCOL_VERSION = 2
MAX_FRAME_BYTES = 64 * 1024
# Hardening limits (docs/protocol.md, "Limits"): a frame nested deeper, or a command id longer,
# is refused with bad_request; what a refusal quotes of the frame is cut to MAX_QUOTED_CHARS.
MAX_FRAME_DEPTH = 32
MAX_COMMAND_ID_CHARS = 64
MAX_QUOTED_CHARS = 64
# An object key (a field name) is at most MAX_KEY_CHARS long, an object has at most MAX_OBJECT_KEYS
# keys: no command has more, and a refusal names the fields it did not expect.
MAX_KEY_CHARS = 64
MAX_OBJECT_KEYS = 64
# More than INVALID_FRAMES_LIMIT frames refused as not of this protocol (bad_request or
# unknown_command from the envelope) within INVALID_FRAMES_WINDOW_S close the session with
# CLOSE_INVALID_FRAMES (1008, policy violation); a client may reconnect at once.
INVALID_FRAMES_LIMIT = 20
INVALID_FRAMES_WINDOW_S = 10.0
CLOSE_INVALID_FRAMES = 1008
# A handshake refused for repeated failed logins gets HTTP 429 with Retry-After.
LOGIN_FAILURES_BEFORE_LOCKOUT = 5
LOGIN_LOCKOUT_S = 600

ERROR_CODES = (
    "bad_request",
    "unknown_command",
    "validation",
    "not_found",
    "invalid_transition",
    "invariant",
    "forbidden",
    "conflict",
    "internal",
)

EVENT_NAMES = (
    "incident.created",
    "incident.updated",
    "incident.state_changed",
    "incident.closed",
    "incident.noted",
    "call.created",
    "call.updated",
    "call.ended",
    "unit.assigned",
    "unit.unassigned",
    "unit.status_changed",
    "unit.dispatch_timed_out",
    "unit.alert_failed",
    "resource.updated",
    "incident.archived",
    "call.archived",
)

def software_version() -> str:
    """This software's version, for `--version` of the server and the workstation alike: the
    source tree's pyproject.toml when run from a checkout, else the installed package's."""
    pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
    if pyproject.is_file():
        return str(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"])
    try:
        return metadata.version("hurrinet-dispatch")
    except metadata.PackageNotFoundError:
        return "unknown"


def version_line(program: str) -> str:
    return f"{program} {software_version()} (protocol {PROTOCOL_VERSION})"


def iso(moment: datetime | None) -> str | None:
    """UTC ISO 8601 with milliseconds and `Z` (isoformat is C code: this runs for every
    timestamp of every entity the server encodes)."""
    if moment is None:
        return None
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    return moment.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def parse_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text.replace("Z", "+00:00"))



Priority = Literal["A", "B", "C", "D", "N"]
ImmediateState = Literal["dispatched", "en_route", "on_scene"]
Json = dict[str, Any]


class Args(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Coordinates(Args):
    lat: float
    lon: float


# --- incidents ---


class IncidentFields(Args):
    incident_type: str | None = None
    incident_priority: Priority | None = None
    location: Json | None = Field(default=None, description="a location object; see protocol.md")
    description: str | None = None
    desk: str | None = None


class IncidentCreate(IncidentFields):
    pass


class IncidentUpdate(IncidentFields):
    incident_id: str


class IncidentSetState(Args):
    incident_id: str
    state: Literal["queued", "active", "monitored"]


class IncidentRef(Args):
    incident_id: str


class IncidentNote(Args):
    incident_id: str
    text: str


class IncidentAddNeed(Args):
    incident_id: str
    resource_type: Literal["SHELTER", "MEDICAL", "SUPPLIES", "WATER"]
    quantity: int


# --- calls ---


class CallFields(Args):
    caller_name: str | None = None
    caller_phone: str | None = None
    location: Json | None = None
    description: str | None = None


class CallCreate(CallFields):
    pass


class CallUpdate(CallFields):
    call_id: str
    outcome: Literal["caller_advised", "hoax", "accidental", "other_no_actions_taken"] | None = None
    outcome_rationale: str | None = None


class CallRef(Args):
    call_id: str


class CallAttach(Args):
    call_id: str
    incident_id: str


# --- units ---


class UnitAssign(Args):
    incident_id: str
    units: list[str] = Field(min_length=1)
    state: ImmediateState | None = None


class UnitRef(Args):
    unit: str


class UnitReassign(Args):
    unit: str
    incident_id: str
    state: ImmediateState | None = None


class UnitDispatch(Args):
    incident_id: str
    units: list[str] | None = None


class UnitSetState(Args):
    unit: str
    state: Literal["unavailable", "available_radio", "available_station", "dispatched", "en_route", "on_scene"]


class UnitSetStaffing(Args):
    unit: str
    officers: int
    subofficers: int
    crew: int


class UnitSetPosition(Args):
    unit: str
    coordinates: Coordinates


class AlertAck(Args):
    unit: str
    target_id: str


class UnitDispatchTimeout(Args):
    """Issued by the server's own timer, never by a client."""

    unit: str
    since: str


class AlertFailed(Args):
    """Issued by the server's alert delivery, never by a client: one failed attempt to reach
    `target_id` with the alert for `unit` on `incident_id`; `final` when it gives up."""

    unit: str
    target_id: str
    incident_id: str
    reason: str = Field(max_length=200)
    attempt: int = Field(ge=1)
    final: bool


# --- resources ---


class ResourceUpdate(Args):
    resource_id: str
    capacity: int | None = None
    in_use: int | None = None
    out_of_service: bool | None = None


class ResourceAllocate(Args):
    resource_id: str
    need_id: str
    quantity: int


class ResourceRelease(Args):
    allocation_id: str


# --- queries (change nothing, write no event, store no result) ---


class Classify(Args):
    """Classify free `text` (with an optional `location`), or an incident's or call's own words."""

    text: str | None = None
    location: Json | None = Field(default=None, description="a location object, with text only")
    incident_id: str | None = None
    call_id: str | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Classify:
        given = [name for name in ("text", "incident_id", "call_id") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of text, incident_id or call_id (got {', '.join(given) or 'none'})")
        if self.location is not None and self.text is None:
            raise ValueError("location goes with text only: an incident or call brings its own")
        return self


class RecommendFor(Args):
    """One incident, or (without `incident_id`) every waiting incident."""

    incident_id: str | None = None


class CallVicinity(Args):
    """Around a call's coordinates (`call_id`, the call itself left out) or around a point
    (`coordinates`); `radius_m` defaults to the deployment's vicinity radius."""

    call_id: str | None = None
    coordinates: Coordinates | None = None
    radius_m: float | None = Field(default=None, description="metres, 1 to 50000")

    @model_validator(mode="after")
    def _one_centre(self) -> CallVicinity:
        given = [name for name in ("call_id", "coordinates") if getattr(self, name) is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of call_id or coordinates (got {' and '.join(given) or 'neither'})")
        return self


class Geocode(Args):
    query: str = Field(description="a name, or two roads as 'road a & road b' or 'road a / road b'")


# --- archival (docs/archive.md) ---


class IncidentArchive(Args):
    """Issued by the server's archiver, never by a client, once the items are in the archive:
    each id maps to the fingerprint of what was copied (an item changed since is kept)."""

    incidents: dict[str, str] = Field(default_factory=dict)
    calls: dict[str, str] = Field(default_factory=dict)
    older_than_s: float = Field(ge=0)


def _checked_time(name: str, text: str | None) -> None:
    if text is None:
        return
    try:
        moment = parse_iso(text)
    except ValueError:
        raise ValueError(f"{name} is not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (Z for UTC): {text!r}")


class ArchiveSearch(Args):
    """Archived incidents (and calls archived on their own) whose words match `text`, created
    in [`from`, `to`), of a type and district; newest first, at most `limit`."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    text: str | None = Field(default=None, max_length=200)
    from_: str | None = Field(default=None, alias="from", description="ISO 8601 time, e.g. 2026-09-01T00:00:00Z")
    to: str | None = Field(default=None, description="ISO 8601 time, after `from`")
    incident_type: str | None = Field(default=None, max_length=10)
    district: str | None = Field(default=None, max_length=16)
    limit: int = Field(default=100, ge=1, le=500)

    @model_validator(mode="after")
    def _times(self) -> ArchiveSearch:
        _checked_time("from", self.from_)
        _checked_time("to", self.to)
        if self.from_ is not None and self.to is not None and parse_iso(self.to) <= parse_iso(self.from_):
            raise ValueError("to must be after from")
        return self


# --- exchange with other agencies (docs/eido.md) ---


class EidoImport(Args):
    eido: Json = Field(description="a NENA EIDO (NENA-STA-021, eidoVersion 1.0) JSON document")


# --- the user's own account (answered by the hub; no event, no stored result, args never logged) ---


class AccountSetPin(Args):
    pin: str = Field(description="4 to 8 digits")
    current_pin: str | None = Field(default=None, description="needed to change a PIN already set")


class AccountVerifyPin(Args):
    pin: str


class AccountPinStatus(Args):
    pass
class Stats(Args):
    """Response statistics over incidents created in [`from`, `to`) (ISO 8601 UTC; default:
    from the first incident to now), broken down by the dimensions in `by` (default: all)."""

    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)

    from_: str | None = Field(default=None, alias="from", description="ISO 8601 time, e.g. 2026-09-01T00:00:00Z")
    to: str | None = Field(default=None, description="ISO 8601 time, after `from`")
    by: list[Literal["priority", "district", "incident_type", "hour"]] | None = None

    @model_validator(mode="after")
    def _times(self) -> Stats:
        for name, text in (("from", self.from_), ("to", self.to)):
            _checked_time(name, text)
        if self.from_ is not None and self.to is not None and parse_iso(self.to) <= parse_iso(self.from_):
            raise ValueError("to must be after from")
        return self


# --- server controls ---


class SimulationSet(Args):
    running: bool


@dataclass(frozen=True)
class CommandSpec:
    name: str
    args: type[Args]
    result: tuple[str, ...]
    summary: str
    system_only: bool = False
    query: bool = False  # reads only: no event, no stored result, observers may issue it
    # A control acts on the server process, not on the dispatch state: no transaction, no
    # event, no stored result. Setting an absolute value keeps a resend harmless.
    control: bool = False
    # The issuing user's own account (the lock screen's PIN): answered by the hub from the
    # accounts, never by the runner; no event, no stored result, and its arguments (a PIN) are
    # in no log, audit row or answer.
    account: bool = False


COMMANDS: dict[str, CommandSpec] = {
    spec.name: spec
    for spec in (
        CommandSpec("incident.create", IncidentCreate, ("incident_id",), "Create an incident."),
        CommandSpec("incident.update", IncidentUpdate, (), "Change an incident's type, priority, location, description or desk; null clears."),
        CommandSpec("incident.set_state", IncidentSetState, (), "Move an incident to queued, active or monitored."),
        CommandSpec("incident.close", IncidentRef, (), "End an incident; units available over radio are released, "
                    "any other unit still on it refuses the close (named, with what to do)."),
        CommandSpec("incident.note", IncidentNote, ("entry_id",), "Add a manual log entry."),
        CommandSpec("incident.add_need", IncidentAddNeed, ("need_id",), "Record a resource need of an incident."),
        CommandSpec("call.create", CallCreate, ("call_id",), "Start taking a call."),
        CommandSpec("call.update", CallUpdate, (), "Change a call's caller, location, description or outcome."),
        CommandSpec("call.create_incident", CallRef, ("incident_id",), "Create an incident from a call."),
        CommandSpec("call.attach", CallAttach, (), "Attach a call to an existing incident."),
        CommandSpec("call.detach", CallRef, (), "Detach a call attached to an incident."),
        CommandSpec("call.copy_location", CallRef, (), "Copy a call's location to its incident."),
        CommandSpec("call.end", CallRef, (), "End a call (its outcome must be set)."),
        CommandSpec("unit.assign", UnitAssign, ("incident_unit_ids",), "Assign available units to an incident."),
        CommandSpec("unit.unassign", UnitRef, (), "Undo an assignment before dispatch (or release a unit available over radio)."),
        CommandSpec("unit.release", UnitRef, (), "A unit available over radio leaves its incident (it has cleared)."),
        CommandSpec("unit.reassign", UnitReassign, ("incident_unit_ids",), "Move an assigned unit to another incident."),
        CommandSpec("unit.dispatch", UnitDispatch, ("dispatching", "realerted", "warnings"), "Alert assigned units."),
        CommandSpec("unit.confirm_dispatch", UnitRef, (), "Confirm a dispatch by hand."),
        CommandSpec("unit.set_state", UnitSetState, (), "Set a unit's status."),
        CommandSpec("unit.set_staffing", UnitSetStaffing, (), "Set a unit's staffing."),
        CommandSpec("unit.set_position", UnitSetPosition, (), "Report a unit's position."),
        CommandSpec("alert.ack", AlertAck, ("applied",), "An alert target acknowledges delivery."),
        CommandSpec("unit.dispatch_timeout", UnitDispatchTimeout, ("timed_out",), "Dispatch timer expired.", system_only=True),
        CommandSpec("alert.failed", AlertFailed, ("recorded",), "An alert did not reach its target.", system_only=True),
        CommandSpec("resource.update", ResourceUpdate, (), "Change a resource's capacity, use or service state."),
        CommandSpec("resource.allocate", ResourceAllocate, ("allocation_id",), "Reserve resource quantity for a need."),
        CommandSpec("resource.release", ResourceRelease, (), "Free an allocation."),
        CommandSpec("call.vicinity", CallVicinity, ("calls", "incidents", "radius_m"),
                    "Active calls and open incidents near a call or a point, nearest first.", query=True),
        CommandSpec("geocode", Geocode, ("results",),
                    "Look up places, streets and intersections in the deployment's gazetteer.", query=True),
        CommandSpec("classify", Classify, ("incident_type", "incident_priority", "desk", "district", "reasons", "alternatives"),
                    "Suggest an incident type, priority and desk from words, with reasons.", query=True),
        CommandSpec("recommend.units", RecommendFor, ("recommendations", "unserved", "excluded_units"),
                    "Recommend units for waiting incidents' open plan slots.", query=True),
        CommandSpec("recommend.resources", RecommendFor, ("recommendations", "unserved"),
                    "Recommend resources for open resource needs.", query=True),
        CommandSpec("incident.log", IncidentRef, ("entries",),
                    "An incident's whole log, live, ended or archived (the snapshot carries open incidents' only).", query=True),
        CommandSpec("incident.eido", IncidentRef, ("eido",),
                    "The incident (live or archived) as a NENA EIDO (NENA-STA-021) JSON document.", query=True),
        CommandSpec("eido.import", EidoImport, ("incident_id",),
                    "Create an incident with its calls and notes from a received NENA EIDO."),
        CommandSpec("account.set_pin", AccountSetPin, (),
                    "Choose your lock-screen PIN (4–8 digits; to change it, give the current one).", account=True),
        CommandSpec("account.verify_pin", AccountVerifyPin, ("ok",),
                    "Check your PIN (to unlock); 5 wrong in a row lock it for a while.", account=True),
        CommandSpec("account.pin_status", AccountPinStatus, ("pin_set", "locked_until"),
                    "Whether you have chosen a PIN, and until when it is locked.", account=True),
        CommandSpec("stats", Stats, ("from", "to", "incidents", "percentile_method", "targets", "stages", "by",
                                     "distribution", "waiting", "utilisation", "resources"),
                    "Response-time statistics, waiting, utilisation and occupancy (supervisors, observers).", query=True),
        CommandSpec("incident.archive", IncidentArchive, ("archived", "calls", "skipped"),
                    "Remove incidents and calls already copied to the archive from the live state.", system_only=True),
        CommandSpec("archive.search", ArchiveSearch, ("incidents", "calls", "more"),
                    "Search the archive of ended incidents and calls.", query=True),
        CommandSpec("archive.get", IncidentRef, ("incident", "calls", "log_entries", "archived_at"),
                    "An archived incident whole: its fields, units, needs, calls and log.", query=True),
        CommandSpec("simulation.set", SimulationSet, ("running",),
                    "Pause or resume the demo server's simulation.", control=True),  # fmt: skip
    )
}
