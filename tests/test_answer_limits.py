"""Answers are read up to a limit: one far larger than VTEX gives fails its row, unread."""

from __future__ import annotations

import asyncio
import csv
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest

from batch_uploader.jobs.report import ExitStatus
from batch_uploader.models import Delivery, Status, TrackingUpdate
from batch_uploader.scripting import check_access, run
from batch_uploader.vtex import sender as sender_module
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import MESSAGE_LIMIT, Sender, build_client
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import CsvFactory

BASE = "https://mystore.vtexcommercestable.com.br"
CREDENTIALS = Credentials("vtexappkey-mystore-ABC", "SECRET-TOKEN-123")
UPDATE = TrackingUpdate(
    order_id="1172452900788-01",
    invoice_number="000030711",
    tracking_number="AA123456789BR",
    tracking_url=None,
    courier="Correios",
    dispatched_date=None,
)
RECEIPT = {"date": "2026-11-24T19:05:01+00:00", "orderId": UPDATE.order_id, "receipt": "527b1ae2"}
CHUNK = b"x" * 65536
# What a row's results line or journal entry may hold of an answer.
STORED_LIMIT = 400

Answer = Callable[[httpx.Request], httpx.Response]


def send(answer: Answer, *, attempts: int = 3) -> Delivery:
    async def go() -> Delivery:
        async with build_client(
            BASE, CREDENTIALS, concurrency=1, timeout=5, transport=httpx.MockTransport(answer)
        ) as client:
            sender = Sender(
                client,
                pacer=Pacer(1000),
                concurrency=1,
                policy=RetryPolicy(max_attempts=attempts, backoff_initial=0, backoff_max=0),
                redactor=CREDENTIALS.redactor(),
                timeout=5,
            )
            return await sender.send(UPDATE)

    return asyncio.run(go())


def test_an_answer_of_5_mb_fails_its_row_at_once_without_retry() -> None:
    body = json.dumps({**RECEIPT, "padding": "x" * 5_000_000}).encode()

    delivery = send(lambda request: httpx.Response(200, content=body))

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "answer-too-large")
    assert delivery.attempts == 1
    assert delivery.receipt is None
    assert delivery.payload is None
    assert delivery.error_message is not None
    assert f"VTEX answered 200 with {len(body):,} bytes, over the 1 MiB" in delivery.error_message
    assert len(delivery.error_message) <= MESSAGE_LIMIT


def test_an_answer_that_never_ends_is_read_no_further_than_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sender_module, "ANSWER_LIMIT", 256 * 1024)
    chunks = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks
        while True:
            chunks += 1
            yield CHUNK

    started = time.monotonic()
    delivery = send(lambda request: httpx.Response(200, content=endless()))

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "answer-too-large")
    assert delivery.error_message is not None
    assert "more than 256 KiB" in delivery.error_message
    assert time.monotonic() - started < 2
    # Four chunks fill the limit, the fifth passes it: nothing after it is read.
    assert chunks == 5


def test_a_refusal_with_a_large_answer_still_stops_the_run() -> None:
    delivery = send(lambda request: httpx.Response(401, content=b"x" * 2_000_000))

    assert (delivery.error_code, delivery.fatal) == ("http-401", True)
    assert delivery.error_message is not None
    assert "VTEX_APP_TOKEN" in delivery.error_message


def test_no_field_holds_more_than_a_few_hundred_characters_of_an_answer() -> None:
    error = {"error": {"code": "E" * 100_000, "message": "m" * 100_000}}
    refused = send(lambda request: httpx.Response(400, json=error))
    receipt = send(lambda request: httpx.Response(200, json={**RECEIPT, "receipt": "r" * 9000}))

    for delivery in (refused, receipt):
        assert delivery.status is Status.FAILED
        assert len(delivery.error_code or "") + len(delivery.error_message or "") <= STORED_LIMIT
        assert len(delivery.receipt or "") <= STORED_LIMIT


def test_the_results_line_and_journal_of_a_large_answer_are_short(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA\n2-01,9,BB\n")
    results = tmp_path / "results.csv"
    journal = tmp_path / "journal.sqlite3"
    body = b"<html>" + b"x" * 5_000_000

    run(
        [source],
        results_path=results,
        journal_path=journal,
        base_url=BASE,
        credentials=CREDENTIALS,
        settings=Settings(rate=1000, concurrency=2),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, content=body)),
    )

    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [line["errorCode"] for line in lines] == ["answer-too-large"] * 2
    assert all(len(value) <= STORED_LIMIT for line in lines for value in line.values())
    with sqlite3.connect(journal) as connection:
        stored = connection.execute("SELECT * FROM rows").fetchall()
    assert stored
    assert all(len(str(value)) <= STORED_LIMIT for entry in stored for value in entry)


# `batch-uploader check` reads its one answer the same way, within --timeout in all.


def test_the_check_reads_no_further_than_the_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    chunks = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal chunks
        while True:
            chunks += 1
            yield CHUNK

    verdict = check_access(
        BASE,
        CREDENTIALS,
        transport=httpx.MockTransport(lambda request: httpx.Response(404, content=endless())),
    )

    assert verdict.exit_status == ExitStatus.USAGE
    assert "VTEX answered 404 with more than 1 MiB" in str(verdict.message)
    assert chunks == 17  # sixteen fill the limit, the seventeenth passes it


def test_the_check_ends_within_its_timeout_however_slowly_the_answer_comes() -> None:
    async def dripping() -> AsyncIterator[bytes]:
        while True:
            yield b" "
            await asyncio.sleep(0.2)

    started = time.monotonic()
    verdict = check_access(
        BASE,
        CREDENTIALS,
        timeout=1,
        transport=httpx.MockTransport(lambda request: httpx.Response(404, content=dripping())),
    )

    assert time.monotonic() - started < 3
    assert verdict.exit_status == ExitStatus.USAGE
    assert str(verdict.message) == (
        f"{BASE} did not answer within 1 s (--timeout); check the account name, the "
        "environment and the network"
    )
