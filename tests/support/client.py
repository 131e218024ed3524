"""A minimal protocol client for tests: real websockets to a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect

from server.protocol import PROTOCOL_VERSION

TIMEOUT = 5.0
_ids = itertools.count()


class Client:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.events: list[dict[str, Any]] = []
        self.welcome: dict[str, Any] | None = None

    @classmethod
    async def open(cls, port: int, token: str, hello: bool = True, last_seq: int | None = None,
                   compression: str | None = None) -> Client:  # fmt: skip
        connection = await connect(f"ws://127.0.0.1:{port}/ws", additional_headers={"Authorization": f"Bearer {token}"},
                                   open_timeout=TIMEOUT, compression=compression)  # fmt: skip
        client = cls(connection)
        if hello:
            await client.hello(last_seq)
        return client

    async def receive(self) -> dict[str, Any]:
        frame = json.loads(await asyncio.wait_for(self.connection.recv(), TIMEOUT))
        if frame.get("type") == "event":
            self.events.append(frame)
        return frame

    async def hello(self, last_seq: int | None = None) -> dict[str, Any]:
        await self.connection.send(json.dumps({"type": "hello", "protocol": PROTOCOL_VERSION, "last_seq": last_seq}))
        frame = await self.receive()
        assert frame["type"] == "welcome", frame
        self.welcome = frame
        if frame["mode"] == "replay":
            while (self.events[-1]["seq"] if self.events else last_seq) < frame["seq"]:
                await self.receive()
        else:
            frame["snapshot"] = await self.snapshot_parts(frame)
        return frame

    async def snapshot_parts(self, welcome: dict[str, Any]) -> dict[str, Any]:
        """Receive the snapshot's parts (acknowledging each) and join them into one object."""
        snapshot: dict[str, Any] = {"seq": welcome["seq"]}
        for expected in range(welcome["parts"]):
            part = await self.receive()
            assert part["type"] == "snapshot" and part["part"] == expected, part
            await self.connection.send(json.dumps({"type": "snapshot.ack", "part": expected}))
            for key, value in part["data"].items():
                if isinstance(value, list):
                    snapshot.setdefault(key, []).extend(value)
                else:
                    snapshot[key] = value
        for key in ("units", "incidents", "calls", "resources", "log_entries"):
            snapshot.setdefault(key, [])
        return snapshot

    async def send_raw(self, text: str | bytes) -> dict[str, Any]:
        """Send any frame; return the next result frame."""
        await self.connection.send(text)
        while (frame := await self.receive())["type"] != "result":
            pass
        return frame

    def send_together(self, commands: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Several `(command_id, name, args)` frames in one write: they arrive in one read, so
        the server prepares them into one batch."""
        protocol = self.connection.protocol
        for command_id, name, args in commands:
            frame = {"type": "command", "command_id": command_id, "name": name, "args": args}
            protocol.send_text(json.dumps(frame).encode())
        self.connection.transport.write(b"".join(protocol.data_to_send()))

    async def results(self, command_ids: list[str]) -> dict[str, dict[str, Any]]:
        """The result frames of `command_ids`, by command id, whatever arrives between them."""
        results: dict[str, dict[str, Any]] = {}
        while len(results) < len(command_ids):
            frame = await self.receive()
            if frame["type"] == "result" and frame["command_id"] in command_ids:
                results[frame["command_id"]] = frame
        return results

    async def command(self, name: str, command_id: str | None = None, **args: Any) -> dict[str, Any]:
        command_id = command_id or f"t-{next(_ids)}"
        frame = {"type": "command", "command_id": command_id, "name": name, "args": args}
        result = await self.send_raw(json.dumps(frame))
        assert result["command_id"] == command_id
        return result

    async def ok(self, name: str, **args: Any) -> dict[str, Any]:
        result = await self.command(name, **args)
        assert result["ok"], result
        return result["value"]

    async def until_seq(self, seq: int) -> None:
        while not self.events or self.events[-1]["seq"] < seq:
            await self.receive()

    async def close(self) -> None:
        await self.connection.close()
