"""The supervisor screen (Ctrl+S): at the keyboard against a real server on 127.0.0.1, and as
snapshots of the fixed hurricane-night scene (its figures computed by the real command runner),
at 80×24, 160×50 and in monochrome. Overdue flags on the board and roster, and their toasts."""

from __future__ import annotations

import io
import itertools
import json
from datetime import timedelta

import pytest
from rich.console import Console

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import CommandFailed, LinkState, LinkStatus
from hurrinet_tui.overdue import all_flags
from hurrinet_tui.screens.supervisor import SupervisorScreen, figures_table
from server.domain.world import Actor
from tests.support import history, scene
from tests.support.desk import CASTRIES_SQUARE, open_desk

from .conftest import StaticLink, live_app, until

SUPERVISOR = LinkStatus(LinkState.CONNECTED, user="sofia", role="supervisor")


class DeskLink(StaticLink):
    """The scene's snapshot, and commands answered in-process by the scene's real runner (its
    clock stands still, so the figures are the same every run)."""

    def __init__(self, desk, snapshot: dict) -> None:
        super().__init__(snapshot, SUPERVISOR)
        self.desk = desk
        self._ids = itertools.count()

    async def command(self, name: str, args: dict | None = None) -> dict:
        outcome = self.desk.runner.run(f"sup-{next(self._ids)}", name, args or {}, Actor("sofia", "supervisor"))
        result = json.loads(json.dumps(outcome.result))  # as it would cross the wire
        if not outcome.ok:
            raise CommandFailed(result["code"], result["message"], result.get("details"))
        return result


@pytest.fixture(scope="module")
def scene_desk(template_db, tmp_path_factory):
    desk = open_desk(template_db, tmp_path_factory.mktemp("supervisor-scene"), history.clock())
    history.play(desk)
    snapshot = scene.build(desk)
    yield desk, snapshot
    desk.runner.store.engine.dispose()


def scene_app(scene_desk, monochrome: bool = False) -> HurriNetApp:
    desk, snapshot = scene_desk
    return HurriNetApp(DeskLink(desk, snapshot), now=lambda: scene.NOW, start_link=False, monochrome=monochrome)


async def open_supervisor(pilot) -> SupervisorScreen:
    pilot.app.main_screen.command_input.cursor_blink = False
    await pilot.press("ctrl+s")
    screen = pilot.app.screen
    assert isinstance(screen, SupervisorScreen)
    await until(pilot, lambda: screen.figures is not None)
    pilot.app.clear_notifications()  # the overdue toast comes and goes with the clock: not in the picture
    await pilot.pause()
    return screen


def text(widget) -> str:
    return str(widget.render())


def rendered(renderable, width: int = 78) -> str:
    console = Console(width=width, record=True, color_system=None, file=io.StringIO())
    console.print(renderable)
    return console.export_text()


async def test_the_scene_in_figures(scene_desk):
    """What the snapshots show, checked in words: the stages, the overdue count, the plots."""
    app = scene_app(scene_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_supervisor(pilot)
        stages = screen.figures["stages"]
        # Three hours of history (26 incidents from calls) and the scene's 7 incidents (one call).
        assert screen.figures["incidents"] == 33 and stages["call_processing"]["count"] == 27
        assert not stages["travel"]["target_met"]  # the seeded storm misses NFPA's travel time
        assert "Supervisor · 33 incidents" in text(screen.title_line)
        table = rendered(figures_table(screen.figures))
        assert "✗ under 90%" in table and "✓ met" not in table and "3:54" in table  # travel median
        overdue = text(screen.overdue_line)
        assert overdue.startswith("! ") and "overdue" in overdue
        assert screen.waiting.words.render() and "peak" in text(screen.waiting.words)
        assert screen.distribution["A"].display and not screen.distribution["N"].display
        await pilot.press("b")
        assert screen.breakdown.border_title == "By district: median / 90th (b: next)"
        await pilot.press("escape")
        assert not isinstance(app.screen, SupervisorScreen)


def test_supervisor_at_80x24(snap_compare, scene_desk):
    """You should see the title with 33 incidents, the overdue line, the five stages with
    median, 90th, target and 'met' in words, then the waiting and utilisation sparklines."""
    assert snap_compare(scene_app(scene_desk), terminal_size=(80, 24), run_before=open_supervisor)


def test_supervisor_at_160x50(snap_compare, scene_desk):
    """You should see everything at once: stages, plots over the storm, response by priority,
    resources in use and the breakdown by priority."""
    assert snap_compare(scene_app(scene_desk), terminal_size=(160, 50), run_before=open_supervisor)


def test_supervisor_in_monochrome(snap_compare, scene_desk):
    """You should see the same screen in grey: 'met' and '✗ under 90%' in words, the overdue
    count reversed, the bars as heights."""
    assert snap_compare(scene_app(scene_desk, monochrome=True), terminal_size=(80, 24), run_before=open_supervisor)


async def test_overdue_rows_are_marked_and_announced_once(scene_desk):
    app = scene_app(scene_desk)
    async with app.run_test(size=(160, 50)) as pilot:
        board = app.main_screen.board
        await pilot.pause()
        marked = [key for key in board.keys if board.cells(key)[-1][1] == "board--overdue"]
        waiting = [key for key in marked if app.state.link.replica.incidents[key]["state"] in ("new", "queued")]
        assert marked and marked == waiting
        assert all(board.cells(key)[-1][0].startswith("!") for key in marked)
        roster = app.main_screen.roster
        units = [key for key in roster.keys if roster.cells(key)[5][1] == "roster--overdue"]
        assert len(units) == 1 and roster.cells(units[0])[5][0].startswith("!")
        # Standing when the workstation first looked: on the rows, not toasted.
        app.main_screen.tick()
        await pilot.pause()
        assert [n for n in app._notifications if n.title == "Overdue"] == []
        # Hours on, more limits run out (E1 and L1 on scene past an hour at the A fire…): news.
        replica, later = app.state.link.replica, scene.NOW + timedelta(hours=3)
        standing = {f.identity for f in all_flags(replica.incidents, replica.units, replica.deployment, scene.NOW)}
        new = [f for f in all_flags(replica.incidents, replica.units, replica.deployment, later)
               if f.identity not in standing]  # fmt: skip
        assert new
        app.state.now = lambda: later
        app.main_screen.tick()
        app.main_screen.tick()  # the next second: nothing new to say
        await pilot.pause()
        toasts = [n.message for n in app._notifications if n.title == "Overdue"]
        assert len(toasts) == (1 if len(new) > 3 else len(new)), toasts


async def test_a_supervisor_at_the_keyboard_against_a_real_server(live):
    app = live_app(live, role="supervisor")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        link = app.state.link
        created = await link.command("incident.create", {"incident_type": "FLOOD", "incident_priority": "A",
                                                         "location": CASTRIES_SQUARE})  # fmt: skip
        await link.command("unit.set_state", {"unit": "E1", "state": "available_radio"})
        await link.command("unit.assign", {"incident_id": created["incident_id"], "units": ["E1"], "state": "on_scene"})
        screen = await open_supervisor(pilot)
        assert screen.figures["stages"]["travel"]["count"] == 1
        assert "1 incidents" in text(screen.title_line)
        await link.command("incident.create", {"incident_type": "FLOOD", "location": CASTRIES_SQUARE})
        await pilot.press("r")
        await until(pilot, lambda: screen.figures["incidents"] == 2)
        assert "figures as of" in screen.message_text


async def test_a_dispatcher_is_told_the_figures_are_not_theirs(live):
    app = live_app(live, role="dispatcher")
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("ctrl+s")
        screen = app.screen
        await until(pilot, lambda: "statistics" in screen.message_text)
        assert "not permitted" in screen.message_text and "for supervisors and observers" in screen.message_text
        assert screen.figures is None and "overdue" in text(screen.overdue_line)  # the flags are still counted


async def test_the_command_line_opens_it_too(scene_desk):
    app = scene_app(scene_desk)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon", *"sup", "enter")
        await until(pilot, lambda: isinstance(app.screen, SupervisorScreen) and app.screen.figures is not None)
        assert "33 incidents" in text(app.screen.title_line)
