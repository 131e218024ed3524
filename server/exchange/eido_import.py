"""A received EIDO → what to create (`Received`), or a refusal naming every problem.

The check covers what NENA-STA-021's schema requires of the parts this system reads (the
header, agencies, incident, calls, callbacks, persons, locations, notes) and every reference it
follows; a document with problems is refused whole, each problem named by its path in the
document. What has no counterpart here is carried into notes (docs/eido.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from typing import Any

from server.domain.errors import ValidationFailed
from server.domain.operations.received import Received, ReceivedCall
from server.domain.reference import District, IncidentType, Priority
from server.domain.values import DESCRIPTION_MAX, NAME_MAX, ServiceArea
from server.exchange import registries as reg
from server.exchange.pidf import PidfError, PidfLocation, from_pidf
from server.protocol import iso

Json = dict[str, Any]

# Component arrays this system reads, with the fields each item must have (beyond the prologue).
_REQUIRED = {
    "agencyComponent": ("agencyRoleDescriptionRegistryText", "agencyType"),
    "callComponent": ("callStateRegistryText", "standardPrimaryCallType", "direction", "callStartTimestamp"),
    "callbackComponent": (),
    "personComponent": ("personIncidentRoleRegistryText",),
    "locationComponent": ("locationTypeDescriptionRegistryText",),
    "notesComponent": ("notesActionComments",),
}
_ARRAYS = ("agencyRoleDescriptionRegistryText", "agencyType", "personIncidentRoleRegistryText")
_TIMES = ("callStartTimestamp", "answerDate")
_DIRECTIONS = ("incoming", "outgoing", "internal")
# RFC 3339 date-time (the schema's `format: date-time`), with a time zone.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
# References followed when reading, by the component array they must point into.
_FOLLOWED = {
    "locationReference": "locationComponent",
    "notesReference": "notesComponent",
    "personReference": "personComponent",
    "callBackReference": "callbackComponent",
}


@dataclass
class _Check:
    problems: list[dict[str, str]] = field(default_factory=list)

    def fail(self, path: str, problem: str) -> None:
        self.problems.append({"field": path, "problem": problem})

    def text(self, item: Json, name: str, path: str, required: bool = True) -> None:
        if name not in item:
            if required:
                self.fail(f"{path}.{name}", "is required")
        elif not isinstance(item[name], str) or (required and not item[name].strip()):
            self.fail(f"{path}.{name}", "must be a non-empty string")

    def time(self, item: Json, name: str, path: str, required: bool = True) -> None:
        self.text(item, name, path, required)
        value = item.get(name)
        if isinstance(value, str) and value.strip() and parse_time(value) is None:
            self.fail(f"{path}.{name}", f"{value!r} is not an RFC 3339 date-time with a time zone")

    def reference(self, value: Any, path: str) -> None:
        if not isinstance(value, dict) or not isinstance(value.get("$ref"), str) or not value["$ref"]:
            self.fail(path, 'must be a reference {"$ref": "…"}')

    def prologue(self, item: Json, path: str) -> None:
        self.text(item, "$id", path)
        self.time(item, "lastUpdateTimeStamp", path)
        if "updatedByAgencyReference" not in item:
            self.fail(f"{path}.updatedByAgencyReference", "is required")
        else:
            self.reference(item["updatedByAgencyReference"], f"{path}.updatedByAgencyReference")
        if "updatedByAgentReference" in item:
            self.reference(item["updatedByAgentReference"], f"{path}.updatedByAgentReference")


def parse_time(value: str) -> datetime | None:
    if not _RFC3339.fullmatch(value.strip()):
        return None
    try:
        return datetime.fromisoformat(value.strip().upper().replace("Z", "+00:00"))
    except ValueError:
        return None


def _items(document: Json, name: str) -> list[Any]:
    value = document.get(name, [])
    return value if isinstance(value, list) else []


def validate(document: Any) -> list[dict[str, str]]:
    """Every problem of `document` as an EIDO this system can read; empty when it is fine."""
    check = _Check()
    if not isinstance(document, dict):
        check.fail("eido", "must be a JSON object (an EmergencyIncidentDataObjectType)")
        return check.problems
    check.prologue(document, "eido")
    if document.get("eidoVersion") != reg.EIDO_VERSION:
        check.fail("eido.eidoVersion", f"must be {reg.EIDO_VERSION!r} (got {document.get('eidoVersion')!r})")
    check.text(document, "issuingElementIdentification", "eido")
    if not isinstance(document.get("agencyComponent"), list) or not document["agencyComponent"]:
        check.fail("eido.agencyComponent", "is required: an array naming at least one agency")
    arrays = {name: () for name in document if name.endswith("Component") and name != "incidentComponent"}
    ids: dict[str, str] = {}
    for name, required in (arrays | _REQUIRED).items():
        if name in document and not isinstance(document[name], list):
            check.fail(f"eido.{name}", "must be an array")
            continue
        for n, item in enumerate(_items(document, name)):
            path = f"eido.{name}[{n}]"
            if not isinstance(item, dict):
                check.fail(path, "must be an object")
                continue
            check.prologue(item, path)
            for field_name in required:
                if field_name in _ARRAYS:
                    value = item.get(field_name)
                    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                        check.fail(f"{path}.{field_name}", "is required: an array of strings")
                elif field_name in _TIMES:
                    check.time(item, field_name, path)
                else:
                    check.text(item, field_name, path)
            if name == "callComponent":
                check.time(item, "answerDate", path, required=False)
                if "direction" in item and item["direction"] not in _DIRECTIONS:
                    check.fail(f"{path}.direction", f"must be one of {', '.join(_DIRECTIONS)}")
            if name == "locationComponent":
                _check_location(check, item, path)
            if isinstance(item.get("$id"), str):
                if item["$id"] in ids:
                    check.fail(f"{path}.$id", f"{item['$id']!r} is also the $id of {ids[item['$id']]}")
                ids.setdefault(item["$id"], path)
    incident = document.get("incidentComponent")
    if incident is not None:
        if not isinstance(incident, dict):
            check.fail("eido.incidentComponent", "must be an object")
        else:
            check.prologue(incident, "eido.incidentComponent")
            check.text(incident, "incidentTypeCommonRegistryText", "eido.incidentComponent")
    _check_references(check, document)
    return check.problems


def _check_location(check: _Check, item: Json, path: str) -> None:
    by_value, by_url = item.get("locationByValue"), item.get("locationByReferenceUrl")
    if by_value is None and by_url is None:
        check.fail(path, "needs locationByValue or locationByReferenceUrl")
    for name in ("locationByValue", "locationByReferenceUrl", "locationDescriptionText"):
        check.text(item, name, path, required=False)
    if isinstance(by_value, str):
        try:
            from_pidf(by_value)
        except PidfError as error:
            check.fail(f"{path}.locationByValue", f"is not a readable PIDF-LO document: {error}")
    for n, crossing in enumerate(item.get("intersectingStreetByValue") or []):
        try:
            from_pidf(crossing if isinstance(crossing, str) else "")
        except PidfError as error:
            check.fail(f"{path}.intersectingStreetByValue[{n}]", f"is not a readable PIDF-LO document: {error}")


def _references(value: Any, path: str) -> Iterator[tuple[str, str, Any]]:
    """(reference name, path, value) of every reference anywhere under `value`."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.endswith(("Reference", "References")):
                for n, one in enumerate(inner if isinstance(inner, list) else [inner]):
                    yield key, f"{path}.{key}" + (f"[{n}]" if isinstance(inner, list) else ""), one
            elif isinstance(inner, dict | list):
                yield from _references(inner, f"{path}.{key}")
    elif isinstance(value, list):
        for n, inner in enumerate(value):
            yield from _references(inner, f"{path}[{n}]")


def _check_references(check: _Check, document: Json) -> None:
    targets = {name: {i.get("$id") for i in _items(document, name) if isinstance(i, dict) and isinstance(i.get("$id"), str)}
               for name in _FOLLOWED.values()}  # fmt: skip
    for key, path, value in _references(document, "eido"):
        owner = re.match(r"eido(?:\.(\w+)(?:\[\d+\])?)?\.updatedBy\w+$", path)
        if owner:
            continue  # checked with the prologue of its component
        if not isinstance(value, dict) or not isinstance(value.get("$ref"), str):
            check.fail(path, 'must be a reference {"$ref": "…"}')
        elif key in _FOLLOWED and value["$ref"] not in targets[_FOLLOWED[key]]:
            check.fail(path, f"refers to {value['$ref']!r}, which is not in {_FOLLOWED[key]}")


# --- reading ----------------------------------------------------------------------------------


class _Text(HTMLParser):
    """HTML5 note text to plain text (breaks and paragraphs become new lines)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in ("br", "p", "div", "li"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(markup: str) -> str:
    parser = _Text()
    parser.feed(markup)
    parser.close()
    return re.sub(r"\n{2,}", "\n", "".join(parser.parts)).strip()


def _chunks(text: str, limit: int = DESCRIPTION_MAX) -> list[str]:
    """Text longer than a log entry may be is written as several entries, none of it lost."""
    parts = (text[i : i + limit].strip() for i in range(0, len(text), limit))
    return [part for part in parts if part]


@dataclass(frozen=True, slots=True)
class Places:
    """What a location must fit to become one of this deployment's locations."""

    districts: Mapping[str, District]
    area: ServiceArea


def _district(civic: Mapping[str, str], places: Places) -> str | None:
    names = {d.name.casefold(): d.code for d in places.districts.values()}
    names.update({code.casefold(): code for code in places.districts})
    for key in ("A1", "A2", "A3", "A4", "A5", "A6", "PCN"):
        found = names.get(civic.get(key, "").casefold())
        if found:
            return found
    return None


def civic_text(civic: Mapping[str, str]) -> str:
    street = " ".join(civic[k] for k in ("HNO", "HNS", "PRD", "RD", "STS", "POD") if civic.get(k))
    parts = [civic.get("NAM"), civic.get("LMK"), street, civic.get("LOC"), civic.get("A3"), civic.get("A2"),
             civic.get("A1"), civic.get("country")]  # fmt: skip
    return ", ".join(p for p in parts if p)


def _clip(text: str, limit: int = NAME_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def map_location(item: Json, places: Places) -> tuple[Json | None, str]:
    """(this deployment's wire location or None, a one-line description for a note)."""
    described = item.get("locationDescriptionText") or ""
    if not isinstance(item.get("locationByValue"), str):
        url = item.get("locationByReferenceUrl")
        return None, f"by reference {url} (not dereferenced)" if url else described
    pidf = from_pidf(item["locationByValue"])
    crossing = _crossing_road(item)
    line = civic_text(pidf.civic) + (f" & {crossing}" if crossing else "")
    if pidf.point:
        line += f" ({pidf.point[0]:.6f}, {pidf.point[1]:.6f})"
    line = line or described
    district = _district(pidf.civic, places)
    if district is None:
        return None, line
    location = _variant(pidf, crossing, described) | {"district": district}
    if pidf.point is not None:
        lat, lon = round(pidf.point[0], 6), round(pidf.point[1], 6)
        if places.area.lat_min <= lat <= places.area.lat_max and places.area.lon_min <= lon <= places.area.lon_max:
            location["coordinates"] = {"lat": lat, "lon": lon}
    return location, line


def _crossing_road(item: Json) -> str | None:
    for crossing in item.get("intersectingStreetByValue") or []:
        road = from_pidf(crossing).civic.get("RD")
        if road:
            return road
    return None


def _variant(pidf: PidfLocation, crossing: str | None, described: str) -> Json:
    civic = pidf.civic
    street = " ".join(civic[k] for k in ("PRD", "RD", "STS", "POD") if civic.get(k))
    number = " ".join(civic[k] for k in ("HNO", "HNS") if civic.get(k))
    details = civic.get("LOC")
    if civic.get("RD") and crossing:
        out: Json = {"kind": "intersection", "road_a": _clip(street), "road_b": _clip(crossing)}
    elif civic.get("RD"):
        out = {"kind": "address", "street": _clip(street)} | ({"number": number[:30]} if number else {})
    elif civic.get("LMK") and details:
        return {"kind": "relative", "reference": _clip(civic["LMK"]), "details": details[:DESCRIPTION_MAX]}
    else:
        name = civic.get("NAM") or civic.get("LMK") or described or "Position reported in an EIDO"
        out = {"kind": "place", "name": _clip(name)}
    return out | ({"details": details[:DESCRIPTION_MAX]} if details else {})


def reverse_type(common: str | None, types: Mapping[str, IncidentType]) -> str | None:
    """This deployment's first type that maps to the common code. Never an operational order
    (priority N): those are intra-agency by definition, and another agency's incident is not one
    (as one it would also refuse the calls from the public it comes with)."""
    for code, mapped in reg.INCIDENT_TYPE_COMMON.items():
        kind = types.get(code)
        if mapped == common and kind is not None and kind.priority is not Priority.N:
            return code
    return None


def _phone(callback: Json | None) -> str | None:
    uris = (callback or {}).get("callBackInformationUri")
    for uri in uris if isinstance(uris, list) else []:
        if isinstance(uri, str) and uri.startswith("tel:"):
            number = uri[4:].split(";", 1)[0]
            digits = re.sub(r"[\s\-().]", "", number)
            if re.fullmatch(r"\+?\d{1,15}", digits):
                return digits
    return None


def _values(value: Any) -> list[str]:
    """The strings of a NIEM text array: [{"value": "…"}, …]; anything else reads as none."""
    items = value if isinstance(value, list) else []
    return [i["value"] for i in items if isinstance(i, dict) and isinstance(i.get("value"), str)]


def _person_name(person: Json) -> str | None:
    component = person.get("ncPersonComponent")
    names = component.get("name") if isinstance(component, dict) else None
    name = names[0] if isinstance(names, list) and names and isinstance(names[0], dict) else {}
    full = _values(name.get("personFullName"))
    joined = full[0] if full else " ".join(_values(name.get("personGivenName")) + _values(name.get("personSurName")))
    return joined.strip()[:100] or None


def _comments(document: Json, call: Json) -> list[str]:
    """The text of EmergencyCallData.Comment blocks (RFC 7852) the call carries by value."""
    wanted = {r.get("$ref") for r in call.get("additionalDataReference") or [] if isinstance(r, dict)}
    texts = []
    for item in _items(document, "additionalDataComponent"):
        value = item.get("additionalDataByValue") if isinstance(item, dict) else None
        if isinstance(value, str) and "EmergencyCallData.Comment" in value and item["$id"] in wanted:
            found = re.findall(r"<(?:\w+:)?Comment\b[^>]*>(.*?)</(?:\w+:)?Comment>", value, flags=re.S)
            texts += [plain_text(t) for t in found if t.strip()]
    return texts


def from_eido(document: Any, places: Places, types: Mapping[str, IncidentType]) -> Received:
    """What to create from a received EIDO; refuses an invalid one naming every problem."""
    problems = validate(document)
    if problems:
        listed = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        raise ValidationFailed(f"the EIDO is invalid ({count}): {listed}", field="eido", problems=problems)
    by_id = {
        item["$id"]: item
        for name in _REQUIRED
        for item in _items(document, name)
    }
    notes: list[str] = []
    sender = document["updatedByAgencyReference"]["$ref"]
    notes.append(f"Received as an EIDO from {sender} (issued by {document['issuingElementIdentification']}), "
                 f"incident {document['$id']}, last updated {_utc(document['lastUpdateTimeStamp'])}")  # fmt: skip
    incident = document.get("incidentComponent") or {}
    calls_in = _items(document, "callComponent")

    fields: Json = {}
    common = incident.get("incidentTypeCommonRegistryText")
    code = reverse_type(common, types)
    if code:
        fields["incident_type"] = code
    if incident:
        sender_type = " — ".join(str(incident[k]) for k in ("incidentTypeInternalCode", "incidentTypeInternalText")
                                 if incident.get(k))  # fmt: skip
        summary = f"Sender's incident type: {common}" + (f" ({sender_type})" if sender_type else "")
        if incident.get("incidentPriorityInternalText"):
            summary += f"; sender's priority {incident['incidentPriorityInternalText']}"
        status = incident.get("incidentStatusCommonRegistryText")
        if status:
            summary += f"; status {', '.join(map(str, status)) if isinstance(status, list) else status}"
        notes.append(summary)
        if not code and incident.get("incidentTypeInternalText"):  # says what the incident is when no type does
            fields["description"] = str(incident["incidentTypeInternalText"])[:DESCRIPTION_MAX]

    location_notes: list[str] = []
    incident_location = _first_location(incident.get("locationReference"), by_id, places, location_notes)

    calls: list[ReceivedCall] = []
    for call in calls_in:
        location = _first_location(call.get("locationReference"), by_id, places, location_notes)
        incident_location = incident_location or location
        persons = [by_id[r["$ref"]] for r in call.get("personReference") or []]
        caller = next((p for p in persons if "Caller" in p["personIncidentRoleRegistryText"]), None)
        callback = by_id.get((call.get("callBackReference") or (caller or {}).get("callBackReference") or {}).get("$ref"))
        texts = [plain_text(by_id[r["$ref"]]["notesActionComments"]) for r in call.get("notesReference") or []]
        texts += _comments(document, call)
        call_fields: Json = {
            "caller_name": _person_name(caller) if caller else None,
            "caller_phone": _phone(callback),
            "location": location,
            "description": "\n".join(texts)[:DESCRIPTION_MAX] or None,
        }
        calls.append(ReceivedCall({k: v for k, v in call_fields.items() if v is not None},
                                  ended=call["callStateRegistryText"] == reg.CALL_ENDED))  # fmt: skip
        notes.append(f"Sender's call {call['$id']}: {call['direction']} {call['standardPrimaryCallType']} call, "
                     f"started {_utc(call['callStartTimestamp'])}"
                     + (f", answered {_utc(call['answerDate'])}" if call.get("answerDate") else "")
                     + f", state {call['callStateRegistryText']}")  # fmt: skip
    if incident_location is not None:
        fields["location"] = incident_location
    notes += location_notes

    for item in _items(document, "notesComponent"):
        author = (item.get("updatedByAgentReference") or item["updatedByAgencyReference"])["$ref"]
        text = plain_text(item["notesActionComments"])
        if text:
            notes += _chunks(f"[{_utc(item['lastUpdateTimeStamp'])} {author}] {text}")
    for resource in _items(document, "emergencyResourceComponent"):
        if isinstance(resource, dict):
            notes.append(f"Sender's resource {resource.get('emergencyResourceName') or resource.get('$id')}: "
                         f"{resource.get('emergencyResourceTypeCommonRegistryText')}, "
                         f"{resource.get('primaryUnitStatusRegistryText')}")  # fmt: skip
    dropped = [f"{len(_items(document, n))} {n}" for n in _NOT_IMPORTED if _items(document, n)]
    if dropped:
        notes.append("Not imported (no counterpart here): " + ", ".join(dropped))
    return Received(fields, tuple(calls), tuple(n[:DESCRIPTION_MAX] for n in notes))


_NOT_IMPORTED = ("additionalDataComponent", "vehicleComponent", "cautionComponent", "mediaComponent",
                 "alarmsSensorsComponent", "mergeComponent", "linkComponent", "dispatchComponent",
                 "sharedCommunicationResourceComponent", "externalInformationSourceComponent")  # fmt: skip


def _first_location(references: Any, by_id: Mapping[str, Json], places: Places, notes: list[str]) -> Json | None:
    """The first referenced location that maps (by location type preference); every one that
    does not map is described in a note, so nothing the sender knew is lost."""
    items = [by_id[r["$ref"]] for r in references or []]
    rank = {kind: n for n, kind in enumerate(reg.INCIDENT_LOCATION_PREFERENCE)}
    items.sort(key=lambda i: rank.get(i["locationTypeDescriptionRegistryText"], len(rank)))
    chosen = None
    for item in items:
        location, line = map_location(item, places)
        if chosen is None and location is not None:
            chosen = location
            continue
        note = f"Sender's location ({item['locationTypeDescriptionRegistryText']}): {line}"
        if note not in notes:
            notes.append(note)
    return chosen


def _utc(value: str) -> str:
    moment = parse_time(value)
    return iso(moment) if moment is not None else value
