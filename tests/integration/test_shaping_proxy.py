"""The shaping proxy itself, against a plain echo server on 127.0.0.1: rate, delay, black hole,
hard drop and counters behave as the field-conditions tests assume. Tolerances are generous
(the machine is shared); the measured figures are printed."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.support.shaping_proxy import ShapingProxy


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


@pytest.fixture
async def echo():
    server = await asyncio.start_server(_echo, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    server.close()


@pytest.fixture
async def proxy(echo):
    proxy = ShapingProxy("127.0.0.1", echo, rate_bps=64_000, rtt_s=0.3)
    await proxy.start()
    yield proxy
    await proxy.stop()


async def _open(proxy: ShapingProxy):
    return await asyncio.open_connection("127.0.0.1", proxy.port)


async def test_a_small_message_takes_one_round_trip(proxy):
    reader, writer = await _open(proxy)
    rtts = []
    for _ in range(3):
        started = time.perf_counter()
        writer.write(b"ping")
        assert await asyncio.wait_for(reader.readexactly(4), 5) == b"ping"
        rtts.append(time.perf_counter() - started)
    print(f"round trips through the proxy: {', '.join(f'{r * 1000:.0f} ms' for r in rtts)} (set: 300 ms)")
    assert all(0.28 <= r <= 0.6 for r in rtts)
    writer.close()


async def test_bulk_data_moves_at_the_set_rate_each_way(proxy):
    reader, writer = await _open(proxy)
    payload = bytes(8000)  # 64,000 bits: one second each way at 64 kbit/s, two for the echo
    started = time.perf_counter()
    writer.write(payload)
    await asyncio.wait_for(reader.readexactly(len(payload)), 10)
    took = time.perf_counter() - started
    # Out at the rate, back at the rate; the two pipelines overlap once the first piece is back.
    print(f"8,000 B echoed in {took:.2f} s (at 64 kbit/s each way: ≥ 1.0 s + 0.3 s round trip)")
    assert 1.0 <= took <= 3.5
    assert (proxy.bytes_up, proxy.bytes_down) == (8000, 8000)
    writer.close()


async def test_a_black_hole_holds_everything_and_keeps_the_sockets_open(proxy):
    reader, writer = await _open(proxy)
    writer.write(b"a")
    assert await asyncio.wait_for(reader.readexactly(1), 5) == b"a"
    proxy.black_hole(True)
    writer.write(b"held")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(reader.readexactly(4), 1.0)
    late_reader, late_writer = await _open(proxy)  # the TCP connect itself succeeds (the kernel's)
    late_writer.write(b"late")
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(late_reader.readexactly(4), 0.5)
    assert not reader.at_eof() and proxy.bytes_down == 1
    proxy.black_hole(False)
    started = time.perf_counter()
    assert await asyncio.wait_for(reader.readexactly(4), 5) == b"held"
    assert await asyncio.wait_for(late_reader.readexactly(4), 5) == b"late"
    print(f"held bytes arrived {time.perf_counter() - started:.2f} s after the hole closed")
    writer.close(), late_writer.close()


async def test_a_hard_drop_resets_connections_and_refuses_new_ones_until_restored(proxy):
    reader, writer = await _open(proxy)
    writer.write(b"x")
    await asyncio.wait_for(reader.readexactly(1), 5)
    await proxy.drop()
    with pytest.raises((ConnectionError, asyncio.IncompleteReadError)):
        await asyncio.wait_for(reader.readexactly(1), 5)
    with pytest.raises(ConnectionRefusedError):
        await _open(proxy)
    await proxy.restore()
    reader, writer = await _open(proxy)
    writer.write(b"y")
    assert await asyncio.wait_for(reader.readexactly(1), 5) == b"y"
    writer.close()


async def test_a_full_queue_stops_reading_instead_of_growing(echo):
    proxy = ShapingProxy("127.0.0.1", echo, rate_bps=8_000, rtt_s=0.0, queue_bytes=4096)
    await proxy.start()
    try:
        _, writer = await _open(proxy)
        writer.write(bytes(200_000))
        await asyncio.sleep(0.5)
        # The proxy holds at most its queue (plus the piece being read); the rest waits in the
        # sockets behind it, and comes out at the rate.
        assert 4096 <= proxy.max_queued <= 4096 + 1460
        assert proxy.bytes_up < 1_000
        writer.transport.abort()
    finally:
        await proxy.stop()
