"""Every request batch-uploader builds, and every answer of its sandbox, must agree with VTEX's
OpenAPI description of the operations it calls, so a drift fails here.

That description is the repository's own docs/openapi/vtex-oms.json: the three operations
copied unchanged, with everything they reference, from VTEX's official Orders API description
(GitHub vtex/openapi-schemas, named in the file's x-source). Given the official file (its path
in VTEX_ORDERS_OPENAPI), one test holds the copy to it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from batch_uploader.models import Event, EventsUpdate, Request, TrackingUpdate
from batch_uploader.sandbox.oms import Sandbox
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.read_back import OrderRead
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client
from batch_uploader.vtex.target import Credentials, resolve_base_url

from .openapi_subset import OPERATIONS, subset

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "docs" / "openapi" / "vtex-oms.json"
# VTEX's whole file is not part of the repository: the comparison runs where it is named.
OFFICIAL_VARIABLE = "VTEX_ORDERS_OPENAPI"


class OpenAPIRequest:
    """An httpx request as openapi-core reads one."""

    def __init__(self, request: httpx.Request) -> None:
        self._request = request
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(),
        )

    @property
    def host_url(self) -> str:
        return f"{self._request.url.scheme}://{self._request.url.netloc.decode()}"

    @property
    def path(self) -> str:
        # Decoded, as a server hands it to its application.
        return unquote(urlsplit(str(self._request.url)).path)

    @property
    def method(self) -> str:
        return self._request.method.lower()

    @property
    def body(self) -> bytes:
        return self._request.content

    @property
    def content_type(self) -> str:
        return str(self._request.headers.get("Content-Type", ""))


class OpenAPIResponse:
    """An httpx response as openapi-core reads one."""

    def __init__(self, response: httpx.Response) -> None:
        self.status_code = response.status_code
        self.headers = Headers(dict(response.headers))
        self.content_type = response.headers.get("Content-Type", "")
        self.data = response.content


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    assert SPEC.is_file(), f"The OpenAPI description of VTEX's operations is missing: {SPEC}"
    return OpenAPI.from_file_path(str(SPEC))


def requests_built_for(update: Request) -> list[httpx.Request]:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    async def go() -> None:
        base = resolve_base_url(None, "mystore")
        transport = httpx.MockTransport(answer)
        credentials = Credentials("key", "token")
        async with build_client(
            base, credentials, concurrency=1, timeout=5, transport=transport
        ) as client:
            sender = Sender(
                client,
                pacer=Pacer(1000),
                concurrency=1,
                policy=RetryPolicy(),
                redactor=credentials.redactor(),
            )
            await sender.send(update)

    asyncio.run(go())
    return seen


@pytest.mark.parametrize(
    "update",
    [
        TrackingUpdate(
            "1172452900788-01",
            "000030711",
            "AA123456789BR",
            "https://rastreamento.correios.com.br/?objeto=AA123456789BR",
            "Correios",
            "2026-11-24T16:05:00-03:00",
        ),
        TrackingUpdate("1172452900788-01", "000030711", "87658"),
        TrackingUpdate("v123@loja-01", "NF:9%", "Ç-1", None, "Jadlog; Expresso", "2026-11-24"),
    ],
)
def test_requests_match_the_official_description(spec: OpenAPI, update: TrackingUpdate) -> None:
    (request,) = requests_built_for(update)

    result = spec.unmarshal_request(OpenAPIRequest(request))

    assert not result.errors, result.errors
    assert result.parameters.path == {
        "orderId": update.order_id,
        "invoiceNumber": update.invoice_number,
    }
    body: Any = json.loads(request.content)
    assert body == update.body()


@pytest.mark.parametrize(
    ("drop_header", "drop_key"), [("X-VTEX-API-AppToken", None), (None, "courier")]
)
def test_a_drifted_request_would_fail(
    spec: OpenAPI, drop_header: str | None, drop_key: str | None
) -> None:
    (built,) = requests_built_for(TrackingUpdate("1-01", "9", "T"))
    headers = {k: v for k, v in built.headers.items() if k.lower() != (drop_header or "").lower()}
    body = {k: v for k, v in json.loads(built.content).items() if k != drop_key}
    drifted = httpx.Request(built.method, built.url, headers=headers, json=body)

    assert spec.unmarshal_request(OpenAPIRequest(drifted)).errors


def sent_to(sandbox: Sandbox, request: httpx.Request) -> httpx.Response:
    """``request``, built for a real account, sent to the sandbox instead."""
    return httpx.request(
        request.method,
        sandbox.base_url + request.url.raw_path.decode(),
        headers=request.headers,
        content=request.content,
    )


@pytest.mark.parametrize(
    "update", [TrackingUpdate("1-01", "9", "T"), OrderRead("1-01")], ids=["PATCH", "GET"]
)
def test_sandbox_answers_match_the_official_description(spec: OpenAPI, update: Request) -> None:
    with Sandbox() as sandbox:
        (request,) = requests_built_for(update)
        response = sent_to(sandbox, request)

    assert response.status_code == 200
    spec.validate_response(OpenAPIRequest(request), OpenAPIResponse(response))


def test_the_order_read_back_matches_the_official_description(spec: OpenAPI) -> None:
    (request,) = requests_built_for(OrderRead("1172452900788-01"))

    result = spec.unmarshal_request(OpenAPIRequest(request))

    assert not result.errors, result.errors
    assert (request.method, result.parameters.path) == ("GET", {"orderId": "1172452900788-01"})
    assert request.content == b""


def test_the_sandbox_order_holds_what_it_was_sent(spec: OpenAPI) -> None:
    with Sandbox() as sandbox:
        for built in (
            *requests_built_for(TrackingUpdate("1-01", "9", "T", None, "Loggi")),
            *requests_built_for(OrderRead("1-01")),
        ):
            response = sent_to(sandbox, built)
            spec.validate_response(OpenAPIRequest(built), OpenAPIResponse(response))

    packages = response.json()["packageAttachment"]["packages"]
    assert [(p["invoiceNumber"], p["trackingNumber"], p["courier"]) for p in packages] == [
        ("9", "T", "Loggi")
    ]


EVENTS_UPDATE = EventsUpdate(
    "1172452900788-01",
    "000030711",
    is_delivered=True,
    delivered_date="2026-11-23 14:10",
    events=(
        Event("Cajamar", "SP", "Objeto postado", "2026-11-21T08:00:00"),
        Event("Campinas", "SP", "Entregue ao destinatário", "2026-11-23T14:10:00-03:00"),
    ),
)


@pytest.mark.parametrize("update", [EVENTS_UPDATE, EventsUpdate("v1-01", "NF 9", False, None, ())])
def test_events_requests_match_the_official_description(
    spec: OpenAPI, update: EventsUpdate
) -> None:
    (request,) = requests_built_for(update)

    result = spec.unmarshal_request(OpenAPIRequest(request))

    assert not result.errors, result.errors
    assert request.method == "PUT"
    assert result.parameters.path == {
        "orderId": update.order_id,
        "invoiceNumber": update.invoice_number,
    }
    assert json.loads(request.content) == update.body()


@pytest.mark.parametrize("drop_key", ["isDelivered", "events"])
def test_a_drifted_events_request_would_fail(spec: OpenAPI, drop_key: str) -> None:
    (built,) = requests_built_for(EVENTS_UPDATE)
    body = {k: v for k, v in json.loads(built.content).items() if k != drop_key}
    drifted = httpx.Request(built.method, built.url, headers=built.headers, json=body)

    assert spec.unmarshal_request(OpenAPIRequest(drifted)).errors


def test_the_sandbox_events_answer_matches_the_official_description(spec: OpenAPI) -> None:
    with Sandbox() as sandbox:
        (request,) = requests_built_for(EVENTS_UPDATE)
        response = sent_to(sandbox, request)

    assert response.status_code == 200
    spec.validate_response(OpenAPIRequest(request), OpenAPIResponse(response))


IN_TRANSIT = EventsUpdate(
    "1172452900788-01",
    "000030711",
    is_delivered=False,
    delivered_date=None,
    events=(Event("Recife", "PE", "Em trânsito", "2026-11-22T09:30:00"),),
)


@pytest.mark.parametrize("events", [IN_TRANSIT, EVENTS_UPDATE], ids=["in-transit", "delivered"])
def test_the_sandbox_order_read_after_a_patch_and_events_matches_the_official_description(
    spec: OpenAPI, events: EventsUpdate
) -> None:
    order_id, invoice = events.order_id, events.invoice_number
    reads: list[Any] = []
    with Sandbox() as sandbox:
        for update in (TrackingUpdate(order_id, invoice, "T", None, "Loggi"), events):
            for built in (*requests_built_for(update), *requests_built_for(OrderRead(order_id))):
                response = sent_to(sandbox, built)
                assert response.status_code == 200, response.text
                spec.validate_response(OpenAPIRequest(built), OpenAPIResponse(response))
            reads.append(response.json()["packageAttachment"]["packages"])

    after_patch, after_events = reads
    assert [p["courierStatus"] for p in after_patch] == [None]
    delivered = {"deliveredDate": events.delivered_date} if events.delivered_date else {}
    assert [p["courierStatus"] for p in after_events] == [
        {
            "finished": events.is_delivered,
            **delivered,
            "data": [
                {"city": e.city, "state": e.state, "description": e.description,
                 "createDate": e.date}
                for e in events.events
            ],
        }
    ]  # fmt: skip


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_the_description_names_its_source() -> None:
    document = load(SPEC)
    source = document["x-source"]

    assert source["repository"] == "https://github.com/vtex/openapi-schemas"
    assert source["file"] == "VTEX - Orders API.json"
    for commit in (source["commit"], source["fileLastChangedIn"]):
        assert re.fullmatch(r"[0-9a-f]{40}", commit), commit
        assert commit in document["info"]["description"]
    dates = [
        date.fromisoformat(source[k]) for k in ("fileLastChangedDate", "commitDate", "extracted")
    ]
    assert dates == sorted(dates), "last change, then the commit read, then extraction"
    assert source["operations"] == [f"{method.upper()} {path}" for method, path in OPERATIONS]


def test_the_description_holds_exactly_what_its_operations_need() -> None:
    # Extracting the operations again from the file itself gives back the file: every $ref
    # resolves inside it, and nothing is kept that no operation uses.
    document = load(SPEC)

    assert subset(document, OPERATIONS) == {k: v for k, v in document.items() if k != "x-source"}


def test_subset_keeps_what_operations_reference_and_drops_the_rest() -> None:
    schema = {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Loop"}}}
    full: dict[str, Any] = {
        "openapi": "3.0.0",
        "info": {"title": "t", "version": "1"},
        "security": [{"key": []}],
        "paths": {
            "/a": {
                "get": {
                    "tags": ["A"],
                    "parameters": [{"$ref": "#/components/parameters/Id"}],
                    "responses": {"200": {"$ref": "#/components/responses/Ok"}},
                },
                "post": {"tags": ["B"], "responses": {}},
            },
            "/b": {"get": {"responses": {"200": {"$ref": "#/components/responses/Other"}}}},
        },
        "components": {
            "parameters": {"Id": {"name": "id", "in": "query", "schema": {"type": "string"}}},
            "responses": {
                "Ok": {"content": {"a/b": {"schema": {"$ref": "#/components/schemas/Loop"}}}},
                "Other": {"description": "unused"},
            },
            "schemas": {"Loop": schema, "Unused": {"type": "string"}},
            "securitySchemes": {
                "key": {"type": "apiKey", "in": "header", "name": "K"},
                "other": {"type": "http", "scheme": "basic"},
            },
        },
        "tags": [{"name": "A"}, {"name": "B"}],
    }

    part = subset(full, [("get", "/a")])

    assert part["paths"] == {"/a": {"get": full["paths"]["/a"]["get"]}}
    assert part["components"] == {
        "parameters": full["components"]["parameters"],
        "responses": {"Ok": full["components"]["responses"]["Ok"]},
        "schemas": {"Loop": schema},
        "securitySchemes": {"key": full["components"]["securitySchemes"]["key"]},
    }
    assert (part["security"], part["tags"]) == ([{"key": []}], [{"name": "A"}])
    part["components"]["schemas"]["Loop"]["type"] = "string"
    assert schema["type"] == "object", "a copy, not the original"
    dangling = full | {"paths": {"/c": {"get": {"$ref": "#/components/schemas/NoSuch"}}}}
    with pytest.raises(KeyError, match="NoSuch"):
        subset(dangling, [("get", "/c")])


def test_the_description_is_vtex_s_official_one_unchanged() -> None:
    given = os.environ.get(OFFICIAL_VARIABLE, "")
    if not given or not Path(given).is_file():
        pytest.skip(
            f"VTEX's full OpenAPI description is not given ({OFFICIAL_VARIABLE}=path to "
            "'VTEX - Orders API.json' of vtex/openapi-schemas); the project's own copy in "
            "docs/openapi/ is what the other tests use"
        )
    ours, official = load(SPEC), load(Path(given))
    expected = subset(official, OPERATIONS)

    for method, path in OPERATIONS:
        # Parameters, request body and responses, with the rest of the operation.
        assert ours["paths"].get(path, {}).get(method) == official["paths"][path][method], (
            f"{method.upper()} {path} differs from VTEX's description"
        )
    for section, entries in expected["components"].items():
        for name, value in entries.items():
            assert ours["components"].get(section, {}).get(name) == value, (
                f"components/{section}/{name} differs from VTEX's description"
            )
    assert ours["components"] == expected["components"], "a component VTEX's operations lack"
    assert {k: v for k, v in ours.items() if k not in ("info", "x-source")} == {
        k: v for k, v in expected.items() if k != "info"
    }
