"""Statistics targets and overdue limits as deployment settings: defaults, overrides, errors."""

from __future__ import annotations

import shutil

import pytest

from server.domain.reference import Deployment, OverdueLimits, StatsTargets
from server.reference import DEMO, ReferenceFileError, load_reference


@pytest.fixture
def deployment_toml(tmp_path):
    copy = tmp_path / "ref"
    shutil.copytree(DEMO, copy)
    return copy / "deployment.toml"


def without_settings(path) -> str:
    """The demo's deployment.toml up to its statistics and overdue tables."""
    return path.read_text(encoding="utf-8").split("# Response-time targets")[0]


def test_the_demo_states_the_nfpa_defaults():
    deployment = load_reference(DEMO).deployment
    assert deployment.stats_targets == StatsTargets()
    assert (StatsTargets().alarm_processing_s, StatsTargets().travel_s, StatsTargets().share) == (64, 240, 0.9)
    assert StatsTargets().turnout_for("ambulance") == 60 and StatsTargets().turnout_for("engine") == 80
    assert deployment.overdue == Deployment().overdue
    assert [p for p, _ in deployment.overdue] == ["A", "B", "C", "D", "N"]


def test_left_out_settings_take_the_defaults(deployment_toml):
    deployment_toml.write_text(without_settings(deployment_toml), encoding="utf-8")
    deployment = load_reference(deployment_toml.parent).deployment
    assert deployment.stats_targets == StatsTargets() and deployment.overdue == Deployment().overdue


def test_a_deployment_overrides_what_it_names(deployment_toml):
    deployment_toml.write_text(without_settings(deployment_toml) + (
        "[stats_targets]\ntotal_response_s = 480\nshare = 0.8\n"
        "[stats_targets.turnout_s_by_kind]\nboat = 120\n"
        "[overdue.A]\nwaiting_s = 60\n"
    ), encoding="utf-8")  # fmt: skip
    deployment = load_reference(deployment_toml.parent).deployment
    targets = deployment.stats_targets
    assert (targets.total_response_s, targets.share, targets.travel_s) == (480, 0.8, 240)
    assert targets.turnout_for("boat") == 120 and targets.turnout_for("ambulance") == 80  # the table replaced
    limits = dict(deployment.overdue)
    assert limits["A"] == OverdueLimits(60, 120, 600, 3600)
    assert limits["B"] == dict(Deployment().overdue)["B"]


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        ("[stats_targets]\ntravel = 240\n", "stats_targets has unknown setting 'travel'"),
        ("[stats_targets]\ntravel_s = -1\n", "stats_targets.travel_s must be a number of seconds above 0"),
        ("[stats_targets]\nshare = 90\n", "stats_targets.share must be a fraction above 0 and at most 1"),
        ("[stats_targets.turnout_s_by_kind]\nhovercraft = 60\n", "names unknown unit kind 'hovercraft'"),
        ("[overdue.E]\nwaiting_s = 60\n", "overdue names unknown priority 'E'"),
        ("[overdue.A]\nwaiting = 60\n", "overdue.A has unknown setting 'waiting'"),
        ("[overdue.B]\non_scene_s = true\n", "overdue.B.on_scene_s must be a number of seconds"),
    ],
)
def test_bad_settings_name_the_setting(deployment_toml, extra, reason):
    deployment_toml.write_text(without_settings(deployment_toml) + extra, encoding="utf-8")
    with pytest.raises(ReferenceFileError) as caught:
        load_reference(deployment_toml.parent)
    assert "deployment.toml" in str(caught.value) and reason in str(caught.value)
