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

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
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
SERIES_STEPS_S = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
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


def _rank_index(counts: np.ndarray, p: int) -> np.ndarray:
    """0-based nearest-rank positions of the p-th percentile within groups of `counts`."""
    return np.maximum(1, (p * counts + 99) // 100) - 1


def grouped_summaries(
    values: np.ndarray, limits: np.ndarray, codes: np.ndarray, n_groups: int, share: float
) -> list[dict[str, Any] | None]:
    """`summary` of every group at once (None for a group without values). `values` must come
    sorted (with their limits and codes in the same order): a stable sort by group code (radix,
    on small integers) then leaves each group's slice sorted, and its percentiles are positions."""
    judged = ~np.isnan(limits)
    within_mask = judged & (values <= np.where(judged, limits, 0))
    if n_groups == 1:  # the whole stage: already in value order
        v, counts = values, np.asarray([values.size])
        first = np.zeros(1, dtype=np.int64)
        n_judged, n_within = [int(judged.sum())], [int(within_mask.sum())]
    else:
        small = codes.astype(np.int16 if n_groups < 2**15 else np.int64)
        order = np.argsort(small, kind="stable")
        v = values[order]
        counts = np.bincount(small, minlength=n_groups)
        first = np.concatenate(([0], np.cumsum(counts)[:-1]))
        n_judged = np.bincount(small, weights=judged, minlength=n_groups)
        n_within = np.bincount(small, weights=within_mask, minlength=n_groups)
    last = max(len(v) - 1, 0)
    medians = v[np.minimum(first + _rank_index(counts, 50), last)] if len(v) else np.zeros(n_groups)
    p90s = v[np.minimum(first + _rank_index(counts, 90), last)] if len(v) else np.zeros(n_groups)
    out: list[dict[str, Any] | None] = []
    for g in range(n_groups):
        n = int(counts[g])
        if n == 0:
            out.append(None)
            continue
        item: dict[str, Any] = {"count": n, "median_s": round(float(medians[g]), 3), "p90_s": round(float(p90s[g]), 3)}
        if n_judged[g]:
            within, total = int(n_within[g]), int(n_judged[g])
            item.update(within=within, within_share=round(within / total, 4), target_met=within / total >= share)
        out.append(item)
    return out


def summary(values: np.ndarray, limits: np.ndarray, share: float) -> dict[str, Any]:
    """Count, median, 90th percentile and (where targets apply) how many were within them."""
    order = np.argsort(values, kind="stable")
    codes = np.zeros(values.size, dtype=np.int64)
    return grouped_summaries(values[order], limits[order], codes, 1, share)[0] or {"count": 0}


# --- the figures --------------------------------------------------------------------------------


def _hour_label(bucket: float, zone: ZoneInfo) -> str:
    return datetime.fromtimestamp(bucket, zone).strftime("%Y-%m-%d %H:00")


def series_step(span_s: float) -> int:
    """The smallest listed step that keeps a series of `span_s` within MAX_POINTS points."""
    return next((s for s in SERIES_STEPS_S if span_s / s <= MAX_POINTS), SERIES_STEPS_S[-1])


def _instants(start: float, end: float, step: int) -> np.ndarray:
    """`start`, every multiple of `step` (UTC) strictly between, and `end`: a plot's x axis."""
    inner = np.arange(np.floor(start / step) * step + step, end, step, dtype=float)
    return np.concatenate(([start], inner[inner > start], [end])) if end > start else np.asarray([start])


# --- the table of records ------------------------------------------------------------------------

GROUPED = ("priority", "district", "incident_type")


class RecordTable:
    """Records as columns, kept between queries: `add` derives a record's values once, `remove`
    retires them (an incident that changed is removed and added again), so a query reads
    arrays instead of walking 50,000 objects. Strings (groups, unit kinds) become small codes."""

    def __init__(self) -> None:
        self.codes: dict[str, dict[str, int]] = {name: {} for name in (*GROUPED, "kind")}
        # Pending rows, turned into arrays on the next `arrays()`.
        self._pending: dict[str, list[tuple[float, ...]]] = {
            "incidents": [], "turnout": [], "travel": [], "waiting": [], "busy": [],
        }  # fmt: skip
        self._arrays: dict[str, np.ndarray] = {}
        self._alive = np.ones(0, dtype=bool)
        self._dead: list[int] = []
        self.size = 0
        self.dead = 0

    def _code(self, name: str, value: str | None) -> int:
        table = self.codes[name]
        key = UNSET if value is None else value
        code = table.get(key)
        if code is None:
            code = table[key] = len(table)
        return code

    def add(self, record: IncidentRecord) -> int:
        """Append a record; returns its row (for `remove`)."""
        row, nan, pending = self.size, math.nan, self._pending
        self.size += 1
        units = record.assignments
        dispatched = [a.dispatched for a in units if a.dispatched is not None]
        on_scene = [a.on_scene for a in units if a.on_scene is not None]
        pending["incidents"].append((
            record.created,
            nan if record.call_started is None else record.call_started,
            min(dispatched) if dispatched else nan,
            min(on_scene) if on_scene else nan,
            self._code("priority", record.priority),
            self._code("district", record.district),
            self._code("incident_type", record.incident_type),
        ))  # fmt: skip
        for a in units:
            kind = self._code("kind", a.kind)
            if a.dispatched is not None and a.en_route is not None:
                pending["turnout"].append((a.en_route - a.dispatched, kind, row))
            if a.en_route is not None and a.on_scene is not None:
                pending["travel"].append((a.on_scene - a.en_route, row))
            pending["busy"].append((a.assigned, nan if a.unassigned is None else a.unassigned, kind, row))
        for since, until in record.waiting:
            pending["waiting"].append((since, math.inf if until is None else until, row))
        return row

    def remove(self, row: int) -> None:
        self._dead.append(row)
        self.dead += 1

    def arrays(self) -> dict[str, np.ndarray]:
        """Every column, the retired rows masked out by `alive` (per incident row)."""
        widths = {"incidents": 7, "turnout": 3, "travel": 2, "waiting": 3, "busy": 4}
        for name, rows in self._pending.items():
            if rows or name not in self._arrays:
                fresh = np.asarray(rows, dtype=float).reshape(-1, widths[name])
                kept = self._arrays.get(name)
                self._arrays[name] = fresh if kept is None else np.concatenate((kept, fresh))
                rows.clear()
        if self._alive.size < self.size:
            self._alive = np.concatenate((self._alive, np.ones(self.size - self._alive.size, dtype=bool)))
        if self._dead:
            self._alive[self._dead] = False
            self._dead.clear()
        return {**self._arrays, "alive": self._alive}

    @classmethod
    def of(cls, records: Iterable[IncidentRecord]) -> RecordTable:
        table = cls()
        for record in records:
            table.add(record)
        return table


def _union(tables: Sequence[RecordTable]) -> dict[str, Any]:
    """The live rows of several tables as one set of columns, with codes mapped onto one
    shared list of names per grouping (each table numbers its own)."""
    names: dict[str, dict[str, int]] = {name: {} for name in (*GROUPED, "kind")}
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("incidents", "turnout", "travel", "waiting", "busy")}
    offset = 0
    if len(tables) == 1 and bool(tables[0].arrays()["alive"].all()):
        # One source with no retired rows (a table just built): its columns as they are.
        table = tables[0]
        return {**{k: v for k, v in table.arrays().items() if k != "alive"},
                "names": {name: list(codes) for name, codes in table.codes.items()}}  # fmt: skip
    for table in tables:
        cols = table.arrays()
        alive = cols["alive"]
        remap = {}
        for name, codes in table.codes.items():
            shared = names[name]
            remap[name] = np.asarray([shared.setdefault(n, len(shared)) for n in codes] or [0], dtype=float)
        # Renumber live incident rows 0… so samples point into the joined incident columns.
        # (Boolean indexing copies, so the table's own arrays are never written.)
        new_row = np.cumsum(alive) - 1 + offset
        renumber = len(tables) > 1  # one table: its codes are the shared ones already
        inc = cols["incidents"][alive]
        if renumber:
            for i, name in enumerate(GROUPED, start=4):
                inc[:, i] = remap[name][inc[:, i].astype(np.int64)]
        parts["incidents"].append(inc)
        for key, row_col, kind_col in (("turnout", 2, 1), ("travel", 1, None), ("waiting", 2, None), ("busy", 3, 2)):
            block = cols[key]
            rows = block[:, row_col].astype(np.int64)
            live = alive[rows]
            block = block[live]
            block[:, row_col] = new_row[rows[live]]
            if kind_col is not None and renumber:
                block[:, kind_col] = remap["kind"][block[:, kind_col].astype(np.int64)]
            parts[key].append(block)
        offset += int(alive.sum())
    widths = {"incidents": 7, "turnout": 3, "travel": 2, "waiting": 3, "busy": 4}
    joined = {k: (v[0] if len(v) == 1 else np.concatenate(v)) if v else np.zeros((0, widths[k])) for k, v in parts.items()}
    joined["names"] = {name: list(codes) for name, codes in names.items()}
    return joined


# --- the figures --------------------------------------------------------------------------------


def compute(
    source: RecordTable | Sequence[RecordTable] | Iterable[IncidentRecord],
    *,
    start: float | None,
    end: float,
    targets: StatsTargets,
    zone: ZoneInfo,
    units: Mapping[str, str],
    resources: Iterable[ResourceRecord] = (),
    by: Sequence[str] = DIMENSIONS,
) -> dict[str, Any]:
    """Every figure of § Statistics over incidents created in [start, end), from records or
    from tables of them (one per source). `units` maps the deployment's active units to their
    kinds (the denominators of utilisation); `start` None means from the first incident on."""
    if isinstance(source, RecordTable):
        tables: Sequence[RecordTable] = (source,)
    else:
        items = list(source)
        tables = items if items and isinstance(items[0], RecordTable) else (RecordTable.of(items),)
    cols = _union(tables)
    incidents, names = cols["incidents"], cols["names"]
    if start is None:
        start = float(incidents[:, 0].min()) if incidents.size else end
    window = (incidents[:, 0] >= start) & (incidents[:, 0] < end)
    created, call, dispatched, on_scene = (incidents[:, i] for i in range(4))
    nan = math.nan
    kind_limits = np.asarray([nan if (x := targets.turnout_for(k)) is None else x for k in names["kind"]] or [nan])

    def flat(limit: float | None) -> float:
        return nan if limit is None else limit

    n_rows = np.arange(len(incidents))
    turnout, travel = cols["turnout"], cols["travel"]
    measured = {
        "call_processing": (created - call, n_rows, flat(targets.call_processing_s)),
        "alarm_processing": (dispatched - created, n_rows, flat(targets.alarm_processing_s)),
        "turnout": (turnout[:, 0], turnout[:, 2].astype(np.int64), kind_limits[turnout[:, 1].astype(np.int64)]),
        "travel": (travel[:, 0], travel[:, 1].astype(np.int64), flat(targets.travel_s)),
        "total_response": (on_scene - call, n_rows, flat(targets.total_response_s)),
    }
    stages_data: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for stage, (values, rows, limit) in measured.items():
        keep = ~np.isnan(values) & window[rows]  # a stage never reached is left out
        lims = limit[keep] if isinstance(limit, np.ndarray) else np.full(int(keep.sum()), limit)
        by_value = np.argsort(values[keep])  # once per stage, for every grouping (ties need no order)
        stages_data[stage] = (values[keep][by_value], rows[keep][by_value], lims[by_value])

    groups: dict[str, tuple[np.ndarray, list[str]]] = {
        name: (incidents[:, i].astype(np.int64), names[name]) for i, name in enumerate(GROUPED, start=4)
    }
    buckets, hour_codes = np.unique(created[window] // 3600 * 3600, return_inverse=True)
    hour_of = np.zeros(len(incidents), dtype=np.int64)
    hour_of[window] = hour_codes.ravel()
    groups["hour"] = (hour_of, [_hour_label(float(b), zone) for b in buckets])

    stages = {
        stage: grouped_summaries(v, lim, np.zeros(v.size, dtype=np.int64), 1, targets.share)[0] or {"count": 0}
        for stage, (v, _, lim) in stages_data.items()
    }
    breakdown: dict[str, dict[str, dict[str, Any]]] = {}
    for dim in by:
        codes, labels = groups[dim]
        table: dict[str, dict[str, Any]] = {}
        for stage, (values, rows, lims) in stages_data.items():
            for label, item in zip(labels, grouped_summaries(values, lims, codes[rows], len(labels), targets.share),
                                   strict=True):  # fmt: skip
                if item is not None:
                    table.setdefault(label, {})[stage] = item
        breakdown[dim] = dict(sorted(table.items()))

    response, response_rows, _ = stages_data["total_response"]
    priority_codes, priority_names = groups["priority"]
    step = series_step(max(end - start, 1.0))
    instants = _instants(start, end, step)
    waiting, busy = cols["waiting"], cols["busy"]
    # Still assigned: busy until `end` (and an assignment begun after `end` not at all).
    busy_to = np.maximum(np.where(np.isnan(busy[:, 1]), end, busy[:, 1]), busy[:, 0])
    busy_kinds = (busy[:, 2].astype(np.int64), names["kind"])
    return {
        "from": iso_of(start),
        "to": iso_of(end),
        "incidents": int(window.sum()),
        "percentile_method": PERCENTILE_METHOD,
        "targets": targets_wire(targets),
        "stages": stages,
        "by": breakdown,
        "distribution": _distribution(response, priority_codes[response_rows], priority_names),
        "waiting": {"step_s": step, "at": [iso_of(t) for t in instants],
                    "counts": _waiting_counts(waiting[:, 0], waiting[:, 1], instants)},
        "utilisation": _utilisation(busy[:, 0], busy_to, *busy_kinds, units, start, end, step),
        "resources": _occupancy(resources),
    }  # fmt: skip


def targets_wire(targets: StatsTargets) -> dict[str, Any]:
    """The targets judged by; a stage without one is left out (absence, not null)."""
    values = {
        "call_processing_s": targets.call_processing_s,
        "alarm_processing_s": targets.alarm_processing_s,
        "turnout_s": targets.turnout_s,
        "turnout_s_by_kind": dict(targets.turnout_s_by_kind),
        "travel_s": targets.travel_s,
        "total_response_s": targets.total_response_s,
        "share": targets.share,
    }
    return {k: v for k, v in values.items() if v is not None}


def _distribution(values: np.ndarray, codes: np.ndarray, names: list[str]) -> dict[str, Any]:
    """Total response per priority, counted in the bins of DISTRIBUTION_EDGES_S (last: open)."""
    edges = np.asarray([*DISTRIBUTION_EDGES_S, np.inf])
    counts: dict[str, list[int]] = {}
    for code in sorted(set(codes.tolist()), key=lambda c: names[c]):
        hist, _ = np.histogram(values[codes == code], bins=edges)
        counts[names[code]] = hist.tolist()
    return {"edges_s": list(DISTRIBUTION_EDGES_S), "counts": counts}


def _waiting_counts(starts: np.ndarray, ends: np.ndarray, instants: np.ndarray) -> list[int]:
    """How many incidents were waiting at each instant: started at or before it, not yet left."""
    starts, ends = np.sort(starts), np.sort(ends)
    return (np.searchsorted(starts, instants, "right") - np.searchsorted(ends, instants, "right")).tolist()


def _busy_integral(starts: np.ndarray, ends: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """F(t): unit-seconds of assignment before each t. Each interval gives min(t, e) − s once
    it has started, i.e. (t − s) for s < t minus (t − e) for e < t: prefix sums of the sorted
    starts and ends answer every t at once."""
    s, e = np.sort(starts), np.sort(ends)
    s_sum, e_sum = np.concatenate(([0.0], np.cumsum(s))), np.concatenate(([0.0], np.cumsum(e)))

    def integral(t: np.ndarray) -> np.ndarray:
        ns, ne = np.searchsorted(s, t, "left"), np.searchsorted(e, t, "left")
        return (ns * t - s_sum[ns]) - (ne * t - e_sum[ne])

    return integral


def _utilisation(
    starts: np.ndarray, ends: np.ndarray, kind_codes: np.ndarray, kind_names: list[str], units: Mapping[str, str],
    start: float, end: float, step: int,
) -> dict[str, Any]:
    """Unit-hour utilisation: the time units spent assigned (assignment → unassignment, or
    `end` while still open) over the time they were there to be assigned (every active unit,
    all the window long), overall, per unit kind and per series step."""
    span = max(end - start, 0.0)
    kinds = sorted(set(units.values()))
    per_kind = {k: sum(1 for v in units.values() if v == k) for k in kinds}

    bounds = _instants(start, end, step)

    def share(busy: float, n_units: int, lo: float, hi: float) -> float | None:
        return None if n_units == 0 or hi <= lo else round(float(busy) / (n_units * float(hi - lo)), 4)

    # Totals need no order: each assignment's overlap with the window, summed (per kind by code).
    overlap = np.clip(np.minimum(ends, end) - np.maximum(starts, start), 0, None)
    per_code = np.bincount(kind_codes, weights=overlap, minlength=len(kind_names)) if overlap.size else np.zeros(0)
    code_of = {name: code for code, name in enumerate(kind_names)}
    series = np.diff(_busy_integral(starts, ends)(bounds))  # the steps: one sort, every boundary at once
    return {
        "units": len(units),
        "overall": share(overlap.sum(), len(units), start, start + span),
        "by_kind": {k: share(per_code[code_of[k]] if k in code_of and code_of[k] < per_code.size else 0.0,
                             per_kind[k], start, start + span) for k in kinds},  # fmt: skip
        "step_s": step,
        "at": [iso_of(t) for t in bounds[:-1]],
        "values": [share(b, len(units), lo, hi) for b, lo, hi in zip(series, bounds[:-1], bounds[1:], strict=True)],
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
