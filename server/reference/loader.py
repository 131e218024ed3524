"""Load and validate a deployment's reference directory (format: docs/reference-data.md).

Every problem is reported with the file, the line or entry, and the reason, so whoever edits
the files can fix them without reading code.
"""

from __future__ import annotations

import csv
import json
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from server.domain.errors import DomainError
from server.domain.location import Place
from server.domain.reference import (
    OUTLINE_KINDS,
    OVERDUE_STAGES,
    AlertTargetSeed,
    AlertTargetType,
    Deployment,
    District,
    GazetteerEntry,
    IncidentType,
    MapLabel,
    MapLine,
    Outlines,
    OverdueLimits,
    Priority,
    ReferenceData,
    ResourceSeed,
    StationSeed,
    StatsTargets,
    UnitSeed,
)
from server.domain.resources import ResourceType
from server.domain.values import (
    NAME_MAX,
    Coordinates,
    ServiceArea,
    Staffing,
    check_text,
    parse_callsign,
    require_text,
)

T = TypeVar("T")


class ReferenceFileError(ValueError):
    def __init__(self, path: Path, where: str, reason: str) -> None:
        super().__init__(f"{path}: {where}: {reason}")
        self.path, self.where, self.reason = path, where, reason


class _Row(dict[str, str]):
    """One CSV row; field accessors raise ValueError with a plain reason."""

    def text(self, name: str, limit: int = NAME_MAX) -> str:
        return require_text(name, self.get(name, "").strip(), limit)

    def flag(self, name: str) -> bool:
        value = self.get(name, "").strip().lower()
        if value not in ("true", "false"):
            raise ValueError(f"{name} must be true or false, got {value!r}")
        return value == "true"

    def count(self, name: str) -> int:
        value = self.get(name, "").strip()
        if not value.isdigit():
            raise ValueError(f"{name} must be a whole number ≥ 0, got {value!r}")
        return int(value)

    def coordinates(self, area: ServiceArea) -> Coordinates:
        try:
            point = Coordinates(float(self.get("lat", "")), float(self.get("lon", "")))
        except ValueError:
            raise ValueError(f"lat/lon must be numbers, got {self.get('lat')!r}, {self.get('lon')!r}") from None
        return area.check(point)

    def choice(self, name: str, choices: Any) -> str:
        value = self.get(name, "").strip()
        if value not in choices:
            raise ValueError(f"{name} {value!r} is not one of {', '.join(map(str, choices))}")
        return value


def _reason(error: Exception) -> str:
    return error.message if isinstance(error, DomainError) else str(error)


def _csv(path: Path, header: list[str], build: Callable[[_Row], T]) -> Iterator[T]:
    if not path.exists():
        raise ReferenceFileError(path, "file", "missing")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames != header:
            raise ReferenceFileError(path, "line 1", f"header must be {','.join(header)}, got {reader.fieldnames}")
        for row in reader:
            if None in row:
                raise ReferenceFileError(path, f"line {reader.line_num}", "too many fields")
            try:
                yield build(_Row({k: v or "" for k, v in row.items()}))
            except (ValueError, DomainError) as error:
                raise ReferenceFileError(path, f"line {reader.line_num}", _reason(error)) from None


def _unique(path: Path, items: list[T], key: Callable[[T], Any], what: str) -> None:
    seen: set[Any] = set()
    for number, item in enumerate(items, start=1):
        if key(item) in seen:
            raise ReferenceFileError(path, f"entry {number}", f"duplicate {what} {key(item)!r}")
        seen.add(key(item))


def _toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ReferenceFileError(path, "file", "missing")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise ReferenceFileError(path, "syntax", str(error)) from None


def _speeds(table: Any, defaults: tuple[tuple[str, float], ...], kinds: tuple[str, ...]) -> tuple[tuple[str, float], ...]:
    """`[speeds_kmh]` overrides the default speed of the kinds it names."""
    if table is None:
        return defaults
    if not isinstance(table, dict):
        raise ValueError("speeds_kmh must be a table of unit kind = km/h")
    speeds = dict(defaults)
    for kind, value in table.items():
        if kind not in kinds:
            raise ValueError(f"speeds_kmh names unknown unit kind {kind!r}")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 500:
            raise ValueError(f"speeds_kmh.{kind} must be a number of km/h above 0 and at most 500, got {value!r}")
        speeds[kind] = float(value)
    return tuple(speeds.items())


def _seconds(value: Any, where: str, allow_none: bool = False) -> float | None:
    if allow_none and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 7 * 86400:
        raise ValueError(f"{where} must be a number of seconds above 0 and at most a week, got {value!r}")
    return float(value)


def _stats_targets(table: Any, defaults: StatsTargets, kinds: tuple[str, ...]) -> StatsTargets:
    """`[stats_targets]` overrides the NFPA 1710 defaults it names; `turnout_s_by_kind` is a
    table of unit kind = seconds (the kinds it leaves out use `turnout_s`)."""
    if table is None:
        return defaults
    if not isinstance(table, dict):
        raise ValueError("stats_targets must be a table")
    known = {f.name for f in fields(StatsTargets)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ValueError(f"stats_targets has unknown setting {unknown[0]!r} (known: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for name, value in table.items():
        if name == "share":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 1:
                raise ValueError(f"stats_targets.share must be a fraction above 0 and at most 1, got {value!r}")
            values[name] = float(value)
        elif name == "turnout_s_by_kind":
            if not isinstance(value, dict):
                raise ValueError("stats_targets.turnout_s_by_kind must be a table of unit kind = seconds")
            for kind in value:
                if kind not in kinds:
                    raise ValueError(f"stats_targets.turnout_s_by_kind names unknown unit kind {kind!r}")
            values[name] = tuple((k, _seconds(v, f"stats_targets.turnout_s_by_kind.{k}")) for k, v in value.items())
        else:
            values[name] = _seconds(value, f"stats_targets.{name}")
    return replace(defaults, **values)


def _overdue(table: Any, defaults: tuple[tuple[str, OverdueLimits], ...]) -> tuple[tuple[str, OverdueLimits], ...]:
    """`[overdue.A]` … `[overdue.N]` override the default limits they name, per priority."""
    if table is None:
        return defaults
    if not isinstance(table, dict):
        raise ValueError("overdue must be a table of priority tables")
    limits = dict(defaults)
    for priority, settings in table.items():
        if priority not in limits:
            raise ValueError(f"overdue names unknown priority {priority!r} (known: {', '.join(limits)})")
        if not isinstance(settings, dict):
            raise ValueError(f"overdue.{priority} must be a table of {', '.join(OVERDUE_STAGES)}")
        unknown = sorted(set(settings) - set(OVERDUE_STAGES))
        if unknown:
            raise ValueError(f"overdue.{priority} has unknown setting {unknown[0]!r} (known: {', '.join(OVERDUE_STAGES)})")
        given = {k: _seconds(v, f"overdue.{priority}.{k}") for k, v in settings.items()}
        limits[priority] = replace(limits[priority], **given)
    return tuple(limits.items())


def _archive_after(value: object) -> float:
    seconds = float(value)  # type: ignore[arg-type]
    if seconds < 0:
        raise ValueError(f"archive_after_s must be 0 or more seconds, not {value!r}")
    return seconds


# Unit kinds and desks are stored in 32-character columns (unit.kind, incident.desk): PostgreSQL
# refuses a longer one where SQLite would keep it, so the file is refused here, by name.
KIND_OR_DESK_MAX = 32


def _names(value: Any, what: str) -> tuple[str, ...]:
    names = tuple(value)
    for name in names:
        if not isinstance(name, str) or not 1 <= len(name) <= KIND_OR_DESK_MAX:
            raise ValueError(f"{what} {name!r} must be 1–{KIND_OR_DESK_MAX} characters")
    return names


def _deployment(path: Path) -> Deployment:
    data = _toml(path) if path.exists() else {}
    defaults = Deployment()
    try:
        area = data.get("service_area")
        zone = str(data.get("timezone", defaults.timezone))
        ZoneInfo(zone)
        kinds = _names(data.get("unit_kinds", defaults.unit_kinds), "unit kind")
        return Deployment(
            name=str(data.get("name", defaults.name)),
            timezone=zone,
            service_area=ServiceArea(**area) if area else defaults.service_area,
            unit_kinds=kinds,
            desks=_names(data.get("desks", defaults.desks), "desk"),
            dispatch_timeout_s=float(data.get("dispatch_timeout_s", defaults.dispatch_timeout_s)),
            archive_after_s=_archive_after(data.get("archive_after_s", defaults.archive_after_s)),
            vicinity_radius_m=float(data.get("vicinity_radius_m", defaults.vicinity_radius_m)),
            speeds_kmh=_speeds(data.get("speeds_kmh"), defaults.speeds_kmh, kinds),
            stats_targets=_stats_targets(data.get("stats_targets"), defaults.stats_targets, kinds),
            overdue=_overdue(data.get("overdue"), defaults.overdue),
        )
    except (TypeError, ValueError, ZoneInfoNotFoundError) as error:
        raise ReferenceFileError(path, "settings", str(error)) from None


def _incident_types(path: Path, deployment: Deployment) -> list[IncidentType]:
    entries = _toml(path).get("type", [])
    types = []
    for number, entry in enumerate(entries, start=1):
        code = entry.get("code", "?")
        try:
            if not (isinstance(code, str) and code.isascii() and code.isalnum() and 1 <= len(code) <= 10):
                raise ValueError(f"code {code!r} must be 1–10 letters or digits")
            plan = entry.get("plan", {})
            for kind, count in plan.items():
                if kind not in deployment.unit_kinds:
                    raise ValueError(f"plan names unknown unit kind {kind!r}")
                if not isinstance(count, int) or count < 1:
                    raise ValueError(f"plan count for {kind} must be a whole number ≥ 1")
            desk = entry.get("desk")
            if desk not in deployment.desks:
                raise ValueError(f"desk {desk!r} is not one of {', '.join(deployment.desks)}")
            keywords = entry.get("keywords", [])
            if not all(isinstance(k, str) and k.strip() for k in keywords):
                raise ValueError("keywords must be a list of non-empty strings")
            types.append(
                IncidentType(
                    code=code.upper(),
                    description=require_text("description", entry.get("description"), NAME_MAX),
                    priority=Priority(entry.get("priority")),
                    desk=desk,
                    plan=tuple(plan.items()),
                    keywords=tuple(k.strip().lower() for k in keywords),
                )
            )
        except (ValueError, DomainError) as error:
            raise ReferenceFileError(path, f"type {number} ({code})", _reason(error)) from None
    _unique(path, types, lambda t: t.code, "code")
    return types


def _point(value: Any, area: ServiceArea, what: str) -> Coordinates:
    if not (isinstance(value, list) and len(value) == 2):
        raise ValueError(f"{what} must be a [lat, lon] pair, got {value!r}")
    return area.check(Coordinates(value[0], value[1]), what)


def _outlines(path: Path, area: ServiceArea, districts: set[str]) -> Outlines | None:
    """`outlines.json` (optional): polylines and labels in lat/lon, made by scripts/make_outlines.py."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ReferenceFileError(path, "syntax", str(error)) from None
    if not isinstance(data, dict):
        raise ReferenceFileError(path, "file", "must be a JSON object with source, lines and labels")
    where = "source"
    try:
        source = require_text("source", data.get("source"), 1000)
        lines = []
        for number, line in enumerate(data.get("lines") or [], start=1):
            where = f"lines[{number}]"
            kind, points = line.get("kind"), line.get("points")
            if kind not in OUTLINE_KINDS:
                raise ValueError(f"kind {kind!r} is not one of {', '.join(OUTLINE_KINDS)}")
            if not isinstance(points, list) or len(points) < 2:
                raise ValueError("points must list at least two [lat, lon] pairs")
            lines.append(MapLine(kind, tuple(_point(p, area, f"point {i}") for i, p in enumerate(points, start=1))))
        labels = []
        for number, label in enumerate(data.get("labels") or [], start=1):
            where = f"labels[{number}]"
            district = label.get("district")
            if district is not None and district not in districts:
                raise ValueError(f"district {district!r} is not in districts.csv")
            point = _point([label.get("lat"), label.get("lon")], area, "lat/lon")
            labels.append(MapLabel(require_text("name", label.get("name"), NAME_MAX), point, district))
    except (AttributeError, TypeError, ValueError, DomainError) as error:
        reason = "must be a JSON object" if isinstance(error, AttributeError) else _reason(error)
        raise ReferenceFileError(path, where, reason) from None
    return Outlines(source, tuple(lines), tuple(labels))


def load_reference(directory: str | Path) -> ReferenceData:
    """Read and check every file of a reference directory."""
    root = Path(directory)
    deployment = _deployment(root / "deployment.toml")
    area = deployment.service_area

    districts_file = root / "districts.csv"
    districts = list(_csv(districts_file, ["code", "name"], lambda r: District(r.text("code", 16), r.text("name"))))
    _unique(districts_file, districts, lambda d: d.code, "district code")
    codes = {d.code for d in districts}

    def station(r: _Row) -> StationSeed:
        district = r.choice("district", codes)
        name = r.text("name")
        return StationSeed(r.text("code", 32), name, district, Place(district, name, r.coordinates(area)), r.flag("active"))

    stations_file = root / "stations.csv"
    stations = list(_csv(stations_file, ["code", "name", "district", "lat", "lon", "active"], station))
    _unique(stations_file, stations, lambda s: s.code, "station code")
    station_codes = {s.code for s in stations}

    def unit(r: _Row) -> UnitSeed:
        staffing = Staffing(r.count("officers"), r.count("subofficers"), r.count("crew"))
        return UnitSeed(
            parse_callsign(r.get("callsign", "")), r.choice("kind", deployment.unit_kinds),
            r.choice("station", station_codes), r.flag("active"), staffing,
        )  # fmt: skip

    units_file = root / "units.csv"
    units = list(_csv(units_file, ["callsign", "kind", "station", "active", "officers", "subofficers", "crew"], unit))
    _unique(units_file, units, lambda u: u.callsign, "callsign")
    callsigns = {u.callsign for u in units}

    def target(r: _Row) -> AlertTargetSeed:
        served = tuple(parse_callsign(c) for c in r.get("units", "").split())
        unknown = [c for c in served if c not in callsigns]
        if unknown:
            raise ValueError(f"unknown units {', '.join(unknown)}")
        kind = AlertTargetType(r.choice("type", [t.value for t in AlertTargetType]))
        return AlertTargetSeed(r.text("code", 32), r.text("name"), kind, r.text("config"), served, r.flag("active"))

    targets_file = root / "alert_targets.csv"
    targets = list(_csv(targets_file, ["code", "name", "type", "config", "units", "active"], target))
    _unique(targets_file, targets, lambda t: t.code, "target code")

    def resource(r: _Row) -> ResourceSeed:
        capacity, in_use = r.count("capacity"), r.count("in_use")
        if in_use > capacity:
            raise ValueError(f"in_use {in_use} exceeds capacity {capacity}")
        kind = r.choice("resource_type", [t.value for t in ResourceType])
        return ResourceSeed(r.text("name"), kind, r.choice("district", codes), r.coordinates(area), capacity, in_use)

    resources_file = root / "resources.csv"
    header = ["name", "resource_type", "district", "lat", "lon", "capacity", "in_use"]
    resources = list(_csv(resources_file, header, resource)) if resources_file.exists() else []

    def place(r: _Row) -> GazetteerEntry:
        kind = r.choice("kind", ("place", "street", "intersection"))
        road_b = check_text("road_b", r.get("road_b", "").strip(), NAME_MAX)
        if (kind == "intersection") != (road_b is not None):
            raise ValueError("road_b is required for an intersection and only for one")
        return GazetteerEntry(kind, r.text("name"), r.choice("district", codes), r.coordinates(area), road_b)

    gazetteer_file = root / "gazetteer.csv"
    gazetteer = list(_csv(gazetteer_file, ["kind", "name", "district", "lat", "lon", "road_b"], place)) if gazetteer_file.exists() else []

    deployment = replace(deployment, outlines=_outlines(root / "outlines.json", area, codes))
    return ReferenceData(
        deployment=deployment,
        districts=tuple(districts),
        stations=tuple(stations),
        units=tuple(units),
        incident_types=tuple(_incident_types(root / "incident_types.toml", deployment)),
        alert_targets=tuple(targets),
        resources=tuple(resources),
        gazetteer=tuple(gazetteer),
    )
