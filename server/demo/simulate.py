"""The demo's hurricane-landfall scenario, and the driver that runs it inside the server.

`Scenario` decides. Given the live world (read only) and the time, it names the next command a
dispatcher would issue, one at a time, each legal against the world as it is at that moment.
It keeps only its own intentions (when a call gets handled, when a unit moves on) and a seeded
`random.Random`, so a run is reproducible and testable with a fake clock and no sleeping.

`Simulation` drives. Once a second it asks the scenario for commands and runs each through
the same path a session's commands take (the hub's `execute`), as the `simulator` user.

What the scenario does and how it leaves room for a human dispatcher is in docs/simulation.md.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import random
from collections import deque
from collections.abc import Callable, Generator, Hashable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

import nanoid

from server.app.commands import Clock, CommandOutcome
from server.demo import simulate_text as text
from server.domain.incident import Incident, IncidentState
from server.domain.location import location_to_wire
from server.domain.reference import GazetteerEntry, Priority, Unit
from server.domain.unit_status import ASSIGNED, UnitState, UnitStatus
from server.domain.values import Coordinates
from server.domain.world import Actor, World
from server.protocol import SimulationSet

log = logging.getLogger("hurrinet.simulate")

Range = tuple[float, float]
U = UnitState


@dataclass(frozen=True)
class Command:
    name: str
    args: dict[str, Any]


@dataclass(frozen=True)
class Pace:
    """How fast the storm goes, in seconds. Ranges are drawn uniformly."""

    call_every_s: Range = (6, 15)
    call_taking_s: Range = (8, 30)  # from a call's start to its incident, attachment or advice
    hold_urgent_s: Range = (20, 60)  # queued before the simulator sends units: priority A
    hold_s: Range = (40, 120)  # priority B
    hold_low_s: Range = (60, 180)  # priority C and D
    hold_for_human_s: Range = (240, 480)  # the share of incidents left queued for a person
    dispatch_after_s: Range = (3, 8)  # assigned → alerted (or confirmed by hand)
    ack_wait_s: Range = (30, 30)  # dispatching this long without an acknowledgement → confirm by hand
    turnout_s: Range = (5, 20)  # dispatched → en route
    travel_s_per_km: float = 8.0  # demo time, not real driving time
    travel_s: Range = (25, 150)  # shortest and longest drive
    position_every_s: float = 8.0
    on_scene_s: Range = (45, 150)
    return_s: Range = (20, 60)  # available over radio → back at station
    close_after_s: Range = (5, 20)  # last unit released → incident closed
    out_of_service_every_s: Range = (150, 300)
    out_of_service_for_s: Range = (120, 300)

    def scaled(self, factor: float) -> Pace:
        """`factor` 2 makes everything happen twice as often (and twice as fast)."""
        if factor <= 0:
            raise ValueError("the pace factor must be positive")
        changed: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "ack_wait_s":  # a property of the alert path, not of the storm
                continue
            changed[f.name] = tuple(v / factor for v in value) if isinstance(value, tuple) else value / factor
        return replace(self, **changed)


@dataclass(frozen=True)
class Behaviour:
    """Shares and limits of the scenario, apart from its timing."""

    attach_share: float = 0.2  # calls about an incident already on the board
    no_action_share: float = 0.15  # calls ended with advice, hoax, accidental, …
    left_for_human_share: float = 0.25  # incidents held queued for longer
    human_touch_s: float = 180.0  # an incident someone else touched this recently is left alone
    out_of_service_max: int = 2
    no_units_retry_s: float = 20.0
    note_share: float = 0.5  # closing notes on incidents


@dataclass
class _CallPlan:
    """What the call taker will make of a call once it has been taken."""

    action: str  # incident | attach | no_action
    type_code: str
    description: str
    location: dict[str, Any]
    incident_id: str | None = None  # attach: the incident the caller is talking about
    outcome: str | None = None  # no_action
    rationale: str | None = None


@dataclass
class _Trip:
    origin: Coordinates | None
    destination: Coordinates | None
    start: datetime
    arrive: datetime
    next_report: datetime

    def position(self, at: datetime) -> Coordinates | None:
        if self.origin is None or self.destination is None:
            return None
        share = min(1.0, (at - self.start) / (self.arrive - self.start))
        return Coordinates(
            round(self.origin.lat + (self.destination.lat - self.origin.lat) * share, 6),
            round(self.origin.lon + (self.destination.lon - self.origin.lon) * share, 6),
        )


Steps = Generator[Command, dict[str, Any], Any]


class _Chain:
    """A sequence of commands where a step may use an earlier step's result (a new id)."""

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.reply: dict[str, Any] = {}
        self.started = False

    def advance(self) -> Command:
        """The next command; StopIteration when the chain is done."""
        if not self.started:
            self.started = True
            return next(self.steps)
        return self.steps.send(self.reply)


class Scenario:
    """A hurricane landfall: calls come in, incidents are made, units go out and come back."""

    # Decisions (not commands) in one `next_command`: a guard against a rule that keeps firing
    # without issuing anything, which would otherwise hang the event loop.
    MAX_DECISIONS = 1000

    def __init__(
        self,
        simulator_id: str,
        gazetteer: Sequence[GazetteerEntry],
        seed: int,
        pace: Pace | None = None,
        behaviour: Behaviour | None = None,
        warm_up: bool = True,
    ) -> None:
        if not gazetteer:
            raise ValueError("the scenario places its calls at gazetteer entries; the deployment has none")
        self.me = simulator_id
        self.seed = seed
        self.places = tuple(gazetteer)
        self.rng = random.Random(seed)
        self.pace = pace or Pace()
        self.behaviour = behaviour or Behaviour()
        self.world = World()
        self.now = datetime.min
        self._chains: deque[_Chain] = deque()
        self._current: _Chain | None = None
        self._timers: dict[Hashable, tuple[Hashable, datetime]] = {}  # owner → (what for, when)
        self._calls: dict[str, _CallPlan] = {}  # calls taken and not yet handled
        self._incidents: dict[str, bool] = {}  # incidents worked → left for a human first?
        self._trips: dict[str, _Trip] = {}  # unit id → its drive to the scene
        self._out: dict[str, datetime] = {}  # units taken out of service → when they return
        self._started = False
        if warm_up:
            self._chains.append(_Chain(self._warm_up()))

    # --- the interface ------------------------------------------------------------------------
    def next_command(self, world: World, now: datetime) -> Command | None:
        """The next command to issue now, or None when nothing is due."""
        self.world, self.now = world, now
        if not self._started:
            self._started = True
            self._set_timer("storm", "call", (1, 3))
            self._set_timer("storm-outage", "outage", self.pace.out_of_service_every_s)
        for _ in range(self.MAX_DECISIONS):
            if self._chains:
                chain = self._chains[0]
                try:
                    command = chain.advance()
                except StopIteration:
                    self._chains.popleft()
                    continue
                self._current = chain
                return command
            if not self._plan():
                break
        self._current = None
        return None

    def settle(self, ok: bool, value: dict[str, Any]) -> None:
        """The answer to the last command: its chain goes on with the value, or stops when refused."""
        chain, self._current = self._current, None
        if chain is None:
            return
        if ok:
            chain.reply = value
        else:
            self._chains.remove(chain)
            chain.steps.close()

    def postpone(self, seconds: float) -> None:
        """Shift every intention by `seconds` (after a pause, so nothing happens all at once)."""
        delta = timedelta(seconds=seconds)
        self._timers = {k: (what, at + delta) for k, (what, at) in self._timers.items()}
        self._out = {k: at + delta for k, at in self._out.items()}
        for trip in self._trips.values():
            trip.start, trip.arrive, trip.next_report = trip.start + delta, trip.arrive + delta, trip.next_report + delta

    # --- timers -------------------------------------------------------------------------------
    def _seconds(self, span: Range) -> timedelta:
        return timedelta(seconds=self.rng.uniform(*span))

    def _set_timer(self, owner: Hashable, what: Hashable, span: Range) -> None:
        self._timers[owner] = (what, self.now + self._seconds(span))

    def _due(self, owner: Hashable, what: Hashable, span: Range) -> bool:
        """Whether `owner` is due to do `what`. The delay is drawn the first time it is asked for
        this `what`; a new `what` (the unit moved on) starts a new delay."""
        entry = self._timers.get(owner)
        if entry is None or entry[0] != what:
            self._set_timer(owner, what, span)
            entry = self._timers[owner]
        if self.now < entry[1]:
            return False
        del self._timers[owner]  # fired: asking again draws a new delay, so a refusal cannot loop
        return True

    # --- what is due --------------------------------------------------------------------------
    def _plan(self) -> bool:
        """Push one chain for the first thing that is due; False when nothing is."""
        for rule in (self._ring, self._handle_calls, self._work_incidents, self._return_units, self._take_out):
            steps = rule()
            if steps is not None:
                self._chains.append(_Chain(steps))
                return True
        return False

    def _ring(self) -> Steps | None:
        if not self._due("storm", "call", self.pace.call_every_s):
            return None
        self._set_timer("storm", "call", self.pace.call_every_s)
        return self._take_call(self._new_call_plan())

    def _handle_calls(self) -> Steps | None:
        for call_id, plan in list(self._calls.items()):
            call = self.world.calls.get(call_id)
            if call is None or call.ended or call.incident_id is not None or call.outcome is not None:
                del self._calls[call_id]  # a person took it over
                self._timers.pop(call_id, None)
            elif self._due(call_id, "handle", self.pace.call_taking_s):
                del self._calls[call_id]
                return self._handle_call(call_id, plan)
        return None

    def _work_incidents(self) -> Steps | None:
        for incident_id, for_human in list(self._incidents.items()):
            incident = self.world.incidents.get(incident_id)
            if incident is None or incident.ended:
                del self._incidents[incident_id]
                self._timers.pop(incident_id, None)
                continue
            if self._touched_by_someone_else(incident):
                continue
            steps = self._next_for_incident(incident, for_human) or self._next_for_units(incident)
            if steps is not None:
                return steps
        return None

    def _next_for_incident(self, incident: Incident, for_human: bool) -> Steps | None:
        if incident.open_units():
            return None
        reached = any(u.unit_on_scene is not None for u in incident.units)
        if reached:
            if self._due(incident.id, ("close", len(incident.units)), self.pace.close_after_s):
                return self._close(incident.id)
            return None
        if incident.state not in (IncidentState.QUEUED, IncidentState.ACTIVE, IncidentState.MONITORED):
            return None
        if not self._due(incident.id, ("assign", len(incident.units)), self._hold(incident, for_human)):
            return None
        callsigns = self._pick_units(incident)
        if not callsigns:
            self._timers[incident.id] = (("assign", len(incident.units)),
                                         self.now + timedelta(seconds=self.behaviour.no_units_retry_s))  # fmt: skip
            return None
        return self._one(Command("unit.assign", {"incident_id": incident.id, "units": callsigns}))

    def _next_for_units(self, incident: Incident) -> Steps | None:
        for record in incident.open_units():
            unit = self.world.units[record.unit_id]
            status = self.world.unit_status[unit.id]
            steps = self._next_for_unit(incident, unit, status)
            if steps is not None:
                return steps
        return None

    def _next_for_unit(self, incident: Incident, unit: Unit, status: UnitStatus) -> Steps | None:
        state, since = status.state, status.state_changed_at
        cs = unit.callsign
        if state in ASSIGNED:
            if not self._due(unit.id, (state, since), self.pace.dispatch_after_s):
                return None
            if self._has_alert_target(unit):
                return self._one(Command("unit.dispatch", {"incident_id": incident.id, "units": [cs]}))
            return self._one(Command("unit.confirm_dispatch", {"unit": cs}))  # no alert can reach it
        if state is U.DISPATCHING:
            if self._due(unit.id, (state, since), self.pace.ack_wait_s):
                return self._one(Command("unit.confirm_dispatch", {"unit": cs}))  # no ack came: phone them
            return None
        if state is U.DISPATCHED:
            if self._due(unit.id, (state, since), self.pace.turnout_s):
                return self._one(Command("unit.set_state", {"unit": cs, "state": "en_route"}))
            return None
        if state is U.EN_ROUTE:
            return self._drive(incident, unit, status)
        if state is U.ON_SCENE:
            if self._due(unit.id, (state, since), self.pace.on_scene_s):
                return self._one(Command("unit.set_state", {"unit": cs, "state": "available_radio"}))
            return None
        if state is U.AVAILABLE_RADIO and self._due(unit.id, (state, since), self.pace.return_s):
            return self._back_to_station(unit)
        return None

    def _drive(self, incident: Incident, unit: Unit, status: UnitStatus) -> Steps | None:
        trip = self._trips.get(unit.id)
        if trip is None or trip.start < status.state_changed_at - timedelta(seconds=1):
            trip = self._trips[unit.id] = self._plan_trip(incident, unit, status)
        if self.now >= trip.arrive:
            del self._trips[unit.id]
            return self._arrive(unit, trip)
        if self.now >= trip.next_report:
            trip.next_report = self.now + timedelta(seconds=self.pace.position_every_s)
            position = trip.position(self.now)
            if position is not None and position != status.coordinates:
                return self._one(Command("unit.set_position", {"unit": unit.callsign, "coordinates": position.to_wire()}))
        return None

    def _return_units(self) -> Steps | None:
        for unit_id, back in list(self._out.items()):
            status = self.world.unit_status.get(unit_id)
            if status is None or status.state is not U.UNAVAILABLE:
                del self._out[unit_id]  # someone else brought it back (or moved it on)
            elif self.now >= back:
                del self._out[unit_id]
                callsign = self.world.units[unit_id].callsign
                return self._one(Command("unit.set_state", {"unit": callsign, "state": "available_station"}))
        return None

    def _take_out(self) -> Steps | None:
        if not self._due("storm-outage", "outage", self.pace.out_of_service_every_s):
            return None
        self._set_timer("storm-outage", "outage", self.pace.out_of_service_every_s)
        if len(self._out) >= self.behaviour.out_of_service_max:
            return None
        idle = [u for u in self._units() if self._idle_at_station(u)]
        if not idle:
            return None
        unit = self.rng.choice(idle)
        self._out[unit.id] = self.now + self._seconds(self.pace.out_of_service_for_s)
        return self._one(Command("unit.set_state", {"unit": unit.callsign, "state": "unavailable"}))

    # --- chains -------------------------------------------------------------------------------
    def _one(self, command: Command) -> Steps:
        yield command

    def _warm_up(self) -> Steps:
        """The board as a shift finds it mid-storm: units on duty, incidents in every state."""
        for unit in self._units():
            if self.world.unit_status[unit.id].state is U.UNAVAILABLE:
                yield Command("unit.set_state", {"unit": unit.callsign, "state": "available_station"})
        shapes = ("queued", "on_scene", "en_route", "queued", "dispatched", "ended", "on_scene",
                  "queued", "en_route", "dispatched", "ended", "queued")  # fmt: skip
        for shape in shapes:
            yield from self._warm_incident(shape)
        for _ in range(3):
            yield from self._take_call(self._new_call_plan(action="incident"))

    def _warm_incident(self, shape: str) -> Steps:
        plan = self._new_call_plan(action="incident")
        call_id = yield from self._take_call(plan, remember=False)
        incident_id = yield from self._incident_from_call(call_id, plan)
        incident = self.world.incidents[incident_id]
        if shape == "queued":
            return
        callsigns = self._pick_units(incident)
        if not callsigns:
            return  # stays queued; the rules send units once some are free
        if shape != "ended":
            yield Command("unit.assign", {"incident_id": incident_id, "units": callsigns, "state": shape})
            return
        del self._incidents[incident_id]  # nothing left to work on
        yield Command("unit.assign", {"incident_id": incident_id, "units": callsigns, "state": "on_scene"})
        for callsign in callsigns:
            yield Command("unit.set_state", {"unit": callsign, "state": "available_station"})
        yield Command("incident.close", {"incident_id": incident_id})

    def _take_call(self, plan: _CallPlan, remember: bool = True) -> Steps:
        value = yield Command("call.create", {
            "caller_name": text.caller_name(self.rng),
            "caller_phone": text.caller_phone(self.rng),
            "location": plan.location,
            "description": plan.description,
        })  # fmt: skip
        if remember:
            self._calls[value["call_id"]] = plan
        return value["call_id"]

    def _handle_call(self, call_id: str, plan: _CallPlan) -> Steps:
        if plan.action == "attach":
            target = self.world.incidents.get(plan.incident_id or "")
            if target is not None and not target.ended and target.incident_priority is not Priority.N:
                yield Command("call.attach", {"call_id": call_id, "incident_id": target.id})
                yield Command("call.end", {"call_id": call_id})
                return
            plan = replace(plan, action="no_action", outcome="other_no_actions_taken",
                           rationale="Incident already cleared when the call was taken; caller reassured.")  # fmt: skip
        if plan.action == "no_action":
            yield Command("call.update", {"call_id": call_id, "outcome": plan.outcome,
                                          "outcome_rationale": plan.rationale})  # fmt: skip
            yield Command("call.end", {"call_id": call_id})
            return
        yield from self._incident_from_call(call_id, plan)

    def _incident_from_call(self, call_id: str, plan: _CallPlan) -> Steps:
        value = yield Command("call.create_incident", {"call_id": call_id})
        incident_id = value["incident_id"]
        yield Command("incident.update", {"incident_id": incident_id, "incident_type": plan.type_code,
                                          "description": plan.description})  # fmt: skip
        yield Command("incident.set_state", {"incident_id": incident_id, "state": "queued"})
        yield Command("call.end", {"call_id": call_id})
        self._incidents[incident_id] = self.rng.random() < self.behaviour.left_for_human_share
        return incident_id

    def _close(self, incident_id: str) -> Steps:
        if self.rng.random() < self.behaviour.note_share:
            yield Command("incident.note", {"incident_id": incident_id, "text": self.rng.choice(text.CLOSING_NOTES)})
        yield Command("incident.close", {"incident_id": incident_id})

    def _arrive(self, unit: Unit, trip: _Trip) -> Steps:
        if trip.destination is not None:
            yield Command("unit.set_position", {"unit": unit.callsign, "coordinates": trip.destination.to_wire()})
        yield Command("unit.set_state", {"unit": unit.callsign, "state": "on_scene"})

    def _back_to_station(self, unit: Unit) -> Steps:
        home = self._station_position(unit)
        if home is not None:
            yield Command("unit.set_position", {"unit": unit.callsign, "coordinates": home.to_wire()})
        yield Command("unit.set_state", {"unit": unit.callsign, "state": "available_station"})

    # --- choices ------------------------------------------------------------------------------
    def _new_call_plan(self, action: str | None = None) -> _CallPlan:
        if action is None:
            roll = self.rng.random()
            attachable = self._attachable()
            if roll < self.behaviour.attach_share and attachable:
                incident = self.rng.choice(attachable)
                type_code = incident.incident_type or ""
                fallback = self.world.incident_types[type_code].description
                return _CallPlan("attach", type_code, text.describe(self.rng, type_code, fallback),
                                 location_to_wire(incident.location), incident_id=incident.id)  # type: ignore[arg-type]  # fmt: skip
            action = "no_action" if roll > 1 - self.behaviour.no_action_share else "incident"
        type_code = self._pick_type()
        description = text.describe(self.rng, type_code, self.world.incident_types[type_code].description)
        plan = _CallPlan(action, type_code, description, self._pick_place())
        if action == "no_action":
            outcomes, weights = zip(*text.NO_ACTION_MIX.items(), strict=True)
            plan.outcome = self.rng.choices(outcomes, weights)[0]
            plan.rationale = self.rng.choice(text.NO_ACTION[plan.outcome])
        return plan

    def _attachable(self) -> list[Incident]:
        return [
            i for iid in self._incidents
            if (i := self.world.incidents.get(iid)) is not None and not i.ended and i.location is not None
            and i.incident_type in self.world.incident_types and i.incident_priority is not Priority.N
        ]  # fmt: skip

    def _pick_type(self) -> str:
        usable = {code: t for code, t in self.world.incident_types.items() if t.plan and t.priority is not Priority.N}
        mix = [(code, weight) for code, weight in text.CALL_MIX.items() if code in usable]
        if not mix:  # another deployment's types: every usable one, equally often
            mix = [(code, 1) for code in sorted(usable)]
        if not mix:
            raise ValueError("the scenario needs incident types with a response plan")
        codes, weights = zip(*mix, strict=True)
        return self.rng.choices(codes, weights)[0]

    def _pick_place(self) -> dict[str, Any]:
        entry = self.rng.choice(self.places)
        where = {"district": entry.district, "coordinates": entry.coordinates.to_wire()}
        if entry.kind == "intersection" and entry.road_b:
            return {"kind": "intersection", "road_a": entry.name, "road_b": entry.road_b, **where}
        if entry.kind == "street":
            number = {"number": str(self.rng.randint(1, 60))} if self.rng.random() < 0.6 else {}
            return {"kind": "address", "street": entry.name, **number, **where}
        return {"kind": "place", "name": entry.name, **where}

    def _hold(self, incident: Incident, for_human: bool) -> Range:
        if for_human:
            return self.pace.hold_for_human_s
        if incident.incident_priority is Priority.A:
            return self.pace.hold_urgent_s
        return self.pace.hold_s if incident.incident_priority is Priority.B else self.pace.hold_low_s

    def _pick_units(self, incident: Incident) -> list[str]:
        """The nearest free units of the kinds the type's response plan asks for."""
        kind = self.world.incident_types.get(incident.incident_type or "")
        target = incident.location.coordinates if incident.location else None
        if kind is None:
            return []
        free = [u for u in self._units() if self._free(u)]
        chosen: list[str] = []
        for unit_kind, count in kind.plan:
            candidates = [u for u in free if u.kind == unit_kind]
            candidates.sort(key=lambda u: distance_km(self._position(u), target))
            chosen += [u.callsign for u in candidates[:count]]
        return chosen

    def _plan_trip(self, incident: Incident, unit: Unit, status: UnitStatus) -> _Trip:
        origin = status.coordinates or self._station_position(unit)
        destination = incident.location.coordinates if incident.location else None
        km = distance_km(origin, destination) if origin and destination else 0.0
        low, high = self.pace.travel_s
        drive = timedelta(seconds=min(high, max(low, km * self.pace.travel_s_per_km)))
        every = timedelta(seconds=self.pace.position_every_s)
        return _Trip(origin, destination, self.now, self.now + drive, self.now + every)

    # --- reading the world --------------------------------------------------------------------
    def _units(self) -> list[Unit]:
        return sorted((u for u in self.world.units.values() if u.active), key=lambda u: u.callsign)

    def _free(self, unit: Unit) -> bool:
        status = self.world.unit_status[unit.id]
        return (status.state in (U.AVAILABLE_STATION, U.AVAILABLE_RADIO)
                and status.assigned_to_incident_id is None and unit.id not in self._out)  # fmt: skip

    def _idle_at_station(self, unit: Unit) -> bool:
        status = self.world.unit_status[unit.id]
        return status.state is U.AVAILABLE_STATION and status.assigned_to_incident_id is None

    def _has_alert_target(self, unit: Unit) -> bool:
        return any(t.active and unit.id in t.unit_ids for t in self.world.alert_targets.values())

    def _station_position(self, unit: Unit) -> Coordinates | None:
        station = self.world.stations.get(unit.station_id)
        return station.location.coordinates if station and station.location else None

    def _position(self, unit: Unit) -> Coordinates | None:
        return self.world.unit_status[unit.id].coordinates or self._station_position(unit)

    def _touched_by_someone_else(self, incident: Incident) -> bool:
        """Someone other than the simulator (and the server's own timers) wrote to its log lately."""
        since = self.now - timedelta(seconds=self.behaviour.human_touch_s)
        for entry in reversed(incident.log):
            if entry.log_timestamp < since:
                return False
            if entry.dispatcher not in (None, self.me):
                return True
        return False


def distance_km(a: Coordinates | None, b: Coordinates | None) -> float:
    """Great-circle distance; unknown positions sort last."""
    if a is None or b is None:
        return math.inf
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# --- the driver -------------------------------------------------------------------------------

Execute = Callable[[str, str, dict[str, Any], Actor], CommandOutcome]


@dataclass
class Simulation:
    """Runs a scenario: asks it for commands and issues them as `actor` through `execute`
    (the hub's, so results are audited and events reach every session)."""

    scenario: Scenario
    execute: Execute
    world: World
    clock: Clock
    actor: Actor
    running: bool = True
    tick_s: float = 1.0
    max_per_tick: int = 500  # the warm-up is the largest burst (~150 commands)
    issued: int = 0
    refusals: int = 0
    _run_id: str = field(default_factory=lambda: nanoid.generate(size=8))
    _ids: itertools.count = field(default_factory=itertools.count)
    _paused_at: datetime | None = None

    def step(self) -> int:
        """Issue every command that is due now; returns how many were issued."""
        count = 0
        while count < self.max_per_tick:
            command = self.scenario.next_command(self.world, self.clock.now())
            if command is None:
                break
            command_id = f"sim-{self._run_id}-{next(self._ids)}"
            outcome = self.execute(command_id, command.name, command.args, self.actor)
            self.scenario.settle(outcome.ok, outcome.result)
            count += 1
            if not outcome.ok:
                # The scenario reads the world to choose legal commands; a refusal is a bug to
                # see in the log, never a reason to stop the demo.
                self.refusals += 1
                log.warning("simulator command %s %s refused: %s", command.name, command.args, outcome.result)
        self.issued += count
        return count

    def set_running(self, running: bool) -> None:
        if running and not self.running and self._paused_at is not None:
            self.scenario.postpone((self.clock.now() - self._paused_at).total_seconds())
        self._paused_at = None if running else (self._paused_at or self.clock.now())
        self.running = running
        log.info("simulation %s", "running" if running else "paused")

    def control(self, args: SimulationSet) -> dict[str, Any]:
        """Answers `simulation.set`."""
        self.set_running(args.running)
        return {"running": self.running}

    async def run(self) -> None:
        while True:
            if self.running:
                try:
                    self.step()
                except Exception:
                    log.exception("the simulation failed; pausing it")
                    self.set_running(False)
            await asyncio.sleep(self.tick_s)
