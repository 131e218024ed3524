"""How long the workstation has gone without a key or a mouse: the idle lock's clock. No Textual.

Input only stamps a time (it arrives with every key and mouse move, so it must cost nothing);
the one timer asks `remaining()` when it fires and is set again for what is left, rather than
being cancelled and re-armed on every keystroke.
"""

from __future__ import annotations

import time
from collections.abc import Callable

DEFAULT_MINUTES = 30.0


class IdleClock:
    def __init__(self, limit_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        if limit_s <= 0:
            raise ValueError(f"the idle limit must be more than 0 seconds, not {limit_s}")
        self.limit_s = limit_s
        self.clock = clock
        self.last_input = clock()

    def touch(self) -> None:
        self.last_input = self.clock()

    def remaining(self) -> float:
        """Seconds until the workstation counts as idle; 0 once it is."""
        return max(self.limit_s - (self.clock() - self.last_input), 0.0)
