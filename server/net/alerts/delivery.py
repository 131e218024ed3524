"""Alert delivery: each target of a dispatch alert goes to the transport its config names,
with bounded retries; every failed attempt, and the final give-up, is reported to the
dispatcher through the `alert.failed` system command (an `unit.alert_failed` event and an
automatic incident log entry).

Targets whose config names no transport are delivered by the simulation when the server runs
one (demo, tests), else reported undeliverable at once: a real deployment never sees a fake
acknowledgement.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from server.domain.unit_status import UnitState
from server.domain.world import AlertRequest, World
from server.net.alerts.config import ConfigError, SmtpConfig, TargetConfig, WebhookConfig, parse
from server.net.alerts.message import compose

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("hurrinet.alerts")

Acknowledge = Callable[[str, str], None]  # (unit_id, target_id)
Report = Callable[[str, dict[str, Any]], None]  # runs a system command: (name, args)
REASON_MAX = 200
_ON_CALL = frozenset({UnitState.DISPATCHING, UnitState.DISPATCHED, UnitState.EN_ROUTE, UnitState.ON_SCENE})


class Delivery(Protocol):
    def deliver(self, request: AlertRequest, acknowledge: Acknowledge, report: Report) -> None: ...

    async def close(self) -> None: ...


def target_configs(world: World, environ: Mapping[str, str]) -> dict[str, TargetConfig]:
    """Every active target's transport, by target id; a bad config stops the server with the
    target's code and the problem."""
    configs: dict[str, TargetConfig] = {}
    problems = []
    for target in world.alert_targets.values():
        if not target.active:
            continue
        try:
            config = parse(target.config, environ)
        except ConfigError as error:
            problems.append(f"alert target {target.code}: {error}")
            continue
        if config is not None:
            configs[target.id] = config
    if problems:
        raise ConfigError("; ".join(problems))
    return configs


class AlertDelivery:
    def __init__(
        self,
        world: Callable[[], World],
        now: Callable[[], datetime],
        links: Callable[[str, str, str], tuple[str, str]],  # (unit, target, incident) → ack URLs
        configs: dict[str, TargetConfig],
        simulated: Delivery | None = None,
    ) -> None:
        self.world = world
        self.now = now
        self.links = links
        self.configs = configs
        self.simulated = simulated
        # The transports' libraries (httpx, aiosmtplib) and the client's TLS context cost about
        # 0.4 s of a start: only a deployment with a target that mails or posts pays for them.
        self.client: httpx.AsyncClient | None = None
        if configs:
            from server.net.alerts import transports

            self.transports = transports
            self.client = transports.httpx.AsyncClient(follow_redirects=False)
        self._tasks: set[asyncio.Task[None]] = set()

    def deliver(self, request: AlertRequest, acknowledge: Acknowledge, report: Report) -> None:
        others = tuple(t for t in request.target_ids if t not in self.configs)
        if others and self.simulated is not None:
            self.simulated.deliver(replace(request, target_ids=others), acknowledge, report)
        elif others:
            # After the hub has finished publishing the dispatch, never from inside it.
            loop = asyncio.get_running_loop()
            for target_id in others:
                loop.call_soon(self._undeliverable, request, target_id, report)
        for target_id in request.target_ids:
            if target_id in self.configs:
                task = asyncio.create_task(self._send(request, target_id, self.configs[target_id], report))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    def _undeliverable(self, request: AlertRequest, target_id: str, report: Report) -> None:
        _report(report, self.world(), request, target_id, "no delivery configured for this target", 1, True)

    async def _send(self, request: AlertRequest, target_id: str, config: TargetConfig, report: Report) -> None:
        attempts = config.retry.attempts
        for attempt in range(1, attempts + 1):
            if attempt > 1:
                await asyncio.sleep(config.retry.delay_before(attempt))
            world = self.world()
            if not _still_on(world, request):
                log.info("alert to %s: %s is off the incident, nothing more sent", target_id, request.unit_id)
                return
            alert = compose(world, request.unit_id, target_id, request.incident_id, self.now(),
                            self.links(request.unit_id, target_id, request.incident_id))  # fmt: skip
            transports = self.transports  # loaded with the configs that lead here
            try:
                if isinstance(config, SmtpConfig):
                    await transports.send_mail(alert, config)
                elif isinstance(config, WebhookConfig):
                    await transports.post_webhook(self.client, alert, config)
            except transports.DeliveryFailed as error:
                log.warning("alert %s → %s failed (attempt %d of %d): %s",
                            alert.callsign, alert.target.code, attempt, attempts, error)  # fmt: skip
                _report(report, world, request, target_id, str(error), attempt, attempt == attempts)
                continue
            log.info("alert %s → %s delivered (attempt %d)", alert.callsign, alert.target.code, attempt)
            return

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.client is not None:
            await self.client.aclose()
        if self.simulated is not None:
            await self.simulated.close()


def _still_on(world: World, request: AlertRequest) -> bool:
    """Whether the unit is still out on the incident the alert is about: worth another try."""
    status = world.unit_status.get(request.unit_id)
    return status is not None and status.assigned_to_incident_id == request.incident_id and status.state in _ON_CALL


def _report(report: Report, world: World, request: AlertRequest, target_id: str, reason: str,
            attempt: int, final: bool) -> None:  # fmt: skip
    unit = world.units.get(request.unit_id)
    if unit is None:
        return
    report("alert.failed", {"unit": unit.callsign, "target_id": target_id, "incident_id": request.incident_id,
                            "reason": reason[:REASON_MAX], "attempt": attempt, "final": final})  # fmt: skip
