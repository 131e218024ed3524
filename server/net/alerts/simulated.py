"""The simulated delivery of the demo and the tests: acknowledges after a configurable delay,
or fails (never acknowledges) on request."""

from __future__ import annotations

import asyncio
from collections import deque

from server.domain.world import AlertRequest
from server.net.alerts.delivery import Acknowledge, Report


class SimulatedDelivery:
    """Acknowledges each alert after `delay_s`; targets in `failing` never answer."""

    def __init__(self, delay_s: float = 2.0, failing: set[str] | None = None) -> None:
        self.delay_s = delay_s
        self.failing = failing or set()
        self.sent: deque[AlertRequest] = deque(maxlen=1000)  # recent alerts, for inspection

    def deliver(self, request: AlertRequest, acknowledge: Acknowledge, report: Report | None = None) -> None:
        self.sent.append(request)
        loop = asyncio.get_running_loop()
        for target_id in request.target_ids:
            if target_id not in self.failing:
                loop.call_later(self.delay_s, acknowledge, request.unit_id, target_id)

    async def close(self) -> None:
        """Nothing in flight that outlives the loop's own timers."""
