from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest
import respx

from batch_uploader.models import Delivery, Status, TrackingUpdate, invoice_path
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client, open_sender
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import mocked_vtex

BASE = "https://mystore.vtexcommercestable.com.br"
CREDENTIALS = Credentials("vtexappkey-mystore-ABC", "SECRET-TOKEN-123")
UPDATE = TrackingUpdate(
    order_id="1172452900788-01",
    invoice_number="000030711",
    tracking_number="AA123456789BR",
    tracking_url="https://rastreamento.correios.com.br/?objeto=AA123456789BR",
    courier="Correios",
    dispatched_date="2026-11-24T16:05:00-03:00",
)
PATH = "/api/oms/pvt/orders/1172452900788-01/invoice/000030711"
RECEIPT = {"date": "2026-11-24T19:05:01+00:00", "orderId": UPDATE.order_id, "receipt": "527b1ae2"}


class Sleeps:
    """Records the waits asked for instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


class SpyPacer(Pacer):
    """A pacer that never waits and remembers the pauses asked of it."""

    def __init__(self) -> None:
        super().__init__(1000)
        self.pauses: list[float] = []

    async def wait(self) -> None:
        return None

    def pause(self, seconds: float) -> None:
        self.pauses.append(seconds)


def send(
    *updates: TrackingUpdate,
    sleeps: Sleeps | None = None,
    pacer: Pacer | None = None,
    **policy: float,
) -> list[Delivery]:
    sleeps = sleeps or Sleeps()

    async def go() -> list[Delivery]:
        async with build_client(BASE, CREDENTIALS, concurrency=2, timeout=5) as client:
            sender = Sender(
                client,
                pacer=pacer or SpyPacer(),
                concurrency=2,
                policy=RetryPolicy(**policy),  # type: ignore[arg-type]
                redactor=CREDENTIALS.redactor(),
                sleep=sleeps,
            )
            return [await sender.send(update) for update in updates]

    return asyncio.run(go())


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    with mocked_vtex(monkeypatch, BASE) as router:
        yield router


def test_the_exact_request_sent_for_a_row(api: respx.MockRouter) -> None:
    route = api.patch(PATH).respond(200, json=RECEIPT)

    (delivery,) = send(UPDATE)

    request = route.calls.last.request
    assert request.method == "PATCH"
    assert str(request.url) == BASE + PATH
    assert request.headers["X-VTEX-API-AppKey"] == "vtexappkey-mystore-ABC"
    assert request.headers["X-VTEX-API-AppToken"] == "SECRET-TOKEN-123"
    assert request.headers["Accept"] == "application/json"
    assert request.headers["Content-Type"] == "application/json"
    assert json.loads(request.content) == {
        "trackingNumber": "AA123456789BR",
        "trackingUrl": "https://rastreamento.correios.com.br/?objeto=AA123456789BR",
        "courier": "Correios",
        "dispatchedDate": "2026-11-24T16:05:00-03:00",
    }
    assert delivery == Delivery(Status.SENT, attempts=1, http_status=200, receipt="527b1ae2")


def test_path_segments_are_percent_encoded() -> None:
    assert invoice_path("v123@loja-01", "NF:9%") == (
        "/api/oms/pvt/orders/v123%40loja-01/invoice/NF%3A9%25"
    )


def test_429_waits_the_retry_after_then_retries(api: respx.MockRouter) -> None:
    route = api.patch(PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(200, json=RECEIPT),
        ]
    )
    sleeps = Sleeps()

    (delivery,) = send(UPDATE, sleeps=sleeps)

    assert route.call_count == 2
    assert delivery.status is Status.SENT
    assert delivery.attempts == 2
    assert sleeps.waits == [7.0]


def test_retry_after_holds_every_worker_and_slows_the_pace(api: respx.MockRouter) -> None:
    api.patch(PATH).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}),
            httpx.Response(503, headers={"Retry-After": "900"}),
            httpx.Response(200, json=RECEIPT),
        ]
    )
    pacer = SpyPacer()

    (delivery,) = send(UPDATE, pacer=pacer, retry_after_max=120)

    assert delivery.attempts == 3
    assert pacer.pauses == [7.0, 120.0]
    assert pacer.rate < pacer.ceiling


def test_503_and_timeouts_are_retried_with_backoff(api: respx.MockRouter) -> None:
    route = api.patch(PATH).mock(
        side_effect=[
            httpx.Response(503),
            httpx.ReadTimeout("timed out"),
            httpx.ConnectError("refused"),
            httpx.Response(200, json=RECEIPT),
        ]
    )
    sleeps = Sleeps()

    (delivery,) = send(UPDATE, sleeps=sleeps, backoff_initial=1.0, backoff_max=30.0)

    assert route.call_count == 4
    assert (delivery.status, delivery.attempts, delivery.receipt) == (Status.SENT, 4, "527b1ae2")
    # Full jitter: each wait is drawn between 0 and 1, 2, 4 seconds.
    assert len(sleeps.waits) == 3
    assert all(0 <= wait <= limit for wait, limit in zip(sleeps.waits, (1, 2, 4), strict=True))
    assert sum(sleeps.waits) > 0


def test_retries_end_after_max_attempts_with_the_last_error(api: respx.MockRouter) -> None:
    route = api.patch(PATH).respond(503, json={"error": {"code": "X", "message": "down"}})

    (delivery,) = send(UPDATE, max_attempts=3)

    assert route.call_count == 3
    assert delivery == Delivery(
        Status.FAILED,
        attempts=3,
        http_status=503,
        error_code="X",
        error_message="down (gave up after 3 attempts)",
    )


def test_timeouts_on_every_attempt(api: respx.MockRouter) -> None:
    api.patch(PATH).mock(side_effect=httpx.ReadTimeout("timed out"))

    (delivery,) = send(UPDATE, max_attempts=2)

    assert delivery == Delivery(
        Status.FAILED,
        attempts=2,
        error_code="timeout",
        error_message="VTEX did not answer in time (gave up after 2 attempts)",
    )


def test_unknown_order_is_not_retried_and_the_oms_error_is_unpacked(
    api: respx.MockRouter,
) -> None:
    body = {"error": {"code": "OMS007", "message": "Order Not Found", "exception": None}}
    route = api.patch(PATH).respond(404, json=body)

    (delivery,) = send(UPDATE)

    assert route.call_count == 1
    assert delivery == Delivery(
        Status.FAILED,
        attempts=1,
        http_status=404,
        error_code="OMS007",
        error_message="Order Not Found",
    )


def test_400_without_oms_error_keeps_the_answer_text(api: respx.MockRouter) -> None:
    route = api.patch(PATH).respond(400, text="bad invoice")

    (delivery,) = send(UPDATE)

    assert route.call_count == 1
    assert (delivery.error_code, delivery.error_message) == (
        "http-400",
        "400 Bad Request: bad invoice",
    )


def test_the_token_never_appears_in_an_error_message(api: respx.MockRouter) -> None:
    api.patch(PATH).respond(400, text="header X-VTEX-API-AppToken=SECRET-TOKEN-123 rejected")

    (delivery,) = send(UPDATE)

    assert delivery.error_message is not None
    assert "SECRET-TOKEN-123" not in delivery.error_message
    assert "[redacted]" in delivery.error_message


@pytest.mark.parametrize(("status", "named"), [(401, "VTEX_APP_TOKEN"), (403, "Notify invoice")])
def test_401_and_403_stop_every_later_row(api: respx.MockRouter, status: int, named: str) -> None:
    route = api.patch(PATH).respond(status)
    other = TrackingUpdate("2-01", "9", "T2")
    other_route = api.patch("/api/oms/pvt/orders/2-01/invoice/9").respond(200, json=RECEIPT)

    first, second = send(UPDATE, other)

    assert route.call_count == 1
    assert not other_route.called
    assert first.status is Status.FAILED
    assert first.fatal
    assert first.http_status == status
    assert first.error_message is not None
    assert named in first.error_message
    assert second.status is Status.FAILED
    assert second.error_code == "not-attempted"
    assert second.attempts == 0
    assert second.error_message == f"not sent: the run stopped because {first.error_message}"


def test_an_unreadable_answer_is_retried_not_raised(api: respx.MockRouter) -> None:
    route = api.patch(PATH).mock(
        side_effect=[httpx.DecodingError("broken gzip"), httpx.Response(200, json=RECEIPT)]
    )

    (delivery,) = send(UPDATE)

    assert route.call_count == 2
    assert (delivery.status, delivery.attempts) == (Status.SENT, 2)


def test_the_token_is_removed_before_a_long_message_is_cut(api: respx.MockRouter) -> None:
    api.patch(PATH).respond(400, text="x" * 290 + " token=SECRET-TOKEN-123")

    (delivery,) = send(UPDATE)

    assert delivery.error_message is not None
    assert "SECRET" not in delivery.error_message
    assert len(delivery.error_message) <= 300


def test_a_401_in_flight_stops_the_rows_behind_it(api: respx.MockRouter) -> None:
    api.patch(url__regex=r"/orders/\d+-01/").respond(401)
    updates = [TrackingUpdate(f"{n}-01", str(n), f"T{n}") for n in range(10)]

    async def go() -> list[Delivery]:
        async with build_client(BASE, CREDENTIALS, concurrency=2, timeout=5) as client:
            sender = Sender(
                client,
                pacer=SpyPacer(),
                concurrency=2,
                policy=RetryPolicy(),
                redactor=CREDENTIALS.redactor(),
            )
            return await asyncio.gather(*(sender.send(update) for update in updates))

    deliveries = asyncio.run(go())

    assert 1 <= api.calls.call_count <= 2
    assert sum(d.error_code == "not-attempted" for d in deliveries) >= 8
    assert all(d.status is Status.FAILED for d in deliveries)


class Gate(httpx.AsyncBaseTransport):
    """Answers after a short wait, counting the requests in flight."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.peak = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        await asyncio.sleep(0.01)
        self.in_flight -= 1
        return httpx.Response(200, json=RECEIPT)


def test_requests_in_flight_never_exceed_the_concurrency() -> None:
    gate = Gate()
    updates = [TrackingUpdate(f"{n}-01", "9", "T") for n in range(60)]

    async def go() -> list[Delivery]:
        settings = Settings(concurrency=20, rate=100_000)
        async with open_sender(BASE, CREDENTIALS, settings, transport=gate) as sender:
            return list(await asyncio.gather(*(sender.send(update) for update in updates)))

    deliveries = asyncio.run(go())

    assert {delivery.status for delivery in deliveries} == {Status.SENT}
    assert gate.peak == 20
