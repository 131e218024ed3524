"""The workstation's link given two server URLs, against two real server processes on 127.0.0.1.

The servers keep separate databases (tests/support/pair.py), so these tests assert only what
does not depend on shared state: where the link goes, what its status says, what it resends,
and that a refused token does not send it elsewhere. With separate databases the second server
cannot replay what the first one did, so it answers the resume with a snapshot of its own.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from hurrinet_tui.link import Backoff, LinkState, LinkStatus, ServerLink
from hurrinet_tui.reconnect import server_name
from tests.support.pair import make_seed, two_servers

FAST = Backoff(base=0.01, cap=0.05, fast_attempts=3)
TIMEOUT = 30.0  # two server processes on a shared 2-core machine


@pytest.fixture(scope="module")
def seed(template_db, tmp_path_factory):
    return make_seed(template_db, tmp_path_factory.mktemp("failover-seed"))


@pytest.fixture
async def servers(seed, tmp_path):
    async with two_servers(seed, tmp_path) as pair:
        yield pair


async def until(condition, timeout: float = TIMEOUT) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.01)


def descriptions(link: ServerLink) -> list[str]:
    return [incident["description"] for incident in link.replica.incidents.values()]


async def test_a_killed_server_is_left_for_the_next_and_the_outbox_goes_there(seed, servers):
    a, b = servers
    link = ServerLink([a.url, b.url], seed.token, backoff=FAST, rng=random.Random(7))
    statuses: list[LinkStatus] = []
    link.status_listeners.append(statuses.append)
    link.start()
    try:
        await until(lambda: link.status.connected)
        assert link.sessions_on == [a.url] and link.status.server == server_name(a.url)
        assert link.status.failed_over_from is None and link.status.describe() == f"Connected to {server_name(a.url)}"
        await link.command("incident.create", {"description": "on the first server"})

        a.kill()  # SIGKILL: no close frame, no goodbye
        # Typed as it died: sent into a dead connection or held while reconnecting; either way
        # the outbox keeps it until an answer, and it goes out on the second server.
        typed = link.submit("incident.create", {"description": "typed as the first server died"})
        value = await asyncio.wait_for(typed, TIMEOUT)
        await until(lambda: link.status.connected and value["incident_id"] in link.replica.incidents)

        assert link.sessions_on == [a.url, b.url] and link.url == b.url
        status = link.status
        assert status.server == server_name(b.url) and status.failed_over_from == server_name(a.url)
        assert status.failed_over_at is not None and abs(time.time() - status.failed_over_at) < TIMEOUT
        assert status.describe(now=status.failed_over_at + 3) == (
            f"Connected to {server_name(b.url)} · failed over from {server_name(a.url)} 3 s ago"
        )
        # While away it said it was reconnecting to the second server, and why it left the first.
        away = [s for s in statuses if s.state is LinkState.RECONNECTING]
        assert away and away[0].server == server_name(b.url)
        assert server_name(a.url) in away[0].reason
        # Separate databases: the second server's log is shorter than our last_seq, so it sent a
        # snapshot (on a shared database it would replay); the command applied there once.
        assert link.welcome_modes == ["snapshot", "snapshot"]
        assert descriptions(link).count("typed as the first server died") == 1
        assert "on the first server" not in descriptions(link)
        assert link.outbox_size == 0
    finally:
        await link.close()


async def test_a_server_shutting_down_sends_the_link_to_the_next_and_round_again(seed, servers):
    a, b = servers
    link = ServerLink([a.url, b.url], seed.token, backoff=FAST, rng=random.Random(3))
    statuses: list[LinkStatus] = []
    link.status_listeners.append(statuses.append)
    link.start()
    try:
        await until(lambda: link.status.connected)
        await a.stop()  # SIGTERM: the server closes every session with 1001 "shutting down"
        await until(lambda: link.status.connected and link.url == b.url)
        away = [s for s in statuses if s.state is LinkState.RECONNECTING]
        assert away and "code 1001" in away[0].reason and away[0].server == server_name(b.url)
        assert link.status.failed_over_from == server_name(a.url)
        # Then the second goes too: with both down it goes round them, and what is typed waits.
        mark = len(statuses)
        await b.stop()
        await until(lambda: link.status.state is LinkState.RECONNECTING)
        typed = [link.submit("incident.create", {"description": f"typed with both down {n}"}) for n in range(2)]
        both = {server_name(a.url), server_name(b.url)}
        await until(lambda: {s.server for s in statuses[mark:] if s.state is LinkState.RECONNECTING} == both)
        assert link.outbox_size == 2 and not any(future.done() for future in typed)
        # The first returns: the link lands there (round robin) and the outbox goes out, once each.
        await a.start()
        values = await asyncio.wait_for(asyncio.gather(*typed), TIMEOUT)
        await until(lambda: link.status.connected and all(v["incident_id"] in link.replica.incidents for v in values))
        assert link.sessions_on == [a.url, b.url, a.url] and link.outbox_size == 0
        assert link.status.failed_over_from == server_name(b.url)
        assert sorted(d for d in descriptions(link) if d.startswith("typed with both down")) == [
            "typed with both down 0", "typed with both down 1"]  # fmt: skip
    finally:
        await link.close()


async def test_a_refused_token_is_not_a_reason_to_fail_over(seed, servers):
    a, b = servers
    # This token is known to the second server only: the first refuses it with HTTP 401, and a
    # workstation whose token is refused must say so, not wander to a server that takes it.
    link = ServerLink([a.url, b.url], seed.second_only_token, backoff=FAST)
    link.start()
    try:
        await until(lambda: link.status.state is LinkState.OFFLINE)
        assert "HTTP 401" in link.status.reason and server_name(a.url) in link.status.reason
        link.retry_now()  # the dispatcher presses Ctrl+R: the same server, refused again
        await asyncio.sleep(0.5)
        assert link.status.state is LinkState.OFFLINE and link.url == a.url and link.sessions_on == []
    finally:
        await link.close()
    elsewhere = ServerLink(b.url, seed.second_only_token, backoff=FAST)  # the token itself is good
    elsewhere.start()
    try:
        await until(lambda: elsewhere.status.connected)
    finally:
        await elsewhere.close()


async def test_a_first_server_down_at_start_is_passed_over_without_calling_it_a_failover(seed, servers):
    a, b = servers
    a.kill()
    link = ServerLink([a.url, b.url], seed.token, backoff=FAST)
    link.start()
    try:
        await until(lambda: link.status.connected)
        assert link.sessions_on == [b.url] and link.status.server == server_name(b.url)
        # It never was on the first: the line names where it is and claims no failover.
        assert link.status.failed_over_from is None
        assert link.status.describe(now=time.time()) == f"Connected to {server_name(b.url)}"
    finally:
        await link.close()
