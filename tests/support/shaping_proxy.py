"""A TCP proxy on 127.0.0.1 that behaves like a poor link: a satellite hop for a workstation.

    proxy = ShapingProxy("127.0.0.1", server_port, rate_bps=64_000, rtt_s=0.3)
    port = await proxy.start()      # connect to 127.0.0.1:port instead of the server
    proxy.black_hole(True)          # packets stop, sockets stay open (… False: they flow again)
    await proxy.drop()              # every connection reset, new ones refused (… restore())
    proxy.bytes_up, proxy.bytes_down

Each direction of each connection is a link of its own: bytes are read in packet-sized pieces,
wait in a bounded queue (full: the proxy stops reading, so the sender's TCP backs off, as behind
a full modem buffer), leave one after another at `rate_bps`, and arrive `rtt_s / 2` later.
During a black hole nothing leaves or arrives; what was on the way arrives once it ends (what
TCP's retransmission would deliver), and new connections wait, unanswered, for it to end.
Counters are TCP payload bytes delivered, per direction.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import AsyncIterator

PACKET = 1460  # bytes per piece: an Ethernet-sized TCP segment


class _Direction:
    """One way of one connection: queue → serialisation at the rate → propagation delay → peer."""

    def __init__(self, proxy: ShapingProxy, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                 count: str) -> None:  # fmt: skip
        self.proxy, self.reader, self.writer, self.count = proxy, reader, writer, count
        self.queue: deque[bytes] = deque()
        self.queued = 0
        self.room = asyncio.Event()
        self.room.set()
        self.ready = asyncio.Event()
        self.eof = False

    async def read(self) -> None:
        while True:
            await self.room.wait()
            try:
                data = await self.reader.read(PACKET)
            except OSError:  # reset: the end of this direction, like an orderly close
                data = b""
            if not data:
                self.eof = True
                self.ready.set()
                return
            self.queue.append(data)
            self.queued += len(data)
            self.proxy.max_queued = max(self.proxy.max_queued, self.queued)
            if self.queued >= self.proxy.queue_bytes:
                self.room.clear()
            self.ready.set()

    async def send(self) -> None:
        loop = asyncio.get_running_loop()
        free_at = loop.time()
        arriving: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue()
        deliver = asyncio.create_task(self._deliver(arriving))
        try:
            while True:
                while not self.queue and not self.eof:
                    self.ready.clear()
                    await self.ready.wait()
                if not self.queue:  # end of stream, after everything before it
                    await arriving.put((loop.time() + self.proxy.one_way_s, None))
                    await deliver
                    return
                await self.proxy.clear.wait()
                data = self.queue.popleft()
                self.queued -= len(data)
                if self.queued < self.proxy.queue_bytes:
                    self.room.set()
                # Serialisation: the link is busy for len·8/rate seconds per piece, back to back.
                free_at = max(free_at, loop.time()) + len(data) * 8 / self.proxy.rate_bps
                await asyncio.sleep(free_at - loop.time())
                await arriving.put((free_at + self.proxy.one_way_s, data))
        finally:
            deliver.cancel()

    async def _deliver(self, arriving: asyncio.Queue[tuple[float, bytes | None]]) -> None:
        loop = asyncio.get_running_loop()
        while True:
            at, data = await arriving.get()
            await asyncio.sleep(max(0.0, at - loop.time()))
            await self.proxy.clear.wait()  # held in the hole; arrives once it ends
            if data is None:
                with contextlib.suppress(OSError):
                    self.writer.write_eof()
                return
            self.writer.write(data)
            setattr(self.proxy, self.count, getattr(self.proxy, self.count) + len(data))
            await self.writer.drain()


class ShapingProxy:
    def __init__(self, host: str, port: int, *, rate_bps: float = 64_000, rtt_s: float = 0.3,
                 queue_bytes: int = 16 * 1024) -> None:  # fmt: skip
        self.upstream = (host, port)
        self.rate_bps = rate_bps
        self.one_way_s = rtt_s / 2
        self.queue_bytes = queue_bytes
        self.port = 0
        self.bytes_up = 0  # client → server
        self.bytes_down = 0  # server → client
        self.clear = asyncio.Event()  # set: packets flow; clear: a black hole
        self.clear.set()
        self.connections = 0  # accepted so far
        self.max_queued = 0  # the most bytes any one direction held waiting for the link
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    # --- switches -----------------------------------------------------------------------------------
    async def start(self) -> int:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def black_hole(self, on: bool) -> None:
        if on:
            self.clear.clear()
        else:
            self.clear.set()

    async def drop(self) -> None:
        """A hard drop: every connection reset at once, and nothing listening until restore()."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def restore(self) -> None:
        if self._server is None:
            await self.start()

    async def stop(self) -> None:
        self.clear.set()
        await self.drop()

    @property
    def bytes_total(self) -> int:
        return self.bytes_up + self.bytes_down

    # --- a connection -------------------------------------------------------------------------------
    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self._writers.add(client_writer)
        self.connections += 1
        server_writer = None
        try:
            await self.clear.wait()  # a SYN into a black hole is not answered
            server_reader, server_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(server_writer)
            up = _Direction(self, client_reader, server_writer, "bytes_up")
            down = _Direction(self, server_reader, client_writer, "bytes_down")
            parts = [asyncio.create_task(c) for c in (up.read(), up.send(), down.read(), down.send())]
            try:
                # Either side's end (or a reset) ends the connection, once what it sent is through.
                await asyncio.wait(parts[1::2], return_when=asyncio.FIRST_COMPLETED)
            finally:
                for part in parts:
                    part.cancel()
                await asyncio.gather(*parts, return_exceptions=True)
        except (OSError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            # drop() cancels us. Ending quietly: asyncio's stream server calls exception() on this
            # task when it is done, which would raise (and log) for a cancelled one.
            pass
        finally:
            for writer in (client_writer, server_writer):
                if writer is not None:
                    self._writers.discard(writer)
                    writer.close()
            self._tasks.discard(task)


@contextlib.asynccontextmanager
async def satellite_link(port: int) -> AsyncIterator[ShapingProxy]:
    """The field conditions of issues 11 and 14: 64 kbit/s each way, 300 ms round trip, in
    front of a server on 127.0.0.1:`port`."""
    proxy = ShapingProxy("127.0.0.1", port, rate_bps=64_000, rtt_s=0.3)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
