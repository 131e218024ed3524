"""Protocol 2: an ended incident's log is not in the snapshot; the detail asks for it when a
dispatcher opens that incident (`incident.log`)."""

from __future__ import annotations

import io

from rich.console import Console

from hurrinet_tui.widgets.incident_detail import IncidentDetail
from tests.support.client import Client

from .conftest import live_app, until


async def test_opening_an_ended_incident_fetches_its_log(live):
    other = await Client.open(live.port, live.tokens["supervisor"])
    incident = (await other.ok("incident.create", description="roof gone"))["incident_id"]
    await other.ok("incident.note", incident_id=incident, text="family safe at the shelter")
    await other.ok("incident.close", incident_id=incident)
    await other.close()
    app = live_app(live)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: app.state.link.status.connected)
        replica = app.state.link.replica
        assert incident in replica.incidents and replica.log_of(incident) == []  # not in the snapshot
        detail = app.main_screen.query_one(IncidentDetail)
        detail.show(incident)
        await until(pilot, lambda: any(e.get("description") == "family safe at the shelter"
                                       for e in replica.log_of(incident)))  # fmt: skip
        console = Console(width=160, record=True, file=io.StringIO())
        console.print(detail.log_table(replica.incidents[incident]))  # what the Log tab shows
        assert "family safe at the shelter" in console.export_text()
