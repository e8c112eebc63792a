"""A fake VTEX OMS on loopback, to try, demonstrate and test batch-uploader without an account.

It is a real HTTP server, so the real client stack is exercised. It answers the partial-invoice
request, the tracking-events request and the order read the way VTEX does (checking the path,
headers and body), keeps the state it was sent (an order read shows it in
``packageAttachment.packages``), and can be told to misbehave: unknown orders, updates that do
not land, latency, 429 with Retry-After, 503, slow answers and refused credentials.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import unquote

import httpx

_INVOICE_ROUTE = re.compile(r"^/api/oms/pvt/orders/([^/?#]+)/invoice/([^/?#]+)$")
_TRACKING_ROUTE = re.compile(r"^/api/oms/pvt/orders/([^/?#]+)/invoice/([^/?#]+)/tracking$")
_ORDER_ROUTE = re.compile(r"^/api/oms/pvt/orders/([^/?#]+)$")
# The method each route answers to.
_ROUTES = (("PATCH", _INVOICE_ROUTE), ("PUT", _TRACKING_ROUTE), ("GET", _ORDER_ROUTE))
# The sandbox's own route: what it accepted, for tools and tests that check a run from outside.
RECEIVED_PATH = "/_sandbox/received"
_BODY_KEYS = frozenset({"trackingNumber", "trackingUrl", "courier", "dispatchedDate"})


@dataclass(frozen=True, kw_only=True, slots=True)
class SandboxConfig:
    """How the sandbox behaves.

    ``rate_limit`` requests per second (with bursts of ``burst``) are accepted, as a token
    bucket; past it the answer is 429 with Retry-After, as from VTEX. ``rate_limited``,
    ``unavailable`` (503), ``resets`` (connection closed without an answer) and ``slow`` are
    probabilities per request, drawn from ``seed``. Updates of the ``lost_updates`` orders
    are answered 200 but not kept, so reading the order back shows a mismatch.
    """

    latency: float = 0.0
    unknown_orders: frozenset[str] = frozenset()
    rate_limit: float | None = None
    burst: int = 1
    rate_limited: float = 0.0
    unavailable: float = 0.0
    resets: float = 0.0
    slow: float = 0.0
    slow_seconds: float = 5.0
    retry_after: int = 1
    refuse_credentials: int | None = None
    seed: int | None = None
    lost_updates: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        for name in ("rate_limited", "unavailable", "resets", "slow"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a probability between 0 and 1")
        if self.rate_limit is not None and not self.rate_limit > 0:
            raise ValueError("rate_limit is a number of requests per second above 0")
        if self.burst < 1:
            raise ValueError("burst is at least 1")
        if self.refuse_credentials not in (None, 401, 403):
            raise ValueError("refuse_credentials is 401, 403 or None")


@dataclass(frozen=True, slots=True)
class Received:
    """A request the sandbox accepted: the order, the invoice and the body it was sent, and
    ``method`` (PATCH for a tracking number, PUT for tracking events)."""

    order_id: str
    invoice_number: str
    body: dict[str, Any]
    # Looked up in any case, as HTTP names them: a client may send them in lower case.
    headers: Mapping[str, str] = field(repr=False)
    method: str = "PATCH"


class Sandbox:
    """The fake OMS, served from a background thread on ``host`` (loopback only).

    Use it as a context manager, or call :meth:`start` and :meth:`stop`.
    """

    def __init__(
        self, config: SandboxConfig | None = None, *, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or SandboxConfig()
        self.received: list[Received] = []
        # Order id -> invoice number -> its package, as an order read shows it.
        self.orders: dict[str, dict[str, dict[str, Any]]] = {}
        self.requests = 0
        self._lock = threading.Lock()
        self._random = random.Random(self.config.seed)
        self._tokens = float(self.config.burst)
        self._filled_at = time.monotonic()
        self._server = _Server((host, port), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        # A short poll interval lets stop() return promptly.
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="sandbox", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serves in this thread until interrupted."""
        try:
            self._server.serve_forever()
        finally:
            self._server.server_close()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> _Reply | None:
        """The sandbox's answer to one request (the server calls it from its threads);
        ``None`` to drop the connection without one."""
        with self._lock:
            self.requests += 1
            draw = self._random.random()
            wait = self._take_token()
        config = self.config
        if config.latency:
            time.sleep(config.latency)
        if method == "GET" and path == RECEIVED_PATH:
            with self._lock:
                log = [{"orderId": r.order_id, "invoiceNumber": r.invoice_number, **r.body}
                       for r in self.received]  # fmt: skip
            return _Reply(HTTPStatus.OK, log)
        found = [(allowed, route) for allowed, pattern in _ROUTES if (route := pattern.match(path))]
        if not found:
            return _error(HTTPStatus.NOT_FOUND, "NotFound", f"no route for {method} {path}")
        allowed, route = found[0]
        if method != allowed:
            return _error(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed", f"{method} {path}")
        lowered = {name.lower(): value for name, value in headers.items()}
        if not lowered.get("x-vtex-api-appkey") or not lowered.get("x-vtex-api-apptoken"):
            return _error(HTTPStatus.UNAUTHORIZED, "Unauthorized", "missing app key or token")
        if config.refuse_credentials:
            status = HTTPStatus(config.refuse_credentials)
            return _error(status, status.phrase, "credentials refused by the sandbox")
        if method != "GET" and "application/json" not in lowered.get("content-type", ""):
            return _error(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "OMS001", "Content-Type must be JSON")
        if "application/json" not in lowered.get("accept", ""):
            return _error(HTTPStatus.NOT_ACCEPTABLE, "OMS001", "Accept must include JSON")
        payload: dict[str, Any] = {}
        if method != "GET":
            payload, problem = (_read_body if method == "PATCH" else _read_events)(body)
            if problem:
                return _error(HTTPStatus.BAD_REQUEST, "OMS002", problem)
        if wait is not None:
            return _too_many(math.ceil(wait))
        # Faults are drawn from one number, so their probabilities do not overlap.
        if draw < config.rate_limited:
            return _too_many(config.retry_after)
        draw -= config.rate_limited
        if draw < config.resets:
            return None
        draw -= config.resets
        if draw < config.unavailable:
            return _error(HTTPStatus.SERVICE_UNAVAILABLE, "ServiceUnavailable", "circuit open")
        draw -= config.unavailable
        if draw < config.slow:
            time.sleep(config.slow_seconds)
        order_id = unquote(route.group(1))
        if order_id in config.unknown_orders:
            return _error(HTTPStatus.NOT_FOUND, "OMS007", "Order Not Found")
        if method == "GET":
            with self._lock:
                packages = [dict(p) for p in self.orders.get(order_id, {}).values()]
            return _Reply(HTTPStatus.OK, _order(order_id, packages))
        invoice_number = unquote(route.group(2))
        with self._lock:
            received = Received(order_id, invoice_number, payload, httpx.Headers(headers), method)
            self.received.append(received)
            if order_id not in config.lost_updates:
                self._keep(order_id, invoice_number, method, payload)
        receipt = uuid.uuid4().hex
        date = dt.datetime.now(dt.UTC).isoformat()
        return _Reply(HTTPStatus.OK, {"date": date, "orderId": order_id, "receipt": receipt})

    def _keep(
        self, order_id: str, invoice_number: str, method: str, payload: dict[str, Any]
    ) -> None:
        """Applies an accepted update to the order's package of that invoice."""
        package = self.orders.setdefault(order_id, {}).setdefault(
            invoice_number, {"invoiceNumber": invoice_number, "courierStatus": None}
        )
        if method == "PATCH":
            package.update(payload)
            return
        # The events replace those the package held. The order's description has
        # deliveredDate as a string, never null: a parcel in transit has none.
        status: dict[str, Any] = {"finished": payload["isDelivered"]}
        if payload["deliveredDate"] is not None:
            status["deliveredDate"] = payload["deliveredDate"]
        status["data"] = [
            {"city": e["city"], "state": e["state"], "description": e["description"],
             "createDate": e["date"]}
            for e in payload["events"]
        ]  # fmt: skip
        package["courierStatus"] = status

    def _take_token(self) -> float | None:
        """Takes a token from the bucket; when there is none, the seconds until one."""
        rate = self.config.rate_limit
        if rate is None:
            return None
        now = time.monotonic()
        self._tokens = min(self.config.burst, self._tokens + (now - self._filled_at) * rate)
        self._filled_at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / rate


@dataclass(frozen=True, slots=True)
class _Reply:
    status: HTTPStatus
    payload: dict[str, Any] | list[dict[str, Any]]
    headers: dict[str, str] = field(default_factory=dict)


def _too_many(retry_after: int) -> _Reply:
    return _Reply(
        HTTPStatus.TOO_MANY_REQUESTS,
        {"error": {"code": "TooManyRequests", "message": "Too many requests"}},
        {"Retry-After": str(max(1, retry_after))},
    )


def _error(status: HTTPStatus, code: str, message: str) -> _Reply:
    return _Reply(status, {"error": {"code": code, "message": message, "exception": None}})


def _read_body(body: bytes) -> tuple[dict[str, Any], str | None]:
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}, "the body is not JSON"
    if not isinstance(payload, dict):
        return {}, "the body must be a JSON object"
    if set(payload) != _BODY_KEYS:
        return payload, f"the body must have exactly the keys {sorted(_BODY_KEYS)}"
    if not isinstance(payload["trackingNumber"], str) or not payload["trackingNumber"]:
        return payload, "trackingNumber must be a non-empty string"
    for key in ("trackingUrl", "courier", "dispatchedDate"):
        if payload[key] is not None and not isinstance(payload[key], str):
            return payload, f"{key} must be a string or null"
    return payload, None


_EVENT_KEYS = frozenset({"city", "state", "description", "date"})
_DELIVERED_DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$")


def _read_events(body: bytes) -> tuple[dict[str, Any], str | None]:
    """The body of the tracking-events request, checked as VTEX documents it."""
    try:
        payload = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}, "the body is not JSON"
    if not isinstance(payload, dict) or set(payload) != {"isDelivered", "deliveredDate", "events"}:
        return {}, "the body must have exactly the keys deliveredDate, events, isDelivered"
    if not isinstance(payload["isDelivered"], bool):
        return payload, "isDelivered must be true or false"
    delivered = payload["deliveredDate"]
    if delivered is not None and not (
        isinstance(delivered, str) and _DELIVERED_DATE.match(delivered)
    ):
        return payload, "deliveredDate must be null or written yyyy-mm-dd hh:mm"
    events = payload["events"]
    if not isinstance(events, list) or not all(
        isinstance(e, dict)
        and set(e) == _EVENT_KEYS
        and all(isinstance(v, str) for v in e.values())
        for e in events
    ):
        return payload, "events must be a list of {city, state, description, date} strings"
    return payload, None


def _order(order_id: str, packages: list[dict[str, Any]]) -> dict[str, Any]:
    """An order as the OMS returns it, cut to what the sandbox knows."""
    return {
        "orderId": order_id,
        "status": "invoiced" if packages else "ready-for-handling",
        "packageAttachment": {"packages": packages},
    }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when 16 or more clients connect.
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up is normal (a timeout, a stopped run); anything else is not."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, address: tuple[str, int], handler: type[_Handler], sandbox: Sandbox) -> None:
        super().__init__(address, handler)
        self.sandbox = sandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as VTEX's edge does
    disable_nagle_algorithm = True  # headers and body leave at once, without a 40 ms stall
    server: _Server

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        answer = self.server.sandbox.answer(self.command, self.path, dict(self.headers), body)
        if answer is None:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(answer.payload).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

    def log_message(self, format: str, *args: Any) -> None:
        """Requests are not logged: they carry the app token."""
