"""An incident as a NENA EIDO (NENA-STA-021.1b, JSON, `eidoVersion` 1.0): docs/eido.md.

`to_eido` takes the incident and its calls as values, not a world, so an archived record read
back from the archive maps exactly as a live one does. The reference data it names (unit kinds,
districts, incident type descriptions) comes in a `Directory`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from server.domain.call import Call
from server.domain.incident import EntryType, Incident, IncidentUnit, LogEntry
from server.domain.location import Address, Intersection, Location, Place, Relative
from server.domain.reference import Deployment, District, IncidentType, Unit
from server.domain.world import World
from server.exchange import registries as reg
from server.exchange.pidf import PidfLocation, to_pidf
from server.protocol import iso

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Directory:
    """The reference data an EIDO names: the deployment, its districts, units and types."""

    deployment: Deployment
    districts: Mapping[str, District]
    units: Mapping[str, Unit]
    incident_types: Mapping[str, IncidentType]

    @classmethod
    def of(cls, world: World) -> Directory:
        return cls(world.deployment, world.districts, world.units, world.incident_types)


def agency_id(deployment: Deployment) -> str:
    """The Agency Identifier (a domain name in NENA-STA-010) derived from the deployment's name;
    `.invalid` says plainly that no one registered it (docs/eido.md, "Identifiers")."""
    slug = re.sub(r"[^a-z0-9]+", "-", deployment.name.lower()).strip("-") or "hurrinet"
    return f"{slug}.hurrinet.invalid"


def tracking_id(incident_id: str, agency: str) -> str:
    return f"urn:emergency:uid:incidentid:{incident_id}:{agency}"


def incident_id_from_tracking(value: str, agency: str) -> str:
    """The incident id inside this system's own Incident Tracking Identifier, else the value."""
    prefix, suffix = "urn:emergency:uid:incidentid:", f":{agency}"
    if value.startswith(prefix) and value.endswith(suffix):
        return value[len(prefix) : -len(suffix)]
    return value


def location_text(location: Location, districts: Mapping[str, District]) -> str:
    """One line a person reads: '12 Bridge Street, Castries'."""
    district = districts[location.district].name if location.district in districts else location.district
    if isinstance(location, Address):
        head = f"{location.number} {location.street}" if location.number else location.street
    elif isinstance(location, Intersection):
        head = f"{location.road_a} & {location.road_b}"
    elif isinstance(location, Place):
        head = location.name
    else:
        head = f"{location.details}, near {location.reference}"
    details = f" ({location.details})" if location.details and not isinstance(location, Relative) else ""
    return f"{head}{details}, {district}"


def _civic(location: Location, district: str) -> dict[str, str]:
    civic = {"A1": district}
    if isinstance(location, Address):
        civic.update(RD=location.street, HNO=location.number or "")
    elif isinstance(location, Intersection):
        civic["RD"] = location.road_a
    elif isinstance(location, Place):
        civic["NAM"] = location.name
    else:
        civic["LMK"] = location.reference
    if location.details:
        civic["LOC"] = location.details
    return civic


class _Builder:
    """Collects the components of one EIDO; every component carries the common prologue."""

    def __init__(self, directory: Directory, agency: str) -> None:
        self.directory = directory
        self.agency = agency
        self.components: dict[str, list[Json]] = {}
        self.agents: dict[str, set[str]] = {}  # agent id → roles

    def component_id(self, name: str) -> str:
        return f"urn:emergency:uid:eidodatacomponent:{name}:{self.agency}"

    def agent(self, user_id: str | None, role: str) -> str | None:
        if user_id is None:
            return None
        agent_id = f"{user_id}@{self.agency}"
        self.agents.setdefault(agent_id, set()).add(role)
        return agent_id

    def add(self, kind: str, component_id: str, at: datetime, agent: str | None = None, **fields: Any) -> Json:
        component: Json = {
            "$id": component_id,
            "lastUpdateTimeStamp": iso(at),
            "updatedByAgencyReference": {"$ref": self.agency},
        }
        if agent is not None:
            component["updatedByAgentReference"] = {"$ref": agent}
        component.update({k: v for k, v in fields.items() if v not in (None, [], "")})
        self.components.setdefault(kind, []).append(component)
        return component

    def note(self, name: str, text: str, at: datetime, agent: str | None = None) -> Json:
        """A Notes component; the standard's notes are HTML5, so the text is escaped."""
        body = html.escape(text).replace("\n", "<br>")
        return ref(self.add("notesComponent", self.component_id(name), at, agent, notesActionComments=body))

    def location(self, name: str, location: Location, kind: str, at: datetime) -> Json:
        districts = self.directory.districts
        district = districts[location.district].name if location.district in districts else location.district
        point = (location.coordinates.lat, location.coordinates.lon) if location.coordinates else None
        component_id = self.component_id(name)
        crossing = None
        if isinstance(location, Intersection):
            crossing = [to_pidf(f"pres:{self.agency}", f"{name}-crossing",
                                PidfLocation({"A1": district, "RD": location.road_b}))]  # fmt: skip
        component = self.add(
            "locationComponent", component_id, at,
            locationTypeDescriptionRegistryText=kind,
            locationByValue=to_pidf(f"pres:{self.agency}", name, PidfLocation(_civic(location, district), point)),
            locationDescriptionText=location_text(location, districts),
            intersectingStreetByValue=crossing,
        )  # fmt: skip
        return ref(component)


def ref(component: Json) -> Json:
    return {"$ref": component["$id"]}


def _entry_text(entry: LogEntry, directory: Directory) -> str:
    if entry.entry_type is EntryType.MANUAL or not entry.change_data:
        return entry.description or ""
    change, value = entry.change_data.get("change", ""), entry.change_data.get("value")
    label = str(change).replace("_", " ").capitalize()
    if change == "location" and isinstance(value, dict):
        value = value.get("name") or value.get("street") or value.get("reference") or value.get("road_a")
    elif change == "incident_type" and value in directory.incident_types:
        value = f"{value} ({directory.incident_types[value].description})"
    return f"{label}: {value}" if value is not None else f"{label}: cleared"


def _unit_times(record: IncidentUnit, kind: str) -> str:
    steps = [("assigned", record.unit_assigned_at), ("dispatched", record.unit_dispatched),
             ("en route", record.unit_en_route), ("on scene", record.unit_on_scene),
             ("available", record.unit_available), ("back at station", record.unit_back_at_station),
             ("unassigned", record.unit_unassigned_at)]  # fmt: skip
    times = ", ".join(f"{name} {iso(at)}" for name, at in steps if at is not None)
    staffing = f", staffing {record.unit_staffing}" if record.unit_staffing else ""
    return f"{record.callsign} ({kind}{staffing}): {times}"


def _unit_status(record: IncidentUnit) -> tuple[str, str, str]:
    """(primary, secondary, internal) status of the unit on this incident, from its record."""
    if not record.open:
        if record.unit_back_at_station:
            return "Available", "Station", "available_station"
        if record.unit_available or record.unit_dispatched:
            return "Available", "Cleared", "available_radio"
        return "Available", "AssignmentCancelled", "unassigned"
    if record.unit_available:  # available over radio, still attached to this incident
        return "ConditionallyAvailable", "Cleared", "available_radio"
    for stamp, secondary, internal in (("unit_on_scene", "OnScene", "on_scene"), ("unit_en_route", "EnRoute", "en_route"),
                                       ("unit_dispatched", "Dispatched", "dispatched")):  # fmt: skip
        if getattr(record, stamp) is not None:
            return "NotAvailable", secondary, internal
    return "NotAvailable", "Assigned", "assigned"


def _incident_status(incident: Incident) -> list[str]:
    if incident.ended:
        return ["Closed"]
    status = ["Active"]
    open_units = incident.open_units()
    if open_units:
        status.append("ResourcesAssigned")
    working = [u for u in open_units if not u.unit_available]
    if any(u.unit_en_route and not u.unit_on_scene for u in working):
        status.append("ResourcesEnroute")
    if any(u.unit_on_scene for u in working):
        status.append("ResourcesOnscene")
    return status


def _latest(incident: Incident, calls: Iterable[Call]) -> datetime:
    moments = [incident.incident_created, incident.incident_ended]
    moments += [e.log_timestamp for e in incident.log]
    moments += [u.latest() for u in incident.units] + [u.unit_unassigned_at for u in incident.units]
    for call in calls:
        moments += [call.call_started, call.call_ended]
    return max(m for m in moments if m is not None)


def to_eido(incident: Incident, calls: Sequence[Call], directory: Directory, agency: str | None = None) -> Json:
    """The EIDO of `incident` (with its `calls`) as this agency knows it now."""
    agency = agency or agency_id(directory.deployment)
    b = _Builder(directory, agency)
    updated = _latest(incident, calls)
    incident_notes: list[Json] = []

    times = f"Incident {incident.id} created {iso(incident.incident_created)}"
    if incident.incident_ended:
        times += f", ended {iso(incident.incident_ended)}"
    incident_notes.append(b.note(f"times-{incident.id}", times + f"; state {incident.state.value}", updated))
    if incident.description:
        incident_notes.append(b.note(f"description-{incident.id}", incident.description, incident.incident_created))
    for entry in incident.log:
        agent = b.agent(entry.dispatcher, reg.AGENT_ROLE_DISPATCHING)
        incident_notes.append(b.note(f"log-{entry.id}", _entry_text(entry, directory), entry.log_timestamp, agent))
    for need in incident.needs:
        text = f"Needs {need.quantity} {need.resource_type}; {need.allocated} allocated"
        incident_notes.append(b.note(f"need-{need.id}", text, updated))

    locations = []
    if incident.location is not None:
        locations.append(b.location(f"location-{incident.id}", incident.location, reg.LOCATION_CURRENT, updated))

    for call in calls:
        _call(b, call, incident)

    resources = _resources(b, incident, updated)
    if any(r.unit_dispatched for r in incident.units):
        b.add("dispatchComponent", b.component_id(f"dispatch-{incident.id}"), updated,
              agencyReference={"$ref": agency},
              emergencyResourceReference=[resources[r.unit_id] for r in incident.units if r.unit_dispatched
                                          and r.unit_id in resources])  # fmt: skip

    kind = directory.incident_types.get(incident.incident_type or "")
    b.add(
        "incidentComponent", b.component_id(f"incident-{incident.id}"), updated,
        incidentTypeCommonRegistryText=reg.INCIDENT_TYPE_COMMON.get(incident.incident_type or "", reg.INCIDENT_TYPE_UNKNOWN),
        incidentTypeInternalCode=incident.incident_type,
        incidentTypeInternalText=kind.description if kind else None,
        incidentStatusCommonRegistryText=_incident_status(incident),
        incidentStatusInternalText=[incident.state.value],
        internalIncidentId=incident.id,
        locationReference=locations,
        incidentPriorityInternalText=incident.incident_priority.value if incident.incident_priority else None,
        beatOrDispatchGroupText=incident.desk,
        notesReference=incident_notes,
    )  # fmt: skip
    b.add("agencyComponent", agency, updated,
          agencyRoleDescriptionRegistryText=list(reg.AGENCY_ROLES_WITH_CALLS if calls else reg.AGENCY_ROLES_DISPATCHING),
          agencyType=[reg.AGENCY_TYPE], incidentOwningAgencyIndicator=True)  # fmt: skip
    for agent_id, roles in sorted(b.agents.items()):
        b.add("agentComponent", agent_id, updated, agentRoleRegistryText=sorted(roles), agencyReference={"$ref": agency})

    header: Json = {
        "$id": tracking_id(incident.id, agency),
        "lastUpdateTimeStamp": iso(updated),
        "updatedByAgencyReference": {"$ref": agency},
        "eidoVersion": reg.EIDO_VERSION,
        "issuingElementIdentification": f"cad.{agency}",
    }
    order = ("incidentComponent", "callComponent", "callbackComponent", "dispatchComponent", "notesComponent",
             "emergencyResourceComponent", "agencyComponent", "agentComponent", "locationComponent", "personComponent")
    body = {name: b.components[name] for name in order if name in b.components}
    body["incidentComponent"] = body["incidentComponent"][0]  # the one component that is not an array
    return header | body


def from_world(world: World, incident_id: str) -> Json:
    """The EIDO of a live incident (KeyError when there is none)."""
    incident = world.incidents[incident_id]
    return to_eido(incident, [world.calls[c] for c in incident.call_ids if c in world.calls], Directory.of(world))


def _call(b: _Builder, call: Call, incident: Incident) -> None:
    call_id = f"urn:emergency:uid:callid:{call.id}:{b.agency}"
    at = call.call_ended or call.call_started
    agent = b.agent(call.receiving_dispatcher, reg.AGENT_ROLE_CALL_TAKING)
    lines = [call.description] if call.description else []
    if call.outcome:
        lines.append(f"Outcome: {call.outcome.value}" + (f" ({call.outcome_rationale})" if call.outcome_rationale else ""))
    if call.call_ended:
        lines.append(f"Call ended {iso(call.call_ended)}")
    notes = [b.note(f"call-{call.id}", "\n".join(lines), at, agent)] if lines else []
    callback = None
    if call.caller_phone:
        callback = ref(b.add("callbackComponent", b.component_id(f"callback-{call.id}"), call.call_started, agent,
                             callBackInformationUri=[f"tel:{call.caller_phone}"]))  # fmt: skip
    person = ref(b.add(
        "personComponent", b.component_id(f"caller-{call.id}"), call.call_started, agent,
        personIncidentRoleRegistryText=["Caller"], callIdentifier=[call_id], callBackReference=callback,
        ncPersonComponent={"name": [{"personFullName": [{"value": call.caller_name}]}]} if call.caller_name else None,
    ))  # fmt: skip
    locations = []
    if call.location is not None and call.location != incident.location:
        locations.append(b.location(f"location-call-{call.id}", call.location, reg.LOCATION_CALLER, at))
    elif call.location is not None:
        locations.append({"$ref": b.component_id(f"location-{incident.id}")})
    b.add(
        "callComponent", call_id, at, agent,
        standardPrimaryCallType=reg.PRIMARY_CALL_TYPE, direction="incoming",
        callStartTimestamp=iso(call.call_started), answerDate=iso(call.call_started),
        callStateRegistryText=reg.CALL_ENDED if call.ended else reg.CALL_ANSWERED,
        agentReference=[{"$ref": agent}] if agent else None, callBackReference=callback,
        locationReference=locations, notesReference=notes, personReference=[person],
    )  # fmt: skip


def _resources(b: _Builder, incident: Incident, updated: datetime) -> dict[str, Json]:
    """One Emergency Resource per unit (its newest assignment gives the status); every
    assignment's times go into a note, since the component has no place for them."""
    newest: dict[str, IncidentUnit] = {}
    history: dict[str, list[Json]] = {}
    for record in incident.units:
        newest[record.unit_id] = record
        unit = b.directory.units.get(record.unit_id)
        kind = unit.kind if unit else "unit"
        history.setdefault(record.unit_id, []).append(
            b.note(f"assignment-{record.id}", _unit_times(record, kind), record.latest())
        )
    refs: dict[str, Json] = {}
    for unit_id, record in newest.items():
        unit = b.directory.units.get(unit_id)
        kind = unit.kind if unit else None
        primary, secondary, internal = _unit_status(record)
        component = b.add(
            "emergencyResourceComponent", f"{record.callsign.lower()}@{b.agency}", record.unit_unassigned_at or record.latest(),
            emergencyResourceTypeCommonRegistryText=reg.RESOURCE_TYPE_COMMON.get(kind or "", reg.RESOURCE_TYPE_FALLBACK),
            emergencyResourceTypeInternalText=kind, resourceAttributeRegistryText=[],
            emergencyResourceName=record.callsign, primaryUnitStatusRegistryText=primary,
            secondaryUnitStatusRegistryText=[secondary], unitStatusInternal=[internal], agentReference=[],
            notesReference=history[unit_id],
            activeOnIncidentId=tracking_id(incident.id, b.agency) if record.open else None,
        )  # fmt: skip
        # Required arrays the unit may leave empty still have to be present.
        component.setdefault("resourceAttributeRegistryText", [])
        component.setdefault("agentReference", [])
        refs[unit_id] = ref(component)
    return refs
