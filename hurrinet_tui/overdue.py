"""Overdue flags (domain.md § Overdue flags), derived on the workstation from state and time.

Pure (no Textual): the limits come per priority in the snapshot's `deployment.overdue`; a flag
is never stored or sent, so every workstation sees the same flags from the same state. An
incident is overdue while new or queued longer than its priority's `waiting_s` (counted from
its creation: the wire carries no time of the last state change); a unit while dispatched, en
route or on scene longer than the limit of the priority of the incident it is assigned to. An
incident without a priority, and a unit without an incident, use D's limits.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .command_line import short_id
from .format import age, parse_time

Entity = Mapping[str, Any]
WAITING = frozenset({"new", "queued"})
UNIT_LIMIT = {"dispatched": "dispatched_s", "en_route": "en_route_s", "on_scene": "on_scene_s"}
UNIT_WORDS = {"dispatched": "dispatched, not en route", "en_route": "en route, not on scene", "on_scene": "on scene"}
FALLBACK_PRIORITY = "D"
MARK = "!"  # put before the timer of a flagged row, so it reads without colour too


@dataclass(frozen=True, slots=True)
class Flag:
    """One overdue condition. `since` with `key` and `kind` names it: a unit that changes
    state and overruns again raises a new flag (and a new notification)."""

    entity: str  # "incident" | "unit"
    key: str  # incident id or unit id
    kind: str  # "waiting" | "dispatched" | "en_route" | "on_scene"
    priority: str
    since: str  # the wire time the clock runs from
    limit_s: float

    @property
    def identity(self) -> tuple[str, str, str, str]:
        return (self.entity, self.key, self.kind, self.since)


def limit_for(limits: Mapping[str, Mapping[str, float]], priority: str | None, name: str) -> float | None:
    table = limits.get(priority or FALLBACK_PRIORITY) or limits.get(FALLBACK_PRIORITY) or {}
    value = table.get(name)
    return float(value) if value is not None else None


def _over(since: str | None, limit: float | None, now: datetime) -> bool:
    moment = parse_time(since)
    return moment is not None and limit is not None and (now - moment).total_seconds() > limit


def incident_flag(incident: Entity, limits: Mapping[str, Mapping[str, float]], now: datetime) -> Flag | None:
    if incident["state"] not in WAITING:
        return None
    priority = incident.get("incident_priority")
    limit = limit_for(limits, priority, "waiting_s")
    since = incident["incident_created"]
    if not _over(since, limit, now):
        return None
    return Flag("incident", incident["id"], "waiting", priority or FALLBACK_PRIORITY, since, limit)  # type: ignore[arg-type]


def unit_flag(unit: Entity, incident: Entity | None, limits: Mapping[str, Mapping[str, float]],
              now: datetime) -> Flag | None:  # fmt: skip
    status = unit["status"]
    name = UNIT_LIMIT.get(status["state"])
    if name is None:
        return None
    priority = incident.get("incident_priority") if incident else None
    limit = limit_for(limits, priority, name)
    since = status["state_changed_at"]
    if not _over(since, limit, now):
        return None
    return Flag("unit", unit["id"], status["state"], priority or FALLBACK_PRIORITY, since, limit)  # type: ignore[arg-type]


def all_flags(incidents: Mapping[str, Entity], units: Mapping[str, Entity], deployment: Entity,
              now: datetime) -> list[Flag]:  # fmt: skip
    """Every flag now: incidents first (most urgent priority first), then units."""
    limits = deployment.get("overdue") or {}
    if not limits:
        return []
    found = [f for i in incidents.values() if (f := incident_flag(i, limits, now))]
    for unit in units.values():
        incident_id = unit["status"].get("assigned_to_incident_id")
        flag = unit_flag(unit, incidents.get(incident_id) if incident_id else None, limits, now)
        if flag:
            found.append(flag)
    return sorted(found, key=lambda f: (f.entity != "incident", f.priority, f.since))


def describe(flag: Flag, name: str, now: datetime) -> str:
    """One line for a notification: '#ab12cd A waiting 3m (limit 2m)'."""
    what = "waiting" if flag.kind == "waiting" else UNIT_WORDS[flag.kind]
    return f"{name} ({flag.priority}) {what} {age(flag.since, now)} (limit {_limit(flag.limit_s)})"


def _limit(seconds: float) -> str:
    whole = int(seconds)
    if whole % 3600 == 0:
        return f"{whole // 3600}h"
    return f"{whole // 60}m" if whole % 60 == 0 else f"{whole}s"


class Announcer:
    """Which flags were already announced: each flag raises one notification, however often
    the screen asks (once a second), and forgets it once the flag is gone. The flags standing
    when the workstation first looks are not announced (they are on the rows and counted on
    the supervisor screen): a workstation opening mid-storm would otherwise greet its
    dispatcher with a burst of old news."""

    def __init__(self) -> None:
        self.announced: set[tuple[str, str, str, str]] | None = None  # None: not looked yet

    def new(self, flags: Iterable[Flag]) -> list[Flag]:
        flags = list(flags)
        current = {f.identity for f in flags}
        fresh = [] if self.announced is None else [f for f in flags if f.identity not in self.announced]
        self.announced = current
        return fresh


MOST_TOASTS = 3  # more new flags at once (a surge) make one summary


def announcements(announcer: Announcer, incidents: Mapping[str, Entity], units: Mapping[str, Entity],
                  deployment: Entity, now: datetime) -> list[str]:  # fmt: skip
    """The notification texts for the flags raised since the last call (one each, or one
    summary when many arrive together)."""
    fresh = announcer.new(all_flags(incidents, units, deployment, now))
    if len(fresh) > MOST_TOASTS:
        return [f"{len(fresh)} new overdue flags: see the marked (!) rows, or the supervisor screen"]

    def name(flag: Flag) -> str:
        if flag.entity == "incident":
            return f"#{short_id(flag.key)}"
        return f"unit {units[flag.key].get('callsign', flag.key)}"

    return [describe(flag, name(flag), now) for flag in fresh]
