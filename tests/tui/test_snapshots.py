"""What a dispatcher sees, pinned: the fixed hurricane scene (tests/support/scene.py) at the
sizes the workstation promises, with the clock frozen 25 minutes into the night."""

from __future__ import annotations

from hurrinet_tui.link import LinkState, LinkStatus

from .conftest import CONNECTED


async def settle(pilot) -> None:
    pilot.app.main_screen.command_input.cursor_blink = False
    await pilot.pause()


def test_main_screen_80x24(snap_compare, static_app):
    """You should see the board (two A incidents on top, marked A!!), the roster below it,
    the command line and 'Connected │ normal' at the bottom; no detail pane (too narrow)."""
    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=settle)


def test_main_screen_160x50(snap_compare, static_app):
    """You should see board and detail (units tab of the selected A fire) on the left,
    roster and the (empty) feed on the right, header with Saint Lucia time."""
    assert snap_compare(static_app(), terminal_size=(160, 50), run_before=settle)


def test_incident_detail_log_tab(snap_compare, static_app):
    """You should see the fire's log, newest first, the manual note in bold."""

    async def open_log(pilot):
        await settle(pilot)
        pilot.app.main_screen.query_one("#detail-tabs").active = "tab-log"
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(160, 50), run_before=open_log)


def test_incident_detail_calls_tab_on_a_narrow_terminal(snap_compare, static_app):
    """On 80×24 Enter opens the detail as its own screen; you should see the flood's one
    linked call (Marcia Joseph) on the Calls tab."""

    async def open_calls(pilot):
        await settle(pilot)
        await pilot.press("down", "down", "down", "enter")  # A!! new, A!! active, B! new, then the B! flood
        await pilot.pause()
        pilot.app.screen.query_one("#detail-tabs").active = "tab-calls"
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=open_calls)


def test_help_screen(snap_compare, static_app):
    """You should see the keys by area and the command list over the dimmed main screen."""
    assert snap_compare(static_app(), terminal_size=(120, 50), press=["f1"], run_before=settle)


def test_disconnected(snap_compare, static_app):
    """You should see the status bar in the error colour: 'Disconnected — reconnecting in 4 s (attempt 3)'."""
    status = LinkStatus(LinkState.RECONNECTING, attempt=3, retry_in=4.0, user=CONNECTED.user, role=CONNECTED.role)
    assert snap_compare(static_app(status), terminal_size=(80, 24), run_before=settle)


async def call_on_the_line(pilot) -> None:
    """The scene's one call (Marcia Joseph, attached to the flood) brought into the call form."""
    await settle(pilot)
    screen = pilot.app.main_screen
    (call_id,) = pilot.app.state.link.replica.calls
    screen.set_preset("call")
    screen.call_form.show(call_id)
    await pilot.pause()


def test_call_taking_160x50(snap_compare, static_app):
    """F5: you should see the call form on the right (CALL K000…, ACTIVE, → the flood), caller
    Marcia Joseph, the NAMED PLACE badge with Castries Market and its coordinates in DD,
    'attached to incident' as the outcome, the call keys; board and detail on the left."""
    assert snap_compare(static_app(), terminal_size=(160, 50), run_before=call_on_the_line)


def test_call_taking_80x24(snap_compare, static_app):
    """On 80×24 the call form takes the screen below a short board; every field still shows."""
    assert snap_compare(static_app(), terminal_size=(80, 24), run_before=call_on_the_line)


def test_incident_form(snap_compare, static_app):
    """F6 and the Incident tab: the selected A fire's state badge, only the moves legal from
    NEW (Queued, Active, Monitored, Close), its type and priority pickers, its location."""

    async def open_form(pilot):
        await settle(pilot)
        pilot.app.main_screen.set_preset("incident")
        pilot.app.main_screen.query_one("#detail-tabs").active = "tab-incident"
        await pilot.pause()

    assert snap_compare(static_app(), terminal_size=(160, 50), run_before=open_form)
