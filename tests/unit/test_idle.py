"""The idle lock's clock, on a clock the test moves."""

from __future__ import annotations

import pytest

from hurrinet_tui.idle import IdleClock


def test_the_idle_clock_counts_from_the_last_input():
    now = [100.0]
    idle = IdleClock(60, clock=lambda: now[0])
    now[0] = 130.0
    assert idle.remaining() == 30.0
    idle.touch()
    now[0] = 170.0
    assert idle.remaining() == 20.0
    now[0] = 500.0
    assert idle.remaining() == 0.0
    with pytest.raises(ValueError, match="more than 0 seconds"):
        IdleClock(0)
