"""Reconnect rules: probe delays, and reasons in words."""

import random
import socket

from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosedError, InvalidStatus
from websockets.frames import Close
from websockets.http11 import Response

from hurrinet_tui.link import LinkState, LinkStatus
from hurrinet_tui.reconnect import Backoff, endpoint, reason_for

URL = "ws://dispatch.example:8765/ws"


def test_probe_delays_grow_to_a_short_ceiling_with_full_jitter():
    backoff = Backoff(base=0.5, probe_cap=1.5)
    rng = random.Random(3)
    samples = {a: [backoff.probe_delay(a, rng) for _ in range(300)] for a in (1, 2, 3, 10, 1000)}
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 1.5), (10, 1.5), (1000, 1.5)):
        assert all(0 <= d <= ceiling for d in samples[attempt])
        assert max(samples[attempt]) > ceiling * 0.9 and min(samples[attempt]) < ceiling * 0.1
    # A backoff with a tiny cap (tests) keeps its probes under that cap too.
    assert all(Backoff(base=0.01, cap=0.05).probe_delay(a, rng) <= 0.05 for a in range(1, 50))


def test_the_link_is_noticed_back_within_about_two_seconds_of_waiting_at_p95():
    # The wait left when the link returns is the residual of U(0, 1.5) waits: p95 ≈ 1.16 s.
    rng, backoff = random.Random(5), Backoff()
    delays = sorted(backoff.probe_delay(10, rng) for _ in range(2000))
    assert delays[int(0.95 * len(delays))] <= 1.5


def test_endpoint_reads_ws_and_wss_urls():
    assert endpoint(URL) == ("dispatch.example", 8765, False)
    assert endpoint("wss://d.example/ws") == ("d.example", 443, True)
    assert endpoint("ws://127.0.0.1/ws") == ("127.0.0.1", 80, False)


def test_reasons_say_what_a_dispatcher_can_act_on():
    def status(code: int) -> InvalidStatus:
        return InvalidStatus(Response(code, "x", Headers()))

    assert reason_for(ConnectionRefusedError(111, "Connection refused"), URL) == (
        "connection refused by dispatch.example:8765: is the server running?"
    )
    assert reason_for(socket.gaierror(-2, "Name or service not known"), URL) == (
        "bad host 'dispatch.example': Name or service not known"
    )
    assert reason_for(status(401), URL) == "HTTP 401 from dispatch.example:8765: the server refused the token"
    assert reason_for(status(502), URL) == "HTTP 502 from dispatch.example:8765 at the handshake"
    assert "no answer from dispatch.example:8765" in reason_for(TimeoutError(), URL)
    closed = ConnectionClosedError(Close(1001, "server shutting down"), None)
    assert reason_for(closed, URL) == "dispatch.example:8765 closed the connection (code 1001: server shutting down)"
    assert reason_for(ConnectionClosedError(None, None), URL) == "connection to dispatch.example:8765 lost"


def test_the_status_line_says_why_and_when_it_last_heard():
    down = LinkStatus(LinkState.RECONNECTING, attempt=3, retry_in=1.2, reason="connection refused by h:1",
                      last_heard=1000.0)  # fmt: skip
    assert down.describe(now=1042.0) == (
        "Disconnected — reconnecting in 1 s (attempt 3): connection refused by h:1 · last heard 42 s ago"
    )
    slow = LinkStatus(LinkState.CONNECTED, degraded=True, reason="nothing heard for 4 s", last_heard=1000.0)
    assert slow.describe(now=1004.0) == "Connected — degraded: nothing heard for 4 s · last heard 4 s ago"
    assert LinkStatus(LinkState.CONNECTED, last_heard=1000.0).describe(now=1300.0) == "Connected"
    assert LinkStatus(LinkState.OFFLINE, reason="gave up", last_heard=0.0).describe(now=7200.0) == (
        "Offline: gave up · last heard 2.0 h ago"
    )
