"""Response statistics of a supervisor (domain.md § Statistics), computed from timestamps only.

Pure: plain records in, a JSON-ready dict out, no I/O. Times are seconds since the Unix epoch
(floats) so that any source of incidents can feed the same function: `incident_records` turns
the live world's incidents into records, and an archive turns its rows into the same records;
`compute` takes any iterable of them (chain the sources).

Stages (seconds):
- call processing: the incident's first call started → incident created;
- alarm processing: incident created → its first unit dispatched;
- turnout: a unit dispatched → that unit en route (every assignment counts; the target depends
  on the unit's kind);
- travel: a unit en route → that unit on scene (every assignment counts);
- total response: the first call started → the first unit on scene.
A stage whose two ends were not both stamped is left out of the figures, never guessed, so
counts differ between stages. An incident counts when it was created inside [start, end).

Percentiles are nearest-rank: the p-th percentile of n sorted values is the ⌈p·n/100⌉-th
smallest, always a value that was measured (numpy's `method="inverted_cdf"`); the median is
the 50th percentile by the same rule (the lower middle value when n is even).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from server.domain.call import Call
from server.domain.incident import ChangeKind, EntryType, Incident, IncidentState
from server.domain.reference import StatsTargets
from server.protocol import iso

STAGES = ("call_processing", "alarm_processing", "turnout", "travel", "total_response")
DIMENSIONS = ("priority", "district", "incident_type", "hour")
WAITING_STATES = frozenset({IncidentState.NEW.value, IncidentState.QUEUED.value})
PERCENTILE_METHOD = "nearest-rank"
# Series steps a plot may use: the smallest that keeps the series within MAX_POINTS points.
SERIES_STEPS_S = (300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
MAX_POINTS = 48
# Bins of the total response distribution, in seconds (the last is open-ended).
DISTRIBUTION_EDGES_S = (0, 60, 120, 180, 240, 300, 360, 480, 600, 900, 1200)
UNSET = "(none)"  # the group of incidents without a priority, district or type


@dataclass(frozen=True, slots=True)
class Assignment:
    """One IncidentUnit: the unit's kind and its stamps (None: never reached)."""

    unit_id: str
    kind: str
    assigned: float
    unassigned: float | None = None
    dispatched: float | None = None
    en_route: float | None = None
    on_scene: float | None = None


@dataclass(frozen=True, slots=True)
class IncidentRecord:
    """What the statistics need of one incident, from whichever store it lives in."""

    id: str
    created: float
    priority: str | None = None
    incident_type: str | None = None
    district: str | None = None
    call_started: float | None = None  # its first call (None: created without a call)
    assignments: tuple[Assignment, ...] = ()
    # Intervals spent new or queued: (from, to), to None while still waiting.
    waiting: tuple[tuple[float, float | None], ...] = ()


@dataclass(frozen=True, slots=True)
class ResourceRecord:
    resource_type: str
    capacity: int
    in_use: int
    out_of_service: bool = False


# --- sources ------------------------------------------------------------------------------------


def _stamp(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def waiting_intervals(incident: Incident) -> tuple[tuple[float, float | None], ...]:
    """The incident starts new (waiting); each automatic state entry of its log moves it."""
    intervals: list[tuple[float, float | None]] = []
    since: float | None = incident.incident_created.timestamp()
    for entry in incident.log:
        data = entry.change_data
        if entry.entry_type is not EntryType.AUTOMATIC or not data or data.get("change") != ChangeKind.STATE:
            continue
        at = entry.log_timestamp.timestamp()
        if data.get("value") in WAITING_STATES:
            if since is None:
                since = at
        elif since is not None:
            intervals.append((since, at))
            since = None
    if since is not None:
        intervals.append((since, None))
    return tuple(intervals)


def incident_records(
    incidents: Iterable[Incident], calls: Mapping[str, Call], unit_kinds: Mapping[str, str]
) -> Iterable[IncidentRecord]:
    """Records of domain incidents (live or read back from an archive). The first call is the
    earliest linked call that started no later than the incident: a call attached afterwards
    did not start its processing."""
    for incident in incidents:
        created = incident.incident_created.timestamp()
        starts = [
            calls[c].call_started.timestamp() for c in incident.call_ids if c in calls
        ]
        starts = [s for s in starts if s <= created]
        yield IncidentRecord(
            id=incident.id,
            created=created,
            priority=incident.incident_priority.value if incident.incident_priority else None,
            incident_type=incident.incident_type,
            district=incident.location.district if incident.location else None,
            call_started=min(starts) if starts else None,
            assignments=tuple(
                Assignment(
                    unit_id=u.unit_id,
                    kind=unit_kinds.get(u.unit_id, ""),
                    assigned=u.unit_assigned_at.timestamp(),
                    unassigned=_stamp(u.unit_unassigned_at),
                    dispatched=_stamp(u.unit_dispatched),
                    en_route=_stamp(u.unit_en_route),
                    on_scene=_stamp(u.unit_on_scene),
                )
                for u in incident.units
            ),
            waiting=waiting_intervals(incident),
        )


# --- percentiles --------------------------------------------------------------------------------


def nearest_rank(sorted_values: Sequence[float] | np.ndarray, p: int) -> float:
    """The ⌈p·n/100⌉-th smallest of n sorted values (integer arithmetic: no rounding drift)."""
    n = len(sorted_values)
    if n == 0:
        raise ValueError("no values")
    return float(sorted_values[max(1, (p * n + 99) // 100) - 1])


def summary(values: np.ndarray, limits: np.ndarray | None, share: float) -> dict[str, Any]:
    """Count, median, 90th percentile and (with targets) how many were within them."""
    n = int(values.size)
    out: dict[str, Any] = {"count": n}
    if n:
        ordered = np.sort(values)
        out["median_s"] = round(nearest_rank(ordered, 50), 3)
        out["p90_s"] = round(nearest_rank(ordered, 90), 3)
    if limits is not None:
        judged = ~np.isnan(limits)
        if judged.any():
            within = int(np.count_nonzero(values[judged] <= limits[judged]))
            total = int(np.count_nonzero(judged))
            out["within"] = within
            out["within_share"] = round(within / total, 4)
            out["target_met"] = within / total >= share
    return out


# --- the figures --------------------------------------------------------------------------------


class _Samples:
    """One stage's values, each with its target (NaN: none) and its incident's groups."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.limits: list[float] = []
        self.groups: list[tuple[str, str, str, str]] = []

    def add(self, value: float, limit: float | None, groups: tuple[str, str, str, str]) -> None:
        self.values.append(value)
        self.limits.append(np.nan if limit is None else limit)
        self.groups.append(groups)


def _hour_label(bucket: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(bucket, zone).strftime("%Y-%m-%d %H:00")


def series_step(span_s: float) -> int:
    """The smallest listed step that keeps a series of `span_s` within MAX_POINTS points."""
    return next((s for s in SERIES_STEPS_S if span_s / s <= MAX_POINTS), SERIES_STEPS_S[-1])


def _instants(start: float, end: float, step: int) -> np.ndarray:
    """`start`, every multiple of `step` (UTC) strictly between, and `end`: a plot's x axis."""
    inner = np.arange(np.floor(start / step) * step + step, end, step, dtype=float)
    return np.concatenate(([start], inner[inner > start], [end])) if end > start else np.asarray([start])


def compute(
    records: Iterable[IncidentRecord],
    *,
    start: float | None,
    end: float,
    targets: StatsTargets,
    zone: ZoneInfo,
    units: Mapping[str, str],
    resources: Iterable[ResourceRecord] = (),
    by: Sequence[str] = DIMENSIONS,
) -> dict[str, Any]:
    """Every figure of § Statistics over incidents created in [start, end). `units` maps the
    deployment's active units to their kinds (the denominators of utilisation); `start` None
    means from the first incident on."""
    records = list(records)
    if start is None:
        start = min((r.created for r in records), default=end)
    limit_of = {
        "call_processing": targets.call_processing_s,
        "alarm_processing": targets.alarm_processing_s,
        "travel": targets.travel_s,
        "total_response": targets.total_response_s,
    }
    samples = {stage: _Samples() for stage in STAGES}
    hour_cache: dict[float, str] = {}
    waiting: list[tuple[float, float | None]] = []
    busy: list[tuple[float, float | None, str]] = []
    counted = 0
    for record in records:
        waiting.extend(record.waiting)
        busy.extend((a.assigned, a.unassigned, a.kind) for a in record.assignments)
        if not start <= record.created < end:
            continue
        counted += 1
        bucket = record.created // 3600 * 3600
        hour = hour_cache.get(bucket)
        if hour is None:
            hour = hour_cache[bucket] = _hour_label(bucket, zone)
        groups = (record.priority or UNSET, record.district or UNSET, record.incident_type or UNSET, hour)
        if record.call_started is not None:
            samples["call_processing"].add(record.created - record.call_started, limit_of["call_processing"], groups)
        dispatched = [a.dispatched for a in record.assignments if a.dispatched is not None]
        if dispatched:
            samples["alarm_processing"].add(min(dispatched) - record.created, limit_of["alarm_processing"], groups)
        on_scene = [a.on_scene for a in record.assignments if a.on_scene is not None]
        if on_scene and record.call_started is not None:
            samples["total_response"].add(min(on_scene) - record.call_started, limit_of["total_response"], groups)
        for a in record.assignments:
            if a.dispatched is not None and a.en_route is not None:
                samples["turnout"].add(a.en_route - a.dispatched, targets.turnout_for(a.kind), groups)
            if a.en_route is not None and a.on_scene is not None:
                samples["travel"].add(a.on_scene - a.en_route, limit_of["travel"], groups)

    arrays = {
        stage: (np.asarray(s.values, dtype=float), np.asarray(s.limits, dtype=float), s.groups)
        for stage, s in samples.items()
    }
    stages = {stage: summary(v, lim, targets.share) for stage, (v, lim, _) in arrays.items()}
    breakdown: dict[str, dict[str, dict[str, Any]]] = {}
    for dim in by:
        column = DIMENSIONS.index(dim)
        table: dict[str, dict[str, Any]] = {}
        for stage, (values, limits, groups) in arrays.items():
            if not values.size:
                continue
            keys = np.asarray([g[column] for g in groups])
            names, codes = np.unique(keys, return_inverse=True)
            order = np.argsort(codes, kind="stable")
            bounds = np.searchsorted(codes[order], np.arange(names.size + 1))
            for i, name in enumerate(names.tolist()):
                picked = order[bounds[i] : bounds[i + 1]]
                table.setdefault(name, {})[stage] = summary(values[picked], limits[picked], targets.share)
        breakdown[dim] = dict(sorted(table.items()))

    step = series_step(max(end - start, 1.0))
    instants = _instants(start, end, step)
    return {
        "from": iso_of(start),
        "to": iso_of(end),
        "incidents": counted,
        "percentile_method": PERCENTILE_METHOD,
        "targets": targets_wire(targets),
        "stages": stages,
        "by": breakdown,
        "distribution": _distribution(arrays["total_response"][0], arrays["total_response"][2]),
        "waiting": {"step_s": step, "at": [iso_of(t) for t in instants], "counts": _waiting_counts(waiting, instants)},
        "utilisation": _utilisation(busy, units, start, end, step),
        "resources": _occupancy(resources),
    }


def targets_wire(targets: StatsTargets) -> dict[str, Any]:
    return {
        "call_processing_s": targets.call_processing_s,
        "alarm_processing_s": targets.alarm_processing_s,
        "turnout_s": targets.turnout_s,
        "turnout_s_by_kind": dict(targets.turnout_s_by_kind),
        "travel_s": targets.travel_s,
        "total_response_s": targets.total_response_s,
        "share": targets.share,
    }


def _distribution(values: np.ndarray, groups: list[tuple[str, str, str, str]]) -> dict[str, Any]:
    """Total response per priority, counted in the bins of DISTRIBUTION_EDGES_S (last: open)."""
    edges = np.asarray([*DISTRIBUTION_EDGES_S, np.inf])
    counts: dict[str, list[int]] = {}
    if values.size:
        priorities = np.asarray([g[0] for g in groups])
        for name in sorted(set(priorities.tolist())):
            hist, _ = np.histogram(values[priorities == name], bins=edges)
            counts[name] = hist.tolist()
    return {"edges_s": list(DISTRIBUTION_EDGES_S), "counts": counts}


def _waiting_counts(intervals: list[tuple[float, float | None]], instants: np.ndarray) -> list[int]:
    """How many incidents were waiting at each instant: started at or before it, not yet left."""
    if not intervals:
        return [0] * instants.size
    starts = np.sort(np.fromiter((s for s, _ in intervals), dtype=float, count=len(intervals)))
    ends = np.sort(np.fromiter((np.inf if e is None else e for _, e in intervals), dtype=float, count=len(intervals)))
    return (np.searchsorted(starts, instants, "right") - np.searchsorted(ends, instants, "right")).tolist()


def _busy_seconds(starts: np.ndarray, ends: np.ndarray, lo: float, hi: float) -> float:
    return float(np.clip(np.minimum(ends, hi) - np.maximum(starts, lo), 0, None).sum())


def _utilisation(
    busy: list[tuple[float, float | None, str]], units: Mapping[str, str], start: float, end: float, step: int
) -> dict[str, Any]:
    """Unit-hour utilisation: the time units spent assigned (assignment → unassignment, or
    `end` while still open) over the time they were there to be assigned (every active unit,
    all the window long), overall, per unit kind and per series step."""
    span = max(end - start, 0.0)
    kinds = sorted(set(units.values()))
    per_kind = {k: sum(1 for v in units.values() if v == k) for k in kinds}
    starts = np.fromiter((b[0] for b in busy), dtype=float, count=len(busy))
    ends = np.fromiter((end if b[1] is None else b[1] for b in busy), dtype=float, count=len(busy))
    kind_of = np.asarray([b[2] for b in busy]) if busy else np.asarray([], dtype=str)

    def share(mask: np.ndarray | None, n_units: int, lo: float, hi: float) -> float | None:
        if n_units == 0 or hi <= lo:
            return None
        s, e = (starts, ends) if mask is None else (starts[mask], ends[mask])
        return round(_busy_seconds(s, e, lo, hi) / (n_units * (hi - lo)), 4)

    bounds = _instants(start, end, step)
    return {
        "units": len(units),
        "overall": share(None, len(units), start, start + span),
        "by_kind": {k: share(kind_of == k, per_kind[k], start, start + span) for k in kinds},
        "step_s": step,
        "at": [iso_of(t) for t in bounds[:-1]],
        "values": [share(None, len(units), lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)],
    }


def _occupancy(resources: Iterable[ResourceRecord]) -> dict[str, Any]:
    """In use over capacity per resource type, counting only resources in service."""
    totals: dict[str, list[int]] = {}
    for r in resources:
        entry = totals.setdefault(r.resource_type, [0, 0, 0])
        entry[0] += 1
        if not r.out_of_service:
            entry[1] += r.capacity
            entry[2] += r.in_use
    return {
        kind: {"resources": n, "capacity": cap, "in_use": used, "share": round(used / cap, 4) if cap else None}
        for kind, (n, cap, used) in sorted(totals.items())
    }


def iso_of(moment: float) -> str:
    return iso(datetime.fromtimestamp(moment, UTC))
