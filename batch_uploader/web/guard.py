"""Who may ask the page what, and the headers of every answer (pure ASGI middleware).

The page listens on loopback, but any web site the person visits could make their browser
talk to it. So:

- the ``Host`` header must name the page's own address (``127.0.0.1:PORT`` or
  ``localhost:PORT``): a site that rebinds its DNS name to 127.0.0.1 is answered 400;
- the address the command prints holds a token: ``GET /?token=T`` gives a session cookie
  (HttpOnly, SameSite=Strict) and redirects to ``/``; any request without it is answered 403;
- a POST (or any unsafe method) must come from the page itself: ``Sec-Fetch-Site`` is
  ``same-origin`` or ``none``, or, without that header, ``Origin`` is the page's own (403);
- a request body over the limit is answered 413 as soon as it passes it, before any parsing;
- every answer forbids caching, framing, sniffing, referrers and anything but the page's own
  scripts and styles (a strict Content-Security-Policy).
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "batch_uploader_session"


def session_cookie(hosts: Iterable[str]) -> str:
    """The name of the session cookie of a page answering as ``hosts``: its port in it, since
    a browser gives a cookie of 127.0.0.1 to every port there (two pages open at once keep
    their own sessions, and neither hands its token to the other)."""
    ports = sorted({host.rpartition(":")[2] for host in hosts})
    return f"{SESSION_COOKIE}_{ports[0]}" if ports else SESSION_COOKIE


CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = (
    (b"cache-control", b"no-store"),
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What the page answers when it refuses a request: its status and the request's headers
# (for its language) to the HTML of the refusal.
Refusal = Callable[[int, dict[str, str]], bytes]


class BodyTooLarge(Exception):
    """A request's body went past the page's limit."""


class SecurityHeaders:
    """Adds :data:`HEADERS` to every answer of ``app`` (and drops any it set of its own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                ours = {name for name, _ in HEADERS}
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in ours]
                message = {**message, "headers": [*kept, *HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


class Guard:
    """Lets through to ``app`` only the requests of the page's own session: see the module.
    ``hosts`` are the ``host:port`` names the page answers to; ``refusal`` words a refusal."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: str,
        hosts: Iterable[str],
        max_body: int,
        refusal: Refusal,
    ) -> None:
        self.app = app
        self.token = token
        self.hosts = frozenset(host.lower() for host in hosts)
        self.origins = frozenset(f"http://{host}" for host in self.hosts)
        self.max_body = max_body
        self.refusal = refusal
        self.cookie = session_cookie(self.hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if headers.get("host", "").lower() not in self.hosts:
            await self._refuse(send, 400, headers)
            return
        method = scope["method"]
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token")
        if method == "GET" and given and scope["path"] == "/":
            if hmac.compare_digest(given[0].encode(), self.token.encode()):
                await self._admit(send)
            else:
                await self._refuse(send, 403, headers)
            return
        if method in _SAFE_METHODS and _public(scope["path"]):
            # The stylesheet, scripts and icon hold nothing of a person's: the refusal page
            # loads them too.
            await self.app(scope, receive, send)
            return
        cookie = cookie_parser(headers.get("cookie", "")).get(self.cookie)
        if cookie is None or not hmac.compare_digest(cookie.encode(), self.token.encode()):
            await self._refuse(send, 403, headers)
            return
        if method not in _SAFE_METHODS and not self._same_origin(headers):
            await self._refuse(send, 403, headers)
            return
        length = headers.get("content-length")
        # A few ASCII digits: "²" is a digit int() cannot read, nor thousands of digits.
        digits = length is not None and length.isascii() and length.isdigit() and len(length) < 20
        if length is not None and (not digits or int(length) > self.max_body):
            await self._refuse(send, 413, headers)
            return
        await self._limited(scope, receive, send, headers)

    def _same_origin(self, headers: dict[str, str]) -> bool:
        site = headers.get("sec-fetch-site")
        if site is not None:
            return site in ("same-origin", "none")
        return headers.get("origin", "").lower() in self.origins

    async def _limited(
        self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]
    ) -> None:
        """``app`` with the body counted as it streams in: past the limit, 413."""
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, 413, headers)
        except Exception as error:  # a form parser may wrap it
            if not _caused_by_size(error):
                raise
            if not started:
                await self._refuse(send, 413, headers)

    async def _admit(self, send: Send) -> None:
        cookie = f"{self.cookie}={self.token}; Path=/; HttpOnly; SameSite=Strict"
        await send(
            {
                "type": "http.response.start",
                "status": 303,
                "headers": [(b"location", b"/"), (b"set-cookie", cookie.encode())],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    async def _refuse(self, send: Send, status: int, headers: dict[str, str]) -> None:
        body = self.refusal(status, headers)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"text/html; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def _caused_by_size(error: BaseException) -> bool:
    seen: Any = error
    while seen is not None:
        if isinstance(seen, BodyTooLarge):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _headers(scope: Scope) -> dict[str, str]:
    return {
        name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]
    }


def _public(path: str) -> bool:
    """Whether ``path`` is one of the page's own files, served to anyone on the address."""
    return path == "/favicon.ico" or (path.startswith("/static/") and ".." not in path)
