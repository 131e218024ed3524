"""A fixed hurricane-night picture for snapshot tests: same ids, same times, every run.

Built through the real runner (so every entity is one the server could really send) with a
fake clock and counted ids, then handed to the workstation as a snapshot.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from server.app import wire
from tests.support.desk import CASTRIES_SQUARE, START, Desk

MARKET = {"kind": "place", "district": "CAS", "name": "Castries Market", "coordinates": {"lat": 14.0125, "lon": -60.9880}}
ANSE = {"kind": "intersection", "district": "GI", "road_a": "Gros Islet Highway", "road_b": "Reduit Beach Avenue",
        "coordinates": {"lat": 14.0700, "lon": -60.9530}}  # fmt: skip
SOUF = {"kind": "address", "district": "SOU", "street": "Bridge Street", "number": "12",
        "coordinates": {"lat": 13.8560, "lon": -61.0560}}  # fmt: skip
# Where the frozen workstation clock stands: 25 minutes after the first command.
NOW = START + timedelta(minutes=25)


def build(desk: Desk) -> dict:
    counter = itertools.count(1)
    desk.runner.new_id = lambda: f"K{next(counter):05d}abcdefghijklmno"

    def later(minutes: float = 1.0) -> None:
        desk.clock.advance(minutes * 60)

    desk.available("E1", "E2", "M1", "M2", "P1", "P2", "PW1", "R1", "HW1", "L1")
    desk.available("M3", "E3", state="available_station")
    fire = desk.ready_incident(description="Roof torn off, fire in the kitchen; family of four out")
    desk.ok("unit.assign", incident_id=fire, units=["E1", "L1"], state="on_scene")
    desk.ok("unit.assign", incident_id=fire, units=["M1"], state="en_route")
    desk.ok("incident.note", incident_id=fire, text="Caller says gas cylinder inside; E1 advised")
    later(3)
    flood = desk.ok("incident.create", incident_type="FLOOD", incident_priority="B", location=MARKET,
                    description="Water knee deep in the market, rising")["incident_id"]  # fmt: skip
    desk.ok("incident.set_state", incident_id=flood, state="queued")
    call = desk.ok("call.create", caller_name="Marcia Joseph", caller_phone="+1 758 555 0142", location=MARKET,
                   description="Water coming into the stalls")["call_id"]  # fmt: skip
    desk.ok("call.attach", call_id=call, incident_id=flood)
    later(4)
    wires = desk.ok("incident.create", incident_type="WIRES", location=ANSE)["incident_id"]
    desk.ok("unit.assign", incident_id=wires, units=["PW1"])
    later(2)
    desk.ok("incident.create", incident_type="TRAPPED", incident_priority="A", location=SOUF,
            description="Two people on a roof, water still rising")  # fmt: skip
    later(5)
    desk.ok("incident.create", description="Caller cut off; something about a landslide")
    later(1)
    desk.ok("incident.create", incident_type="STANDBY", incident_priority="N", location=CASTRIES_SQUARE)
    done = desk.ok("incident.create", incident_type="TREEDOWN", incident_priority="D", location=MARKET)["incident_id"]
    desk.ok("unit.assign", incident_id=done, units=["P2"], state="on_scene")
    desk.ok("unit.set_state", unit="P2", state="available_station")
    desk.ok("incident.close", incident_id=done)
    later(2)
    desk.ok("unit.set_position", unit="M1", coordinates={"lat": 14.0050, "lon": -60.9900})
    return wire.snapshot(desk.world)
