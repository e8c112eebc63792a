from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from batch_uploader.sandbox.oms import Sandbox, SandboxConfig

PATH = "/api/oms/pvt/orders/1172452900788-01/invoice/000030711"
HEADERS = {
    "X-VTEX-API-AppKey": "key",
    "X-VTEX-API-AppToken": "token",
    "Accept": "application/json",
    "Content-Type": "application/json",
}
BODY = {
    "trackingNumber": "AA1BR",
    "trackingUrl": None,
    "courier": "Correios",
    "dispatchedDate": None,
}


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    config = getattr(request, "param", SandboxConfig())
    with Sandbox(config) as running:
        yield running


def patch(
    sandbox: Sandbox, path: str = PATH, body: Any = BODY, headers: dict[str, str] = HEADERS
) -> httpx.Response:
    return httpx.patch(sandbox.base_url + path, json=body, headers=headers, timeout=5)


def test_accepts_a_valid_request_and_keeps_it(sandbox: Sandbox) -> None:
    response = patch(sandbox)

    assert response.status_code == 200
    answer = response.json()
    assert answer["orderId"] == "1172452900788-01"
    assert len(answer["receipt"]) == 32
    (received,) = sandbox.received
    assert (received.order_id, received.invoice_number, received.body) == (
        "1172452900788-01",
        "000030711",
        BODY,
    )


def test_listens_on_loopback_only(sandbox: Sandbox) -> None:
    assert sandbox.base_url.startswith("http://127.0.0.1:")


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(unknown_orders=frozenset({"1172452900788-01"}))], indirect=True
)
def test_unknown_order_is_404_oms007(sandbox: Sandbox) -> None:
    response = patch(sandbox)

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "OMS007"
    assert response.json()["error"]["message"] == "Order Not Found"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"trackingNumber": "AA1BR"}, "exactly the keys"),
        ({**BODY, "trackingNumber": ""}, "trackingNumber must be a non-empty string"),
        ({**BODY, "courier": 12}, "courier must be a string or null"),
        (["not", "an", "object"], "must be a JSON object"),
    ],
)
def test_refuses_bodies_off_the_contract(sandbox: Sandbox, body: Any, problem: str) -> None:
    response = patch(sandbox, body=body)

    assert response.status_code == 400
    assert problem in response.json()["error"]["message"]
    assert sandbox.received == []


def test_missing_credentials_are_401(sandbox: Sandbox) -> None:
    headers = {k: v for k, v in HEADERS.items() if k != "X-VTEX-API-AppToken"}

    assert patch(sandbox, headers=headers).status_code == 401


def test_unknown_route_is_404(sandbox: Sandbox) -> None:
    assert patch(sandbox, path="/api/oms/pvt/orders/1-01/items").status_code == 404


@pytest.mark.parametrize("sandbox", [SandboxConfig(refuse_credentials=403)], indirect=True)
def test_can_refuse_credentials(sandbox: Sandbox) -> None:
    assert patch(sandbox).status_code == 403


@pytest.mark.parametrize("sandbox", [SandboxConfig(rate_limited=1.0, retry_after=3)], indirect=True)
def test_can_rate_limit_with_retry_after(sandbox: Sandbox) -> None:
    response = patch(sandbox)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "3"


@pytest.mark.parametrize("sandbox", [SandboxConfig(unavailable=1.0)], indirect=True)
def test_can_be_unavailable(sandbox: Sandbox) -> None:
    assert patch(sandbox).status_code == 503


def test_faults_are_reproducible_with_a_seed() -> None:
    def statuses() -> list[int]:
        config = SandboxConfig(rate_limited=0.3, unavailable=0.2, seed=42)
        with Sandbox(config) as sandbox, httpx.Client(base_url=sandbox.base_url) as client:
            return [client.patch(PATH, json=BODY, headers=HEADERS).status_code for _ in range(20)]

    first = statuses()

    assert first == statuses()
    assert {200, 429, 503} <= set(first)


@pytest.mark.parametrize("probability", [-0.1, 1.5])
def test_probabilities_are_checked(probability: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        SandboxConfig(rate_limited=probability)


EVENTS = {
    "isDelivered": False,
    "deliveredDate": None,
    "events": [{"city": "Recife", "state": "PE", "description": "Em trânsito",
                "date": "2026-11-22"}],
}  # fmt: skip


def read_order(sandbox: Sandbox, order_id: str = "1172452900788-01") -> httpx.Response:
    return httpx.get(f"{sandbox.base_url}/api/oms/pvt/orders/{order_id}", headers=HEADERS)


def test_an_order_read_shows_the_tracking_data_and_events_it_was_sent(sandbox: Sandbox) -> None:
    patch(sandbox)
    put = httpx.put(sandbox.base_url + PATH + "/tracking", json=EVENTS, headers=HEADERS)

    answer = read_order(sandbox)

    assert (put.status_code, answer.status_code) == (200, 200)
    assert answer.json()["packageAttachment"]["packages"] == [
        {**BODY, "invoiceNumber": "000030711", "courierStatus": {
            "finished": False,
            "data": [{"city": "Recife", "state": "PE", "description": "Em trânsito",
                      "createDate": "2026-11-22"}]}},
    ]  # fmt: skip
    assert [r.method for r in sandbox.received] == ["PATCH", "PUT"]


def test_an_order_never_updated_has_no_packages(sandbox: Sandbox) -> None:
    assert read_order(sandbox, "9-01").json()["packageAttachment"] == {"packages": []}


@pytest.mark.parametrize(
    "sandbox", [SandboxConfig(lost_updates=frozenset({"1172452900788-01"}))], indirect=True
)
def test_a_lost_update_is_answered_200_but_not_kept(sandbox: Sandbox) -> None:
    assert patch(sandbox).status_code == 200

    assert read_order(sandbox).json()["packageAttachment"]["packages"] == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"deliveredDate": "2026-11-23T14:10:00"}, "deliveredDate must be null or written"),
        ({"isDelivered": "yes"}, "isDelivered must be true or false"),
        ({"events": [{"city": "Recife"}]}, "events must be a list of"),
        ({"trackingNumber": "X"}, "the body must have exactly the keys"),
    ],
)
def test_a_malformed_events_body_is_refused_400(
    sandbox: Sandbox, change: dict[str, Any], message: str
) -> None:
    response = httpx.put(
        sandbox.base_url + PATH + "/tracking", json={**EVENTS, **change}, headers=HEADERS
    )

    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    assert sandbox.received == []


def test_each_route_answers_its_own_method_only(sandbox: Sandbox) -> None:
    wrong = httpx.get(sandbox.base_url + PATH, headers=HEADERS)
    also_wrong = httpx.patch(sandbox.base_url + PATH + "/tracking", json=EVENTS, headers=HEADERS)

    assert (wrong.status_code, also_wrong.status_code) == (405, 405)


def test_an_events_request_replaces_the_events_the_order_held(sandbox: Sandbox) -> None:
    later = {"isDelivered": True, "deliveredDate": "2026-11-23 14:10",
             "events": [{"city": "Olinda", "state": "PE", "description": "Entregue",
                         "date": "2026-11-23"}]}  # fmt: skip
    for body in (EVENTS, later):
        put = httpx.put(sandbox.base_url + PATH + "/tracking", json=body, headers=HEADERS)
        assert put.status_code == 200

    (package,) = read_order(sandbox).json()["packageAttachment"]["packages"]

    assert package["courierStatus"] == {
        "finished": True,
        "deliveredDate": "2026-11-23 14:10",
        "data": [{"city": "Olinda", "state": "PE", "description": "Entregue",
                  "createDate": "2026-11-23"}],
    }  # fmt: skip
