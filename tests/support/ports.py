"""Loopback ports for the tests' own servers."""

from __future__ import annotations

import socket


def free_port() -> int:
    """A loopback port free a moment ago: for a server about to listen there, or, left
    unused, one whose connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
