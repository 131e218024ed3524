"""The nine-state unit status machine: one current status per unit."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from server.domain.errors import InvalidTransition
from server.domain.records import record, replace
from server.domain.values import Coordinates, Staffing


class UnitState(StrEnum):
    UNAVAILABLE = "unavailable"
    AVAILABLE_RADIO = "available_radio"
    AVAILABLE_STATION = "available_station"
    ASSIGNED_RADIO = "assigned_radio"
    ASSIGNED_STATION = "assigned_station"
    DISPATCHING = "dispatching"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"


U = UnitState
# A state as a dispatcher says it, for messages (the wire keeps the short names above).
STATE_WORDS: dict[UnitState, str] = {
    U.UNAVAILABLE: "out of service",
    U.AVAILABLE_RADIO: "available (radio)",
    U.AVAILABLE_STATION: "available at station",
    U.ASSIGNED_RADIO: "assigned",
    U.ASSIGNED_STATION: "assigned (at station)",
    U.DISPATCHING: "being alerted",
    U.DISPATCHED: "dispatched",
    U.EN_ROUTE: "en route",
    U.ON_SCENE: "on scene",
}


def words(state: UnitState | str) -> str:
    return STATE_WORDS.get(UnitState(state), str(state))


UNIT_TRANSITIONS: dict[UnitState, frozenset[UnitState]] = {
    U.UNAVAILABLE: frozenset({U.AVAILABLE_RADIO, U.AVAILABLE_STATION}),
    U.AVAILABLE_RADIO: frozenset({U.ASSIGNED_RADIO, U.AVAILABLE_STATION, U.UNAVAILABLE}),
    U.AVAILABLE_STATION: frozenset({U.ASSIGNED_STATION, U.AVAILABLE_RADIO, U.UNAVAILABLE}),
    U.ASSIGNED_RADIO: frozenset({U.AVAILABLE_RADIO, U.DISPATCHING}),
    U.ASSIGNED_STATION: frozenset({U.AVAILABLE_STATION, U.DISPATCHING}),
    U.DISPATCHING: frozenset({U.DISPATCHED, U.AVAILABLE_RADIO, U.AVAILABLE_STATION, U.UNAVAILABLE}),
    U.DISPATCHED: frozenset({U.AVAILABLE_RADIO, U.AVAILABLE_STATION, U.EN_ROUTE, U.UNAVAILABLE}),
    U.EN_ROUTE: frozenset({U.AVAILABLE_RADIO, U.AVAILABLE_STATION, U.ON_SCENE, U.UNAVAILABLE}),
    U.ON_SCENE: frozenset({U.AVAILABLE_RADIO, U.AVAILABLE_STATION, U.UNAVAILABLE}),
}

AVAILABLE = frozenset({U.AVAILABLE_RADIO, U.AVAILABLE_STATION})
ASSIGNED = frozenset({U.ASSIGNED_RADIO, U.ASSIGNED_STATION})
# States only the system enters (by assign and dispatch); nobody may set them directly.
SYSTEM_ONLY = ASSIGNED | {U.DISPATCHING}
# States in which a unit (mobile terminal) may not change its own state.
LOCKED_FOR_UNIT = ASSIGNED | {U.DISPATCHING}
# The dispatch chain an immediate transition walks through, in order.
PROGRESS = (U.DISPATCHING, U.DISPATCHED, U.EN_ROUTE, U.ON_SCENE)
# The IncidentUnit timestamp each state records when entered while assigned.
TIMESTAMP_OF = {
    U.DISPATCHED: "unit_dispatched",
    U.EN_ROUTE: "unit_en_route",
    U.ON_SCENE: "unit_on_scene",
    U.AVAILABLE_RADIO: "unit_available",
    U.AVAILABLE_STATION: "unit_back_at_station",
}


@record
class UnitStatus:
    """Current truth about a unit; every change is also appended to the status history."""

    unit_id: str
    state: UnitState
    state_changed_at: datetime
    staffing: Staffing | None = None
    staffing_changed_at: datetime | None = None
    coordinates: Coordinates | None = None
    coordinates_changed_at: datetime | None = None
    assigned_to_incident_id: str | None = None
    assigned_to_incident_at: datetime | None = None

    def moved(self, target: UnitState, at: datetime, callsign: str = "") -> UnitStatus:
        if target not in UNIT_TRANSITIONS[self.state]:
            raise InvalidTransition(
                f"{callsign or 'the unit'} cannot go from {words(self.state)} to {words(target)}",
                unit=callsign or self.unit_id,
                state=self.state.value,
                to=target.value,
            )
        return replace(self, state=target, state_changed_at=at)

    def attached(self, incident_id: str, at: datetime) -> UnitStatus:
        return replace(self, assigned_to_incident_id=incident_id, assigned_to_incident_at=at)

    def detached(self) -> UnitStatus:
        return replace(self, assigned_to_incident_id=None, assigned_to_incident_at=None)


def assigned_state_for(state: UnitState) -> UnitState:
    """available_radio → assigned_radio; available_station → assigned_station."""
    return U.ASSIGNED_STATION if state is U.AVAILABLE_STATION else U.ASSIGNED_RADIO


def path_to(start: UnitState, target: UnitState) -> list[UnitState]:
    """The states an immediate transition walks through from `start` to `target` (inclusive).

    Only forward along assigned_* → dispatching → dispatched → en_route → on_scene.
    """
    chain = (*ASSIGNED, *PROGRESS)
    if start not in chain or target not in PROGRESS:
        return [target]
    begin = 0 if start in ASSIGNED else PROGRESS.index(start) + 1
    end = PROGRESS.index(target) + 1
    return list(PROGRESS[begin:end])
