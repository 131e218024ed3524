"""Advisory allocation: units for waiting incidents, resources for resource needs.

Pure: plain inputs in, recommendations with their reasons out; no I/O, nothing assigned. The
Hungarian algorithm (`scipy.optimize.linear_sum_assignment`) assigns globally across every
waiting incident of a priority tier rather than greedily one incident at a time.

How it decides (docs/domain.md, "How recommendations decide", says the same for dispatchers):
- Priority tiers are solved one after another, A then B, C, D (then N, only when asked). A tier
  takes its optimum from every unit still free; lower tiers share what is left. So an urgent
  incident never gets a farther unit to let a less urgent one have a nearer one.
- A response plan becomes one column per unfilled slot ("engine 2 of 2"). Units never stand in
  for another kind, so each (tier, kind) is its own, exact, smaller assignment problem.
- Infeasible pairs are left out of the problem, never priced high and hoped away: a unit that
  is inactive, not assignable, of another kind or without any position is not a row; a pair the
  cost matrix marks infinite is never returned (`assign`).
- Ties go to the row, then the column, listed first: units in callsign order, incidents in the
  order given (the caller gives creation order), slots in plan order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from server.advice.geo import Point, great_circle_m


def linear_sum_assignment(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """scipy's Hungarian solver, imported on first use: scipy.optimize costs ~0.4 s of every
    server's start-up, and only advice needs it."""
    from scipy.optimize import linear_sum_assignment as solve

    return solve(cost)

TIERS = ("A", "B", "C", "D", "N")
# Added per rank of row and column to break exact ties deterministically; far below anything
# shown (a second of ETA, a metre of distance), even summed over thousands of pairs.
TIE_BREAK = 1e-9


def assign(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows matched to columns: as many feasible pairs as possible, then the cheapest total.

    `np.inf` marks an infeasible pair; costs must be ≥ 0. A rectangular matrix leaves the
    surplus rows or columns out. An infeasible pair is never returned: it is priced above any
    complete set of feasible pairs (so the solver only uses one where nothing feasible is left)
    and filtered out afterwards.
    """
    cost = np.asarray(cost, dtype=float)
    if cost.ndim != 2:
        raise ValueError(f"a cost matrix has two dimensions, got {cost.ndim}")
    if np.isnan(cost).any() or (cost < 0).any():
        raise ValueError("costs must be numbers ≥ 0 (np.inf for an infeasible pair)")
    empty = np.empty(0, dtype=int)
    feasible = np.isfinite(cost)
    if not feasible.any():
        return empty, empty
    rows_n, cols_n = cost.shape
    priciest = float(cost[feasible].max())
    infeasible_price = (priciest + 1.0) * (min(rows_n, cols_n) + 1)
    ranks = np.arange(rows_n)[:, None] + np.arange(cols_n)[None, :]
    work = np.where(feasible, cost + ranks * TIE_BREAK, infeasible_price)
    rows, cols = linear_sum_assignment(work)
    keep = feasible[rows, cols]
    return rows[keep], cols[keep]


def _tier_rank(priority: str) -> int:
    return TIERS.index(priority)


# --- units -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnitCandidate:
    """A unit as the recommender sees it. `position` is where it is believed to be and
    `source` says from what: its reported position or its station's location."""

    unit_id: str
    callsign: str
    kind: str
    active: bool
    available: bool  # in an assignable state (available over radio or at station)
    position: Point | None = None
    source: str | None = None  # "position" | "station"


@dataclass(frozen=True, slots=True)
class WaitingIncident:
    """An incident with its response plan and what its open assignments already fill."""

    incident_id: str
    priority: str  # A–D, or N
    location: Point | None
    plan: tuple[tuple[str, int], ...]  # (unit kind, count), in plan order
    filled: tuple[tuple[str, int], ...] = ()  # (unit kind, units assigned now)

    def open_slots(self) -> list[tuple[str, int, int]]:
        """(kind, slot number, plan count) for every slot no assigned unit fills."""
        filled = dict(self.filled)
        return [(kind, n, count) for kind, count in self.plan for n in range(filled.get(kind, 0) + 1, count + 1)]


@dataclass(frozen=True, slots=True)
class UnitRecommendation:
    incident_id: str
    priority: str
    unit_id: str
    callsign: str
    kind: str
    slot: int  # fills slot `slot` of `of` for this kind in the plan
    of: int
    distance_m: float
    eta_s: float
    source: str  # "position" | "station"


@dataclass(frozen=True, slots=True)
class Unserved:
    """Plan slots (or resource quantity) nobody can serve now, and why. `cause` is a stable
    code for clients; `reason` says it in words."""

    incident_id: str
    cause: str
    reason: str
    kind: str | None = None  # unit kind or resource type
    missing: int = 0  # slots, or resource quantity
    need_id: str | None = None


@dataclass(frozen=True, slots=True)
class ExcludedUnit:
    callsign: str
    kind: str
    reason: str


@dataclass(frozen=True, slots=True)
class UnitPlan:
    recommendations: tuple[UnitRecommendation, ...]
    unserved: tuple[Unserved, ...]
    excluded_units: tuple[ExcludedUnit, ...] = ()


@dataclass
class _Slot:
    incident: WaitingIncident
    kind: str
    number: int
    of: int


@dataclass
class _Fleet:
    """Per kind: every active unit, the available ones with a position (the rows), and the
    available ones without any (reported, never rows)."""

    active: dict[str, list[UnitCandidate]] = field(default_factory=lambda: defaultdict(list))
    placed: dict[str, list[UnitCandidate]] = field(default_factory=lambda: defaultdict(list))
    unplaced: dict[str, list[UnitCandidate]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, units: Iterable[UnitCandidate]) -> _Fleet:
        fleet = cls()
        for unit in sorted(units, key=lambda u: u.callsign):
            if not unit.active:
                continue
            fleet.active[unit.kind].append(unit)
            if unit.available:
                (fleet.placed if unit.position is not None else fleet.unplaced)[unit.kind].append(unit)
        return fleet


def recommend_units(
    incidents: Sequence[WaitingIncident],
    units: Iterable[UnitCandidate],
    speed_kmh: Callable[[str], float],
) -> UnitPlan:
    """The best units for every open slot of the given incidents, tier by tier (see module doc).

    `incidents` in the order ties should favour (creation order); `speed_kmh(kind)` gives the
    average speed over the great-circle distance.
    """
    fleet = _Fleet.of(units)
    by_tier: dict[int, dict[str, list[_Slot]]] = defaultdict(lambda: defaultdict(list))
    unserved: list[Unserved] = []
    for incident in incidents:
        slots = incident.open_slots()
        if slots and incident.location is None:
            unserved += [
                Unserved(incident.incident_id, "no_location", "the incident's location has no coordinates",
                         kind, count - n + 1)
                for kind, n, count in _first_open_per_kind(slots)
            ]  # fmt: skip
            continue
        for kind, number, of in slots:
            by_tier[_tier_rank(incident.priority)][kind].append(_Slot(incident, kind, number, of))

    used: set[str] = set()
    recommendations: list[UnitRecommendation] = []
    left: list[_Slot] = []
    for tier in sorted(by_tier):
        for kind in sorted(by_tier[tier]):
            slots = by_tier[tier][kind]
            free = [u for u in fleet.placed[kind] if u.unit_id not in used]
            made, unmatched = _match_units(slots, free, speed_kmh(kind))
            used.update(r.unit_id for r in made)
            recommendations += made
            left += unmatched
    unserved += _why_unserved(left, fleet)
    order = {incident.incident_id: n for n, incident in enumerate(incidents)}
    recommendations.sort(key=lambda r: (_tier_rank(r.priority), order[r.incident_id], r.kind, r.slot))
    excluded = [
        ExcludedUnit(u.callsign, u.kind, "available but with no reported position and no station location")
        for kind in sorted(fleet.unplaced)
        for u in fleet.unplaced[kind]
    ]
    return UnitPlan(tuple(recommendations), tuple(unserved), tuple(excluded))


def _first_open_per_kind(slots: list[tuple[str, int, int]]) -> list[tuple[str, int, int]]:
    seen: dict[str, tuple[str, int, int]] = {}
    for slot in slots:
        seen.setdefault(slot[0], slot)
    return list(seen.values())


def _match_units(
    slots: list[_Slot], free: list[UnitCandidate], speed_kmh: float
) -> tuple[list[UnitRecommendation], list[_Slot]]:
    if not free:
        return [], slots
    distance = great_circle_m(
        np.array([u.position for u in free]), np.array([s.incident.location for s in slots])
    )
    eta = distance / (speed_kmh / 3.6)
    rows, cols = assign(eta)
    made = [
        UnitRecommendation(
            incident_id=slots[c].incident.incident_id, priority=slots[c].incident.priority,
            unit_id=free[r].unit_id, callsign=free[r].callsign, kind=free[r].kind,
            slot=slots[c].number, of=slots[c].of, distance_m=float(distance[r, c]), eta_s=float(eta[r, c]),
            source=free[r].source or "position",
        )  # fmt: skip
        for r, c in sorted(zip(rows.tolist(), cols.tolist(), strict=True), key=lambda rc: rc[1])
    ]
    served = set(cols.tolist())
    return made, [s for n, s in enumerate(slots) if n not in served]


def _all(count: int, what: str) -> str:
    """'the only available engine unit is' / 'all 3 available engine units are'."""
    return f"the only {what} unit is" if count == 1 else f"all {count} {what} units are"


def _why_unserved(slots: list[_Slot], fleet: _Fleet) -> list[Unserved]:
    """One entry per incident and kind, with the first reason that applies."""
    grouped: dict[tuple[str, str], list[_Slot]] = {}
    for slot in slots:
        grouped.setdefault((slot.incident.incident_id, slot.kind), []).append(slot)
    out = []
    for (incident_id, kind), group in grouped.items():
        active, placed, unplaced = fleet.active[kind], fleet.placed[kind], fleet.unplaced[kind]
        if not active:
            cause, reason = "no_unit_of_kind", f"no active {kind} unit in the deployment"
        elif not placed and not unplaced:
            cause, reason = "all_busy", f"{_all(len(active), f'active {kind}')} busy or unavailable"
        elif not placed:
            callsigns = ", ".join(u.callsign for u in unplaced)
            cause, reason = "no_position", f"no position for the available {kind} units ({callsigns})"
        else:
            cause = "taken"
            reason = f"{_all(len(placed), f'available {kind}')} recommended for incidents of higher or equal priority"
        out.append(Unserved(incident_id, cause, reason, kind, len(group)))
    return out


# --- resources ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NeedRequest:
    need_id: str
    incident_id: str
    priority: str
    resource_type: str
    quantity: int  # still to allocate
    location: Point | None


@dataclass(frozen=True, slots=True)
class ResourceOffer:
    resource_id: str
    name: str
    resource_type: str
    location: Point
    free: int  # capacity − in use, never below 0
    usable: bool  # in service (not forced UNAVAILABLE, capacity above 0)


@dataclass(frozen=True, slots=True)
class ResourceRecommendation:
    incident_id: str
    need_id: str
    resource_id: str
    name: str
    resource_type: str
    quantity: int
    distance_m: float
    free_before: int  # the resource's free room before this recommendation
    part: int = 1  # a need split across resources: part `part` of `of`
    of: int = 1


@dataclass(frozen=True, slots=True)
class ResourcePlan:
    recommendations: tuple[ResourceRecommendation, ...]
    unserved: tuple[Unserved, ...]


def recommend_resources(needs: Sequence[NeedRequest], resources: Iterable[ResourceOffer]) -> ResourcePlan:
    """Nearest resources with room for every need, tier by tier, never beyond free capacity.

    A need goes whole to one resource when any has room for it: rounds of the Hungarian
    algorithm (each resource takes at most one need per round, its free room shrinking after
    each) until no need fits anywhere whole. A need that no single resource can hold is then
    split across the nearest resources with room, nearest first; what still does not fit is
    reported unserved.
    """
    offers: dict[str, list[ResourceOffer]] = defaultdict(list)
    for offer in sorted(resources, key=lambda r: (r.name, r.resource_id)):
        offers[offer.resource_type].append(offer)
    free = {o.resource_id: o.free for group in offers.values() for o in group if o.usable}
    by_tier: dict[int, dict[str, list[NeedRequest]]] = defaultdict(lambda: defaultdict(list))
    unserved: list[Unserved] = []
    for need in needs:
        if need.quantity <= 0:
            continue
        if need.location is None:
            unserved.append(Unserved(need.incident_id, "no_location", "the incident's location has no coordinates",
                                     need.resource_type, need.quantity, need.need_id))  # fmt: skip
            continue
        by_tier[_tier_rank(need.priority)][need.resource_type].append(need)

    recommendations: list[ResourceRecommendation] = []
    for tier in sorted(by_tier):
        for resource_type in sorted(by_tier[tier]):
            group = by_tier[tier][resource_type]
            usable = [o for o in offers[resource_type] if o.usable]
            whole, left = _place_whole(group, usable, free)
            split, short = _place_split(left, usable, free)
            recommendations += whole + split
            unserved += [_why_short(need, missing, offers[resource_type]) for need, missing in short]
    return ResourcePlan(tuple(recommendations), tuple(unserved))


def _distances(needs: list[NeedRequest], offers: list[ResourceOffer]) -> np.ndarray:
    return great_circle_m(np.array([o.location for o in offers]), np.array([n.location for n in needs]))


def _place_whole(
    needs: list[NeedRequest], offers: list[ResourceOffer], free: dict[str, int]
) -> tuple[list[ResourceRecommendation], list[NeedRequest]]:
    if not needs or not offers:
        return [], needs
    distance = _distances(needs, offers)
    quantity = np.array([n.quantity for n in needs])
    waiting = np.ones(len(needs), dtype=bool)
    made: list[ResourceRecommendation] = []
    while waiting.any():
        room = np.array([free[o.resource_id] for o in offers])
        fits = (room[:, None] >= quantity[None, :]) & waiting[None, :]
        rows, cols = assign(np.where(fits, distance, np.inf))
        if rows.size == 0:
            break
        for r, c in sorted(zip(rows.tolist(), cols.tolist(), strict=True), key=lambda rc: rc[1]):
            offer, need = offers[r], needs[c]
            made.append(ResourceRecommendation(need.incident_id, need.need_id, offer.resource_id, offer.name,
                                               offer.resource_type, need.quantity, float(distance[r, c]),
                                               free[offer.resource_id]))  # fmt: skip
            free[offer.resource_id] -= need.quantity
            waiting[c] = False
    return made, [n for n, w in zip(needs, waiting, strict=True) if w]


def _place_split(
    needs: list[NeedRequest], offers: list[ResourceOffer], free: dict[str, int]
) -> tuple[list[ResourceRecommendation], list[tuple[NeedRequest, int]]]:
    if not needs:
        return [], []
    if not offers:
        return [], [(n, n.quantity) for n in needs]
    distance = _distances(needs, offers)
    made: list[ResourceRecommendation] = []
    short: list[tuple[NeedRequest, int]] = []
    for c, need in enumerate(needs):
        parts: list[tuple[int, int]] = []  # (offer row, quantity)
        missing = need.quantity
        for r in np.argsort(distance[:, c], kind="stable").tolist():
            take = min(missing, free[offers[r].resource_id])
            if take > 0:
                parts.append((r, take))
                missing -= take
            if missing == 0:
                break
        for part, (r, take) in enumerate(parts, start=1):
            offer = offers[r]
            made.append(ResourceRecommendation(need.incident_id, need.need_id, offer.resource_id, offer.name,
                                               offer.resource_type, take, float(distance[r, c]),
                                               free[offer.resource_id], part, len(parts)))  # fmt: skip
            free[offer.resource_id] -= take
        if missing:
            short.append((need, missing))
    return made, short


def _why_short(need: NeedRequest, missing: int, offers: list[ResourceOffer]) -> Unserved:
    kind = need.resource_type
    in_service = [o for o in offers if o.usable]
    if not offers:
        cause, reason = "no_resource_of_type", f"no {kind} resource in the deployment"
    elif not in_service:
        cause, reason = "all_unavailable", f"every {kind} resource is out of service"
    elif all(o.free == 0 for o in in_service):
        cause, reason = "all_full", f"every {kind} resource in service is full"
    elif missing < need.quantity:
        cause, reason = "partial", f"only {need.quantity - missing} of {need.quantity} fit in the free {kind} room"
    else:
        cause, reason = "taken", f"the free {kind} room is recommended for needs of higher or equal priority"
    return Unserved(need.incident_id, cause, reason, kind, missing, need.need_id)
