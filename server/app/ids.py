"""Entity ids: nanoid's ids (21 symbols of its URL-safe alphabet) from the OS's secure source.

nanoid draws random bytes and keeps each byte's low bits while they pick a symbol, retrying
the rest; with its alphabet of exactly 64 symbols the low 6 bits of every byte pick one
uniformly and nothing is ever retried, so one table lookup per byte (`bytes.translate`, in C)
makes the same ids. Its Python loop cost about 25 µs an id, and `incident.create` makes two
(docs/performance.md).
"""

from __future__ import annotations

import os

from nanoid.resources import alphabet, size

assert len(alphabet) == 64, "each random byte's low 6 bits pick one symbol"
_SYMBOL_OF_BYTE = bytes(ord(alphabet[byte & 63]) for byte in range(256))


def new_id() -> str:
    return os.urandom(size).translate(_SYMBOL_OF_BYTE).decode("ascii")
