"""Reference data: the shipped demo set meets its brief; bad files name file, line, reason."""

import shutil

import pytest

from server.reference import DEMO, ReferenceFileError, load_reference


@pytest.fixture(scope="module")
def demo():
    return load_reference(DEMO)


def test_demo_set_covers_the_deployment(demo):
    assert {d.code for d in demo.districts} == {"CAS", "GI", "ALR", "CAN", "SOU", "CHO", "LAB", "VF", "MIC", "DEN"}
    assert len(demo.stations) >= 8
    assert len(demo.units) >= 40
    assert {u.kind for u in demo.units} == set(demo.deployment.unit_kinds)
    assert len(demo.incident_types) >= 20
    assert "N" in {t.priority for t in demo.incident_types}
    shelters = [r for r in demo.resources if r.resource_type == "SHELTER"]
    assert len(shelters) >= 15 and {r.resource_type for r in demo.resources} == {"SHELTER", "MEDICAL", "SUPPLIES", "WATER"}
    assert len(demo.gazetteer) >= 150
    assert all(demo.deployment.service_area.contains(g.coordinates) for g in demo.gazetteer)


def test_some_demo_units_have_no_alert_target(demo):
    served = {c for t in demo.alert_targets if t.active for c in t.callsigns}
    assert {u.callsign for u in demo.units if u.active} - served  # the warning path is demonstrable


def test_hurricane_work_is_covered(demo):
    words = " ".join(t.description.lower() for t in demo.incident_types)
    for topic in ("flood", "surge", "wind", "line", "structure fire", "medical", "trapped", "landslide",
                  "shelter", "water", "road"):  # fmt: skip
        assert topic in words, topic


@pytest.fixture
def broken(tmp_path):
    copy = tmp_path / "ref"
    shutil.copytree(DEMO, copy)
    return copy


def rewrite(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.mark.parametrize(
    "file, old, new, where, reason",
    [
        ("units.csv", "E1,engine,CAS-F", "E1,tank,CAS-F", "line 2", "kind 'tank'"),
        ("units.csv", "E2,engine,CAS-F", "E1,engine,CAS-F", "entry 2", "duplicate callsign"),
        ("units.csv", "E1,engine,CAS-F", "E1,engine,NOPE", "line 2", "station 'NOPE'"),
        ("stations.csv", "14.0093,-60.9860", "15.0093,-60.9860", "line 2", "outside the service area"),
        ("districts.csv", "code,name", "code,label", "line 1", "header"),
        ("alert_targets.csv", "E1 E2", "E1 ZZ9", "line 2", "unknown units ZZ9"),
        ("incident_types.toml", 'code = "FLOOD"', 'code = "FLOOD-ZONE-1"', "type 1 (FLOOD-ZONE-1)", "1–10 letters"),
        ("incident_types.toml", 'desk = "public_works"', 'desk = "kitchen"', "type 1 (FLOOD)", "desk 'kitchen'"),
        ("gazetteer.csv", "place,Derek Walcott Square,CAS", "place,Derek Walcott Square,XX", "line 2", "district 'XX'"),
        ("deployment.toml", "boat = 25", "tank = 25", "settings", "unknown unit kind 'tank'"),
        ("deployment.toml", "boat = 25", "boat = 0", "settings", "speeds_kmh.boat must be a number"),
        ("deployment.toml", '"shelter"]', f'"{"x" * 33}"]', "settings", f"desk '{'x' * 33}' must be 1–32 characters"),
        ("deployment.toml", '"command"]', '""]', "settings", "unit kind '' must be 1–32 characters"),
    ],
)  # fmt: skip
def test_bad_files_name_the_file_the_line_and_the_reason(broken, file, old, new, where, reason):
    rewrite(broken / file, old, new)
    with pytest.raises(ReferenceFileError) as caught:
        load_reference(broken)
    assert caught.value.path.name == file and caught.value.where == where
    assert reason in caught.value.reason


def test_missing_file_is_named(broken):
    (broken / "units.csv").unlink()
    with pytest.raises(ReferenceFileError, match="units.csv: file: missing"):
        load_reference(broken)


def test_speeds_per_kind_come_from_the_deployment_with_a_fallback(broken, demo):
    assert demo.deployment.speed_kmh("ambulance") == 45 and demo.deployment.speed_kmh("boat") == 25
    rewrite(broken / "deployment.toml", "boat = 25", "")
    rewrite(broken / "deployment.toml", '"command"]', '"command", "drone"]')
    deployment = load_reference(broken).deployment
    assert deployment.speed_kmh("boat") == 25  # the default for a known kind
    assert deployment.speed_kmh("drone") == 40  # a deployment's own kind without a speed
