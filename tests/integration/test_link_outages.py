"""The link through outages, against a real server on 127.0.0.1 behind the shaping proxy: silence
is noticed, a dead connection is left, the link's return is noticed by cheap probes, and the
commands typed meanwhile go out in order, once. Time bounds are generous; figures are printed."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from hurrinet_tui.link import Backoff, CommandFailed, LinkState, LinkTiming, ServerLink
from hurrinet_tui.reconnect import probe
from tests.support.live import live_server
from tests.support.shaping_proxy import ShapingProxy, satellite_link

TIMEOUT = 15.0
# The real thresholds, except a shorter wait before a silent connection is dropped.
QUICK_DEATH = LinkTiming(dead_after=4.0)


@pytest.fixture
async def live(template_db, tmp_path):
    async with live_server(template_db, tmp_path, alert_delay_s=0.05) as server:
        yield server


@pytest.fixture
async def proxy(live):
    async with satellite_link(live.port) as proxy:
        yield proxy


def through(proxy: ShapingProxy) -> str:
    return f"ws://127.0.0.1:{proxy.port}/ws"


async def until(condition, timeout: float = TIMEOUT) -> float:
    """Wait for `condition`; how long it took."""
    started = time.perf_counter()
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)
    return time.perf_counter() - started


@pytest.fixture
async def link(live, proxy):
    link = ServerLink(through(proxy), live.tokens["dispatcher"], timing=QUICK_DEATH, rng=random.Random(11))
    link.start()
    await until(lambda: link.status.connected)
    yield link
    await link.close()


async def test_a_probe_tells_a_live_server_from_a_dead_port(live):
    assert await probe(live.url, 2.0) is None
    await live.stop()
    assert await probe(live.url, 2.0) == f"connection refused by 127.0.0.1:{live.port}: is the server running?"


async def test_a_black_hole_shows_as_degraded_then_down_and_nothing_typed_meanwhile_is_lost(live, proxy, link):
    await link.command("incident.create", {"description": "before"})
    proxy.black_hole(True)
    shown = await until(lambda: link.status.degraded)
    assert "nothing heard" in link.status.reason
    future = link.submit("incident.create", {"description": "typed in the hole"}, label="ni // typed in the hole")
    dropped = await until(lambda: link.status.state is LinkState.RECONNECTING)
    assert link.status.reason.startswith("nothing heard from the server") or "no answer" in link.status.reason
    assert [r.label for r in link.pending()] == ["ni // typed in the hole"]
    await asyncio.sleep(1.0)
    proxy.black_hole(False)
    back = await until(lambda: link.status.connected and future.done())
    await future
    print(f"black hole shown as degraded after {shown:.1f} s, dropped {dropped:.1f} s later; "
          f"back {back:.1f} s after the link returned")  # fmt: skip
    assert shown <= 5.0 and back <= 6.0
    await until(lambda: link.replica.seq == live.world.seq)
    descriptions = [i.description for i in live.world.incidents.values()]
    assert descriptions.count("typed in the hole") == 1  # sent twice (old and new connection), applied once
    assert link.pending() == []


async def test_after_a_hard_drop_the_status_says_why_and_the_link_is_back_soon_after(live, proxy, link):
    await proxy.drop()
    await until(lambda: link.status.state is LinkState.RECONNECTING and "refused" in link.status.reason)
    assert link.status.describe(now=time.time()).endswith("s ago")  # when it last heard the server
    await asyncio.sleep(3.0)  # a few probes fail, cheaply
    attempts = link.status.attempt
    assert 2 <= attempts <= 20  # probing, not hammering (delays up to 1.5 s)
    await proxy.restore()
    back = await until(lambda: link.status.connected)
    print(f"hard drop: {attempts} probes in 3 s; connected {back:.2f} s after the proxy came back")
    assert back <= 6.0


async def test_commands_typed_while_down_go_out_in_order_under_their_ids_and_can_be_cancelled(live):
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.02, cap=0.1), outbox_limit=4)
    link.start()
    await until(lambda: link.status.connected)
    await live.stop()
    await until(lambda: not link.status.connected)
    futures = [link.submit("incident.create", {"description": f"queued {n}"}, label=f"ni // queued {n}")
               for n in range(4)]  # fmt: skip
    over = link.submit("incident.create", {"description": "one too many"})
    with pytest.raises(CommandFailed) as full:
        await over
    assert full.value.code == "outbox_full" and "4 commands already wait" in full.value.message
    assert [r.label for r in link.pending()] == [f"ni // queued {n}" for n in range(4)]
    assert all(not r.sent for r in link.pending())
    assert link.cancel(link.pending()[1].command_id)
    with pytest.raises(CommandFailed) as cancelled:
        await futures[1]
    assert cancelled.value.code == "cancelled" and "sent" not in cancelled.value.message
    await live.start()
    values = await asyncio.wait_for(asyncio.gather(futures[0], futures[2], futures[3]), TIMEOUT)
    ordered = sorted(live.world.incidents.values(), key=lambda i: i.incident_created)
    assert [i.description for i in ordered] == ["queued 0", "queued 2", "queued 3"]
    assert [v["incident_id"] for v in values] == [i.id for i in ordered]
    assert link.pending() == []
    await link.close()


async def test_a_refusal_of_a_command_that_waited_stays_against_its_line(live):
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.02, cap=0.1))
    link.start()
    await until(lambda: link.status.connected)
    await live.stop()
    await until(lambda: not link.status.connected)
    future = link.submit("incident.close", {"incident_id": "nope"}, label="cl #nope")
    await live.start()
    with pytest.raises(CommandFailed):
        await asyncio.wait_for(future, TIMEOUT)
    [row] = link.pending()
    assert row.label == "cl #nope" and "[not_found]" in row.refusal
    assert link.cancel(row.command_id) and link.pending() == []
    await link.close()


async def test_an_idle_link_costs_under_a_kilobyte_a_minute(live, proxy, link):
    await asyncio.sleep(1.0)  # the welcome is through
    before, started = proxy.bytes_total, time.perf_counter()
    await asyncio.sleep(10.0)
    per_minute = (proxy.bytes_total - before) / (time.perf_counter() - started) * 60
    print(f"idle: {per_minute:.0f} B/min through the proxy (TCP payload, both ways)")
    assert 0 < per_minute <= 1024
    assert not link.status.degraded


async def test_a_reason_from_outside_the_link_wins_while_it_is_down(live):
    said = {"why": None}
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.02, cap=0.1),
                      explain=lambda: said["why"])  # fmt: skip
    link.start()
    await until(lambda: link.status.connected)
    await live.stop()
    await until(lambda: "connection refused" in link.status.reason)
    said["why"] = "the demo server stopped (exit -9)"
    await until(lambda: link.status.reason == "the demo server stopped (exit -9)")
    await link.close()


async def test_a_server_that_drops_every_session_straight_after_the_welcome_gets_the_long_backoff(live):
    # Probes pass (the server is there), sessions are welcomed and then dropped at once.
    backoff = Backoff(base=0.01, cap=2.0, fast_attempts=1, probe_cap=0.05)
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=backoff, timing=LinkTiming(stable_after=5.0))
    link.start()
    for _ in range(3):
        welcomed = len(link.welcome_modes)
        await until(lambda welcomed=welcomed: len(link.welcome_modes) > welcomed)
        for session in list(live.hub.sessions):
            await session.connection.close()
    await until(lambda: any(d >= 1.0 for d in link.delays))  # past the fast phase: near the cap
    assert all(d <= 2.0 for d in link.delays)
    await link.close()
