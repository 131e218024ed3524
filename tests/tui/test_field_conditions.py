"""Field conditions: the real workstation ↔ the shaping proxy (64 kbit/s each way, 300 ms round
trip, a bounded queue) ↔ a real server, all on 127.0.0.1, as an operator on a satellite link has
it. The issue's thresholds are behaviour, asserted with generous bounds for a shared machine;
the measured figures are printed (run with -s to see them)."""

from __future__ import annotations

import statistics
import time

import pytest
from textual.widgets import Input

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import LinkState, ServerLink
from hurrinet_tui.widgets.incident_board import IncidentBoard
from server.app import wire
from tests.support.shaping_proxy import ShapingProxy, satellite_link

from .conftest import until
from .test_call_taking import only_call, tab_to, take_a_call, type_text
from .test_workflow import command, message, unit_state

CONNECT_TIMEOUT = 30.0


@pytest.fixture
async def proxy(live):
    async with satellite_link(live.port) as proxy:
        yield proxy


def satellite_app(live, proxy: ShapingProxy) -> HurriNetApp:
    """The workstation as shipped (default backoff and heartbeat), compressed as a slow link wants."""
    return HurriNetApp(ServerLink(f"ws://127.0.0.1:{proxy.port}/ws", live.tokens["dispatcher"], compression=True))


def status_line(app) -> str:
    return str(app.main_screen.status_bar.render())


async def timed(pilot, condition, timeout: float = 15.0) -> float:
    started = time.perf_counter()
    await until(pilot, condition, timeout)
    return time.perf_counter() - started


def assert_replica_matches(replica, world) -> None:
    snapshot = wire.snapshot(world)
    assert replica.seq == snapshot["seq"]
    for kind in ("incidents", "units", "calls", "resources"):
        assert getattr(replica, kind) == {e["id"]: e for e in snapshot[kind]}, kind


async def test_a_shift_over_a_satellite_link(live, proxy):
    app = satellite_app(live, proxy)
    async with app.run_test(size=(160, 50)) as pilot:
        connected = await timed(pilot, lambda: app.state.link.status.connected, CONNECT_TIMEOUT)
        welcome_bytes = proxy.bytes_down

        # The whole flow: a call, its incident, a unit dispatched, the incident closed.
        started = time.perf_counter()
        await command(pilot, "av E1")
        await until(pilot, lambda: unit_state(live, "E1") == "available_radio")
        await take_a_call(pilot, live)
        await type_text(pilot, "derek")
        await until(pilot, lambda: app.main_screen.query_one("#loc-suggestions").display)
        await pilot.press("down", "enter")
        await until(pilot, lambda: only_call(live).location is not None)
        await tab_to(pilot, "description")
        await type_text(pilot, "kitchen fire, smoke from the roof")
        await pilot.press("enter")
        await until(pilot, lambda: only_call(live).description == "kitchen fire, smoke from the roof")
        await pilot.press("ctrl+o")
        await until(pilot, lambda: len(live.world.incidents) == 1)
        incident = next(iter(live.world.incidents.values()))
        board = app.main_screen.query_one(IncidentBoard)
        await until(pilot, lambda: board.cursor_key == incident.id)
        await pilot.press("ctrl+e")  # the call ends; its form gives up the keyboard
        await until(pilot, lambda: only_call(live).state.value == "ended")
        await until(pilot, lambda: app.main_screen.query_one("#caller_name", Input).disabled)
        await command(pilot, "ty strfire")
        await until(pilot, lambda: live.world.incidents[incident.id].incident_type == "STRFIRE")
        await command(pilot, "pr a")
        await until(pilot, lambda: live.world.incidents[incident.id].incident_priority.value == "A")
        await command(pilot, "as e1")
        await until(pilot, lambda: len(live.world.incidents[incident.id].units) == 1)
        await command(pilot, "d")
        await until(pilot, lambda: unit_state(live, "E1") == "dispatched")
        await command(pilot, "os e1")
        await until(pilot, lambda: unit_state(live, "E1") == "on_scene")
        await command(pilot, "avs e1")
        await until(pilot, lambda: unit_state(live, "E1") == "available_station")
        await command(pilot, "cl")
        await pilot.press("y", "enter")  # closing asks first
        await until(pilot, lambda: live.world.incidents[incident.id].state.value == "ended")
        await until(pilot, lambda: incident.id not in board.keys)
        flow = time.perf_counter() - started

        # A change made at another position (on the server's LAN) reaches this screen.
        other = ServerLink(live.url, live.tokens["supervisor"], compression=False)
        other.start()
        try:
            await until(pilot, lambda: other.status.connected)
            latencies = []
            for n in range(5):
                sent = time.perf_counter()
                value = await other.command("incident.create", {"incident_type": "FLOOD", "description": f"far {n}"})
                await until(pilot, lambda value=value: value["incident_id"] in board.keys)
                latencies.append(time.perf_counter() - sent)
                await pilot.pause(0.3)
        finally:
            await other.close()

        # Idle: nothing happening, only the heartbeat (and the server's own pings).
        await pilot.pause(1.0)
        before, idle_started = proxy.bytes_total, time.perf_counter()
        await pilot.pause(10.0)
        idle_per_minute = (proxy.bytes_total - before) / (time.perf_counter() - idle_started) * 60
        assert not app.state.link.status.degraded and "normal" in status_line(app)

    print(f"\nsatellite link (64 kbit/s, 300 ms RTT): connected in {connected:.1f} s ({welcome_bytes:,} B welcome); "
          f"call → close flow {flow:.1f} s; remote change on screen median "
          f"{statistics.median(latencies):.2f} s, max {max(latencies):.2f} s; idle {idle_per_minute:.0f} B/min")
    assert statistics.median(latencies) <= 1.0 and max(latencies) <= 2.0
    assert 0 < idle_per_minute <= 1024


async def black_hole(live, proxy, hole_s: float) -> None:
    app = satellite_app(live, proxy)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected, CONNECT_TIMEOUT)
        link, screen = app.state.link, app.main_screen
        await pilot.pause(1.0)
        proxy.black_hole(True)
        hole_started = time.perf_counter()
        shown = await timed(pilot, lambda: "degraded" in status_line(app) and "nothing heard" in status_line(app))

        # Typed in the dark: it waits (sent into the dead connection, or queued once it is left) …
        await command(pilot, "ni flood b // typed in the dark")
        elsewhere = ServerLink(live.url, live.tokens["supervisor"], compression=False)
        elsewhere.start()
        try:
            await until(pilot, lambda: elsewhere.status.connected)
            far = await elsewhere.command("incident.create", {"incident_type": "STRFIRE", "description": "meanwhile"})
        finally:
            await elsewhere.close()
        await until(pilot, lambda: screen.pending.display)
        assert "typed in the dark" in str(screen.pending.render())
        await pilot.pause(max(0.0, hole_s - (time.perf_counter() - hole_started)))
        dropped = link.status.state is LinkState.RECONNECTING

        proxy.black_hole(False)
        returned = time.perf_counter()
        await until(pilot, lambda: link.status.connected and not link.status.degraded
                    and any(i.description == "typed in the dark" for i in live.world.incidents.values())
                    and far["incident_id"] in screen.board.keys, 15.0)  # fmt: skip
        recovered = time.perf_counter() - returned
        await until(pilot, lambda: link.replica.seq == live.world.seq and not screen.pending.display)
        assert_replica_matches(link.replica, live.world)  # nothing lost, nothing doubled
        assert [i.description for i in live.world.incidents.values()].count("typed in the dark") == 1
        await until(pilot, lambda: message(app).startswith("✓ ni flood b"))

    print(f"\n{hole_s:.0f} s black hole: shown as degraded after {shown:.1f} s; connection "
          f"{'dropped and re-made' if dropped else 'kept'}; back {recovered:.2f} s after the link returned")
    assert shown <= 5.0 and recovered <= 5.0  # targets: 5 s and 3 s; bounds generous for a shared machine


async def test_a_short_black_hole_is_shown_within_seconds_and_nothing_typed_in_it_is_lost(live, proxy):
    await black_hole(live, proxy, hole_s=7.0)  # shorter than the 10 s after which the link is left


@pytest.mark.slow
async def test_a_20_second_black_hole_is_shown_left_and_recovered_with_nothing_lost(live, proxy):
    await black_hole(live, proxy, hole_s=20.0)
