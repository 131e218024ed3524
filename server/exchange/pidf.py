"""PIDF-LO (RFC 4119, civic RFC 5139, geo RFC 5491), the form an EIDO carries a location in.

Written: one device whose location-info holds a civic address and, when known, a GML point.
Read: the first civic address and the first `gml:pos` anywhere in the document. A document
with a DTD or entity declaration is refused before it is parsed, so no entity is ever expanded.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

PIDF = "urn:ietf:params:xml:ns:pidf"
GEOPRIV = "urn:ietf:params:xml:ns:pidf:geopriv10"
CIVIC = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
GML = "http://www.opengis.net/gml"
DATA_MODEL = "urn:ietf:params:xml:ns:pidf:data-model"
WGS84_2D = "urn:ogc:def:crs:EPSG::4326"

for _prefix, _uri in (("", PIDF), ("gp", GEOPRIV), ("ca", CIVIC), ("gml", GML), ("dm", DATA_MODEL)):
    ET.register_namespace(_prefix, _uri)

# RFC 5139 civic elements this system writes, in the order it writes them.
CIVIC_ORDER = ("country", "A1", "A2", "A3", "PRD", "POD", "STS", "HNO", "HNS", "LMK", "LOC", "NAM", "RD")


@dataclass(frozen=True, slots=True)
class PidfLocation:
    civic: dict[str, str] = field(default_factory=dict)  # RFC 5139 element name → text
    point: tuple[float, float] | None = None  # (lat, lon), WGS84


class PidfError(ValueError):
    """Not a PIDF-LO document this system can read."""


def to_pidf(entity: str, device_id: str, location: PidfLocation) -> str:
    presence = ET.Element(f"{{{PIDF}}}presence", {"entity": entity})
    device = ET.SubElement(presence, f"{{{DATA_MODEL}}}device", {"id": device_id})
    geopriv = ET.SubElement(device, f"{{{GEOPRIV}}}geopriv")
    info = ET.SubElement(geopriv, f"{{{GEOPRIV}}}location-info")
    if location.civic:
        address = ET.SubElement(info, f"{{{CIVIC}}}civicAddress")
        for name in CIVIC_ORDER:
            if location.civic.get(name):
                ET.SubElement(address, f"{{{CIVIC}}}{name}").text = location.civic[name]
    if location.point is not None:
        point = ET.SubElement(info, f"{{{GML}}}Point", {"srsName": WGS84_2D})
        ET.SubElement(point, f"{{{GML}}}pos").text = f"{location.point[0]} {location.point[1]}"
    ET.SubElement(geopriv, f"{{{GEOPRIV}}}usage-rules")
    ET.SubElement(geopriv, f"{{{GEOPRIV}}}method").text = "Manual"
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(presence, encoding="unicode")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def from_pidf(text: str) -> PidfLocation:
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise PidfError("a DTD or entity declaration is not accepted")
    try:
        root = ET.fromstring(text.strip())
    except ET.ParseError as error:
        raise PidfError(f"not well-formed XML ({error})") from None
    civic: dict[str, str] = {}
    point = None
    for element in root.iter():
        name = _local(element.tag)
        if name == "civicAddress" and not civic:
            civic = {_local(c.tag): (c.text or "").strip() for c in element if (c.text or "").strip()}
        elif name == "pos" and point is None:
            point = _point(element.text or "")
    return PidfLocation(civic, point)


def _point(text: str) -> tuple[float, float]:
    parts = text.split()
    try:
        lat, lon = (float(p) for p in parts[:2])
    except ValueError:
        raise PidfError(f"gml:pos {text.strip()!r} is not two numbers") from None
    if len(parts) not in (2, 3) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise PidfError(f"gml:pos {text.strip()!r} is not a WGS84 latitude and longitude")
    return lat, lon
