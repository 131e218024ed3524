"""EIDO mapping (server/exchange): exports checked against NENA's own schema, imports of NENA's
own sample, and refusals that name every problem. Incidents are worked through real commands
on a real SQLite file (the desk); the schema is NENA's, vendored in tests/data/eido."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from server.exchange import eido
from server.exchange.eido_import import Places, from_eido, validate
from server.exchange.pidf import PidfError, PidfLocation, from_pidf, to_pidf
from tests.support.desk import CASTRIES_SQUARE
from tests.support.eido_schema import eido_errors

DATA = Path(__file__).resolve().parents[1] / "data" / "eido"
SAMPLE = DATA / "samples" / "Sample call transfer EIDO.json"
BRIDGE_STREET = {"kind": "address", "district": "CAS", "street": "Bridge Street", "number": "12",
                 "coordinates": {"lat": 14.0097, "lon": -60.9873}, "details": "blue door"}  # fmt: skip
CROSSING = {"kind": "intersection", "district": "GI", "road_a": "Gros Islet Highway", "road_b": "Bay Street"}


def sample() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def worked_incident(desk) -> str:
    """A structure fire from a call, with units at every stage and a note with markup in it."""
    call = desk.ok("call.create", caller_name="Marie Joseph", caller_phone="+1 758 555 0101",
                   location=BRIDGE_STREET, description="smoke <from> roof & door")["call_id"]  # fmt: skip
    incident = desk.ok("call.create_incident", call_id=call)["incident_id"]
    desk.ok("incident.update", incident_id=incident, incident_type="STRFIRE", description="House fire")
    desk.available("E1", "M1", "P1")
    desk.ok("unit.assign", incident_id=incident, units=["E1", "M1", "P1"])
    desk.clock.advance(20)
    desk.ok("unit.dispatch", incident_id=incident, units=["E1", "M1"])
    desk.ok("unit.confirm_dispatch", unit="E1")
    desk.clock.advance(20)
    desk.ok("unit.set_state", unit="E1", state="on_scene")
    desk.ok("unit.unassign", unit="P1")
    desk.ok("incident.note", incident_id=incident, text="Caller says <two> people inside")
    return incident


def export(desk, incident_id: str) -> dict:
    outcome = desk.send("incident.eido", incident_id=incident_id)
    assert outcome.ok, outcome.result
    return outcome.result["eido"]


def component(document: dict, kind: str, name: str) -> dict:
    found = [c for c in document[kind] if f":{name}:" in c["$id"] or c["$id"].startswith(name)]
    assert len(found) == 1, (kind, name, [c["$id"] for c in document[kind]])
    return found[0]


def test_a_worked_incident_exports_as_an_eido_nena_schema_accepts(desk):
    document = export(desk, worked_incident(desk))
    assert eido_errors(document) == []
    assert validate(document) == []  # and this system would read it back


def test_the_export_maps_type_state_location_call_and_caller(desk):
    incident_id = worked_incident(desk)
    document = export(desk, incident_id)
    agency = eido.agency_id(desk.world.deployment)
    assert document["$id"] == f"urn:emergency:uid:incidentid:{incident_id}:{agency}"
    assert document["lastUpdateTimeStamp"].endswith("Z")
    incident = document["incidentComponent"]
    assert incident["incidentTypeCommonRegistryText"] == "FSTRU" and incident["incidentTypeInternalCode"] == "STRFIRE"
    assert incident["incidentStatusInternalText"] == ["active"]
    assert incident["incidentStatusCommonRegistryText"] == ["Active", "ResourcesAssigned", "ResourcesOnscene"]
    assert incident["incidentPriorityInternalText"] == "A" and incident["beatOrDispatchGroupText"] == "fire"
    [location] = [c for c in document["locationComponent"] if c["$id"] == incident["locationReference"][0]["$ref"]]
    assert location["locationTypeDescriptionRegistryText"] == "CurrentIncident"
    pidf = from_pidf(location["locationByValue"])
    assert pidf.civic == {"A1": "Castries", "HNO": "12", "RD": "Bridge Street", "LOC": "blue door"}
    assert pidf.point == (14.0097, -60.9873)
    [call] = document["callComponent"]
    assert call["callStateRegistryText"] == "callAnswered" and call["direction"] == "incoming"
    [callback] = document["callbackComponent"]
    assert callback["callBackInformationUri"] == ["tel:+17585550101"]
    [person] = document["personComponent"]
    assert person["personIncidentRoleRegistryText"] == ["Caller"] and person["callIdentifier"] == [call["$id"]]
    assert person["ncPersonComponent"]["name"][0]["personFullName"][0]["value"] == "Marie Joseph"


def test_units_carry_their_status_and_every_assignment_time_as_a_note(desk):
    document = export(desk, worked_incident(desk))
    resources = {r["emergencyResourceName"]: r for r in document["emergencyResourceComponent"]}
    assert (resources["E1"]["primaryUnitStatusRegistryText"], resources["E1"]["secondaryUnitStatusRegistryText"]) == \
        ("NotAvailable", ["OnScene"])  # fmt: skip
    assert resources["M1"]["secondaryUnitStatusRegistryText"] == ["Assigned"]  # alerted, not yet acknowledged
    assert resources["P1"]["secondaryUnitStatusRegistryText"] == ["AssignmentCancelled"]
    assert "activeOnIncidentId" in resources["E1"] and "activeOnIncidentId" not in resources["P1"]
    assert resources["E1"]["emergencyResourceTypeCommonRegistryText"] == "StructureFireEngineType1"
    notes = {n["$id"]: n["notesActionComments"] for n in document["notesComponent"]}
    e1_times = notes[resources["E1"]["notesReference"][0]["$ref"]]
    assert "assigned 2026-09-01T12:00:00.000Z" in e1_times and "on scene 2026-09-01T12:00:40.000Z" in e1_times
    [dispatch] = document["dispatchComponent"]
    assert dispatch["emergencyResourceReference"] == [{"$ref": resources["E1"]["$id"]}]


def test_log_entries_become_notes_in_html_by_their_authors(desk):
    document = export(desk, worked_incident(desk))
    texts = [n["notesActionComments"] for n in document["notesComponent"]]
    assert "Caller says &lt;two&gt; people inside" in texts
    assert "Incident type: STRFIRE (Structure fire)" in texts
    agents = {a["$id"] for a in document["agentComponent"]}
    assert all(n["updatedByAgentReference"]["$ref"] in agents for n in document["notesComponent"]
               if "updatedByAgentReference" in n)  # fmt: skip


def test_a_closed_incident_exports_closed_with_its_units_cleared(desk):
    incident = desk.ready_incident()
    desk.available("E1")
    desk.ok("unit.assign", incident_id=incident, units=["E1"], state="on_scene")
    desk.clock.advance(60)
    desk.ok("unit.set_state", unit="E1", state="available_radio")
    [unit] = export(desk, incident)["emergencyResourceComponent"]
    assert (unit["primaryUnitStatusRegistryText"], unit["secondaryUnitStatusRegistryText"]) == \
        ("ConditionallyAvailable", ["Cleared"])  # fmt: skip
    desk.clock.advance(600)
    desk.ok("unit.set_state", unit="E1", state="available_station")
    desk.ok("incident.close", incident_id=incident)
    document = export(desk, incident)
    assert eido_errors(document) == []
    assert document["incidentComponent"]["incidentStatusCommonRegistryText"] == ["Closed"]
    [unit] = document["emergencyResourceComponent"]
    assert (unit["primaryUnitStatusRegistryText"], unit["secondaryUnitStatusRegistryText"]) == ("Available", ["Station"])
    assert "activeOnIncidentId" not in unit
    times = next(n for n in document["notesComponent"] if n["$id"].startswith("urn:emergency:uid:eidodatacomponent:times-"))
    assert times["notesActionComments"].endswith("ended 2026-09-01T12:11:00.000Z; state ended")


def test_an_incident_with_nothing_set_still_exports_valid(desk):
    incident = desk.ok("incident.create")["incident_id"]
    document = export(desk, incident)
    assert eido_errors(document) == []
    assert document["incidentComponent"]["incidentTypeCommonRegistryText"] == "TROUBLE"


def test_an_export_imports_back_into_the_same_facts(desk):
    incident_id = desk.ok("incident.create", incident_type="FLOOD", location=CROSSING)["incident_id"]
    call = desk.ok("call.create", caller_name="Jean Baptiste", caller_phone="4525555", location=CASTRIES_SQUARE)["call_id"]
    desk.ok("call.attach", call_id=call, incident_id=incident_id)
    plan = from_eido(export(desk, incident_id), Places(desk.world.districts, desk.world.deployment.service_area),
                     desk.world.incident_types)  # fmt: skip
    assert plan.incident["incident_type"] == "FLOOD"
    assert plan.incident["location"] == {**CROSSING}
    [received] = plan.calls
    assert received.fields == {"caller_name": "Jean Baptiste", "caller_phone": "4525555", "location": CASTRIES_SQUARE,
                               "description": "Outcome: attached_to_incident"}  # fmt: skip
    assert not received.ended


def test_nena_sample_validates_and_maps_what_has_a_counterpart(desk):
    document = sample()
    assert eido_errors(document) == [] and validate(document) == []
    plan = from_eido(document, Places(desk.world.districts, desk.world.deployment.service_area), desk.world.incident_types)
    assert plan.incident == {}  # a call transfer: no incident component, and Wilmington, DE is not here
    [call] = plan.calls
    assert call.fields == {"caller_phone": "8195551212", "description": "This is an example text."}
    notes = "\n".join(plan.notes)
    assert "urn:emergency:uid:incidentid:a56e556d871:bcf.state.pa.us" in notes
    assert "started 2021-04-30T18:40:00.000Z, answered 2021-04-30T18:42:00.000Z" in notes  # -04:00 read as UTC
    assert "42 W Cellular Street, Wilmington, DE, US" in notes
    assert "https://lrf.osp.com?oasufdqwerjn12346jfias (not dereferenced)" in notes
    assert "3 additionalDataComponent" in notes


def test_a_civic_address_in_a_district_of_the_deployment_becomes_its_location(desk):
    document = sample()
    pidf = to_pidf("pres:x", "d", PidfLocation({"country": "LC", "A1": "Gros Islet", "HNO": "4", "RD": "Bay Street"},
                                               (14.0781, -60.9530)))  # fmt: skip
    document["locationComponent"][0]["locationByValue"] = pidf
    plan = from_eido(document, Places(desk.world.districts, desk.world.deployment.service_area), desk.world.incident_types)
    expected = {"kind": "address", "street": "Bay Street", "number": "4", "district": "GI",
                "coordinates": {"lat": 14.0781, "lon": -60.953}}  # fmt: skip
    assert plan.incident["location"] == expected and plan.calls[0].fields["location"] == expected


def problems_of(document) -> dict[str, str]:
    return {p["field"]: p["problem"] for p in validate(document)}


def test_an_invalid_eido_is_refused_naming_each_problem():
    document = sample()
    del document["lastUpdateTimeStamp"]
    document["eidoVersion"] = "2.0"
    call = document["callComponent"][0]
    call["direction"] = "sideways"
    call["callStartTimestamp"] = "30/04/2021 14:40"
    del call["callStateRegistryText"]
    call["locationReference"].append({"$ref": "nowhere"})
    document["personComponent"][0]["personIncidentRoleRegistryText"] = "Caller"
    callback = document["callbackComponent"][0]
    document["notesComponent"] = [{**{k: callback[k] for k in ("$id", "lastUpdateTimeStamp", "updatedByAgencyReference")},
                                   "notesActionComments": "same id as the callback"}]  # fmt: skip
    del document["locationComponent"][1]["locationByReferenceUrl"]
    problems = problems_of(document)
    assert set(problems) == {
        "eido.lastUpdateTimeStamp",
        "eido.eidoVersion",
        "eido.callComponent[0].direction",
        "eido.callComponent[0].callStartTimestamp",
        "eido.callComponent[0].callStateRegistryText",
        "eido.callComponent[0].locationReference[2]",
        "eido.personComponent[0].personIncidentRoleRegistryText",
        "eido.notesComponent[0].$id",
        "eido.locationComponent[1]",
    }, problems
    assert problems["eido.callComponent[0].locationReference[2]"] == "refers to 'nowhere', which is not in locationComponent"
    assert "is not an RFC 3339 date-time" in problems["eido.callComponent[0].callStartTimestamp"]
    assert eido_errors(document)  # NENA's schema refuses it too


@pytest.mark.parametrize("document, field", [
    ([], "eido"),
    ({"eidoVersion": "1.0"}, "eido.agencyComponent"),
    ("not json object", "eido"),
])  # fmt: skip
def test_documents_that_are_not_eidos_name_the_problem(document, field):
    assert field in problems_of(document)


def test_a_location_with_a_dtd_is_refused_before_parsing():
    document = sample()
    document["locationComponent"][0]["locationByValue"] = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><presence>&a;</presence>'
    )
    assert "DTD" in problems_of(document)["eido.locationComponent[0].locationByValue"]
    with pytest.raises(PidfError):
        from_pidf("<presence><unclosed></presence>")


def test_a_refused_import_writes_nothing(desk):
    before = (desk.world.seq, len(desk.world.incidents), len(desk.world.calls))
    document = copy.deepcopy(sample())
    document["callComponent"][0]["direction"] = "sideways"
    error = desk.refused("eido.import", eido=document)
    assert error["code"] == "validation" and error["details"]["field"] == "eido"
    assert error["details"]["problems"] == [{"field": "eido.callComponent[0].direction",
                                             "problem": "must be one of incoming, outgoing, internal"}]  # fmt: skip
    assert (desk.world.seq, len(desk.world.incidents), len(desk.world.calls)) == before


def test_an_observer_may_export_but_not_import(desk):
    from server.domain.world import Actor

    incident = desk.ready_incident()
    observer = Actor("observer-1", "observer")
    assert desk.send("incident.eido", incident_id=incident, actor=observer).ok
    refused = desk.send("eido.import", eido=sample(), actor=observer)
    assert not refused.ok and refused.result["code"] == "forbidden"


def test_export_accepts_its_own_tracking_identifier_and_refuses_an_unknown_incident(desk):
    incident = desk.ready_incident()
    tracking = eido.tracking_id(incident, eido.agency_id(desk.world.deployment))
    assert export(desk, tracking)["incidentComponent"]["internalIncidentId"] == incident
    assert desk.refused("incident.eido", incident_id="nope")["code"] == "not_found"


def _paths(value, path=()):
    yield path
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _paths(inner, (*path, key))
    elif isinstance(value, list) and value:  # the first item stands for its siblings: same fields
        yield from _paths(value[0], (*path, 0))


def test_no_single_wrong_value_crashes_the_reader(desk):
    """Every field of NENA's sample and of a rich export (in the first item of each array),
    replaced in turn by values of the wrong kind: the reader maps the document or refuses it as
    invalid, and never fails otherwise."""
    from server.domain.errors import ValidationFailed

    places = Places(desk.world.districts, desk.world.deployment.service_area)
    crashes = []
    for document in (sample(), export(desk, worked_incident(desk))):
        for path in list(_paths(document))[1:]:
            holder = document
            for key in path[:-1]:
                holder = holder[key]
            original = holder[path[-1]]
            for wrong in (None, 7, "x", {}, [{"value": 3}]):
                holder[path[-1]] = wrong  # in place, put back below: copying the document each time is slow
                try:
                    from_eido(document, places, desk.world.incident_types)
                except ValidationFailed:
                    pass
                except Exception as error:  # noqa: BLE001 (the point is to catch any other failure)
                    crashes.append((path, wrong, repr(error)))
            holder[path[-1]] = original
    assert crashes == []


@pytest.mark.parametrize("common, expected", [("FSTRU", "STRFIRE"), ("HAZ", "FLOOD"), ("STDBY", None),
                                              ("ADMIN", None), ("NOSUCHCODE", None)])  # fmt: skip
def test_a_received_type_maps_to_the_first_of_ours_but_never_to_an_operational_order(desk, common, expected):
    document = sample()
    del document["callComponent"], document["personComponent"], document["callbackComponent"]
    document["incidentComponent"] = {**{k: document[k] for k in ("lastUpdateTimeStamp", "updatedByAgencyReference")},
                                     "$id": "urn:emergency:uid:eidodatacomponent:i1:state.pa.us",
                                     "incidentTypeCommonRegistryText": common,
                                     "incidentTypeInternalText": "Sender words"}  # fmt: skip
    outcome = desk.send("eido.import", eido=document)
    assert outcome.ok, outcome.result
    incident = desk.incident(outcome.result["incident_id"])
    assert incident.incident_type == expected
    assert incident.description == ("" if expected else "Sender words")
