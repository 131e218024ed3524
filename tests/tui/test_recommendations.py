"""The recommendations screen at the keyboard against a real server on 127.0.0.1: the server's
`recommend.units` and `classify` answers, accepted with the ordinary commands."""

from __future__ import annotations

import itertools

from pytest_textual_snapshot import SVGImageExtension

from hurrinet_tui.link import ServerLink
from hurrinet_tui.screens.recommendations import RecommendationsScreen
from tests.support.desk import CASTRIES_SQUARE
from tests.support.scene import MARKET

from .conftest import live_app, until


async def connected(pilot) -> ServerLink:
    await until(pilot, lambda: pilot.app.state.link.status.connected)
    return pilot.app.state.link


async def available(link: ServerLink, *callsigns: str) -> None:
    for callsign in callsigns:
        await link.command("unit.set_state", {"unit": callsign, "state": "available_station"})


async def incident(link: ServerLink, **fields) -> str:
    args = {"location": CASTRIES_SQUARE, **fields}
    return (await link.command("incident.create", args))["incident_id"]


async def open_screen(pilot, incident_id: str | None, rows: int) -> RecommendationsScreen:
    screen = RecommendationsScreen(pilot.app.state, incident_id)
    pilot.app.push_screen(screen)
    await until(pilot, lambda: len(screen.grid.rows) == rows)
    return screen


def unit_state(app, callsign: str) -> str:
    return app.state.link.replica.unit_by_callsign[callsign]["status"]["state"]


def shown_units(screen: RecommendationsScreen) -> list[str]:
    return [screen.grid.rows[key]["unit"] for key in screen.grid.keys]


def text(widget) -> str:
    return str(widget.render())


def assigned_events(app) -> list[dict]:
    """Every `unit.assigned` the link applies from now on."""
    seen: list[dict] = []
    app.state.link.update_listeners.append(lambda update: seen.extend(
        e for e in update.events if e["name"] == "unit.assigned"))  # fmt: skip
    return seen


async def test_accept_the_highlighted_row_then_the_marked_ones_then_all(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        link = await connected(pilot)
        await available(link, "E1", "E2", "L1", "M1")
        fire = await incident(link, incident_type="STRFIRE", incident_priority="A", description="Kitchen fire")
        screen = await open_screen(pilot, fire, rows=4)  # the plan: 2 engines, a ladder, an ambulance
        assert shown_units(screen)[0] == "M1" and shown_units(screen)[3] == "L1"  # by kind, as the server lists
        assert "M1 (ambulance) is 0.3 km away from its station" in text(screen.why)

        await pilot.press("enter")  # nothing marked: the highlighted row
        await until(pilot, lambda: unit_state(app, "M1") == "assigned_station")
        await until(pilot, lambda: len(shown_units(screen)) == 3)  # asked again: M1 is gone
        assert "✓ assigned M1 → #" in screen.message_text

        events = assigned_events(app)
        first_engine, second_engine, ladder = shown_units(screen)
        await pilot.press("space", "down", "space")  # mark an engine, skip the other, mark the ladder
        assert {screen.grid.rows[k]["unit"] for k in screen.grid.marked} == {first_engine, ladder}
        await pilot.press("enter")
        await until(pilot, lambda: unit_state(app, ladder) == "assigned_station")
        assert unit_state(app, first_engine) == "assigned_station"
        assert unit_state(app, second_engine) == "available_station"
        assert len(events) == 2 and len({e["caused_by"] for e in events}) == 1  # one unit.assign for both

        await until(pilot, lambda: shown_units(screen) == [second_engine])
        await pilot.press("A")
        await until(pilot, lambda: unit_state(app, second_engine) == "assigned_station")
        await until(pilot, lambda: screen.grid.rows == {})
        incident_units = {u["callsign"] for u in app.state.link.replica.incidents[fire]["units"]}
        assert incident_units == {"E1", "E2", "L1", "M1"}
        await pilot.press("r")
        await until(pilot, lambda: screen.message_text == "✓ asked again: 0 units recommended")


async def test_all_waiting_puts_the_urgent_first_and_assigns_once_per_incident(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        link = await connected(pilot)
        await available(link, "E1", "M1", "M2")
        medical = await incident(link, incident_type="MEDICAL", location=MARKET)  # B: one ambulance
        cardiac = await incident(link, incident_type="CARDIAC")  # A, newer: an ambulance and an engine
        screen = await open_screen(pilot, None, rows=3)
        rows = [screen.grid.rows[k] for k in screen.grid.keys]
        assert [r["incident_id"] for r in rows] == [cardiac, cardiac, medical]
        assert "3 units recommended for 2 incidents" in text(screen.title_line)
        first = screen.grid.cells(screen.grid.keys[0])
        assert (first[1][0], first[2][0]) == (f"#{cardiac[:6]}", "A!!")
        assert screen.grid.cells(screen.grid.keys[1])[1][0] == ""  # the incident once, on its first row

        events = assigned_events(app)
        await pilot.press("A")
        await until(pilot, lambda: unit_state(app, "M2") == "assigned_station")
        await until(pilot, lambda: len(events) == 3)
        commands = {}
        for event in events:
            commands.setdefault(event["data"]["incident"]["id"], set()).add(event["caused_by"])
        assert {k: len(v) for k, v in commands.items()} == {cardiac: 1, medical: 1}
        assert commands[cardiac] != commands[medical]
        replica = app.state.link.replica
        assert {u["callsign"] for u in replica.incidents[cardiac]["units"]} == {"E1", "M1"}
        assert {u["callsign"] for u in replica.incidents[medical]["units"]} == {"M2"}
        assert screen.message_text == f"✓ assigned M1 E1 → #{cardiac[:6]}; M2 → #{medical[:6]}"


async def test_the_suggested_type_priority_and_desk_apply_with_one_key(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        link = await connected(pilot)
        await available(link, "E1", "E2")
        # Typed as a flood at first; the words say a house fire with people trapped (priority A).
        flood = await incident(link, incident_type="FLOOD", incident_priority="A",
                               description="House on fire, smoke from the roof, two people trapped")  # fmt: skip
        screen = RecommendationsScreen(app.state, flood)
        app.push_screen(screen)
        await until(pilot, lambda: "t applies" in text(screen.strip))
        strip = text(screen.strip)
        assert "type STRFIRE (Structure fire) · priority A · desk fire" in strip
        assert "t applies type STRFIRE, desk fire" in strip  # priority A is already there
        assert "'house on fire' is a keyword of STRFIRE" in strip

        await pilot.press("t")
        replica = app.state.link.replica
        await until(pilot, lambda: replica.incidents[flood].get("incident_type") == "STRFIRE")
        assert (replica.incidents[flood]["incident_priority"], replica.incidents[flood]["desk"]) == ("A", "fire")
        await until(pilot, lambda: "applied type STRFIRE, desk fire" in screen.message_text)
        changes = [e.change_data["change"] for e in live.world.incidents[flood].log if e.change_data]
        assert changes.count("incident_priority") == 1  # set at creation, never sent again

        await until(pilot, lambda: sorted(shown_units(screen)) == ["E1", "E2"])  # the new plan asks for engines
        await until(pilot, lambda: "as the incident has it" in text(screen.strip))
        await pilot.press("t")
        assert "already has the suggested type, priority and desk" in screen.message_text


async def test_a_unit_taken_at_another_position_drops_out(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        link = await connected(pilot)
        await available(link, "E1", "E2")
        car = await incident(link, incident_type="VEHFIRE")  # one engine
        screen = await open_screen(pilot, car, rows=1)
        (nearest,) = shown_units(screen)
        (spare,) = {"E1", "E2"} - {nearest}
        other = ServerLink(live.url, live.tokens["supervisor"])
        other.start()
        try:
            elsewhere = (await other.command("incident.create", {"incident_type": "WINDDMG"}))["incident_id"]
            await other.command("unit.assign", {"incident_id": elsewhere, "units": [nearest]})
        finally:
            await other.close()
        await until(pilot, lambda: shown_units(screen) == [spare])
        await pilot.press("enter")
        await until(pilot, lambda: unit_state(app, spare) == "assigned_station")
        assert [u.callsign for u in live.world.incidents[car].units] == [spare]


async def test_no_text_to_classify_and_a_refused_accept_say_why_and_change_nothing(live):
    app = live_app(live, role="observer")  # may ask (queries), may not assign
    async with app.run_test(size=(120, 40)) as pilot:
        await connected(pilot)
        dispatcher = ServerLink(live.url, live.tokens["dispatcher"])
        dispatcher.start()
        try:
            await available(dispatcher, "M1")
            call = await incident(dispatcher, incident_type="MEDICAL")
        finally:
            await dispatcher.close()
        await until(pilot, lambda: call in app.state.link.replica.incidents)
        screen = await open_screen(pilot, call, rows=1)
        await until(pilot, lambda: "No suggestion" in text(screen.strip))
        assert "there is no text to classify" in text(screen.strip)
        assert "(invalid)" in text(screen.strip)

        await pilot.press("enter")
        await until(pilot, lambda: "(not permitted)" in screen.message_text)
        assert screen.message_text.startswith("✗ M1 → #")
        assert unit_state(app, "M1") == "available_station"
        assert live.world.incidents[call].units == ()

        await pilot.press("t")
        assert "no suggestion to apply" in screen.message_text
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_an_acceptance_while_disconnected_waits_for_the_link_and_the_answer_is_renewed_after(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        link = await connected(pilot)
        await available(link, "M1")
        call = await incident(link, incident_type="MEDICAL")
        screen = await open_screen(pilot, call, rows=1)
        await live.stop()
        await until(pilot, lambda: screen.has_class("-disconnected"))
        await pilot.press("r")
        assert "showing the last answer" in screen.message_text
        await pilot.press("enter")
        assert "waits for the link" in screen.message_text
        await live.start()
        await until(pilot, lambda: not screen.has_class("-disconnected"))
        await until(pilot, lambda: screen.message_text.startswith("✓ assigned M1"))  # once back, once
        assert [u.callsign for u in live.world.incidents[call].units] == ["M1"]


async def test_all_waiting_at_80x24(live, snapshot):
    """You should see, on 80×24: the A cardiac arrest (#K00006, A!!) on top with its ambulance and engine,
    the B medical below with its ambulance, the highlighted row's reason under the table, the
    untyped incident listed as having no plan, and the keys on the last line."""
    counter = itertools.count(1)
    live.hub.runner.new_id = lambda: f"K{next(counter):05d}abcdefghijklmno"  # ids on screen, fixed
    app = live_app(live)
    async with app.run_test(size=(80, 24)) as pilot:
        link = await connected(pilot)
        await available(link, "E1", "M1", "M2")
        await incident(link, incident_type="MEDICAL", location=MARKET, description="Elderly man fell, hip hurt")
        await incident(link, incident_type="CARDIAC", description="Woman collapsed, not breathing")
        await incident(link, description="Caller cut off; something about a landslide")
        screen = await open_screen(pilot, None, rows=3)
        await until(pilot, lambda: "Suggested" in text(screen.strip))
        await pilot.pause()
        assert snapshot(extension_class=SVGImageExtension) == app.export_screenshot()
