"""Reference data of a deployment: read-only for dispatchers, loaded from files."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from server.domain.location import Location
from server.domain.values import Coordinates, ServiceArea, Staffing


class Priority(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    D = "D"
    N = "N"  # intra-agency operational order, shown apart from all others


class AlertTargetType(StrEnum):
    STATION_PRINTER = "station_printer"
    MOBILE_TERMINAL = "mobile_terminal"
    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True, slots=True)
class District:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Station:
    id: str
    code: str
    name: str
    district: str
    location: Location
    active: bool = True


@dataclass(frozen=True, slots=True)
class Unit:
    id: str
    callsign: str
    kind: str
    station_id: str
    active: bool = True


@dataclass(frozen=True, slots=True)
class IncidentType:
    code: str
    description: str
    priority: Priority
    desk: str
    plan: tuple[tuple[str, int], ...] = ()  # advisory response plan: (unit kind, count)
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertTarget:
    id: str
    code: str
    name: str
    type: AlertTargetType
    config: str
    unit_ids: frozenset[str] = frozenset()
    active: bool = True


DEFAULT_UNIT_KINDS = (
    "engine", "ladder", "rescue", "ambulance", "police",
    "public_works", "boat", "high_water", "command",
)  # fmt: skip
DEFAULT_DESKS = ("fire", "ems", "police", "public_works", "shelter")
# Average speed over the straight-line (great-circle) distance, in km/h: road speed already
# divided by how much the roads wind, in storm conditions. Used only to rank units by ETA.
DEFAULT_SPEEDS_KMH = (
    ("engine", 35.0), ("ladder", 30.0), ("rescue", 40.0), ("ambulance", 45.0),
    ("police", 50.0), ("public_works", 30.0), ("boat", 25.0), ("high_water", 25.0),
    ("command", 50.0),
)  # fmt: skip
FALLBACK_SPEED_KMH = 40.0  # for a deployment's kind that has no speed of its own

OUTLINE_KINDS = ("coast", "boundary")  # boundary: between two districts


@dataclass(frozen=True, slots=True)
class MapLine:
    """One polyline of the deployment's map, in the order its points join."""

    kind: str  # one of OUTLINE_KINDS
    points: tuple[Coordinates, ...]


@dataclass(frozen=True, slots=True)
class MapLabel:
    name: str
    coordinates: Coordinates
    district: str | None = None  # the deployment's district of that name, where there is one


@dataclass(frozen=True, slots=True)
class Outlines:
    """The coast and district outlines a map draws, converted once from a real dataset
    (docs/reference-data.md, "Map outlines"); `source` names it, licence included."""

    source: str
    lines: tuple[MapLine, ...]
    labels: tuple[MapLabel, ...] = ()


@dataclass(frozen=True, slots=True)
class StatsTargets:
    """Response-time targets of the statistics, in seconds (None: no target for that stage).
    Defaults from NFPA 1710: alarm processing 64 s, turnout 60 s for ambulances and 80 s for
    other units, travel 240 s, each to be met by `share` (90 %) of the responses."""

    call_processing_s: float | None = None
    alarm_processing_s: float | None = 64.0
    turnout_s: float | None = 80.0
    turnout_s_by_kind: tuple[tuple[str, float], ...] = (("ambulance", 60.0),)
    travel_s: float | None = 240.0
    total_response_s: float | None = None
    share: float = 0.9

    def turnout_for(self, kind: str) -> float | None:
        return dict(self.turnout_s_by_kind).get(kind, self.turnout_s)


@dataclass(frozen=True, slots=True)
class OverdueLimits:
    """How long, in seconds, before a flag: an incident waiting (new or queued), a unit
    dispatched but not en route, en route but not on scene, on scene."""

    waiting_s: float
    dispatched_s: float
    en_route_s: float
    on_scene_s: float


OVERDUE_STAGES = ("waiting_s", "dispatched_s", "en_route_s", "on_scene_s")
# Per priority. A: NFPA-like urgency (a minute's wait is already long); D and N may wait.
DEFAULT_OVERDUE = (
    ("A", OverdueLimits(waiting_s=120, dispatched_s=120, en_route_s=600, on_scene_s=3600)),
    ("B", OverdueLimits(waiting_s=300, dispatched_s=180, en_route_s=900, on_scene_s=5400)),
    ("C", OverdueLimits(waiting_s=900, dispatched_s=300, en_route_s=1800, on_scene_s=7200)),
    ("D", OverdueLimits(waiting_s=1800, dispatched_s=600, en_route_s=2700, on_scene_s=10800)),
    ("N", OverdueLimits(waiting_s=3600, dispatched_s=900, en_route_s=3600, on_scene_s=28800)),
)


@dataclass(frozen=True, slots=True)
class Deployment:
    """Deployment settings the rules depend on; the defaults are the Saint Lucia demo's."""

    name: str = "HurriNet demo"
    timezone: str = "America/St_Lucia"
    service_area: ServiceArea = ServiceArea(13.70, 14.12, -61.10, -60.86)
    unit_kinds: tuple[str, ...] = DEFAULT_UNIT_KINDS
    desks: tuple[str, ...] = DEFAULT_DESKS
    dispatch_timeout_s: float = 45.0
    archive_after_s: float = 24 * 3600.0  # an ended incident leaves the live state this long after
    vicinity_radius_m: float = 1000.0
    speeds_kmh: tuple[tuple[str, float], ...] = DEFAULT_SPEEDS_KMH
    # Only drawn, never reasoned on; a deployment without them still gets a map of its points.
    outlines: Outlines | None = None
    stats_targets: StatsTargets = StatsTargets()
    overdue: tuple[tuple[str, OverdueLimits], ...] = DEFAULT_OVERDUE  # per priority

    def speed_kmh(self, kind: str) -> float:
        return dict(self.speeds_kmh).get(kind, FALLBACK_SPEED_KMH)


@dataclass(frozen=True, slots=True)
class StationSeed:
    code: str
    name: str
    district: str
    location: Location
    active: bool


@dataclass(frozen=True, slots=True)
class UnitSeed:
    """A unit as a reference file describes it, with its default staffing."""

    callsign: str
    kind: str
    station_code: str
    active: bool
    staffing: Staffing | None


@dataclass(frozen=True, slots=True)
class AlertTargetSeed:
    code: str
    name: str
    type: AlertTargetType
    config: str
    callsigns: tuple[str, ...]
    active: bool


@dataclass(frozen=True, slots=True)
class ResourceSeed:
    name: str
    resource_type: str
    district: str
    coordinates: Coordinates
    capacity: int
    in_use: int


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    kind: str  # place | street | intersection
    name: str
    district: str
    coordinates: Coordinates
    road_b: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceData:
    """Everything a deployment's reference directory holds, validated, keyed by natural keys
    (district and station codes, callsigns, target codes); the store gives them Nano IDs."""

    deployment: Deployment
    districts: tuple[District, ...]
    stations: tuple[StationSeed, ...]
    units: tuple[UnitSeed, ...]
    incident_types: tuple[IncidentType, ...]
    alert_targets: tuple[AlertTargetSeed, ...]
    resources: tuple[ResourceSeed, ...] = ()
    gazetteer: tuple[GazetteerEntry, ...] = ()
