"""Themes without colour and the user's preferences, in the real app: against the fixed scene for
how things look, against a real server for preferences loaded when the server names the user."""

from __future__ import annotations

import json

from textual import on
from textual.screen import Screen

from hurrinet_tui import themes
from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import Backoff, LinkState, LinkStatus, ServerLink
from hurrinet_tui.messages import PreferencesLoaded
from hurrinet_tui.widgets.incident_board import IncidentBoard
from hurrinet_tui.widgets.unit_roster import UnitRoster

from .conftest import CONNECTED, StaticLink, until
from .test_lock import shown

BOARD_STATES = ("board--prio-a", "board--prio-b", "board--prio-n", "board--ended", "board--new")
ROSTER_STATES = ("roster--available", "roster--assigned", "roster--alerting", "roster--busy", "roster--scene",
                 "roster--out")  # fmt: skip


def weight(style) -> tuple:
    """What is left of a style without colour."""
    return (bool(style.bold), bool(style.italic), bool(style.underline), bool(style.reverse), bool(style.dim))


def weights(widget, components) -> list[tuple]:
    return [weight(widget.get_component_rich_style(c, partial=True)) for c in components]


def distinct(values: list[tuple]) -> bool:
    return len(set(values)) == len(values)


def static(scene_snapshot, **options) -> HurriNetApp:
    return HurriNetApp(StaticLink(scene_snapshot, options.pop("status", CONNECTED)), start_link=False, **options)


async def test_in_monochrome_every_state_differs_by_text_style_alone(scene_snapshot):
    app = static(scene_snapshot, monochrome=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.theme == themes.MONOCHROME and app.has_class("-monochrome")
        board, roster = app.main_screen.query_one(IncidentBoard), app.main_screen.query_one(UnitRoster)
        plain = weight(board.rich_style)
        assert distinct([plain, *weights(board, BOARD_STATES)])
        assert distinct(weights(roster, ROSTER_STATES))  # available is the plain one
        cursor, blurred = weights(board, ("grid--cursor", "grid--cursor-blurred"))
        assert distinct([plain, cursor, blurred])


async def test_in_colour_the_same_states_lean_on_colour(scene_snapshot):
    """Why monochrome.tcss exists: with colour, some states differ by colour only."""
    app = static(scene_snapshot)
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.pause()
        assert app.theme == themes.DEFAULT and not app.has_class("-monochrome")
        roster = app.main_screen.query_one(UnitRoster)
        assert not distinct(weights(roster, ROSTER_STATES))


async def test_a_dropped_link_reads_without_colour(scene_snapshot):
    down = LinkStatus(LinkState.RECONNECTING, attempt=2, retry_in=3.0, user="maria", role="dispatcher")
    app = static(scene_snapshot, monochrome=True, status=down)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.main_screen.status_bar.rich_style.reverse
    app = static(scene_snapshot, monochrome=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.main_screen.status_bar.rich_style.reverse


async def test_no_color_in_the_environment_means_monochrome(scene_snapshot, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = static(scene_snapshot, config_theme="nord")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.no_color and app.theme == themes.MONOCHROME and app.has_class("-monochrome")
        await pilot.press("ctrl+t")  # a colour theme may be picked: Textual turns it to grey
        assert app.theme == themes.DEFAULT and app.has_class("-monochrome")
        await pilot.press("ctrl+t")
        assert app.theme == themes.MONOCHROME
        app.theme = "ansi-dark"  # the palette offers it: through NO_COLOR it would be black on black
        assert app.theme == themes.MONOCHROME


async def test_ctrl_t_walks_the_themes_and_the_config_sets_the_first(scene_snapshot):
    app = static(scene_snapshot, config_theme="ansi-dark")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"
        seen = []
        for _ in themes.CYCLE:
            await pilot.press("ctrl+t")
            seen.append((app.theme, app.has_class("-monochrome")))
        # the 16 terminal colours lean on text styles as grey does
        assert seen == [(themes.DEFAULT, False), (themes.MONOCHROME, True), ("ansi-dark", True)]


# --- preferences, loaded once a real server names the user ---------------------------------------
def link_to(live) -> ServerLink:
    return ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.02, cap=0.1), compression=False)


def saved(directory) -> dict:
    return json.loads((directory / "dispatcher.json").read_text())


class Recorder(Screen):
    """Stands in for a screen that lays itself out from the preferences."""

    def __init__(self) -> None:
        super().__init__()
        self.told = []

    @on(PreferencesLoaded)
    def preferences_loaded(self, message: PreferencesLoaded) -> None:
        self.told.append(message.preferences.layout)


async def test_preferences_load_when_the_server_names_the_user_and_changes_are_kept(live, tmp_path):
    (tmp_path / "dispatcher.json").write_text(json.dumps({"layout": "triage", "theme": "monochrome"}))
    app = HurriNetApp(link_to(live), preferences_dir=tmp_path, start_link=False)
    async with app.run_test(size=(80, 24)) as pilot:
        recorder = Recorder()
        await app.push_screen(recorder)
        app.state.link.start()
        await until(pilot, lambda: app.preferences_user == "dispatcher")
        await until(pilot, lambda: recorder.told == ["triage"])  # a message: handled on the screen's turn
        assert app.state.preferences.layout == "triage" and app.theme == themes.MONOCHROME

        app.update_preferences(layout="wide")
        await pilot.press("ctrl+t")
        assert saved(tmp_path) == {"format": 1, "layout": "wide", "theme": "ansi-dark"}

    again = HurriNetApp(link_to(live), preferences_dir=tmp_path)
    async with again.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: again.preferences_user == "dispatcher")
        assert (again.state.preferences.layout, again.theme) == ("wide", "ansi-dark")


async def test_a_choice_made_before_the_server_answers_is_not_lost(live, tmp_path):
    (tmp_path / "dispatcher.json").write_text(json.dumps({"layout": "triage"}))
    app = HurriNetApp(link_to(live), preferences_dir=tmp_path, start_link=False)
    async with app.run_test(size=(80, 24)) as pilot:
        app.update_preferences(layout="wide")
        assert saved(tmp_path)["layout"] == "triage"  # no user yet, so no file to write
        app.state.link.start()
        await until(pilot, lambda: app.preferences_user == "dispatcher")
        assert app.state.preferences.layout == "wide" and saved(tmp_path)["layout"] == "wide"


async def test_monochrome_on_the_command_line_beats_a_saved_theme(live, tmp_path):
    (tmp_path / "dispatcher.json").write_text(json.dumps({"theme": "textual-light"}))
    app = HurriNetApp(link_to(live), preferences_dir=tmp_path, monochrome=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.preferences_user == "dispatcher")
        assert app.theme == themes.MONOCHROME
        assert saved(tmp_path) == {"theme": "textual-light"}  # a session's choice, not written


async def test_broken_preferences_are_reported_once_and_the_workstation_opens(live, tmp_path):
    (tmp_path / "dispatcher.json").write_text('{"layout": ')
    app = HurriNetApp(link_to(live), preferences_dir=tmp_path)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await until(pilot, lambda: app.preferences_user == "dispatcher")
        await until(pilot, lambda: "could not be read" in shown(app))
        assert app.state.preferences.layout is None and app.main_screen.board.keys is not None
        app.update_preferences(layout="wide")
        assert saved(tmp_path)["layout"] == "wide"
        assert (tmp_path / "dispatcher.json.corrupt").read_text() == '{"layout": '


async def test_an_unknown_saved_theme_is_reported_and_ignored(live, tmp_path):
    (tmp_path / "dispatcher.json").write_text(json.dumps({"theme": "sunset"}))
    app = HurriNetApp(link_to(live), preferences_dir=tmp_path)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await until(pilot, lambda: app.preferences_user == "dispatcher")
        await until(pilot, lambda: "unknown theme 'sunset'" in shown(app))
        assert app.theme == themes.DEFAULT
