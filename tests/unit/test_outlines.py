"""Map outlines: the demo's file (converted from Natural Earth by scripts/make_outlines.py) loads
and reaches the snapshot; a deployment without one loads without; a bad file names the entry."""

import json
import shutil

import pytest

from server.app import wire
from server.reference import DEMO, ReferenceFileError, load_reference


@pytest.fixture(scope="module")
def demo():
    return load_reference(DEMO)


def test_demo_outlines_are_the_coast_and_district_boundaries(demo):
    outlines = demo.deployment.outlines
    assert outlines is not None and "Natural Earth" in outlines.source
    kinds = {line.kind for line in outlines.lines}
    assert kinds == {"coast", "boundary"}
    area = demo.deployment.service_area
    assert all(area.contains(p) for line in outlines.lines for p in line.points)
    # The coast closes on itself: every coast end meets another line's end (an island, not a fragment).
    ends = [p for line in outlines.lines if line.kind == "coast" for p in (line.points[0], line.points[-1])]
    assert all(ends.count(p) % 2 == 0 for p in ends)
    # Labels are tied to the deployment's districts where the names agree (Anse-la-Raye = Anse la Raye).
    tied = {label.name: label.district for label in outlines.labels}
    assert tied["Anse-la-Raye"] == "ALR" and tied["Soufrière"] == "SOU" and tied["Castries"] == "CAS"
    assert tied["Dauphin"] is None  # a Natural Earth quarter the demo folds into another district


def test_the_snapshot_carries_the_outlines_in_a_few_kilobytes(demo):
    shape = wire.deployment(demo.deployment)["outlines"]
    assert shape["lines"][0]["kind"] in ("coast", "boundary")
    lat, lon = shape["lines"][0]["points"][0]
    assert demo.deployment.service_area.lat_min <= lat <= demo.deployment.service_area.lat_max
    assert {"name": "Castries", "district": "CAS", "lat": 14.0004, "lon": -60.9749} in shape["labels"]
    assert len(json.dumps(shape, separators=(",", ":"))) < 5000


@pytest.fixture
def copy(tmp_path):
    target = tmp_path / "ref"
    shutil.copytree(DEMO, target)
    return target


def test_a_deployment_without_outlines_loads_and_sends_none(copy):
    (copy / "outlines.json").unlink()
    deployment = load_reference(copy).deployment
    assert deployment.outlines is None
    assert "outlines" not in wire.deployment(deployment)


@pytest.mark.parametrize(
    "change, where, reason",
    [
        (lambda d: d["lines"][0].update(kind="river"), "lines[1]", "kind 'river'"),
        (lambda d: d["lines"][2].update(points=[[14.0, -60.9]]), "lines[3]", "at least two"),
        (lambda d: d["lines"][0]["points"].append([15.0, -60.9]), "lines[1]", "outside the service area"),
        (lambda d: d["lines"][0]["points"].append([14.0]), "lines[1]", "[lat, lon] pair"),
        (lambda d: d["labels"][1].update(district="NOPE"), "labels[2]", "district 'NOPE'"),
        (lambda d: d.pop("source"), "source", "source"),
    ],
)
def test_a_bad_outlines_file_names_the_entry_and_the_reason(copy, change, where, reason):
    path = copy / "outlines.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ReferenceFileError) as caught:
        load_reference(copy)
    assert caught.value.path == path and caught.value.where == where and reason in caught.value.reason


def test_an_outlines_file_that_is_not_json_is_named(copy):
    (copy / "outlines.json").write_text("{lines: oops", encoding="utf-8")
    with pytest.raises(ReferenceFileError) as caught:
        load_reference(copy)
    assert caught.value.where == "syntax"
