"""A 2xx answer counts only when it is what VTEX gives: a JSON object with a receipt for the
updates (PATCH and the events PUT), a JSON object for an order read. Anything else (an empty
body, a proxy's or a login page's HTML) is no proof that the update landed."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

import httpx
import pytest

from batch_uploader import Credentials, Settings, run, upload_events
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.models import (
    Delivery,
    Event,
    EventsUpdate,
    Request,
    Status,
    TrackingUpdate,
    Verdict,
    Verification,
)
from batch_uploader.scripting import check_access
from batch_uploader.vtex.read_back import OrderRead, verify
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import open_sender

from .conftest import CsvFactory

BASE = "https://mystore.vtexcommercestable.com.br"
CREDENTIALS = Credentials("vtexappkey-mystore-ABC", "receipts-test-token-5e2a")
SETTINGS = Settings(rate=1000, concurrency=2, retry=RetryPolicy(backoff_initial=0.001))
UPDATE = TrackingUpdate("1-01", "9", "AA1")
EVENTS = EventsUpdate("1-01", "9", False, None, (Event("Lima", "LI", "x", "2026-11-22"),))
HTML = "<html><head><title>Sign in</title></head><body>Please sign in</body></html>"
# Answers VTEX never gives to an update, each as (body, content type).
NOT_RECEIPTS = [
    pytest.param(b"", None, id="empty"),
    pytest.param(HTML.encode(), "text/html", id="html"),
    pytest.param(b"{}", "application/json", id="empty-object"),
    pytest.param(b'{"receipt": ""}', "application/json", id="empty-receipt"),
    pytest.param(b'{"receipt": 42}', "application/json", id="number-receipt"),
    pytest.param(b'["receipt"]', "application/json", id="array"),
    pytest.param(b'{"receipt": "   "}', "application/json", id="blank-receipt"),
    pytest.param(b'{"receipt": "\\n"}', "application/json", id="line-break-receipt"),
    pytest.param(b'{"receipt": "\\u200b"}', "application/json", id="invisible-receipt"),
]


def answered(body: bytes, content_type: str | None) -> httpx.Response:
    headers = {"Content-Type": content_type} if content_type else {}
    return httpx.Response(200, content=body, headers=headers)


def send(request: Request, response: httpx.Response) -> tuple[Delivery, int]:
    """What the sender makes of ``response`` to ``request``, and how many requests it made."""
    calls: list[httpx.Request] = []

    def answer(made: httpx.Request) -> httpx.Response:
        calls.append(made)
        return response

    async def go() -> Delivery:
        transport = httpx.MockTransport(answer)
        async with open_sender(BASE, CREDENTIALS, SETTINGS, transport) as sender:
            return await sender.send(request)

    return asyncio.run(go()), len(calls)


@pytest.mark.parametrize("update", [UPDATE, EVENTS], ids=["patch", "events-put"])
@pytest.mark.parametrize(("body", "content_type"), NOT_RECEIPTS)
def test_a_2xx_without_a_receipt_fails_the_update_without_retrying(
    update: TrackingUpdate | EventsUpdate, body: bytes, content_type: str | None
) -> None:
    delivery, requests = send(update, answered(body, content_type))

    assert (delivery.status, delivery.http_status) == (Status.FAILED, 200)
    assert delivery.error_code == "unexpected-answer"
    assert (delivery.receipt, delivery.attempts) == (None, 1)
    assert requests == 1
    message = delivery.error_text() or ""
    assert message.startswith("VTEX answered 200 without a receipt (")
    assert "so the update cannot be taken as landed" in message
    assert "--base-url" in message
    assert "a later run sends it again" in message


def test_the_message_shows_the_start_of_the_body() -> None:
    delivery, _ = send(UPDATE, answered(HTML.encode() * 5, "text/html"))

    assert f"(body: {(HTML * 5)[:100]}...)" in (delivery.error_message or "")

    empty, _ = send(UPDATE, answered(b"", None))

    assert "(empty body)" in (empty.error_message or "")


def test_a_json_receipt_is_sent() -> None:
    ok = httpx.Response(200, json={"date": "d", "orderId": "1-01", "receipt": "527b1ae2"})

    for update in (UPDATE, EVENTS):
        delivery, _ = send(update, ok)
        assert (delivery.status, delivery.receipt) == (Status.SENT, "527b1ae2")


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"", None),
        (HTML.encode(), "text/html"),
        (b'["order"]', "application/json"),
        (b'{"notorder": true}', "application/json"),
    ],
    ids=["empty", "html", "array", "object-without-orderId"],
)
def test_an_order_read_must_be_a_json_object(body: bytes, content_type: str | None) -> None:
    delivery, requests = send(OrderRead("1-01"), answered(body, content_type))

    assert (delivery.status, delivery.error_code) == (Status.FAILED, "unexpected-answer")
    assert requests == 1
    assert (delivery.error_message or "").startswith("VTEX answered 200 without an order (")


def test_a_read_without_an_order_is_not_checked_with_the_reason() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return answered(HTML.encode(), "text/html")

    async def go() -> Verification:
        async with open_sender(BASE, CREDENTIALS, SETTINGS, httpx.MockTransport(answer)) as reader:
            return await verify(reader, UPDATE)

    checked = asyncio.run(go())

    assert checked.verdict is Verdict.NOT_CHECKED
    assert checked.detail.startswith(
        "the order could not be read: unexpected-answer: VTEX answered 200 without an order"
    )


def test_a_row_answered_without_a_receipt_is_failed_and_sent_again_by_the_next_run(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n")
    journal, made = tmp_path / "journal.sqlite3", []
    answers = [answered(b"", None), httpx.Response(200, json={"receipt": "r-1"})]

    def answer(request: httpx.Request) -> httpx.Response:
        made.append(request.url.path)
        return answers[len(made) - 1]

    def upload(results: Path) -> tuple[dict[str, str], int]:
        report = run(
            [source], results_path=results, base_url=BASE, credentials=CREDENTIALS,
            settings=SETTINGS, transport=httpx.MockTransport(answer), journal_path=journal,
        )  # fmt: skip
        with results.open(encoding="utf-8-sig", newline="") as handle:
            (line,) = csv.DictReader(handle)
        return line, report.exit_status

    first, status = upload(tmp_path / "first.csv")

    assert (first["status"], first["httpStatus"], first["receipt"]) == ("failed", "200", "")
    assert first["errorCode"] == "unexpected-answer"
    assert status == ExitStatus.ROWS_NOT_SENT

    second, status = upload(tmp_path / "second.csv")

    assert len(made) == 2
    assert (second["status"], second["receipt"], second["errorCode"]) == ("sent", "r-1", "")
    assert status == ExitStatus.OK


def test_a_parcel_answered_without_a_receipt_is_failed(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(
        "orderId,invoiceNumber,date,city,state,description\n1-01,9,2026-11-22,Lima,LI,x\n"
    )
    results = tmp_path / "events.csv"

    report = upload_events(
        [source], results_path=results, base_url=BASE, credentials=CREDENTIALS,
        settings=SETTINGS, transport=httpx.MockTransport(lambda r: answered(b"OK", "text/plain")),
        journal_path=tmp_path / "journal.sqlite3",
    )  # fmt: skip

    with results.open(encoding="utf-8-sig", newline="") as handle:
        (line,) = csv.DictReader(handle)
    assert (line["status"], line["errorCode"]) == ("failed", "unexpected-answer")
    assert report.exit_status == ExitStatus.ROWS_NOT_SENT


@pytest.mark.parametrize(("body", "content_type"), NOT_RECEIPTS)
def test_check_says_an_address_answering_2xx_without_a_receipt_is_no_oms(
    body: bytes, content_type: str | None
) -> None:
    transport = httpx.MockTransport(lambda request: answered(body, content_type))

    verdict = check_access(BASE, CREDENTIALS, transport=transport)

    assert verdict.exit_status == ExitStatus.USAGE
    assert "does not answer as VTEX's OMS does" in str(verdict.message)


def test_check_of_an_oms_that_accepts_the_probe() -> None:
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})
    )

    verdict = check_access(BASE, CREDENTIALS, transport=transport)

    assert verdict.exit_status == ExitStatus.OK
