"""The HTTP transport of an upload: httpx's API, with aiohttp doing the I/O.

httpx's own connection pool (httpcore) costs about twice the CPU per request of aiohttp's, and
on a small machine that CPU is what limits an upload (BENCHMARKS.md, case 3). The
``httpx-aiohttp`` transport keeps every part of httpx that the sender relies on (requests,
timeouts, streamed answers, the mock transports of the tests) and hands the sockets to
aiohttp. Its errors are told here as httpx's own, by what happened: httpx-aiohttp 0.2 reports a
connection closed by the server, or refused, as a connect timeout, which would have a dropped
connection read as "VTEX did not answer in time".
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import httpx
import httpx_aiohttp
from aiohttp.connector import Connection


def aiohttp_transport(limits: httpx.Limits, tls: ssl.SSLContext) -> httpx.AsyncBaseTransport:
    """A transport with at most ``limits.max_connections`` connections, verified with
    ``tls``."""

    def session() -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=tls,
            # A TLS connection dropped at a deadline is aborted when the run ends rather than
            # left waiting on the server's goodbye, its socket open.
            enable_cleanup_closed=True,
        )
        return aiohttp.ClientSession(
            connector=connector,
            # httpx keeps the cookies: a second jar would send them twice.
            cookie_jar=aiohttp.DummyCookieJar(),
            response_class=_Response,
        )

    return _Transport(verify=tls, limits=limits, client=session)


class _Response(aiohttp.ClientResponse):
    async def start(self, connection: Connection) -> aiohttp.ClientResponse:
        started = await super().start(connection)
        # aiohttp reads a reason phrase that is not UTF-8 (a proxy's Latin-1 "Serviço
        # Indisponível") into text httpx-aiohttp cannot encode back: its bytes are kept as
        # Latin-1 text instead, which always can be, and httpx shows the ASCII of it.
        if self.reason is not None:
            self.reason = self.reason.encode("utf-8", "surrogateescape").decode("latin-1")
        return started


class _Transport(httpx_aiohttp.AiohttpTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _as_httpx_errors():
            response = await super().handle_async_request(request)
        response.stream = _Stream(response.stream)
        return response


class _Stream(httpx.AsyncByteStream):
    """An answer's body, its errors told as httpx's own."""

    def __init__(self, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        assert isinstance(stream, httpx.AsyncByteStream)
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors():
            async for chunk in self._stream:
                yield chunk

    async def aclose(self) -> None:
        with _as_httpx_errors():
            await self._stream.aclose()


@contextlib.contextmanager
def _as_httpx_errors() -> Iterator[None]:
    """Raises aiohttp's errors (as they come, or as httpx-aiohttp mapped them) as the httpx
    error that says what happened."""
    try:
        yield
    except httpx.HTTPError as error:
        cause = error.__cause__
        if not isinstance(cause, aiohttp.ClientError | asyncio.TimeoutError):
            raise
        raise _httpx_error(cause) from cause
    except (TimeoutError, aiohttp.ClientError) as error:
        raise _httpx_error(error) from error


def _httpx_error(error: BaseException) -> httpx.HTTPError:
    # On one line: aiohttp's messages may span several, and they end up in a results cell.
    message = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message)
    if isinstance(error, asyncio.TimeoutError):  # aiohttp's read timeouts among them
        return httpx.ReadTimeout(message)
    if isinstance(error, aiohttp.ClientConnectorError):
        return httpx.ConnectError(message)
    if isinstance(error, aiohttp.ServerDisconnectedError | aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message)
    if isinstance(error, aiohttp.ClientResponseError):
        # An answer aiohttp could not parse: its "400" is its own code for that, not VTEX's.
        return httpx.RemoteProtocolError(error.message or message)
    if isinstance(error, aiohttp.ClientConnectionError):
        return httpx.ReadError(message)  # reset by the peer, a broken pipe
    if isinstance(error, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message)
    return httpx.TransportError(message)
