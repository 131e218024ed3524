"""The resources screen at the keyboard against a real server on 127.0.0.1: needs added,
allocations made and released, suggestions accepted, refusals in the server's words."""

from __future__ import annotations

from hurrinet_tui.link import ServerLink
from hurrinet_tui.screens.resources import ResourcesScreen
from tests.support.desk import CASTRIES_SQUARE

from .conftest import live_app, until

MARCHAND = "Marchand Combined School"  # the shelter nearest Derek Walcott Square: 250 places, 120 in use


async def flood_screen(pilot) -> tuple[ResourcesScreen, str]:
    app = pilot.app
    await until(pilot, lambda: app.state.link.status.connected)
    args = {"incident_type": "FLOOD", "location": CASTRIES_SQUARE, "description": "Houses flooded on the square"}
    flood = (await app.state.link.command("incident.create", args))["incident_id"]
    screen = ResourcesScreen(app.state, flood)
    app.push_screen(screen)
    await until(pilot, lambda: screen.is_mounted and bool(screen.resources.keys))
    return screen, flood


def resource_named(app, name: str) -> dict:
    return next(r for r in app.state.link.replica.resources.values() if r["name"] == name)


def row(screen: ResourcesScreen, resource_id: str) -> dict[str, str]:
    """The resource's row as shown: column key → text."""
    cells = screen.resources.cells(resource_id)
    return {column.key: text for column, (text, _) in zip(screen.resources.columns, cells, strict=True)}


def needs_of(app, incident_id: str) -> list[dict]:
    return app.state.link.replica.incidents[incident_id]["needs"]


async def add_need(pilot, typed: str) -> None:
    await pilot.press("n", *typed, "enter")


async def test_add_a_need_allocate_and_release_with_in_use_changing_live(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, flood = await flood_screen(pilot)
        marchand = resource_named(app, MARCHAND)["id"]

        await add_need(pilot, "shelter 40")
        await until(pilot, lambda: len(needs_of(app, flood)) == 1)
        assert needs_of(app, flood)[0]["resource_type"] == "SHELTER"
        await until(pilot, lambda: "needs SHELTER 40" in screen.message_text)
        assert screen.resources.filter_text == "SHELTER"  # the resources that can meet it
        assert screen.resources.cursor_key == marchand  # nearest first
        assert row(screen, marchand)["in_use"] == "120"

        await pilot.press("enter")  # allocate from the highlighted shelter; the proposal is all 40
        assert screen.prompt.value == "40"
        await pilot.press("enter")
        await until(pilot, lambda: row(screen, marchand)["in_use"] == "160")
        assert row(screen, marchand)["free"] == "90"
        assert live.world.resources[marchand].in_use == 160
        assert screen.needs.cells(screen.needs.keys[0])[3][0] == "0"  # nothing left to go
        assert "✓ allocated 40 from Marchand Combined School" in screen.message_text

        await pilot.press("tab", "down")  # the needs table, the allocation under the need
        assert screen.needs.current_allocation() is not None
        await pilot.press("delete")
        await until(pilot, lambda: row(screen, marchand)["in_use"] == "120")
        assert "✓ released 40 at Marchand Combined School" in screen.message_text
        assert needs_of(app, flood)[0]["allocated"] == 0

        other = ServerLink(live.url, live.tokens["supervisor"])  # someone else changes the numbers
        other.start()
        try:
            await other.command("resource.update", {"resource_id": marchand, "in_use": 200})
        finally:
            await other.close()
        await until(pilot, lambda: row(screen, marchand)["in_use"] == "200")
        assert row(screen, marchand)["status"] == "LIMITED"


async def test_refusals_show_the_servers_words_and_change_nothing(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, flood = await flood_screen(pilot)
        marchand = resource_named(app, MARCHAND)["id"]
        await add_need(pilot, "shelter 400")
        await until(pilot, lambda: len(needs_of(app, flood)) == 1)
        await until(pilot, lambda: screen.resources.cursor_key == marchand)

        await pilot.press("enter")
        assert screen.prompt.value == "130"  # the need is bigger than the room: the room is proposed
        await pilot.press(*"200", "enter")  # typing replaces the proposal
        await until(pilot, lambda: "(refused)" in screen.message_text)
        assert "Marchand Combined School has 130 free; asked for 200" in screen.message_text

        await pilot.press("enter", "0", "enter")
        await until(pilot, lambda: "(invalid)" in screen.message_text)
        assert "quantity must be a whole number of at least 1" in screen.message_text

        await pilot.press("x")  # out of service
        await until(pilot, lambda: row(screen, marchand)["status"] == "OUT OF SVC")
        await pilot.press("enter", *"10", "enter")
        await until(pilot, lambda: "is out of service" in screen.message_text)
        assert "(refused)" in screen.message_text
        assert live.world.resources[marchand].in_use == 120
        assert needs_of(app, flood)[0]["allocations"] == []

        await pilot.press("x")
        await until(pilot, lambda: row(screen, marchand)["status"] == "AVAILABLE")
        assert "back in service" in screen.message_text

        await add_need(pilot, "water")  # what the workstation can tell by itself, it tells at once
        assert "type a quantity after 'water'" in screen.message_text
        await add_need(pilot, "s 4")
        assert "'s' could be SHELTER or SUPPLIES" in screen.message_text
        await add_need(pilot, "fuel 4")
        assert "no resource type 'fuel'" in screen.message_text
        await add_need(pilot, "water lots")
        assert "quantity must be a whole number, got 'lots'" in screen.message_text
        assert len(needs_of(app, flood)) == 1

        await pilot.press("n", "escape")  # Esc leaves the prompt, not the screen
        assert app.screen is screen and "cancelled" in screen.message_text
        await pilot.press("escape")
        assert app.screen is app.main_screen


async def test_filter_by_type_and_accept_the_suggestions(live):
    app = live_app(live)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, flood = await flood_screen(pilot)
        replica = app.state.link.replica
        for key, kind in (("2", "MEDICAL"), ("4", "WATER")):
            await pilot.press(key)
            shown = {replica.resources[k]["resource_type"] for k in screen.resources.keys}
            assert shown == {kind}
        await pilot.press("0")
        assert len(screen.resources.keys) == len(replica.resources)
        await pilot.press("f")
        assert screen.resources.filter_text == "SHELTER"

        await add_need(pilot, "shelter 40")
        await add_need(pilot, "water 500")
        await until(pilot, lambda: len(needs_of(app, flood)) == 2)
        await pilot.press("R")
        await until(pilot, lambda: len(screen.suggestions.rows) == 2)
        suggested = {r["resource_type"]: r for r in screen.suggestions.rows.values()}
        assert suggested["SHELTER"]["resource_name"] == MARCHAND and suggested["SHELTER"]["quantity"] == 40
        assert suggested["WATER"]["quantity"] == 500

        seen: list[dict] = []
        app.state.link.update_listeners.append(lambda update: seen.extend(update.events))
        await pilot.press("A")
        await until(pilot, lambda: all(n["allocated"] == n["quantity"] for n in needs_of(app, flood)))
        allocations = [e for e in seen if e["name"] == "resource.updated" and e["data"].get("log_entry")]
        assert len({e["caused_by"] for e in allocations}) == 2  # one resource.allocate per line
        await until(pilot, lambda: screen.suggestions.rows == {})  # asked again: nothing left to suggest
        assert "✓ allocated 40 from Marchand Combined School; 500 from" in screen.message_text
        await pilot.press("r")
        await until(pilot, lambda: screen.message_text == "✓ asked again: 0 suggested, 0 unmet")


def test_resources_for_an_incident_at_80x24(snap_compare, static_app):
    """You should see the shelters nearest the Castries Market flood first (with how far each is),
    the flood's empty needs table inviting `n`, and the keys on the last line."""

    async def open_resources(pilot):
        app = pilot.app
        flood = next(i["id"] for i in app.state.link.replica.incidents.values() if i.get("incident_type") == "FLOOD")
        app.push_screen(ResourcesScreen(app.state, flood))
        await pilot.pause()
        await pilot.press("1")

    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=open_resources)
