"""Failover between several servers, without sockets: the URL list, round robin, the backoff
across servers, the status line, and where the URLs come from (command line, config file)."""

from __future__ import annotations

import random

import pytest

from hurrinet_tui.__main__ import build_parser, urls_from
from hurrinet_tui.config import ConfigError, WorkstationConfig, read_config
from hurrinet_tui.link import FAILOVER_SHOWN_S, LinkState, LinkStatus
from hurrinet_tui.reconnect import Backoff, BadServerURL, Retries, Servers, server_name, server_urls

A, B, C = "ws://a.example:8765/ws", "ws://b.example:8765/ws", "wss://c.example/ws"


# --- the list of servers -----------------------------------------------------------------------
def test_urls_are_kept_in_order_split_on_commas_and_named_once():
    assert server_urls([A]) == (A,)
    assert server_urls([A, f"{B},{C}"]) == (A, B, C)
    assert server_urls([f" {A} , {B} ", A, ""]) == (A, B)


@pytest.mark.parametrize(
    ("given", "says"),
    [
        (["http://a.example/ws"], "not a server URL: 'http://a.example/ws'"),
        (["ws:///ws"], "not a server URL: 'ws:///ws'"),
        (["ws://a.example:port/ws"], "the port is not a number"),
        ([" , "], "no server URL given"),
    ],
)
def test_a_bad_url_is_named(given, says):
    with pytest.raises(BadServerURL, match=says):
        server_urls(given)


def test_a_server_is_named_by_host_and_port():
    assert server_name(A) == "a.example:8765"
    assert server_name(C) == "c.example:443"
    assert server_name("ws://[::1]:8765/ws") == "[::1]:8765"


def test_round_robin_comes_back_to_a_failed_server_after_the_others():
    servers = Servers([A, B, C])
    assert servers.several and servers.current == A
    assert [servers.fail_over() for _ in range(5)] == [B, C, A, B, C]
    one = Servers([A])
    assert not one.several and one.fail_over() == A == one.current
    with pytest.raises(ValueError):
        Servers([])


# --- when and where the link tries next --------------------------------------------------------
def test_each_failed_probe_moves_on_and_the_backoff_counts_across_servers():
    retries = Retries(Servers([A, B, C]), Backoff(base=0.5, probe_cap=1.5), random.Random(1))
    assert not retries.waiting  # the first session goes at once, without a probe
    retries.session_ended(was_up=False, probed=False)  # A refused the connection
    tried, ceilings = [], []
    for _ in range(6):
        tried.append(retries.servers.current)
        ceilings.append(min(1.5, 0.5 * 2 ** (retries.attempt - 1)))
        assert 0 <= retries.delay() <= ceilings[-1]
        retries.probe_failed()
    assert tried == [B, C, A, B, C, A]
    # The ceiling grows with attempts on all servers together, not afresh on each one.
    assert ceilings == [0.5, 1.0, 1.5, 1.5, 1.5, 1.5]


def test_a_lasting_session_that_ends_starts_the_count_afresh_on_the_next_server():
    retries = Retries(Servers([A, B]), Backoff(), random.Random(2))
    for _ in range(4):
        retries.probe_failed()
    retries.session_ended(was_up=True, probed=True)  # up on A for a while, then A went away
    assert (retries.attempt, retries.failed_sessions, retries.servers.current) == (1, 0, B)
    assert retries.delay() <= Backoff().base  # the first wait after a lasting session is short


def test_sessions_that_fail_after_their_probe_passed_get_the_long_backoff_with_full_jitter():
    backoff = Backoff(base=0.5, cap=30.0, fast_attempts=2)
    retries = Retries(Servers([A, B]), backoff, random.Random(4))
    retries.session_ended(was_up=False, probed=False)
    for _ in range(3):  # each server answers its probe but drops the session at once
        retries.session_ended(was_up=False, probed=True)
    assert retries.failed_sessions == 3 and retries.servers.current == A
    delays = [retries.delay() for _ in range(200)]
    assert all(15.0 <= d <= 30.0 for d in delays) and len(set(delays)) == 200  # near the cap, jittered


def test_giving_up_counts_attempts_on_every_server_and_a_retry_stays_where_it_is():
    retries = Retries(Servers([A, B]), Backoff(give_up_after=3), random.Random(5))
    retries.session_ended(was_up=False, probed=False)
    retries.probe_failed()
    retries.probe_failed()
    assert not retries.gave_up and retries.attempt == 3
    retries.probe_failed()
    assert retries.gave_up
    at = retries.servers.current
    retries.reset()  # the dispatcher pressed Ctrl+R
    assert not retries.waiting and retries.servers.current == at


# --- what the status line says -----------------------------------------------------------------
def test_with_one_server_the_line_reads_as_before():
    assert LinkStatus(LinkState.CONNECTED).describe(now=0.0) == "Connected"
    assert LinkStatus(LinkState.RECONNECTING, attempt=2, retry_in=1.0).describe() == (
        "Disconnected — reconnecting in 1 s (attempt 2)"
    )


def test_with_several_servers_the_line_names_the_server_and_a_recent_failover():
    moved = LinkStatus(LinkState.CONNECTED, server="b.example:8765", failed_over_from="a.example:8765",
                       failed_over_at=1000.0)  # fmt: skip
    assert moved.describe(now=1042.0) == "Connected to b.example:8765 · failed over from a.example:8765 42 s ago"
    assert moved.describe() == "Connected to b.example:8765 · failed over from a.example:8765"
    assert moved.describe(now=1000.0 + FAILOVER_SHOWN_S) == "Connected to b.example:8765"
    slow = LinkStatus(LinkState.CONNECTED, degraded=True, reason="answers take 2.0 s", server="b.example:8765",
                      failed_over_from="a.example:8765", failed_over_at=1000.0)  # fmt: skip
    assert slow.describe(now=1120.0) == (
        "Connected to b.example:8765 — degraded: answers take 2.0 s · failed over from a.example:8765 2 min ago"
    )
    away = LinkStatus(LinkState.RECONNECTING, attempt=1, retry_in=0.4, server="b.example:8765",
                      reason="a.example:8765 closed the connection (code 1001: server shutting down)")  # fmt: skip
    assert away.describe() == (
        "Disconnected — trying b.example:8765 in 0 s (attempt 1): "
        "a.example:8765 closed the connection (code 1001: server shutting down)"
    )
    assert LinkStatus(server="a.example:8765").describe() == "Connecting to a.example:8765…"


# --- where the URLs come from ------------------------------------------------------------------
def test_the_config_file_takes_one_url_or_a_list(tmp_path):
    config = tmp_path / "workstation.toml"
    config.write_text(f'server = "{A}"\n')
    assert read_config(config).server == (A,)
    config.write_text(f'server = ["{A}", "{B}", "{A}"]\n')
    assert read_config(config).server == (A, B)
    assert read_config(tmp_path / "missing.toml").server is None


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("server = 8765", "server must be a URL or a list of URLs, not 8765"),
        ('server = ["ws://a/ws", 1]', "server must be a URL or a list of URLs"),
        ('server = ["http://a/ws"]', "server: not a server URL: 'http://a/ws'"),
        ("server = []", "server: no server URL given"),
    ],
)
def test_a_bad_server_setting_is_named_with_the_file(tmp_path, line, says):
    config = tmp_path / "workstation.toml"
    config.write_text(line + "\n")
    with pytest.raises(ConfigError, match=str(config)) as error:
        read_config(config)
    assert says in str(error.value)


def test_urls_on_the_command_line_win_over_the_config_file():
    config = WorkstationConfig(server=(C,))
    parse = build_parser().parse_args
    assert urls_from(parse(["connect", A]).url, config) == (A,)  # one URL, as it always worked
    assert urls_from(parse(["connect", A, B]).url, config) == (A, B)
    assert urls_from(parse(["connect", f"{A},{B}"]).url, config) == (A, B)
    assert urls_from(parse(["connect"]).url, config) == (C,)
    assert urls_from(parse(["connect"]).url, WorkstationConfig()) is None
    with pytest.raises(ConfigError, match="not a server URL: 'localhost:8765'"):
        urls_from(parse(["connect", "localhost:8765"]).url, config)
