"""A storm-sized board over a satellite link (issue 11): the real workstation ↔ the shaping proxy
(64 kbit/s each way, 300 ms round trip) ↔ a real server. The snapshot comes in parts, open work
first, a few at a time as the workstation acknowledges them: the waiting incidents are on the
board long before the ended ones have arrived, and the link never drops while the rest comes.
The board here is smaller than a real storm's so the test stays quick; bench/server.py measures
the full-size one."""

from __future__ import annotations

import asyncio
import time

import pytest

from hurrinet_tui.app import HurriNetApp
from hurrinet_tui.link import ServerLink
from hurrinet_tui.widgets.incident_board import IncidentBoard
from server.domain.world import Actor
from tests.support.desk import CASTRIES_SQUARE
from tests.support.shaping_proxy import satellite_link

from .conftest import until

WAITING, ENDED = 30, 120
SHOWN_WITHIN_S = 15.0  # the bound for the waiting incidents


async def storm_board(live) -> set[str]:
    """WAITING queued incidents and ENDED closed ones, made through the hub like any position's."""
    actor = Actor("storm", "dispatcher", name="storm")
    waiting = set()
    for n in range(WAITING + ENDED):
        outcome = live.hub.execute(f"storm-{n}", "incident.create", {
            "incident_type": "FLOOD", "incident_priority": "B", "location": CASTRIES_SQUARE,
            "description": f"storm incident {n}: water rising around the houses, a family on the roof"}, actor)  # fmt: skip
        incident_id = outcome.result["incident_id"]
        if n < WAITING:
            live.hub.execute(f"storm-q{n}", "incident.set_state", {"incident_id": incident_id, "state": "queued"}, actor)
            waiting.add(incident_id)
        else:
            live.hub.execute(f"storm-c{n}", "incident.close", {"incident_id": incident_id}, actor)
        await asyncio.sleep(0)  # let the batch commit
    await asyncio.sleep(0.1)
    return waiting


@pytest.mark.parametrize("compression", [True, False], ids=["deflate", "uncompressed"])
async def test_the_waiting_incidents_arrive_first_and_the_link_holds_while_the_rest_comes(live, compression):
    waiting = await storm_board(live)
    async with satellite_link(live.port) as proxy:
        link = ServerLink(f"ws://127.0.0.1:{proxy.port}/ws", live.tokens["dispatcher"], compression=compression)
        app = HurriNetApp(link)
        started = time.perf_counter()
        async with app.run_test(size=(160, 50)) as pilot:
            board = app.main_screen.query_one(IncidentBoard)
            replica = link.replica
            await until(pilot, lambda: waiting <= set(replica.incidents), timeout=60)
            shown = time.perf_counter() - started
            await until(pilot, lambda: replica.complete and replica.seq == live.world.seq, timeout=120)
            whole = time.perf_counter() - started
            assert waiting <= set(board.keys)  # on the board, not only in the replica
            assert link.welcome_modes == ["snapshot"]  # one session from first byte to last: never dropped
            assert set(replica.incidents) == set(live.world.incidents)
            print(f"\n{'deflate' if compression else 'uncompressed'}: {len(live.world.incidents)} incidents, "
                  f"waiting shown after {shown:.1f} s, whole snapshot after {whole:.1f} s, "
                  f"{proxy.bytes_down:,} bytes down")  # fmt: skip
            assert shown <= SHOWN_WITHIN_S
            assert shown < whole  # open work really came first
