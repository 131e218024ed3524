"""The archiver: moves ended incidents (and unlinked ended calls) out of the live state on a
schedule, and on demand (`hurrinet-server archive`). docs/archive.md.

Each step copies a batch into the archive and commits it there first; only then does the
system command `incident.archive` remove the batch from the live state in one live
transaction with one `incident.archived` event per incident. A crash between the two leaves
the batch in both places, and the next run copies it again (idempotent) and removes it:
nothing is lost and nothing stays doubled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from server.app.commands import CommandRunner
from server.domain.operations.archive import Archivable, archivable, fingerprint

log = logging.getLogger("hurrinet.archiver")

BATCH = 200  # incidents (and calls) per step: one archive transaction, one live transaction

RunSystem = Callable[[str, dict[str, Any]], Any]


@dataclass
class Totals:
    incidents: int = 0
    calls: int = 0
    skipped: int = 0


def removal_args(items: Archivable, older_than: timedelta) -> dict[str, Any]:
    """The system command that removes what was copied, with each item's fingerprint."""
    return {
        "incidents": {i.id: fingerprint(i, calls) for i, calls in items.incidents},
        "calls": {c.id: fingerprint(c) for c in items.calls},
        "older_than_s": older_than.total_seconds(),
    }


def archive_now(runner: CommandRunner, older_than: timedelta) -> Totals:
    """Archive everything due, synchronously, on a runner no server is using (the CLI)."""
    totals = Totals()
    while True:
        now = runner.clock.now()
        items = archivable(runner.world, now, older_than, BATCH)
        if not items:
            return totals
        runner.archive.put(items, now)
        outcome = runner.run_system("incident.archive", removal_args(items, older_than))
        if not outcome.ok:
            raise RuntimeError(f"the live removal failed: {outcome.result.get('message')}")
        _count(totals, outcome.result)
        if not outcome.result["archived"] and not outcome.result["calls"]:
            return totals  # everything left changed under us; the next run takes it


def _count(totals: Totals, result: dict[str, Any]) -> None:
    totals.incidents += len(result["archived"])
    totals.calls += len(result["calls"])
    totals.skipped += len(result["skipped"])
    for item in result["skipped"]:
        log.info("not archived this time: %s", item["reason"])


class Archiver:
    """Runs in the server's loop: every `interval_s`, archives what ended longer ago than the
    deployment's `archive_after_s`, a batch at a time, the archive's writes in a thread."""

    def __init__(self, runner: CommandRunner, settle: Callable[[], Awaitable[None]], run_system: RunSystem,
                 interval_s: float) -> None:  # fmt: skip
        self.runner = runner
        self.settle = settle  # commit whatever the hub has prepared: a batch is picked from committed state
        self.run_system = run_system
        self.interval_s = interval_s
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.interval_s > 0:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            try:
                await self.run()
            except Exception:  # a bad run must not end the schedule; the next one retries
                log.exception("archiving failed; it will be tried again in %g s", self.interval_s)

    async def run(self, older_than: timedelta | None = None) -> int:
        """One run: every batch due now; returns how many incidents left the live state."""
        older_than = older_than if older_than is not None else timedelta(
            seconds=self.runner.world.deployment.archive_after_s)  # fmt: skip
        archived = 0
        while True:
            await self.settle()
            now: datetime = self.runner.clock.now()
            items = archivable(self.runner.world, now, older_than, BATCH)
            if not items:
                break
            await asyncio.to_thread(self.runner.archive.put, items, now)
            # Whatever changed while the copy was written is kept live (its fingerprint differs)
            # and copied again on the next run.
            self.run_system("incident.archive", removal_args(items, older_than))
            await self.settle()
            left = [i.id for i, _ in items.incidents if i.id not in self.runner.world.incidents]
            gone = [c.id for c in items.calls if c.id not in self.runner.world.calls]
            archived += len(left)
            if not left and not gone:
                break  # nothing of this batch could go: stop rather than copy it again at once
            await asyncio.sleep(0)
        if archived:
            log.info("archived %d incident(s)", archived)
        return archived
