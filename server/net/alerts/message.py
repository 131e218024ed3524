"""What a dispatch alert says: everything a crew needs to set off, read from the world at the
moment of sending, as a mail's subject and text and as a webhook's JSON body."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from server.domain.location import Address, Intersection, Location, Place, Relative
from server.domain.reference import AlertTarget
from server.domain.world import World


@dataclass(frozen=True, slots=True)
class Alert:
    unit_id: str
    callsign: str
    target: AlertTarget
    incident_id: str
    incident_type: str | None
    type_description: str | None
    priority: str | None
    location: str
    coordinates: tuple[float, float] | None
    description: str
    dispatched_at: datetime  # UTC
    local_time: str  # in the deployment's time zone, for people
    ack_url: str  # a page with a button: mail scanners that open links acknowledge nothing
    ack_confirm_url: str  # acknowledges on GET: for machines (webhook receivers) only

    @property
    def subject(self) -> str:
        what = " ".join(p for p in (self.priority, self.incident_type) if p) or "Incident"
        return f"DISPATCH {self.callsign}: {what} — {self.location}"

    def text(self) -> str:
        kind = f"{self.incident_type} ({self.type_description})" if self.type_description else self.incident_type
        lines = [
            f"{self.callsign} is dispatched to incident #{self.incident_id[:6]}.",
            "",
            f"Type:        {kind or 'not yet known'}",
            f"Priority:    {self.priority or 'not yet set'}",
            f"Location:    {self.location}",
        ]
        if self.coordinates:
            lat, lon = self.coordinates
            lines.append(
                f"Coordinates: {lat:.6f}, {lon:.6f} (https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=17/{lat}/{lon})"
            )
        lines += [f"Description: {self.description or '—'}", f"Dispatched:  {self.local_time}", "",
                  "Acknowledge (opens a page with one button):", self.ack_url, "",
                  f"Sent to {self.target.name}. If you cannot open the link, call dispatch by radio."]  # fmt: skip
        return "\n".join(lines) + "\n"

    def payload(self) -> dict[str, Any]:
        lat_lon = {"lat": self.coordinates[0], "lon": self.coordinates[1]} if self.coordinates else None
        return {
            "kind": "dispatch",
            "unit": self.callsign,
            "target": self.target.code,
            "incident_id": self.incident_id,
            "incident_type": self.incident_type,
            "incident_type_description": self.type_description,
            "priority": self.priority,
            "location": self.location,
            "coordinates": lat_lon,
            "description": self.description,
            "dispatched_at": self.dispatched_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "text": f"{self.subject}. {self.description}".strip(),
            "ack_url": self.ack_confirm_url,
        }


def location_words(location: Location | None, districts: dict[str, str]) -> str:
    if location is None:
        return "location not yet known"
    district = districts.get(location.district, location.district)
    match location:
        case Address(street=street, number=number):
            where = f"{number} {street}" if number else street
        case Intersection(road_a=a, road_b=b):
            where = f"{a} & {b}"
        case Place(name=name):
            where = name
        case Relative(reference=reference, details=details):
            return f"{details} — {reference}, {district}"
    return f"{where}, {district}" + (f" ({location.details})" if location.details else "")


def compose(world: World, unit_id: str, target_id: str, incident_id: str, now: datetime,
            links: tuple[str, str]) -> Alert:  # fmt: skip
    """The alert for one target, as the world stands now; `links` are the page and the
    machine acknowledgement URLs."""
    unit = world.units[unit_id]
    incident = world.incidents[incident_id]
    status = world.unit_status.get(unit_id)
    kind = world.incident_types.get(incident.incident_type or "")
    location = incident.location
    coordinates = location.coordinates if location is not None else None
    at = status.state_changed_at if status is not None and status.assigned_to_incident_id == incident_id else now
    local = at.astimezone(ZoneInfo(world.deployment.timezone))
    return Alert(
        unit_id=unit_id,
        callsign=unit.callsign,
        target=world.alert_targets[target_id],
        incident_id=incident_id,
        incident_type=incident.incident_type,
        type_description=kind.description if kind else None,
        priority=str(incident.incident_priority) if incident.incident_priority else None,
        location=location_words(location, {d.code: d.name for d in world.districts.values()}),
        coordinates=(coordinates.lat, coordinates.lon) if coordinates else None,
        description=incident.description,
        dispatched_at=at,
        local_time=f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()} ({world.deployment.timezone})",
        ack_url=links[0],
        ack_confirm_url=links[1],
    )
