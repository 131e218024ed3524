"""The archive view (`A`, `arc WORDS`) at the keyboard against a real server on 127.0.0.1: an
ended incident archived by the server's own archiver leaves the board (`incident.archived`),
is found by its words, and reads whole with its log; the view changes nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from rich.console import Console
from textual.widgets import DataTable

from hurrinet_tui.screens.archive import ArchiveScreen, SearchError, search_args
from tests.support.client import Client

from .conftest import live_app, until


def shown(screen: ArchiveScreen) -> str:
    """What the record pane shows for the incident read (archive.get)."""
    console = Console(width=150, record=True, file=io.StringIO(), color_system=None)
    console.print(screen.record_text(screen.shown))
    return console.export_text()


async def test_an_archived_incident_leaves_the_board_and_reads_whole_in_the_archive_view(live):
    other = await Client.open(live.port, live.tokens["supervisor"])
    roof = (await other.ok("incident.create", description="roof gone on Jeremie Street"))["incident_id"]
    await other.ok("incident.note", incident_id=roof, text="family safe at the shelter")
    await other.ok("incident.close", incident_id=roof)
    flood = (await other.ok("incident.create", description="water in the market"))["incident_id"]
    await other.ok("incident.close", incident_id=flood)
    await other.close()
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        replica = app.state.link.replica
        await until(pilot, lambda: roof in replica.incidents)
        await live.current.archiver.run(timedelta(0))  # the server's own job, now
        await until(pilot, lambda: roof not in replica.incidents and flood not in replica.incidents)
        app.main_screen.board.focus()
        await pilot.press("A")
        screen = app.screen
        assert isinstance(screen, ArchiveScreen)
        results = screen.query_one("#archive-results", DataTable)
        await until(pilot, lambda: results.row_count == 2)  # opens on everything, newest first
        assert screen.search.has_focus
        await pilot.press(*"jeremie", "enter")
        await until(pilot, lambda: results.row_count == 1)
        assert "1 archived incident" in screen.message_text
        await pilot.press("down")  # from the search line to the results
        assert results.has_focus
        await pilot.press("enter")
        await until(pilot, lambda: screen.shown is not None)
        text = shown(screen)
        assert "roof gone on Jeremie Street" in text and "family safe at the shelter" in text
        assert "State → ended" in text and "Units" in text and "Log" in text
        seq = replica.seq
        await pilot.press("escape")
        assert app.screen is app.main_screen and replica.seq == seq  # reading changed nothing
        # The verb, with words: the same view, already searching them.
        app.main_screen.command_input.focus()
        await pilot.press(*"arc water", "enter")
        await until(pilot, lambda: isinstance(app.screen, ArchiveScreen))
        results = app.screen.query_one("#archive-results", DataTable)
        await until(pilot, lambda: results.row_count == 1)
        assert app.screen.found.keys() == {flood}


def test_the_search_line_reads_filters_among_the_words():
    assert search_args("roof type:strfire district:cas from:2026-09-01") == {
        "text": "roof", "incident_type": "STRFIRE", "district": "CAS", "from": "2026-09-01T00:00:00Z"}
    assert search_args("") == {}
    with pytest.raises(SearchError, match="from:soon"):
        search_args("from:soon")
