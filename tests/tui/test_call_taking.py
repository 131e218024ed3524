"""Taking a call at the keyboard against a real server on 127.0.0.1: the call form, the location
form, the incident form, and every refusal a call taker can run into, shown where it happened."""

from __future__ import annotations

from dataclasses import replace

from textual.widgets import Input, Select

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import Backoff, ServerLink
from hurrinet_tui.widgets.incident_board import IncidentBoard

from .conftest import live_app, until
from .test_workflow import command, message, unit_state

ACCEPT_TIMEOUT = 10.0


def field_error(app, name: str) -> str:
    """The refusal shown under a form field (empty when the field is fine)."""
    widget = app.main_screen.query_one(f"#{name}-error" if not name.endswith("message") else f"#{name}")
    return str(widget.render()) if widget.display else ""


def location_error(app, form: str = "#call-location") -> str:
    widget = app.main_screen.query_one(f"{form} #location-error")
    return str(widget.render()) if widget.display else ""


async def tab_to(pilot, field_id: str, limit: int = 30) -> None:
    """Tab (or Shift+Tab) through the form until `field_id` has focus, as a call taker would.
    Forward first; Tab on the command line completes instead of moving, so turn back there."""
    for key in ("tab", "shift+tab"):
        for _ in range(limit):
            focused = pilot.app.focused
            if focused is not None and focused.id == field_id:
                return
            if focused is not None and focused.id == "command":
                break
            await pilot.press(key)
        await pilot.press("shift+tab")
    raise AssertionError(f"Tab never reached #{field_id}; focus is on {pilot.app.focused}")


async def type_text(pilot, text: str) -> None:
    """Type into the focused field (a long text arrives as a paste)."""
    if len(text) > 60:
        pilot.app.focused.insert_text_at_cursor(text)
        await pilot.pause()
    else:
        await pilot.press(*text)


def only_call(live):
    (call,) = live.world.calls.values()
    return call


async def take_a_call(pilot, live) -> None:
    """Ctrl+N, then the caller's name and phone typed at once (before the server has answered)."""
    await pilot.press("ctrl+n")
    assert pilot.app.focused.id == "caller_name"  # focus lands in the first field straight away
    await type_text(pilot, "Ann Joseph")
    await pilot.press("tab")
    await type_text(pilot, "758 555 0101")
    await pilot.press("tab")
    await until(pilot, lambda: len(live.world.calls) == 1 and only_call(live).caller_phone is not None)


async def test_a_call_becomes_an_incident_that_is_dispatched_and_closed_without_a_mouse(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "av E1")
        await take_a_call(pilot, live)
        call = only_call(live)
        assert (call.caller_name, call.caller_phone) == ("Ann Joseph", "7585550101")  # stored as digits

        # The place, picked from the gazetteer suggestions while typing.
        assert app.focused.id == "loc-name"
        await type_text(pilot, "derek")
        await until(pilot, lambda: app.main_screen.query_one("#loc-suggestions").display)
        await pilot.press("down", "enter")
        await until(pilot, lambda: only_call(live).location is not None)
        assert only_call(live).location.name == "Derek Walcott Square"
        assert only_call(live).location.coordinates is not None

        await tab_to(pilot, "description")
        await type_text(pilot, "kitchen fire, smoke from the roof")
        await pilot.press("enter")
        await until(pilot, lambda: only_call(live).description == "kitchen fire, smoke from the roof")

        # Ending is refused until the outcome is set, and the form says so beside the outcome.
        await pilot.press("ctrl+e")
        await until(pilot, lambda: "set the outcome" in field_error(app, "outcome"))
        assert only_call(live).state.value == "active"

        await pilot.press("ctrl+o")  # an incident from the call, with the call's location
        await until(pilot, lambda: len(live.world.incidents) == 1)
        incident = next(iter(live.world.incidents.values()))
        assert only_call(live).outcome.value == "incident_created"
        assert incident.location == only_call(live).location
        board = app.main_screen.query_one(IncidentBoard)
        await until(pilot, lambda: board.cursor_key == incident.id)

        await pilot.press("ctrl+e")  # the action set the outcome: the call can end now
        await until(pilot, lambda: only_call(live).state.value == "ended")
        await until(pilot, lambda: app.main_screen.query_one("#caller_name", Input).disabled)

        await command(pilot, "ty strfire")
        await command(pilot, "pr a")
        await command(pilot, "as e1")
        await pilot.press("d")
        await until(pilot, lambda: unit_state(live, "E1") == "dispatched")
        await command(pilot, "os e1")
        await command(pilot, "avs e1")
        await until(pilot, lambda: unit_state(live, "E1") == "available_station")
        await pilot.press("c", "y", "enter")  # closing asks first
        await until(pilot, lambda: live.world.incidents[incident.id].state.value == "ended")


async def test_an_outcome_picked_by_hand_needs_its_reason_before_the_call_ends(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await take_a_call(pilot, live)
        rationale = app.main_screen.query_one("#outcome_rationale", Input)
        assert not rationale.display  # no outcome yet: no reason asked for
        await tab_to(pilot, "outcome")
        await pilot.press("enter", "down", "down", "enter")  # the list opens on "not set"; two down is hoax
        await until(pilot, lambda: only_call(live).outcome is not None)
        assert only_call(live).outcome.value == "hoax"
        assert rationale.display and app.focused is rationale  # the reason field appears, focused

        await pilot.press("ctrl+e")
        await until(pilot, lambda: "write why" in field_error(app, "outcome_rationale"))
        assert only_call(live).state.value == "active"

        await type_text(pilot, "child playing with the phone")
        await pilot.press("ctrl+e")  # the reason still in the field is saved first, then the call ends
        await until(pilot, lambda: only_call(live).state.value == "ended")
        assert only_call(live).outcome_rationale == "child playing with the phone"
        # The two outcomes set by actions cannot be picked.
        options = [value for _, value in app.main_screen.query_one("#outcome", Select)._options]
        assert "incident_created" not in options and "attached_to_incident" not in options


async def test_each_refusal_appears_beside_the_field_it_concerns(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await take_a_call(pilot, live)

        # A phone that is not one.
        await pilot.press("shift+tab", "ctrl+u", *"call me", "enter")
        await until(pilot, lambda: "phone" in field_error(app, "caller_phone"))
        assert only_call(live).caller_phone == "7585550101"

        # A 1001-character description: refused with the limit named, and the text is kept.
        await tab_to(pilot, "description")
        await type_text(pilot, "x" * 1001)
        await pilot.press("enter")
        await until(pilot, lambda: "1000" in field_error(app, "description"))
        assert len(app.main_screen.query_one("#description", Input).value) == 1001
        assert only_call(live).description == ""

        # Coordinates outside the service area: named while typing, and never sent.
        await tab_to(pilot, "loc-name")
        await type_text(pilot, "Somewhere")
        await tab_to(pilot, "loc-district")
        await type_text(pilot, "CAS")
        await tab_to(pilot, "loc-coordinates")
        await type_text(pilot, "51.5, -0.12")
        await until(pilot, lambda: "service area" in location_error(app))
        await pilot.press("enter")
        assert only_call(live).location is None

        # A number and a cross street at once: one location cannot be both.
        await tab_to(pilot, "loc-number")
        await type_text(pilot, "12")
        await tab_to(pilot, "loc-cross")
        await type_text(pilot, "High Street")
        await until(pilot, lambda: "cross street" in location_error(app))
        await pilot.press("enter")

        # One link keeps order: once a later save has landed, a location sent before it would have too.
        await tab_to(pilot, "description")
        await pilot.press("ctrl+u", *"roof leaking", "enter")
        await until(pilot, lambda: only_call(live).description == "roof leaking")
        assert only_call(live).location is None


async def test_a_call_created_incident_cannot_be_detached_and_an_ended_incident_takes_no_call(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "ni welfare c // check on the elderly resident")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        ended = next(iter(live.world.incidents))
        await command(pilot, "cl")
        await pilot.press("y", "enter")  # closing asks first
        await until(pilot, lambda: live.world.incidents[ended].state.value == "ended")
        await pilot.press("e")  # show ended incidents, so the closed one can be selected
        board = app.main_screen.query_one(IncidentBoard)
        await until(pilot, lambda: board.cursor_key == ended)

        await take_a_call(pilot, live)
        await pilot.press("ctrl+b")  # attach to the selected (ended) incident
        await until(pilot, lambda: "ended" in field_error(app, "call-form-message"))
        assert only_call(live).incident_id is None

        await pilot.press("ctrl+o")
        await until(pilot, lambda: only_call(live).incident_id is not None)
        await pilot.press("f2")  # to the board, where ':' opens the command line
        await command(pilot, "dt")
        await until(pilot, lambda: "never be detached" in message(app))
        assert only_call(live).incident_id is not None


async def test_the_incident_form_offers_only_legal_moves_and_marks_what_is_missing(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "ni // water rising in the yard")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        incident_id = next(iter(live.world.incidents))
        screen = app.main_screen
        await pilot.press("f6")  # incident layout
        assert screen.has_class("-preset-incident")
        await pilot.press("f4")
        tabs = screen.query_one("#detail-tabs")
        tabs.active = "tab-incident"
        await pilot.pause()
        form = screen.query_one("#incident-form")
        # A new incident may go queued, active or monitored; type, priority and location are marked.
        assert all(form.query_one(f"#to-{s}").display for s in ("queued", "active", "monitored"))
        assert "type, priority, location" in str(form.query_one("#incident-missing").render())
        assert form.query_one("#incident_type").has_class("-missing")

        # Queue it anyway: the server refuses and the refusal is on the form.
        form.query_one("#to-queued").focus()
        await pilot.press("enter")
        await until(pilot, lambda: "queued" in field_error(app, "incident-form-message"))
        assert live.world.incidents[incident_id].state.value == "new"

        # The type picked from the list sets the incident's type.
        form.query_one("#incident_type").focus()
        await pilot.press("enter", *"FLOOD", "enter")
        await until(pilot, lambda: live.world.incidents[incident_id].incident_type == "FLOOD")
        await command(pilot, "pr b")
        await command(pilot, "lo derek")
        await until(pilot, lambda: live.world.incidents[incident_id].location is not None)
        await until(pilot, lambda: not form.query_one("#incident-missing").display)
        form.query_one("#to-queued").focus()
        await pilot.press("enter")
        await until(pilot, lambda: live.world.incidents[incident_id].state.value == "queued")
        # From queued, monitored and active remain; queued is not offered again.
        await until(pilot, lambda: not form.query_one("#to-queued").display)
        assert form.query_one("#to-active").display and form.query_one("#to-monitored").display


async def test_layout_presets_switch_with_f_keys(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        screen = app.main_screen
        for key, preset in (("f5", "call"), ("f6", "incident"), ("f7", "board"), ("f8", "roster")):
            await pilot.press(key)
            assert screen.has_class(f"-preset-{preset}")
            assert [p for p in ("call", "incident", "board", "roster") if screen.has_class(f"-preset-{p}")] == [preset]
        call_form = screen.query_one("#call-form")
        assert not call_form.display
        await pilot.press("ctrl+n")  # taking a call brings the call-taking layout
        assert screen.has_class("-preset-call") and call_form.display


async def test_a_call_near_an_open_incident_shows_its_vicinity_until_dismissed(live):
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "ni strfire a @ derek walcott // smoke over the square")
        await command(pilot, "ni flood c @ gros piton")  # far away: stays off the vicinity list
        await until(pilot, lambda: len(live.world.incidents) == 2)
        near = next(i.id for i in live.world.incidents.values() if i.incident_type == "STRFIRE")
        board = app.main_screen.query_one(IncidentBoard)
        banner = app.main_screen.query_one("#vicinity")
        assert not banner.display

        await take_a_call(pilot, live)
        await type_text(pilot, "derek")
        await until(pilot, lambda: app.main_screen.query_one("#loc-suggestions").display)
        await pilot.press("down", "enter")
        await until(pilot, lambda: banner.display)
        assert "NEAR CALL" in str(banner.render())
        assert board.keys == [near]  # only what is near the call, nearest first
        assert app.focused.id == "loc-details"  # the banner took no focus

        await pilot.press("f2", "escape")  # one key back to the whole board
        assert not banner.display
        await until(pilot, lambda: len(board.keys) == 2)

        await pilot.press("ctrl+b")  # attach the call to the incident under the cursor
        await until(pilot, lambda: only_call(live).incident_id is not None)
        assert only_call(live).outcome.value == "attached_to_incident"


async def test_the_chosen_layout_is_remembered_for_the_user(live, tmp_path):
    def workstation() -> HurriNetApp:
        link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.02, cap=0.1), compression=False)
        return HurriNetApp(link, preferences_dir=tmp_path)

    app = workstation()
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.preferences_user is not None)
        await pilot.press("f8")
        assert app.main_screen.has_class("-preset-roster")
    again = workstation()
    async with again.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: again.main_screen.has_class("-preset-roster"))
        assert not again.main_screen.has_class("-preset-board")


async def test_a_dispatch_timeout_is_announced_without_taking_focus_and_f10_confirms_it(live):
    hub = live.hub
    hub.runner.world.deployment = replace(hub.runner.world.deployment, dispatch_timeout_s=0.2)
    silent = hub.runner.world.unit_by_callsign("E2").id
    hub.delivery.simulated.failing = {t.id for t in hub.runner.world.alert_targets.values() if silent in t.unit_ids}
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        await command(pilot, "av E2")
        await command(pilot, "ni strfire a @ derek walcott")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        await command(pilot, "as e2")
        await pilot.press("d")
        await until(pilot, lambda: app.main_screen.timed_out == "E2")
        focused = app.focused
        toasts = [n.message for n in app._notifications]
        assert any("E2 did not acknowledge" in t and "F10" in t for t in toasts)
        assert app.focused is focused  # the notification took no focus
        assert unit_state(live, "E2") == "dispatching"
        await pilot.press("f10")
        await until(pilot, lambda: unit_state(live, "E2") == "dispatched")
