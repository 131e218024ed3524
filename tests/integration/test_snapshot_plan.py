"""The snapshot's order kept current as changes are installed (server/app/snapshot.py): after
incidents and calls move between states and links, the parts a hello gets hold exactly the
state, in the order protocol.md § Snapshot gives, and match a snapshot rebuilt from scratch."""

import random

import orjson

from server.app import wire
from server.app.snapshot import PART_BYTES, LiveSnapshot, _cuts
from tests.support.desk import Desk


def storm(desk: Desk, live: LiveSnapshot) -> dict[str, str]:
    """Incidents in every state, calls linked, moved, detached and ended; returns names → ids."""
    desk.runner.installed.append(live.installed)
    ids = {name: desk.ready_incident(description=name) for name in ("new", "queued", "active", "ended", "later")}
    desk.ok("incident.set_state", incident_id=ids["queued"], state="queued")
    desk.available("E1", "M1")
    desk.ok("unit.assign", incident_id=ids["active"], units=["E1"], state="en_route")  # makes it active
    for name in ("on_new", "on_active", "moved", "detached", "loose", "loose_ended", "on_ended"):
        ids[name] = desk.ok("call.create", description=name)["call_id"]
    desk.ok("call.attach", call_id=ids["on_new"], incident_id=ids["new"])
    desk.ok("call.attach", call_id=ids["on_active"], incident_id=ids["active"])
    desk.ok("call.attach", call_id=ids["moved"], incident_id=ids["new"])
    desk.ok("call.attach", call_id=ids["detached"], incident_id=ids["queued"])
    desk.ok("call.detach", call_id=ids["detached"])
    desk.ok("call.attach", call_id=ids["on_ended"], incident_id=ids["ended"])
    desk.ok("incident.close", incident_id=ids["ended"])  # its call ends with it
    desk.ok("call.update", call_id=ids["loose_ended"], outcome="caller_advised", outcome_rationale="told to stay indoors")
    desk.ok("call.end", call_id=ids["loose_ended"])
    desk.ok("incident.note", incident_id=ids["active"], text="roof gone")
    desk.ok("unit.assign", incident_id=ids["later"], units=["M1"], state="en_route")  # waiting → active
    desk.ok("call.detach", call_id=ids["moved"])  # from one incident to another
    desk.ok("call.attach", call_id=ids["moved"], incident_id=ids["later"])
    return ids


def flat(live: LiveSnapshot) -> list[tuple[str, str]]:
    return [(item.kind, item.key) for part in live.plan() for item in part]


def joined(live: LiveSnapshot, seq: int) -> dict[str, list]:
    plan = live.plan()
    out: dict[str, list] = {}
    for index, items in enumerate(plan):
        frame = orjson.loads(live.part(seq, index, items, len(plan)))
        assert frame["part"] == index and frame["parts"] == len(plan)
        for kind, value in frame["data"].items():
            out.setdefault(kind, []).extend(value) if isinstance(value, list) else out.setdefault(kind, value)
    return out


def test_the_kept_order_puts_open_work_first_and_calls_with_their_incident(desk):
    live = LiveSnapshot(desk.world)
    ids = storm(desk, live)
    order = flat(live)
    position = {entry: n for n, entry in enumerate(order)}
    at = lambda kind, name: position[(kind, ids[name])]  # noqa: E731
    # waiting incidents, then the other open ones, each followed by its calls
    assert at("incidents", "new") < at("calls", "on_new") < at("incidents", "queued") < at("incidents", "active")
    assert at("incidents", "active") < at("calls", "on_active") < at("incidents", "later") < at("calls", "moved")
    # then the active calls linked to no open incident, the logs, the gazetteer, resources, the ended, the rest
    assert at("calls", "moved") < at("calls", "detached") and at("calls", "moved") < at("calls", "loose")
    logs = position[("log_entries", ids["active"])]
    assert max(at("calls", "detached"), at("calls", "loose")) < logs < position[("gazetteer", "")]
    first_resource = min(n for (kind, _), n in position.items() if kind == "resources")
    assert position[("gazetteer", "")] < first_resource < at("incidents", "ended")
    assert at("incidents", "ended") < min(at("calls", "on_ended"), at("calls", "loose_ended"))
    assert ("log_entries", ids["ended"]) not in position  # an ended incident's log is fetched when read
    # each entity once, and the same as a snapshot rebuilt from the world as it now is
    assert len(order) == len(set(order))
    assert sorted(order) == sorted(flat(LiveSnapshot(desk.world)))


def test_the_parts_hold_exactly_the_state(desk):
    live = LiveSnapshot(desk.world)
    storm(desk, live)
    got, whole = joined(live, desk.world.seq), orjson.loads(orjson.dumps(wire.snapshot(desk.world)))
    for kind in ("units", "incidents", "calls", "resources", "log_entries"):
        assert sorted(got[kind], key=orjson.dumps) == sorted(whole[kind], key=orjson.dumps), kind
    for kind in ("deployment", "districts", "stations", "incident_types", "gazetteer"):
        assert got[kind] == whole[kind], kind


def test_a_board_cut_into_many_parts_keeps_every_part_under_the_budget(desk):
    live = LiveSnapshot(desk.world)
    desk.runner.installed.append(live.installed)
    for n in range(120):
        desk.ready_incident(description=f"storm incident {n} " + "x" * 400)
    plan = live.plan()
    assert len(plan) > 1
    for index, items in enumerate(plan):
        size = len(live.part(desk.world.seq, index, items, len(plan)).encode())
        assert size < 64 * 1024  # the frame limit; part 0 carries the reference data besides its budget
        assert index == 0 or len(items) == 1 or size <= PART_BYTES
    assert sum(len(items) for items in plan) == len(flat(live))


def greedy(sizes: list[int], budget: int) -> list[int]:
    """The cut as a plain loop: a part takes items (each plus a comma) while within budget."""
    starts, size = [0], 0
    for n, item in enumerate(sizes):
        if n > starts[-1] and size + item > budget:
            starts.append(n)
            size = 0
        size += item + 1
    return starts


def test_the_cuts_by_bisection_are_the_greedy_cuts():
    rng = random.Random(11)
    for _ in range(300):
        sizes = [rng.choice((1, 5, 40, 200, 900, 5000)) for _ in range(rng.randrange(1, 80))]
        budget = rng.choice((1, 10, 500, 1000, 4000))
        assert _cuts(sizes, budget) == greedy(sizes, budget), (sizes, budget)
