"""The status bar with several servers: which one the workstation is on, and that it failed
over. The real app under Pilot, against two real server processes (tests/support/pair.py), and
against a fixed status for what only time shows."""

from __future__ import annotations

import time

import pytest

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import FAILOVER_SHOWN_S, Backoff, LinkState, LinkStatus, ServerLink
from hurrinet_tui.reconnect import server_name
from tests.support.pair import make_seed, two_servers

from .conftest import until

TIMEOUT = 30.0


@pytest.fixture(scope="module")
def seed(template_db, tmp_path_factory):
    return make_seed(template_db, tmp_path_factory.mktemp("failover-seed"))


def status_line(app: HurriNetApp) -> str:
    return str(app.main_screen.status_bar.render())


async def test_the_status_bar_names_the_server_and_says_when_it_failed_over(seed, tmp_path):
    async with two_servers(seed, tmp_path) as (a, b):
        link = ServerLink([a.url, b.url], seed.token, backoff=Backoff(base=0.02, cap=0.1), compression=False)
        app = HurriNetApp(link)
        async with app.run_test(size=(160, 50)) as pilot:
            bar = app.main_screen.status_bar
            await until(pilot, lambda: link.status.connected, TIMEOUT)
            await until(pilot, lambda: f"Connected to {server_name(a.url)}" in status_line(app))
            assert "failed over" not in status_line(app) and not bar.has_class("-failed-over")
            a.kill()
            await until(pilot, lambda: f"Connected to {server_name(b.url)}" in status_line(app), TIMEOUT)
            assert f"failed over from {server_name(a.url)}" in status_line(app)
            assert " s ago" in status_line(app)  # when, as the bar's clock moves on
            assert bar.has_class("-failed-over") and not bar.has_class("-down")


async def test_the_failover_note_leaves_the_line_after_a_while_and_fits_80_columns(static_app):
    now = time.time()
    recent = LinkStatus(LinkState.CONNECTED, user="maria", role="dispatcher", server="10.0.0.2:8765",
                        failed_over_from="10.0.0.1:8765", failed_over_at=now - 42)  # fmt: skip
    app = static_app(recent)
    async with app.run_test(size=(80, 24)) as pilot:
        bar = app.main_screen.status_bar
        bar.clock = lambda: now  # the bar's own clock, held still so the age reads the same
        bar.refresh()
        await until(pilot, lambda: "failed over" in status_line(app))
        line = status_line(app)
        assert "● Connected to 10.0.0.2:8765 · failed over from 10.0.0.1:8765 42 s ago" in line
        assert len(line.rstrip()) <= 80 and bar.has_class("-failed-over")
        # Time passes with no news from the link: the bar's own tick takes the note away.
        bar.clock = lambda: now - 42 + FAILOVER_SHOWN_S
        await until(pilot, lambda: "failed over" not in status_line(app))
        await until(pilot, lambda: not bar.has_class("-failed-over"))
        assert "Connected to 10.0.0.2:8765" in status_line(app) and not bar.has_class("-failed-over")
        # Down (the path a status from the link takes): which server it tries next, and why it
        # left the last one.
        app._status_changed(LinkStatus(LinkState.RECONNECTING, attempt=1, retry_in=0.3, server="10.0.0.1:8765",
                                       reason="connection to 10.0.0.2:8765 lost"))  # fmt: skip
        await until(pilot, lambda: "Disconnected — trying 10.0.0.1:8765" in status_line(app))
        assert bar.has_class("-down") and not bar.has_class("-failed-over")


def test_the_failed_over_status_bar_at_80x24(snap_compare, static_app):
    """You should see, at the bottom, 'Connected to 10.0.0.2:8765 · failed over from
    10.0.0.1:8765 42 s ago │ normal' on a blue bar (the theme's primary: news, not a warning);
    the rest as the main screen."""
    at = 1_790_000_000.0
    status = LinkStatus(LinkState.CONNECTED, user="maria", role="dispatcher", server="10.0.0.2:8765",
                        failed_over_from="10.0.0.1:8765", failed_over_at=at)  # fmt: skip

    async def settle(pilot) -> None:
        screen = pilot.app.main_screen
        screen.command_input.cursor_blink = False
        screen.status_bar.clock = lambda: at + 42
        screen.status_bar.status = status  # again, so the class follows the held clock
        await pilot.pause()

    assert snap_compare(static_app(status), terminal_size=(80, 24), run_before=settle)
