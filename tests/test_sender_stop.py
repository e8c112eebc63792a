"""A row whose requests the run stopped between attempts: it failed, with what it got."""

from __future__ import annotations

import asyncio

import httpx

from batch_uploader.models import Delivery, Status, TrackingUpdate
from batch_uploader.redaction import Redactor
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client
from batch_uploader.vtex.target import Credentials

BASE = "https://mystore.vtexcommercestable.com.br"
UPDATE = TrackingUpdate("1172452900788-01", "000030711", "AA123456789BR")


def test_a_row_stopped_while_waiting_to_retry_failed_with_its_attempts() -> None:
    requests = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal requests
        requests += 1
        return httpx.Response(503, json={"error": {"code": "CB001", "message": "circuit open"}})

    async def go() -> Delivery:
        transport = httpx.MockTransport(answer)
        async with build_client(
            BASE, Credentials("key", "token-0123456789abcdef"), concurrency=1, timeout=5,
            transport=transport,
        ) as client:  # fmt: skip
            sender: Sender

            async def interrupted_during_backoff(seconds: float) -> None:
                sender.stop("it was interrupted")

            sender = Sender(
                client,
                pacer=Pacer(1000),
                concurrency=1,
                policy=RetryPolicy(max_attempts=5),
                redactor=Redactor(()),
                sleep=interrupted_during_backoff,
            )
            return await sender.send(UPDATE)

    delivery = asyncio.run(go())

    assert requests == 1
    assert delivery == Delivery(
        Status.FAILED,
        attempts=1,
        http_status=503,
        error_code="CB001",
        error_message="circuit open (the run stopped before another attempt because it was "
        "interrupted)",
    )
