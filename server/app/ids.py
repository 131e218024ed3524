"""Entity ids: 21 symbols of nanoid's URL-safe alphabet, in the order they are made.

An id is 8 symbols of the millisecond it was made (48 bits, good for 8,000 years) then
13 random symbols (78 bits from the OS's secure source, so two servers or two ids in one
millisecond do not collide). The time symbols use the alphabet sorted by byte, so ids sort as
they were made: the primary-key indexes of incidents and log entries then grow at their right
edge, and a batch of 24 `incident.create`s writes 33 pages to the WAL instead of 83 (random
keys land on a different index page each; docs/performance.md).

The random symbols come from nanoid's alphabet: with exactly 64 symbols the low 6 bits of
every random byte pick one uniformly, so one table lookup per byte (`bytes.translate`, in C)
makes them. The random bytes are drawn 256 ids at a time: `os.urandom` is a system call, and
one per id was 5 % of the server's loop under load.
"""

from __future__ import annotations

import base64
import os
import time

from nanoid.resources import alphabet, size

assert len(alphabet) == 64, "each random byte's low 6 bits pick one symbol"
_SYMBOL_OF_BYTE = bytes(ord(alphabet[byte & 63]) for byte in range(256))
_TIME_SYMBOLS = "".join(sorted(alphabet))  # by byte, so the prefix sorts as the time does
_TIME_LENGTH = 8  # symbols of 6 bits: the 6 bytes of a 48-bit millisecond count, as base64 has them
# base64 writes 6 bytes as 8 symbols of 6 bits, most significant first (in C); this maps its
# alphabet, position for position, onto the sorted one.
_BASE64_TO_TIME = bytes.maketrans(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", _TIME_SYMBOLS.encode("ascii")
)
_RANDOM_LENGTH = size - _TIME_LENGTH
_DRAWN_AT_ONCE = 256

_suffixes: list[str] = []
os.register_at_fork(after_in_child=_suffixes.clear)  # a forked child must not repeat its parent's draws
_last_millisecond = -1
_last_prefix = ""


# Counted from 1 << 42 (the first symbol's second value, "0"): until the year 2109 the count
# itself is under 1 << 42, and its first symbol would be "-", which command lines take for an
# option's dash.
_COUNT_FROM = 1 << 42


def _time_prefix(millisecond: int) -> str:
    count = _COUNT_FROM + millisecond
    return base64.b64encode(count.to_bytes(6, "big")).translate(_BASE64_TO_TIME).decode("ascii")


def _draw() -> list[str]:
    symbols = os.urandom(_RANDOM_LENGTH * _DRAWN_AT_ONCE).translate(_SYMBOL_OF_BYTE).decode("ascii")
    return [symbols[n : n + _RANDOM_LENGTH] for n in range(0, len(symbols), _RANDOM_LENGTH)]


def new_id() -> str:
    global _last_millisecond, _last_prefix
    millisecond = time.time_ns() // 1_000_000
    if millisecond != _last_millisecond:
        _last_millisecond, _last_prefix = millisecond, _time_prefix(millisecond)
    try:
        suffix = _suffixes.pop()  # atomic: a thread that finds the list empty draws its own
    except IndexError:
        fresh = _draw()
        suffix = fresh.pop()
        _suffixes.extend(fresh)
    return _last_prefix + suffix
