"""Per-user preferences on a real file system: round trip, broken files, atomic replacement."""

from __future__ import annotations

import json
import os

import pytest

from hurrinet_tui.preferences import Preferences, PreferencesError, file_name, parse


def test_preferences_round_trip_and_keep_what_a_newer_workstation_wrote(tmp_path):
    path = tmp_path / "preferences" / "maria.json"
    path.parent.mkdir()
    path.write_text(json.dumps({"format": 1, "layout": "triage", "font": {"size": 3}}))
    preferences = Preferences.load(path)
    assert (preferences.layout, preferences.theme, preferences.problem) == ("triage", None, None)

    assert preferences.change(theme="monochrome", layout="wide")
    preferences.save()
    again = Preferences.load(path)
    assert (again.layout, again.theme) == ("wide", "monochrome")
    assert again.other == {"font": {"size": 3}}  # unknown keys survive a save
    assert not again.change(layout="wide")  # nothing changed, nothing to write


def test_no_file_yet_means_defaults(tmp_path):
    preferences = Preferences.load(tmp_path / "nobody.json")
    assert (preferences.layout, preferences.theme, preferences.problem) == (None, None, None)
    preferences.change(layout="triage")
    preferences.save()  # creates the directory and the file
    assert Preferences.load(tmp_path / "nobody.json").layout == "triage"


@pytest.mark.parametrize(
    "text, problem",
    [
        ("{not json", "not JSON"),
        ("[1, 2]", "expected an object of preferences, found list"),
        ('{"layout": 3}', "layout must be a name"),
        ('{"theme": ""}', "theme must be a name"),
        ('{"format": 7}', "format 7"),
    ],
)
def test_a_broken_file_is_reported_and_ignored_never_raised(tmp_path, text, problem):
    path = tmp_path / "maria.json"
    path.write_text(text)
    preferences = Preferences.load(path)
    assert problem in preferences.problem and str(path) in preferences.problem
    assert (preferences.layout, preferences.theme) == (None, None)


def test_saving_over_a_broken_file_keeps_it_aside(tmp_path):
    path = tmp_path / "maria.json"
    path.write_text('{"layout": "triage",}')  # a hand edit with a trailing comma
    preferences = Preferences.load(path)
    preferences.change(layout="wide")
    preferences.save()
    assert (tmp_path / "maria.json.corrupt").read_text() == '{"layout": "triage",}'
    assert parse(path.read_text())["layout"] == "wide"
    assert Preferences.load(path).problem is None


def test_a_save_replaces_the_file_whole_and_leaves_no_temporary_behind(tmp_path):
    path = tmp_path / "maria.json"
    path.write_text('{"layout": "old"}')
    inode = os.stat(path).st_ino
    preferences = Preferences.load(path)
    preferences.change(layout="new")
    preferences.save()
    assert os.stat(path).st_ino != inode  # a new file moved into place, not the old one rewritten
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maria.json"]


def test_a_write_that_fails_says_so_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "maria.json"
    path.mkdir()  # something that is not a file stands where the file goes: os.replace refuses
    (path / "keep").write_text("x")
    preferences = Preferences(path=path)
    preferences.change(layout="new")
    with pytest.raises(OSError):
        preferences.save()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["maria.json"]
    assert (path / "keep").read_text() == "x"


def test_preferences_without_a_path_stay_in_memory(tmp_path):
    preferences = Preferences()
    preferences.change(layout="triage")
    preferences.save()
    assert preferences.layout == "triage" and list(tmp_path.iterdir()) == []


def test_bad_changes_are_refused_by_name():
    with pytest.raises(PreferencesError, match="unknown preference 'colour'"):
        Preferences().change(colour="red")
    with pytest.raises(PreferencesError, match="layout must be a name of 1–40 characters"):
        Preferences().change(layout="x" * 41)


@pytest.mark.parametrize(
    "user, expected",
    [("maria", "maria.json"), ("dispatcher-2", "dispatcher-2.json"), ("j.smith", "j.smith.json")],
)
def test_plain_user_names_are_their_own_file_names(user, expected):
    assert file_name(user) == expected


def test_other_user_names_get_safe_and_distinct_file_names():
    names = [file_name(u) for u in ("Maria", "maria ", "ana b", "ana_b", "ANA_B", "../etc/passwd", ".hidden", "José")]
    assert len(set(names)) == len(names)  # no two users share a file, whatever the file system's case rules
    for name in names:
        assert "/" not in name and not name.startswith(".") and name.endswith(".json")
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert file_name("ana_b") == "ana_b.json"
    with pytest.raises(PreferencesError, match="user name"):
        file_name("")
