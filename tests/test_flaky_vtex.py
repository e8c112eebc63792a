"""A flaky VTEX (random 503s, dropped connections, timeouts) does not slow the run down: only a
429 or a 503 with Retry-After lowers the shared pace, and retries stay within a budget so that
an outage is not met with more load."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import respx

from batch_uploader.models import Delivery, Status
from batch_uploader.sandbox.oms import SandboxConfig
from batch_uploader.vtex.limiter import Pacer, RetryBudget
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client
from batch_uploader.vtex.settings import Settings

from .conftest import mocked_vtex
from .test_faults import upload_rows
from .test_limiter import FakeClock
from .test_sender import BASE, CREDENTIALS, PATH, RECEIPT, UPDATE, Sleeps

FAST_RETRIES = RetryPolicy(max_attempts=10, backoff_initial=0.01, backoff_max=0.1)


def test_random_503s_resets_and_timeouts_leave_the_pace_alone(tmp_path: Path) -> None:
    config = SandboxConfig(unavailable=0.1, resets=0.03, slow=0.02, slow_seconds=0.5, seed=11)
    settings = Settings(rate=200, concurrency=8, timeout=0.25, retry=FAST_RETRIES)

    report, _, _ = upload_rows(300, tmp_path, config, settings)

    assert report.counts[Status.SENT] == 300
    assert report.requests > 300  # faults were met and retried
    assert report.lowest_rate is None
    # 1.5 s at 200/s without faults; the retries and the timed-out attempts add a little.
    assert report.elapsed < 4.5


def test_429s_still_lower_the_pace(tmp_path: Path) -> None:
    config = SandboxConfig(rate_limited=0.03, unavailable=0.1, seed=11)
    settings = Settings(rate=200, concurrency=8, retry=FAST_RETRIES)

    report, _, _ = upload_rows(60, tmp_path, config, settings)

    assert report.counts[Status.SENT] == 60
    assert report.throttled > 0
    assert report.lowest_rate is not None
    assert report.lowest_rate < 200


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[respx.MockRouter]:
    with mocked_vtex(monkeypatch, BASE) as router:
        yield router


def send_all(count: int, pacer: Pacer, policy: RetryPolicy) -> list[Delivery]:
    async def go() -> list[Delivery]:
        async with build_client(BASE, CREDENTIALS, concurrency=8, timeout=5) as client:
            sender = Sender(
                client,
                pacer=pacer,
                concurrency=8,
                policy=policy,
                redactor=CREDENTIALS.redactor(),
                sleep=Sleeps(),
            )
            return list(await asyncio.gather(*(sender.send(UPDATE) for _ in range(count))))

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("headers", "lowered"), [({}, False), ({"Retry-After": "0"}, True)], ids=["bare", "retry-after"]
)
def test_only_a_503_with_retry_after_lowers_the_pace(
    api: respx.MockRouter, headers: dict[str, str], lowered: bool
) -> None:
    api.patch(PATH).mock(
        side_effect=[httpx.Response(503, headers=headers), httpx.Response(200, json=RECEIPT)]
    )
    pacer = Pacer(100)

    (delivery,) = send_all(1, pacer, RetryPolicy())

    assert delivery.status is Status.SENT
    assert (pacer.rate < pacer.ceiling) is lowered


def test_an_outage_is_retried_within_the_budget(api: respx.MockRouter) -> None:
    route = api.patch(PATH).respond(503, json={"error": {"code": "X", "message": "down"}})
    pacer = Pacer(10_000)
    rows = 100

    deliveries = send_all(rows, pacer, RetryPolicy(max_attempts=5))

    assert all(d.status is Status.FAILED and d.http_status == 503 for d in deliveries)
    retries = route.call_count - rows
    # Without a budget every row would be tried 5 times: 400 retries.
    assert 0 < retries <= route.call_count * 0.2 + RetryBudget.FLOOR * RetryBudget.WINDOW
    assert pacer.rate == pacer.ceiling


def test_the_budget_is_a_share_of_the_requests_of_the_last_window() -> None:
    clock = FakeClock()
    budget = RetryBudget(clock=clock)
    floor = int(RetryBudget.FLOOR * RetryBudget.WINDOW)
    for _ in range(100):
        budget.requested()

    granted = sum(budget.spend() for _ in range(100))

    assert granted == 20 + floor
    clock.now += RetryBudget.WINDOW + 0.1
    # The requests and retries of the window past are forgotten: only the floor is left.
    assert sum(budget.spend() for _ in range(100)) == floor
