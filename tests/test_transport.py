"""The upload's transport (httpx over aiohttp) on real sockets: each way a connection fails is
told for what it is, and an answer over the limit is left unread, its connection dropped."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

from batch_uploader.models import Delivery, Status
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client

from .test_deadlines import CREDENTIALS, RECEIPT, answer, update

ONCE = RetryPolicy(max_attempts=1)


async def send_to(base_url: str) -> Delivery:
    timeout = 5.0
    async with build_client(base_url, CREDENTIALS, concurrency=1, timeout=timeout) as client:
        sender = Sender(
            client,
            pacer=Pacer(1000),
            concurrency=1,
            policy=ONCE,
            redactor=CREDENTIALS.redactor(),
            timeout=timeout,
        )
        return await sender.send(update("1-01"))


Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextlib.asynccontextmanager
async def server(serve: Serve) -> AsyncIterator[str]:
    listening = await asyncio.start_server(serve, "127.0.0.1", 0)
    async with listening:
        yield f"http://127.0.0.1:{listening.sockets[0].getsockname()[1]}"


async def read_request(reader: asyncio.StreamReader) -> None:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1])
        for line in head.lower().split(b"\r\n")
        if line.startswith(b"content-length:")
    )
    await reader.readexactly(length)


def test_a_connection_the_server_drops_is_a_connection_error_not_a_timeout() -> None:
    with Sandbox(SandboxConfig(resets=1.0)) as sandbox:
        delivery = asyncio.run(send_to(sandbox.base_url))

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "connection-error")
    assert delivery.error_message is not None
    assert delivery.error_message.startswith("connection failed: RemoteProtocolError")


def test_a_refused_connection_is_a_connection_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    # Nothing listens there now.
    delivery = asyncio.run(send_to(f"http://127.0.0.1:{port}"))

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "connection-error")
    assert delivery.error_message is not None
    assert delivery.error_message.startswith("connection failed: ConnectError")


def test_an_answer_that_stops_half_way_is_a_connection_error() -> None:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        whole = answer(RECEIPT)
        writer.write(whole[: len(whole) - 5])  # the body cut short, then the connection closed
        await writer.drain()
        writer.close()

    async def go() -> Delivery:
        async with server(serve) as base_url:
            return await send_to(base_url)

    delivery = asyncio.run(go())

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "connection-error")


def test_an_endless_answer_is_left_unread_and_its_connection_dropped() -> None:
    sent = 0
    dropped = asyncio.Event()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        chunk = b" " * 65536
        try:
            while True:
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
        except ConnectionError:
            dropped.set()

    async def go() -> Delivery:
        async with server(serve) as base_url:
            delivery = await send_to(base_url)
            await asyncio.wait_for(dropped.wait(), 5)
            return delivery

    delivery = asyncio.run(go())

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "answer-too-large")
    # The limit (1 MiB) and what the sockets' buffers hold, not the answer's endless rest.
    assert sent < 32 * 2**20
