"""A dispatcher at the keyboard against a real server on 127.0.0.1: real keystrokes, real
websocket, real SQLite; the test reads the server's state and the screen."""

from __future__ import annotations

from hurrinet_tui.link import ServerLink
from hurrinet_tui.widgets.incident_board import IncidentBoard
from hurrinet_tui.widgets.unit_roster import UnitRoster

from .conftest import live_app, until


async def command(pilot, line: str) -> None:
    """F2 (to the board: ':' is a printable key, so it works only there), then the line."""
    await pilot.press("f2")
    if len(line) > 80:  # a long line arrives as a paste: Pilot types ~10 keys per 100 ms
        await pilot.press("colon")
        pilot.app.main_screen.command_input.insert_text_at_cursor(line)
        await pilot.press("enter")
    else:
        await pilot.press("colon", *line, "enter")
    await pilot.pause()


def message(app) -> str:
    return str(app.main_screen.query_one("#message").render())


def unit_state(live, callsign: str) -> str:
    world = live.world
    return world.unit_status[world.unit_by_callsign(callsign).id].state.value


def roster_label(app, callsign: str) -> str:
    roster = app.main_screen.query_one(UnitRoster)
    return roster.cells(app.state.link.replica.unit_by_callsign[callsign]["id"])[1][0]


async def test_an_incident_from_call_to_close_without_a_mouse(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "av E1 M1")
        await until(pilot, lambda: unit_state(live, "M1") == "available_radio")
        await command(pilot, "ni strfire a @ derek walcott // kitchen fire, smoke from the roof")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        incident = next(iter(live.world.incidents.values()))
        assert (incident.incident_type, incident.incident_priority.value) == ("STRFIRE", "A")
        assert incident.location.name == "Derek Walcott Square"
        board = app.main_screen.query_one(IncidentBoard)
        await until(pilot, lambda: board.cursor_key == incident.id)
        assert "→ #" in message(app)

        await command(pilot, "as e1 m1")
        await until(pilot, lambda: roster_label(app, "E1") == "ASSIGNED")
        await pilot.press("d")  # dispatch everything assigned to the selected incident
        await until(pilot, lambda: unit_state(live, "E1") == "dispatched")  # the alert was acknowledged
        await until(pilot, lambda: roster_label(app, "E1") == "DISPATCHED")
        assert board.cells(incident.id)[2][0] == "ACTIVE"

        await command(pilot, "er e1")
        await command(pilot, "os e1")
        await until(pilot, lambda: roster_label(app, "E1") == "ON SCENE")
        await pilot.press("c", "y", "enter")  # refused: units are still on it, and the screen says which
        await until(pilot, lambda: "still on this incident" in message(app))
        await command(pilot, "avs e1 m1")
        await until(pilot, lambda: unit_state(live, "M1") == "available_station")
        await pilot.press("c", "y", "enter")  # closing asks first
        await until(pilot, lambda: live.world.incidents[incident.id].state.value == "ended")
        await until(pilot, lambda: incident.id not in board.keys)  # ended incidents hide by default
        await pilot.press("e")
        await until(pilot, lambda: incident.id in board.keys)


async def test_another_dispatchers_change_appears_on_the_board_and_in_the_feed(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        other = ServerLink(live.url, live.tokens["supervisor"])
        other.start()
        try:
            value = await other.command("incident.create", {"incident_type": "FLOOD", "incident_priority": "B"})
            board = app.main_screen.query_one(IncidentBoard)
            await until(pilot, lambda: value["incident_id"] in board.keys)
            feed = app.main_screen.query_one("#feed")
            await until(pilot, lambda: any("new FLOOD" in line.text for line in feed.lines))
        finally:
            await other.close()


async def test_a_command_typed_while_the_server_is_gone_waits_shown_and_applies_once_on_resume(live):
    app = live_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        screen = app.main_screen
        screen.status_bar.note = "simulation running (F9 pauses)"
        await live.stop()
        await until(pilot, lambda: "Disconnected — reconnecting" in str(screen.status_bar.render()))
        assert "simulation" not in str(screen.status_bar.render())  # the server is not there to run it
        # why, not only that: first the server's goodbye, then what the probes find
        await until(pilot, lambda: "connection refused" in str(screen.status_bar.render()))
        assert screen.has_class("-disconnected")
        await command(pilot, "ni flood")
        assert "⧗ ni flood: waits for the link" in message(app)
        await until(pilot, lambda: screen.pending.display)
        assert "ni flood" in str(screen.pending.render())  # the line as typed, with its age, waiting
        assert "waiting for the link" in str(screen.pending.render())
        await live.start()
        await until(pilot, lambda: app.state.link.status.connected and len(live.world.incidents) == 1)
        await until(pilot, lambda: "✓ ni flood" in message(app))
        assert not screen.has_class("-disconnected")
        assert "Connected" in str(screen.status_bar.render())
        assert [i.incident_type for i in live.world.incidents.values()] == ["FLOOD"]
        await until(pilot, lambda: not screen.pending.display)


async def test_every_mistake_gets_a_message_naming_it(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "frobnicate")
        assert "unknown command 'frobnicate'" in message(app)
        await command(pilot, "av ZZ9")
        assert "no unit 'ZZ9'" in message(app)
        await command(pilot, "cl")
        assert "select an incident" in message(app)
        await command(pilot, "ni flood a @ atlantis")
        assert "no place called 'atlantis'" in message(app)
        await command(pilot, "ni flood // " + "x" * 1001)  # the server's limit, in the server's words
        await until(pilot, lambda: "(invalid)" in message(app))
        assert "1000" in message(app)
        await command(pilot, "os E1")  # E1 is out of service: not a legal transition
        await until(pilot, lambda: "(not allowed now)" in message(app))
        await command(pilot, "ni flood // water [red]everywhere[/")  # brackets are text, not markup
        await until(pilot, lambda: "✓" in message(app))
        assert [i.description for i in live.world.incidents.values()] == ["water [red]everywhere[/"]


async def test_tab_completes_callsigns_types_and_incidents(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        line = app.main_screen.command_input
        await pilot.press("colon", *"as cmd", "tab")
        assert line.value == "as CMD1"  # three candidates: the first, and the others listed
        assert "CMD2" in message(app)
        await pilot.press("tab")
        assert line.value == "as CMD2"
        await pilot.press("escape", "colon", *"ni landsl", "tab")
        assert line.value == "ni LANDSLD "
        await pilot.press("escape", "colon", *"ni flood @ castries mar", "tab")
        assert line.value == "ni flood @ Castries Market "
        await pilot.press("enter")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        incident_id = next(iter(live.world.incidents))
        await pilot.press("colon", *f"no #{incident_id[:3]}", "tab")
        assert line.value.startswith(f"no #{incident_id[:6]}")


async def test_help_and_palette_open_from_the_keyboard(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await pilot.press("f1")
        await pilot.pause()
        assert type(app.screen).__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is app.main_screen
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert type(app.screen).__name__ == "CommandPalette"
