"""The workstation's link and replica against a real server on 127.0.0.1 that stops and restarts."""

from __future__ import annotations

import asyncio
import random
from dataclasses import replace

import pytest

from hurrinet_tui.link import Backoff, CommandFailed, LinkState, ServerLink
from server.app import wire
from tests.support.desk import CASTRIES_SQUARE
from tests.support.live import live_server

FAST = Backoff(base=0.01, cap=0.05, fast_attempts=3)
TIMEOUT = 10.0


@pytest.fixture
async def live(template_db, tmp_path):
    async with live_server(template_db, tmp_path, alert_delay_s=0.05) as server:
        yield server


@pytest.fixture
async def link(live):
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=FAST, rng=random.Random(7))
    link.start()
    await until(lambda: link.status.connected)
    yield link
    await link.close()


async def until(condition, timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def assert_replica_matches(replica, world) -> None:
    snapshot = wire.snapshot(world)
    assert replica.seq == snapshot["seq"]
    for kind in ("incidents", "units", "calls", "resources"):
        assert getattr(replica, kind) == {e["id"]: e for e in snapshot[kind]}, kind


def test_backoff_delays_are_capped_exponential_with_full_jitter():
    backoff = Backoff(base=0.5, cap=30.0, fast_attempts=5)
    rng = random.Random(1)
    samples = {attempt: [backoff.delay(attempt, rng) for _ in range(200)] for attempt in range(1, 9)}
    for attempt in range(1, 6):
        ceiling = min(30.0, 0.5 * 2 ** (attempt - 1))
        assert all(0 <= d <= ceiling for d in samples[attempt])
        assert max(samples[attempt]) > ceiling * 0.9 and min(samples[attempt]) < ceiling * 0.1  # jittered
    for attempt in (6, 7, 8):  # past the fast phase: probing near the cap, still jittered
        assert all(15.0 <= d <= 30.0 for d in samples[attempt])
        assert len(set(samples[attempt])) == 200


def test_the_same_seed_gives_the_same_delays():
    def delays(seed: int) -> list[float]:
        rng = random.Random(seed)
        return [Backoff().delay(attempt, rng) for attempt in range(1, 10)]

    assert delays(42) == delays(42) != delays(43)


async def test_the_replica_starts_equal_to_the_server(live, link):
    assert link.status.user == "dispatcher" and link.status.role == "dispatcher"
    assert_replica_matches(link.replica, live.world)


async def test_commands_get_their_values_and_refusals(live, link):
    value = await link.command("incident.create", {"description": "roof gone", "location": CASTRIES_SQUARE})
    await until(lambda: value["incident_id"] in link.replica.incidents)
    with pytest.raises(CommandFailed) as refused:
        await link.command("incident.close", {"incident_id": "nope"})
    assert refused.value.code == "not_found" and "nope" in refused.value.message
    assert_replica_matches(link.replica, live.world)


async def test_server_restart_resumes_and_outbox_commands_apply_exactly_once(live, link):
    states = []
    link.status_listeners.append(lambda status: states.append(status.state))
    await link.command("incident.create", {"description": "before"})
    await live.stop()
    await until(lambda: link.status.state is LinkState.RECONNECTING)
    waiting = [link.submit("incident.create", {"description": f"while down {n}"}) for n in range(3)]
    assert link.outbox_size == 3
    await asyncio.sleep(0.2)  # several attempts fail against the closed port
    assert link.status.attempt >= 2
    await live.start()
    values = await asyncio.wait_for(asyncio.gather(*waiting), TIMEOUT)
    await until(lambda: link.replica.seq == live.world.seq)
    descriptions = sorted(i.description for i in live.world.incidents.values())
    assert descriptions == ["before", "while down 0", "while down 1", "while down 2"]
    assert {v["incident_id"] for v in values} <= set(live.world.incidents)
    assert link.outbox_size == 0
    assert_replica_matches(link.replica, live.world)
    assert LinkState.RECONNECTING in states and states[-1] is LinkState.CONNECTED
    assert all(0 <= d <= FAST.cap for d in link.delays)


async def test_a_command_in_flight_when_the_link_drops_is_resent_and_applied_once(live, link):
    await live.stop()
    await until(lambda: link.status.state is LinkState.RECONNECTING)
    # Sent into a dead link: the outbox keeps it; on resume it goes out again with the same id.
    future = link.submit("incident.create", {"description": "once"})
    await live.start()
    await asyncio.wait_for(future, TIMEOUT)
    await until(lambda: link.replica.seq == live.world.seq)
    assert [i.description for i in live.world.incidents.values()].count("once") == 1


class Slowest(random.Random):
    def uniform(self, a, b):
        return b


async def test_events_missed_while_away_are_replayed(live):
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.5, cap=0.5), rng=Slowest())
    link.start()
    await until(lambda: link.status.connected)
    for session in list(live.hub.sessions):
        await session.connection.close()  # the server drops us …
    other = ServerLink(live.url, live.tokens["supervisor"], backoff=FAST)
    other.start()
    await until(lambda: other.status.connected)
    for n in range(5):  # … while another position keeps working
        await other.command("incident.create", {"description": f"elsewhere {n}"})
    await until(lambda: link.status.connected and link.replica.seq == live.world.seq)
    assert_replica_matches(link.replica, live.world)
    assert link.welcome_modes == ["snapshot", "replay"]
    await other.close(), await link.close()


async def test_a_seq_gap_is_answered_by_a_resync(live, link):
    await link.command("incident.create", {"description": "one"})
    await link.command("incident.create", {"description": "two"})
    await until(lambda: link.replica.seq == live.world.seq)
    link.replica.seq -= 2  # pretend two events never arrived
    connections = len(link.delays)
    await link.command("incident.create", {"description": "three"})  # its event no longer fits
    await until(lambda: link.replica.seq == live.world.seq and link.status.connected)
    assert_replica_matches(link.replica, live.world)
    assert len(link.delays) == connections  # resynced at once, no backoff wait


async def test_gives_up_after_the_limit_and_retries_when_asked(live):
    await live.stop()
    link = ServerLink(live.url, live.tokens["dispatcher"], backoff=Backoff(base=0.01, cap=0.02, give_up_after=3))
    link.start()
    await until(lambda: link.status.state is LinkState.OFFLINE)
    assert len(link.delays) == 3 and "gave up after 3" in link.status.reason
    await live.start()
    await asyncio.sleep(0.1)
    assert link.status.state is LinkState.OFFLINE  # stays offline until asked
    link.retry_now()
    await until(lambda: link.status.connected)
    assert_replica_matches(link.replica, live.world)
    await link.close()


async def test_a_refused_token_goes_offline_with_the_reason(live):
    link = ServerLink(live.url, "not-a-token", backoff=FAST)
    link.start()
    await until(lambda: link.status.state is LinkState.OFFLINE)
    assert "refused the token" in link.status.describe()
    await link.close()


async def test_a_slow_link_reports_degraded_and_recovers(live, link):
    timing = link.timing
    link.timing = replace(timing, slow_ping=-1.0)  # every ping now counts as slow
    link.poll()
    assert link.status.degraded and link.status.describe().startswith("Connected — degraded: answers take")
    link.timing = timing
    link.poll()
    assert not link.status.degraded and link.status.describe() == "Connected"
