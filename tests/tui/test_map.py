"""The live map: pinned pictures of the fixed scene at 80×24 and 160×50 (colour and grey), the
keys that move it, and a real server whose events move a unit and whose recommendations are
highlighted."""

from __future__ import annotations

import copy

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.map_picture import UNIT_GLYPH
from hurrinet_tui.map_projection import Area
from hurrinet_tui.map_projection import view as make_view
from hurrinet_tui.screens.map import MapScreen
from tests.support import scene
from tests.support.desk import CASTRIES_SQUARE

from .conftest import CONNECTED, StaticLink, live_app, until


def cell_text(canvas, col: int, row: int, length: int = 1) -> str:
    picture = canvas.picture
    start = row * picture.cols + col
    return "".join(picture.chars[start : start + length])


async def open_map(pilot) -> MapScreen:
    pilot.app.main_screen.command_input.cursor_blink = False
    await pilot.pause()
    await pilot.press("m")
    await until(pilot, lambda: isinstance(pilot.app.screen, MapScreen) and pilot.app.screen.canvas.picture is not None)
    await pilot.pause()
    return pilot.app.screen


def test_map_80x24(snap_compare, static_app):
    """You should see Saint Lucia's coast (blue) and quarter boundaries (grey) in braille, the
    selected people trapped at Soufrière bracketed ([A!!]), the fire in Castries (A!!, the flood
    hidden under it and counted in the title), the wires at Gros Islet (B!), M1 en route (►),
    stations (⌂) labelled with their units, the legend and the key hints."""
    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=open_map)


def test_map_160x50(snap_compare, static_app):
    """You should see the island larger with the quarters' names, the same incidents and
    stations, fewer hidden markers, and the title naming the selected incident."""
    assert snap_compare(static_app(), terminal_size=(160, 50), run_before=open_map)


def test_map_monochrome_80x24(snap_compare, static_app):
    """In grey you should see the same picture; the A incidents reversed, the selected one in
    brackets, units told apart by their glyphs (○ □ ◇ ► ●)."""

    async def grey(pilot):
        pilot.app.theme = "hurrinet-monochrome"
        await open_map(pilot)

    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=grey)


async def test_a_station_and_the_selected_incident_are_drawn_in_their_cells(static_app):
    app = static_app()
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await open_map(pilot)
        canvas = screen.canvas
        replica = app.state.link.replica
        view = canvas.view()
        assert view == make_view(Area.of(replica.deployment), canvas.size.width, canvas.size.height)
        # The selected incident: its priority letter in its cell, bracketed.
        incident = replica.incidents[screen.incident_id]
        coordinates = incident["location"]["coordinates"]
        col, row = view.cell(coordinates["lat"], coordinates["lon"])
        priority = incident["incident_priority"]
        assert cell_text(canvas, col - 1, row, 2) == "[" + priority
        assert canvas.picture.styles[row * view.cols + col] == "map--selected"
        # Every unit with a position is drawn, or counted as under another or off the map.
        counts = canvas.counts
        assert counts.shown + counts.hidden + counts.off_canvas >= len(replica.units)
        # Castries Fire Station (14.0093 N 60.9860 W; tests/unit/test_map_projection.py works its
        # cell out by hand) shows its ⌂ in the cell the projection gives, once zoomed in from the
        # crowd of Castries, labelled with the units there that never sent a fix.
        canvas.centre_on((14.0093, -60.9860), zoom=4)
        await pilot.pause()
        view = canvas.view()
        col, row = view.cell(14.0093, -60.9860)
        # The middle dot of the canvas (x 159.5 of 320, y (4·rows - 1)/2), so the middle cell.
        assert (col, row) == (79, int((view.rows * 4 - 1) / 2 / 4))
        assert cell_text(canvas, col, row) == "⌂"
        station = next(s for s in replica.stations.values() if s["code"] == "CAS-F")
        at_station = sorted(u["callsign"] for u in replica.units.values()
                            if u["station_id"] == station["id"] and not u["status"].get("coordinates"))  # fmt: skip
        label = ",".join(at_station)
        assert at_station and cell_text(canvas, col + 1, row, len(label)) == label


async def test_a_deployment_without_outlines_still_maps_its_points(scene_snapshot):
    snapshot = copy.deepcopy(scene_snapshot)
    del snapshot["deployment"]["outlines"]
    app = HurriNetApp(StaticLink(snapshot, CONNECTED), now=lambda: scene.NOW, start_link=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_map(pilot)
        picture = screen.canvas.picture
        assert not any(0x2800 <= ord(c) <= 0x28FF for c in picture.chars)  # no braille: nothing to outline
        assert "⌂" in picture.chars and "[" in picture.chars  # stations and the selected incident
        assert "no outlines" in str(screen.title_line.render())


async def test_keys_pan_zoom_walk_and_reset(static_app):
    app = static_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_map(pilot)
        canvas = screen.canvas
        whole = canvas.view()
        await pilot.press("plus", "plus")
        assert canvas.zoom == 2 and canvas.view().km_per_dot < whole.km_per_dot
        await pilot.press("l")
        assert canvas.view().centre[1] > whole.centre[1]  # east
        await pilot.press("k")
        assert canvas.view().centre[0] > whole.centre[0]  # north
        assert "zoom 2" in str(screen.title_line.render())
        await pilot.press("0")
        assert canvas.view() == whole
        first = screen.incident_id
        await pilot.press("right_square_bracket")
        assert screen.incident_id != first
        await pilot.press("left_square_bracket")
        assert screen.incident_id == first
        await pilot.press("c")
        incident = app.state.link.replica.incidents[first]
        point = (incident["location"]["coordinates"]["lat"], incident["location"]["coordinates"]["lon"])
        assert canvas.view().centre == point and canvas.zoom == 3
        await pilot.press("escape")
        assert not isinstance(app.screen, MapScreen)


async def test_the_map_follows_events_and_highlights_the_recommended_units(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        link = app.state.link
        # The outlines came over the wire in the snapshot's deployment.
        assert {line["kind"] for line in link.replica.deployment["outlines"]["lines"]} == {"coast", "boundary"}
        for callsign in ("E1", "M1", "P1"):
            await link.command("unit.set_state", {"unit": callsign, "state": "available_station"})
        created = await link.command("incident.create", {"incident_type": "STRFIRE", "incident_priority": "A",
                                                          "location": CASTRIES_SQUARE})  # fmt: skip
        incident_id = created["incident_id"]
        screen = MapScreen(app.state, incident_id)
        app.push_screen(screen)
        await until(pilot, lambda: screen.recommended)
        title = str(screen.title_line.render())
        assert "recommended ✓" in title and f"{screen.recommended[0]} " in title and " km " in title
        canvas = screen.canvas
        recommended = screen.recommended[0]
        await until(pilot, lambda: recommended + "✓" in "".join(canvas.picture.chars))
        # A unit reports a new position: the map redraws it there, without a key pressed.
        await link.command("unit.set_state", {"unit": "P2", "state": "available_radio"})
        await link.command("unit.set_position", {"unit": "P2", "coordinates": {"lat": 13.8, "lon": -60.95}})
        view = canvas.view()
        col, row = view.cell(13.8, -60.95)

        def drawn_there() -> bool:
            return cell_text(canvas, col, row, 3) == UNIT_GLYPH["available_radio"] + "P2"

        await until(pilot, drawn_there)


async def test_refresh_with_no_incident_selected_says_how_to_select_one(static_app):
    app = static_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_map(pilot)
        screen.select(None)
        await pilot.press("r")
        await until(pilot, lambda: "no incident selected" in screen.message_text)
        assert screen.message_line.display
