"""A protocol client that fails over between servers, for the cluster tests.

It keeps a real workstation replica (hurrinet_tui.replica: pure, no Textual), resumes with
`last_seq` on whichever server it reaches next, resends its unanswered commands under the same
`command_id`, and records every fault a dispatcher would care about: an event out of order, an
`internal` answer, a command answered twice differently.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from hurrinet_tui.replica import Replica, SeqGap
from server.protocol import PROTOCOL_VERSION


@dataclass
class FailoverClient:
    ports: list[int]
    token: str
    name: str
    replica: Replica = field(default_factory=Replica)
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    gaps: list[str] = field(default_factory=list)
    failovers: int = 0
    server_index: int = 0  # the server (of `ports`) it is on or trying next
    _pending: dict[str, dict[str, Any]] = field(default_factory=dict)
    _waiting: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _connection: ClientConnection | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None

    def start(self, first: int = 0) -> None:
        self.server_index = first
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._connection is not None:
            await self._connection.close()

    async def command(self, name: str, command_id: str, **args: Any) -> dict[str, Any]:
        """Send (and, after a failover, resend) until the command is answered."""
        frame = {"type": "command", "command_id": command_id, "name": name, "args": args}
        future = asyncio.get_running_loop().create_future()
        self._pending[command_id] = frame
        self._waiting[command_id] = future
        if self.ready.is_set() and self._connection is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._connection.send(json.dumps(frame))
        return await future

    async def settled(self, seq: int) -> None:
        while not (self.ready.is_set() and self.replica.complete and (self.replica.seq or 0) >= seq):
            await asyncio.sleep(0.05)

    async def _run(self) -> None:
        while True:
            port = self.ports[self.server_index % len(self.ports)]
            with contextlib.suppress(ConnectionClosed, OSError, InvalidHandshake, InvalidStatus, asyncio.TimeoutError):
                await self._session(port)
            self.ready.clear()
            self._connection = None
            self.server_index += 1
            self.failovers += 1
            await asyncio.sleep(0.1)

    async def _session(self, port: int) -> None:
        async with connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {self.token}"},
                           open_timeout=3, close_timeout=1, compression=None) as connection:  # fmt: skip
            last_seq = self.replica.seq if self.replica.complete else None
            await connection.send(json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION, "last_seq": last_seq}))
            async for message in connection:
                frame = json.loads(message)
                kind = frame["type"]
                if kind == "welcome":
                    if frame["mode"] == "snapshot":
                        self.replica.begin_snapshot(frame["seq"])
                    self._connection = connection
                    self.ready.set()
                    for pending in list(self._pending.values()):  # idempotent by command_id
                        await connection.send(json.dumps(pending))
                elif kind == "snapshot":
                    self.replica.load_part(frame["data"], last=frame["part"] == frame["parts"] - 1)
                    await connection.send(json.dumps({"type": "snapshot.ack", "part": frame["part"]}))
                elif kind == "event":
                    try:
                        self.replica.apply(frame)
                    except SeqGap as gap:
                        self.gaps.append(f"{self.name} on :{port}: {gap}")
                        return  # resynchronise elsewhere, as the workstation does
                elif kind == "result":
                    self._answered(frame)

    def _answered(self, frame: dict[str, Any]) -> None:
        command_id = frame["command_id"]
        before = self.answers.get(command_id)
        if before is not None and before != frame:
            self.gaps.append(f"{self.name}: {command_id} answered twice differently: {before} then {frame}")
        self.answers[command_id] = frame
        self._pending.pop(command_id, None)
        future = self._waiting.pop(command_id, None)
        if future is not None and not future.done():
            future.set_result(frame)
