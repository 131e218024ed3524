"""How the link comes back: when to try again, how to tell a live server cheaply, and why it is
down in words a dispatcher can act on. No Textual; only `probe` does I/O.

Two kinds of attempt (docs/workstation.md, "Back after an outage"):
- a **probe**, `GET /healthz` with a short timeout: costs a dead server a refused TCP connect and
  a live one a two-line HTTP answer, so it may be repeated every second or so without hammering
  anything, and it tells "refused" from "bad host" from "no answer";
- a **session** (websocket handshake, token, hello, welcome): only once a probe got an answer.
  A server that answers probes but fails sessions gets the long full-jitter backoff.

Several servers (docs/failover.md): every failed probe or ended session moves on to the next URL
(`Servers`, round robin); the backoff counts attempts across all of them, so a room of
workstations whose servers are all down still spreads its retries out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import random
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed, InvalidStatus


@dataclass(frozen=True)
class Backoff:
    """Delays before the next attempt, all with full jitter: random(0, ceiling)."""

    base: float = 0.5
    cap: float = 30.0  # for sessions that fail although probes pass
    fast_attempts: int = 5  # failed sessions before waiting near the cap
    probe_cap: float = 1.5  # between probes: the link's return is noticed within this (+ a probe)
    give_up_after: int | None = None  # attempts; None keeps trying for the whole shift

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Before session attempt `attempt` (1-based) after failed sessions."""
        if attempt <= self.fast_attempts:
            return rng.uniform(0.0, min(self.cap, self.base * 2 ** (attempt - 1)))
        # Still jittered so that a room full of workstations does not retry in step.
        return rng.uniform(self.cap / 2, self.cap)

    def probe_delay(self, attempt: int, rng: random.Random) -> float:
        """Before probe `attempt` (1-based): exponential up to a short ceiling, fully jittered."""
        ceiling = min(self.probe_cap, self.cap, self.base * 2 ** (min(attempt, 32) - 1))
        return rng.uniform(0.0, ceiling)


@dataclass(frozen=True)
class LinkTiming:
    """How the link watches a live connection. Silence is measured from the last byte received
    (any frame, a pong, or part of a big frame still arriving), not from the last whole message."""

    ping_every: float = 2.0  # a websocket ping (10 B out, 6 B back): ~0.5 kB/min when idle
    degraded_after: float = 3.5  # silence shown as degraded; with pings every 2 s, within ~4 s
    dead_after: float = 10.0  # silence after which the connection is dropped and probes begin
    check_every: float = 0.5
    slow_answer: float = 5.0  # a command unanswered this long marks the link degraded
    slow_ping: float = 1.5  # a ping round trip this slow does too
    probe_timeout: float = 2.0
    open_timeout: float = 10.0  # websocket handshake, once a probe has answered
    stable_after: float = 5.0  # a session shorter than this did not really bring the link back


def endpoint(url: str) -> tuple[str, int, bool]:
    """Host, port and whether TLS, from a ws:// or wss:// URL."""
    parts = urlsplit(url)
    secure = parts.scheme == "wss"
    return parts.hostname or "localhost", parts.port or (443 if secure else 80), secure


def server_name(url: str) -> str:
    """host:port, as the status bar names a server (IPv6 in brackets)."""
    host, port, _ = endpoint(url)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class BadServerURL(ValueError):
    pass


def server_urls(urls: Iterable[str]) -> tuple[str, ...]:
    """The URLs to fail over between, in order: each ws:// or wss:// with a host; commas also
    separate (`ws://a/ws,ws://b/ws`); a repeated URL is kept once. Raises BadServerURL naming it."""
    found: list[str] = []
    for given in urls:
        for url in (part.strip() for part in given.split(",")):
            if not url:
                continue
            parts = urlsplit(url)
            if parts.scheme not in ("ws", "wss") or not parts.hostname:
                raise BadServerURL(f"not a server URL: {url!r} (expected ws://HOST:PORT/ws or wss://…)")
            try:
                _ = parts.port  # raises on a port that is not a number
            except ValueError:
                raise BadServerURL(f"not a server URL: {url!r} (the port is not a number)") from None
            if url not in found:
                found.append(url)
    if not found:
        raise BadServerURL("no server URL given")
    return tuple(found)


class Servers:
    """The servers a link may use and the one it is on: round robin, one step per failure. A
    failed server comes round again after the others (it may be back by then), never skipped."""

    def __init__(self, urls: Iterable[str]) -> None:
        self.urls = tuple(urls)
        if not self.urls:
            raise ValueError("a link needs at least one server URL")
        self.index = 0

    @property
    def current(self) -> str:
        return self.urls[self.index]

    @property
    def several(self) -> bool:
        return len(self.urls) > 1

    def fail_over(self) -> str:
        """Move to the next server (the same one when there is only one) and return its URL."""
        self.index = (self.index + 1) % len(self.urls)
        return self.current


class Retries:
    """The reconnect rules without I/O: which server next, how long to wait first, when to give
    up. `attempt` counts failures since the link was last up (on any server); `failed_sessions`
    the sessions that failed although their probe had passed (they get the long backoff)."""

    def __init__(self, servers: Servers, backoff: Backoff, rng: random.Random) -> None:
        self.servers, self.backoff, self.rng = servers, backoff, rng
        self.attempt = 0
        self.failed_sessions = 0

    @property
    def waiting(self) -> bool:
        """Whether the next session waits for a delay and a probe (not the first, not a retry asked for)."""
        return self.attempt > 0

    @property
    def gave_up(self) -> bool:
        return self.backoff.give_up_after is not None and self.attempt > self.backoff.give_up_after

    def delay(self) -> float:
        if self.failed_sessions:
            return self.backoff.delay(self.failed_sessions, self.rng)
        return self.backoff.probe_delay(self.attempt, self.rng)

    def probe_failed(self) -> None:
        self.attempt += 1
        self.servers.fail_over()

    def session_ended(self, was_up: bool, probed: bool) -> None:
        """A session ended for any reason but a refused token or a resync: down, shutting down
        (1001), silent, or dropping us. The next server may serve us; a session that was up
        starts the count afresh, one that failed after its probe passed gets the long backoff."""
        self.servers.fail_over()
        if was_up:
            self.attempt, self.failed_sessions = 1, 0
        else:
            self.attempt, self.failed_sessions = self.attempt + 1, self.failed_sessions + probed

    def reset(self) -> None:
        """The dispatcher asked to try again (after offline): at once, on the server it is at."""
        self.attempt, self.failed_sessions = 0, 0


def reason_for(error: BaseException, url: str) -> str:
    """Why a connection failed or ended, as a dispatcher (or the person they call) needs it."""
    host, port, _ = endpoint(url)
    where = f"{host}:{port}"
    if isinstance(error, InvalidStatus):
        code = error.response.status_code
        if code == 401:
            return f"HTTP 401 from {where}: the server refused the token"
        if code == 403:
            return f"HTTP 403 from {where}: this account may not connect"
        return f"HTTP {code} from {where} at the handshake"
    if isinstance(error, ConnectionClosed):
        frame = error.rcvd or error.sent
        if frame is None:
            return f"connection to {where} lost"
        said = f": {frame.reason}" if frame.reason else ""
        return f"{where} closed the connection (code {frame.code}{said})"
    if isinstance(error, socket.gaierror):
        return f"bad host {host!r}: {error.strerror or 'name not found'}"
    if isinstance(error, ConnectionRefusedError):
        return f"connection refused by {where}: is the server running?"
    if isinstance(error, TimeoutError):
        return f"no answer from {where} (link down, or the server is stuck)"
    if isinstance(error, ConnectionResetError):
        return f"connection to {where} reset"
    if isinstance(error, ssl.SSLError):
        return f"TLS failed with {where}: {error.reason or error}"
    if isinstance(error, OSError) and error.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH, errno.ENETDOWN):
        return f"{where} unreachable: {error.strerror} (is this machine's network up?)"
    if isinstance(error, OSError) and error.strerror:
        return f"{where}: {error.strerror}"
    return f"{where}: {error}"


async def probe(url: str, timeout: float) -> str | None:
    """Ask the server's health check. None: something answers there (go ahead and connect);
    else why not, in words. A 5xx (a proxy in front of a dead server) counts as down; any other
    answer as up, so a proxy that hides /healthz does not lock the workstation out."""
    host, port, secure = endpoint(url)
    writer = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port, ssl=secure or None)
            writer.write(f"GET /healthz HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
            line = await reader.readline()
    except (OSError, TimeoutError) as error:
        return reason_for(error, url)
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), 0.2)
    words = line.decode("latin-1").split()
    if len(words) < 2 or not words[0].startswith("HTTP/") or not words[1].isdigit():
        return f"{host}:{port} answered, but not as a HurriNet server ({line[:40]!r})"
    status = int(words[1])
    return f"HTTP {status} from {host}:{port}/healthz" if status >= 500 else None
