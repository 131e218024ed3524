"""Finding 9 and the small ones, each as a dispatcher met it: F9 over `hurrinet connect`, the sort
marker, F4 and its tabs, a filter that keeps saying so, the call timer, names and words in the
log. Real server on 127.0.0.1 where the server matters, the fixed scene where it does not."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Tabs

from hurrinet_tui.format import log_words, refusal, who
from hurrinet_tui.widgets.feed import Feed
from hurrinet_tui.widgets.key_bar import KeyBar

from .conftest import live_app, until
from .test_call_taking import take_a_call
from .test_workflow import command, message


async def test_the_first_f9_over_connect_pauses_a_running_simulation(live):
    """`hurrinet connect` does not know the simulation's state: the first F9 sent "running"
    (which it already was); now it pauses, and the answer tells the state from then on."""
    asked: list[bool] = []

    def control(args):
        asked.append(args.running)
        return {"running": args.running}

    live.hub.controls["simulation.set"] = control
    app = live_app(live)
    assert app.state.simulation_running is None
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("f9")
        await until(pilot, lambda: asked == [False])
        await until(pilot, lambda: "simulation paused" in message(app))
        await pilot.press("f9")
        await until(pilot, lambda: asked == [False, True])


async def test_the_sort_is_marked_in_the_header_and_f4_walks_the_detail_tabs(static_app):
    app = static_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = app.main_screen
        header = "".join(s.text for s in screen.board.render_line(0))
        assert "Pri▼" in header
        await pilot.press("s")
        header = "".join(s.text for s in screen.board.render_line(0))
        assert "Age▼" in header and "Pri▼" not in header
        await pilot.press("f4")
        tabs = screen.detail.query_one(Tabs)
        assert tabs.has_focus
        first = tabs.active
        await pilot.press("f4")
        assert tabs.active != first
        await pilot.press("right")
        assert tabs.active not in (first, None)


async def test_a_filter_that_hides_everything_keeps_saying_so(static_app):
    app = static_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await command(pilot, "f zzzz")
        roster = app.main_screen.roster
        assert roster.keys == []
        await command(pilot, "help")  # another message takes the message line…
        await pilot.press("escape")
        row = "".join(s.text for s in roster.render_line(1))
        assert "none match 'zzzz'" in row  # …the empty roster still says why it is empty
        await command(pilot, "f")
        assert roster.keys


async def test_the_call_timer_ticks(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await take_a_call(pilot, live)
        header = app.main_screen.call_form.query_one("#call-header")
        first = str(header.render())
        await until(pilot, lambda: str(header.render()) != first, timeout=4)


def test_the_log_names_people_and_says_states_in_words():
    assert who({"dispatcher": "T3g7VAXkQLN6IphMxUFse", "dispatcher_name": "Maria"}) == "Maria"
    assert who({"dispatcher": "T3g7VAXkQLN6IphMxUFse"}) == "(unknown)"
    assert who({"dispatcher": None}) == "system"
    assert log_words({"change_data": {"change": "state", "value": "monitored"}}) == "State → monitored"
    assert log_words({"change_data": {"change": "unit_state", "value": "available_radio"}}) == "unit state: available (radio)"
    shown = refusal("E1 is available_radio; set incident_type, incident_priority first", "invariant")
    assert shown == "E1 is available (radio); set type, priority first (refused)"


def test_the_feed_never_tells_one_change_twice(static_app):
    feed = Feed(zone=None)
    event = {"seq": 7, "name": "call.created", "at": "2026-09-01T12:00:00Z", "caused_by": "c1",
             "data": {"call": {"id": "C0001abc", "caller_name": "Ann"}}}  # fmt: skip
    lines = []
    feed.write = lines.append
    feed.add(event)
    feed.add(event)  # replayed after a reconnect
    feed.add(event | {"seq": 8})  # a second event of the same command, saying the same
    assert len(lines) == 1


async def test_nothing_on_the_80x24_screen_is_cut_but_a_long_place_name(static_app):
    """Finding 9: `Assign…` and `20:26:…` in the detail, the footer cut after `^N`."""
    app = static_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.main_screen
        keys = screen.query_one(KeyBar)
        for focus in ("f2", "f3"):
            await pilot.press(focus)
            shown = str(keys.render())
            assert "…" not in shown and shown.startswith(" F1 Help")
            assert len(shown) <= 80
            for key, label in keys.items():
                if f"{key} {label}" not in shown:  # what does not fit is left out whole
                    assert label not in shown.split("  ")[-1]
        header = "".join(s.text for s in screen.board.render_line(0))
        assert "…" not in header
        await pilot.press("f2", "down", "enter")  # the A fire, three units on it, in its own screen
        detail = app.screen.detail
        await pilot.pause()
        console = Console(width=detail.size.width, record=True, file=io.StringIO())
        console.print(detail.units_table(app.state.link.replica.incidents[detail.incident_id]))
        table = console.export_text()
        assert "…" not in table and "Assign" in table and "E1" in table
