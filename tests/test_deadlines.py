"""Time a run cannot lose: an answer that never completes, and the waits VTEX asks for."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from batch_uploader.models import Delivery, Status, TrackingUpdate
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import open_sender
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import mocked_vtex

BASE = "https://mystore.vtexcommercestable.com.br"
CREDENTIALS = Credentials("vtexappkey-mystore-ABC", "SECRET-TOKEN-123")
RECEIPT = json.dumps({"date": "2026-11-24T19:05:01+00:00", "orderId": "1-01", "receipt": "r1"})
# A byte every DRIP seconds: each read finishes well within the timeout, the answer never does.
DRIP = 0.2
QUICK_RETRIES = RetryPolicy(max_attempts=2, backoff_initial=0.01, backoff_max=0.01)


def update(order_id: str) -> TrackingUpdate:
    return TrackingUpdate(
        order_id=order_id,
        invoice_number="000030711",
        tracking_number="AA123456789BR",
        tracking_url=None,
        courier="Correios",
        dispatched_date=None,
    )


Handler = Callable[[asyncio.StreamWriter], Awaitable[None]]


async def drip(writer: asyncio.StreamWriter, data: bytes) -> None:
    for index in range(len(data)):
        writer.write(data[index : index + 1])
        await writer.drain()
        await asyncio.sleep(DRIP)


def answer(body: str) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


async def headers_dripped(writer: asyncio.StreamWriter) -> None:
    await drip(writer, answer(RECEIPT))


async def body_dripped(writer: asyncio.StreamWriter) -> None:
    whole = answer(RECEIPT)
    split = whole.index(b"\r\n\r\n") + 4
    writer.write(whole[:split])
    await drip(writer, whole[split:])


@contextlib.asynccontextmanager
async def loopback(slow: Handler) -> AsyncIterator[str]:
    """A server on 127.0.0.1 answering order ``slow-01`` with ``slow``, any other at once."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.lower().split(b"\r\n")
                    if line.startswith(b"content-length:")
                )
                await reader.readexactly(length)
                if b"/orders/slow-01/" in head.split(b"\r\n")[0]:
                    await slow(writer)
                else:
                    writer.write(answer(RECEIPT))
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client gave up on this connection
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        yield f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("slow", [headers_dripped, body_dripped])
def test_an_answer_that_never_completes_times_out_each_attempt(slow: Handler) -> None:
    settings = Settings(rate=100, concurrency=2, timeout=1.0, retry=QUICK_RETRIES)

    async def go() -> tuple[Delivery, Delivery, float]:
        async with (
            loopback(slow) as base_url,
            open_sender(base_url, CREDENTIALS, settings) as sender,
        ):
            started = time.monotonic()
            late = await sender.send(update("slow-01"))
            elapsed = time.monotonic() - started
            good = await sender.send(update("good-01"))
        return late, good, elapsed

    # Without a deadline on the whole answer the row waits for every byte: fail, do not hang.
    late, good, elapsed = asyncio.run(asyncio.wait_for(go(), 6))

    assert late == Delivery(
        Status.FAILED,
        attempts=2,
        error_code="timeout",
        error_message="VTEX's answer did not complete within 1 s (--timeout) "
        "(gave up after 2 attempts)",
    )
    assert 1.9 < elapsed < 4
    assert (good.status, good.receipt) == (Status.SENT, "r1")


def test_a_slow_connection_is_still_bounded_by_httpx() -> None:
    # The deadline adds to httpx's own timeouts: a read that stalls still fails as before.
    async def stall(writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)

    settings = Settings(rate=100, concurrency=1, timeout=0.5, retry=RetryPolicy(max_attempts=1))

    async def go() -> Delivery:
        async with (
            loopback(stall) as base_url,
            open_sender(base_url, CREDENTIALS, settings) as sender,
        ):
            return await sender.send(update("slow-01"))

    delivery = asyncio.run(asyncio.wait_for(go(), 4))

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "timeout")


def waits_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "batch_uploader" and record.levelno == logging.WARNING
    ]


def send_all(count: int, retry_after: str, retry_after_max: float) -> list[Delivery]:
    """``count`` rows in flight together, each answered 429 with ``retry_after`` once (once
    all have arrived), then accepted."""
    policy = RetryPolicy(retry_after_max=retry_after_max)
    settings = Settings(rate=1000, concurrency=count, retry=policy)
    seen: set[str] = set()
    all_in_flight = asyncio.Event()

    async def respond(request: httpx.Request) -> httpx.Response:
        if request.url.path in seen:
            return httpx.Response(200, json={"orderId": "x", "receipt": "r", "date": "d"})
        seen.add(request.url.path)
        if len(seen) == count:
            all_in_flight.set()
        await all_in_flight.wait()
        return httpx.Response(429, headers={"Retry-After": retry_after})

    async def go() -> list[Delivery]:
        async with open_sender(BASE, CREDENTIALS, settings) as sender:
            updates = [update(f"{n}-01") for n in range(count)]
            return list(await asyncio.gather(*(sender.send(u) for u in updates)))

    with pytest.MonkeyPatch.context() as monkeypatch, mocked_vtex(monkeypatch, BASE) as api:
        api.patch().mock(side_effect=respond)
        return asyncio.run(go())


def test_a_capped_wait_is_said_once_with_what_vtex_asked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="batch_uploader"):
        deliveries = send_all(1, "3600", retry_after_max=0.05)

    assert [d.status for d in deliveries] == [Status.SENT]
    (line,) = waits_logged(caplog)
    assert line == (
        "VTEX answered 429 asking to wait 3600 s before the next request: every request of "
        "the run waits 0.05 s (capped: the run waits at most 0.05 s, whatever VTEX asks)"
    )


def test_a_wait_is_said_once_for_every_worker_it_holds(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="batch_uploader"):
        deliveries = send_all(4, "1", retry_after_max=300)

    assert [d.status for d in deliveries] == [Status.SENT] * 4
    (line,) = waits_logged(caplog)
    assert line == (
        "VTEX answered 429 asking to wait 1 s before the next request: every request of the "
        "run waits 1 s"
    )
    assert "capped" not in line
