"""Three hours of storm before the fixed scene, for the supervisor's figures: calls becoming
incidents, units dispatched, en route, on scene and released at seeded (so fixed) delays, some
never reaching a stage. Played through the real runner with the desk's fake clock, ending at
the scene's start so `scene.build` follows on the same desk."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from tests.support import scene
from tests.support.desk import START, Desk, FakeClock

BEGIN = START - timedelta(hours=3)
FLEET = ("E4", "E5", "E6", "M4", "M5", "M6", "P3", "P4", "PW2", "R2")
TYPES = (("STRFIRE", "A", "E"), ("TRAPPED", "A", "R"), ("MEDICAL", "B", "M"), ("FLOOD", "B", "PW"),
         ("TREEDOWN", "C", "PW"), ("WELFARE", "C", "P"), ("LOOTING", "D", "P"))  # fmt: skip
PLACES = (scene.MARKET, scene.ANSE, scene.SOUF)


def clock(begin: datetime = BEGIN) -> FakeClock:
    return FakeClock(begin)


def play(desk: Desk, incidents: int = 26, seed: int = 15, begin: datetime = BEGIN, end: datetime = START) -> None:
    """Every incident's steps are planned first, then played in time order (the clock only
    moves forward), so incidents overlap as they would in a storm. The clock ends at `end`."""
    rng = random.Random(seed)
    desk.available(*FLEET)
    step = (end - begin).total_seconds() / (incidents + 1)
    steps: list[tuple[float, int, Callable[[], None]]] = []
    ids: dict[int, dict[str, str]] = {}
    for n in range(incidents):
        code, priority, _ = TYPES[n % len(TYPES)]
        place, unit = PLACES[n % len(PLACES)], FLEET[n % len(FLEET)]
        at = step * n + rng.uniform(0, step / 2)
        plan: list[tuple[float, Callable[[], None]]] = []

        def call(n=n, code=code, place=place) -> None:
            ids[n] = {"call": desk.ok("call.create", description=f"{code.lower()} reported", location=place)["call_id"]}

        def incident(n=n, code=code, priority=priority) -> None:
            ids[n]["incident"] = desk.ok("call.create_incident", call_id=ids[n]["call"])["incident_id"]
            desk.ok("incident.update", incident_id=ids[n]["incident"], incident_type=code, incident_priority=priority)

        def state(name: str, unit=unit) -> Callable[[], None]:
            return lambda: desk.ok("unit.set_state", unit=unit, state=name)

        def close(n=n, unit=unit) -> None:
            desk.ok("unit.set_state", unit=unit, state="available_station")
            desk.ok("unit.set_state", unit=unit, state="available_radio")
            desk.ok("incident.close", incident_id=ids[n]["incident"])

        plan.append((at, call))
        at += rng.uniform(20, 150)  # call processing
        plan.append((at, incident))
        at += rng.uniform(15, 110)  # alarm processing
        plan.append((at, lambda n=n, unit=unit: desk.ok("unit.assign", incident_id=ids[n]["incident"], units=[unit],
                                                         state="dispatched")))  # fmt: skip
        reached = rng.random()
        if reached > 0.1:
            at += rng.uniform(30, 120)  # turnout
            plan.append((at, state("en_route")))
            if reached > 0.2:
                at += rng.uniform(120, 420)  # travel
                plan.append((at, state("on_scene")))
        at += rng.uniform(300, 900)  # at work
        plan.append((at, close))
        steps += [(when, n, action) for when, action in plan]
    for when, _, action in sorted(steps, key=lambda s: (s[0], s[1])):
        desk.clock.moment = begin + timedelta(seconds=when)
        action()
    desk.clock.moment = end
