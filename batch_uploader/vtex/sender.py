"""Sending updates to VTEX: one async client, bounded concurrency, a shared pacer, retries.

Every HTTP outcome becomes a :class:`Delivery`; no httpx or tenacity exception escapes. This
is where answers enter: the token is taken out of each (body, error, exception text) here, so
that nothing written from a delivery can hold it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import ssl
import time
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    stop_after_delay,
)
from tenacity.wait import wait_random_exponential

from ..messages import N_, Message, Param
from ..models import Delivery, Request, Status, receipt_of
from ..redaction import Redactor
from ..rules import row_codes
from ..rules.hints import Hint
from .limiter import Pacer
from .retry import RetryPolicy, parse_retry_after
from .settings import Settings
from .target import Credentials

USER_AGENT = "batch-uploader"
# Error messages longer than this are cut: they end up in a spreadsheet cell.
MESSAGE_LIMIT = 300
# How much of an unexpected answer's body a message shows.
PREVIEW_LIMIT = 100
# Answers after which no request can succeed: the run stops.
_FATAL = (401, 403)
# Pauses asked within this many seconds of the end of the one in force are the same pause,
# told by the answers of the requests already in flight: it is said once.
SAME_PAUSE = 1.0

logger = logging.getLogger("batch_uploader")


def _refused(status: int, request: Request) -> Message:
    if status == 401:
        return Message(
            N_("VTEX refused the app key or token (401 Unauthorized); check {hint}"),
            {"hint": Hint.CREDENTIALS},
        )
    if request.RESOURCE == "Notify invoice":
        template = N_(
            "the app key may not update invoices (403 Forbidden); give its role the '{resource}' "
            "resource (roles 'OMS - Full access' or 'IntegrationProfile - Fulfillment Oms')"
        )
    elif request.RESOURCE == "View order":
        template = N_(
            "the app key may not read orders (403 Forbidden); give its role the '{resource}' "
            "resource"
        )
    else:
        template = N_(
            "the app key may not do this (403 Forbidden); give its role the '{resource}' resource"
        )
    return Message(template, {"resource": request.RESOURCE})


def request_headers(credentials: Credentials) -> dict[str, str]:
    """The headers of every request: the credentials, JSON both ways, who is asking."""
    return {
        **credentials.headers(),
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
    }


def build_client(
    base_url: str,
    credentials: Credentials,
    *,
    concurrency: int,
    timeout: float,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An HTTP client of a run, with a connection for each of its workers; its I/O is
    aiohttp's unless another ``transport`` is given (the tests give mock ones) or the
    environment names a proxy."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    return httpx.AsyncClient(
        base_url=base_url,
        headers=request_headers(credentials),
        timeout=httpx.Timeout(timeout),
        limits=limits,
        transport=transport
        or (None if proxied() else aiohttp_transport(limits, httpx.create_ssl_context())),
    )


def aiohttp_transport(limits: httpx.Limits, tls: ssl.SSLContext) -> httpx.AsyncBaseTransport:
    """The transport of :mod:`~.transport`, imported only when a run sends: aiohttp takes
    a tenth of a second to import, which a dry run or ``--help`` has no use for."""
    from .transport import aiohttp_transport as transport_of

    return transport_of(limits, tls)


def proxied() -> bool:
    """Whether the environment names a proxy (HTTP_PROXY, HTTPS_PROXY, ALL_PROXY...): then
    httpx's own transport carries the requests, honouring those and NO_PROXY as it always has."""
    return any(scheme != "no" for scheme in urllib.request.getproxies())


@contextlib.asynccontextmanager
async def open_sender(
    base_url: str,
    credentials: Credentials,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AsyncIterator[Sender]:
    """The sender of a run, with its client and pacer, for as long as the block lasts."""
    async with build_client(
        base_url,
        credentials,
        concurrency=settings.concurrency,
        timeout=settings.timeout,
        transport=transport,
    ) as client:
        yield Sender(
            client,
            pacer=Pacer(settings.rate),
            concurrency=settings.concurrency,
            policy=settings.retry,
            redactor=credentials.redactor(),
            timeout=settings.timeout,
        )


@dataclass(frozen=True, slots=True)
class _Answer:
    """One attempt's result."""

    http_status: int | None
    payload: Any = None
    retry_after: float | None = None
    error_code: str | None = None
    error: Message | None = None

    @property
    def retryable(self) -> bool:
        return self.http_status is None or RetryPolicy.retries_status(self.http_status)


@dataclass(slots=True)
class _Hold:
    """Until when (``time.monotonic``) every worker is held by a Retry-After, shared by a
    sender and its companions so that a pause is said once."""

    until: float = -math.inf


class Sender:
    """Sends updates with at most ``concurrency`` requests in flight and at most ``pacer.rate``
    requests per second over all of them, retrying as ``policy`` says.

    After a fatal answer (401, 403), or once :meth:`stop` is called, every later row is
    reported as not attempted: ``stop_reason`` says why. ``requests`` and ``throttled`` count
    the requests made and the 429 answers among them. ``redactor`` takes the secrets out of
    every answer and error. ``timeout`` is the limit on a whole attempt, from connecting to the
    last byte of the answer.
    """

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        pacer: Pacer,
        concurrency: int,
        policy: RetryPolicy,
        redactor: Redactor,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lanes: asyncio.LifoQueue[httpx.AsyncClient] | None = None,
        timeout: float = Settings().timeout,
        hold: _Hold | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._client = client
        # Requests name their whole URL: httpx parses a path against its base URL twice.
        self._base_url = str(client.base_url).rstrip("/")
        if lanes is None:
            # A lane is the right to one request in flight. Last in, first out: the lanes used
            # last hold the warm connections.
            lanes = asyncio.LifoQueue()
            for _ in range(concurrency):
                lanes.put_nowait(client)
        self._lanes = lanes
        self._pacer = pacer
        self._policy = policy
        self._redactor = redactor
        self._backoff = wait_random_exponential(
            multiplier=policy.backoff_initial, max=policy.backoff_max
        )
        self._sleep = sleep
        self._concurrency = concurrency
        self._timeout = timeout
        self._hold = hold or _Hold()
        self._retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.row_budget),
            wait=self._wait,
            retry=retry_if_result(self._should_retry),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            sleep=sleep,
        )
        self.stop_message: Message | None = None
        self.requests = 0
        self.throttled = 0

    @property
    def pacer(self) -> Pacer:
        return self._pacer

    def companion(self) -> Sender:
        """Another sender on the same clients, lanes, pacer and policy, which stops on its own:
        reads beside updates (within the same concurrency and rate), so that a key that may
        not read stops the reads only."""
        return Sender(
            self._client,
            pacer=self._pacer,
            concurrency=self._concurrency,
            policy=self._policy,
            redactor=self._redactor,
            sleep=self._sleep,
            lanes=self._lanes,
            timeout=self._timeout,
            hold=self._hold,
        )

    @property
    def stop_reason(self) -> str | None:
        """Why the sender stopped, in English; ``None`` while it sends."""
        return None if self.stop_message is None else self.stop_message.text()

    def stop(self, reason: str | Message) -> None:
        """Sends nothing more; rows not yet attempted say the run stopped because ``reason``
        (a message, or a front end's own words, said as they are)."""
        if self.stop_message is None:
            self.stop_message = reason if isinstance(reason, Message) else Message.as_is(reason)

    async def send(
        self,
        update: Request,
        *,
        on_request: Callable[[], None] | None = None,
        on_retry: Callable[[int, str], None] | None = None,
    ) -> Delivery:
        """Sends ``update`` and tells what became of it; ``on_request`` is called as each
        request leaves, ``on_retry`` with the attempt's number and the last answer's code
        (``http-503``, ``timeout``...) before each attempt after the first."""
        attempts = 0
        last: _Answer | None = None

        async def attempt() -> _Answer | None:
            nonlocal attempts, last
            if last is not None and on_retry is not None and not self.stop_reason:
                on_retry(
                    attempts + 1, last.error_code or row_codes.http_status(last.http_status or 0)
                )
            answer = None if self.stop_reason else await self._attempt(update, on_request)
            if answer is not None:
                attempts += 1
                last = answer
            return answer

        # A copy per row: tenacity keeps a call's state on the object.
        answer: _Answer | None = await self._retrying.copy()(attempt)
        if answer is None and last is not None:
            # Stopped between attempts: the row failed with the answer it last had.
            return self._deliver(last, attempts, stopped=True)
        if answer is None:
            return Delivery(
                Status.FAILED,
                attempts=attempts,
                error_code=row_codes.NOT_ATTEMPTED,
                error=_not_sent(self.stop_message),
            )
        return self._deliver(answer, attempts)

    async def _attempt(
        self, update: Request, on_request: Callable[[], None] | None
    ) -> _Answer | None:
        client = await self._lanes.get()
        try:
            # Checked on both sides of the wait for a lane: the run may stop meanwhile.
            if self.stop_reason:
                return None
            await self._pacer.wait()
            if self.stop_reason:
                return None
            if on_request is not None:
                on_request()
                # The hook may have stopped the run: a journal that could not note the request
                # leaving. It does not leave.
                if self.stop_reason:
                    return None
            self.requests += 1
            try:
                # httpx's timeouts are per operation: a server sending a byte at a time meets
                # none of them. The whole attempt has this deadline, the body's reading within.
                async with asyncio.timeout(self._timeout):
                    request = client.build_request(
                        update.METHOD, self._base_url + update.path(), json=update.body()
                    )
                    response = await client.send(request, stream=True)
                    try:
                        body = await capped_body(response, ANSWER_LIMIT)
                    finally:
                        # Closing an answer not read to its end drops its connection: the rest
                        # of an oversized body is never read.
                        await response.aclose()
            except TimeoutError:
                return _Answer(
                    None,
                    error_code=row_codes.TIMEOUT,
                    error=Message(
                        N_("VTEX's answer did not complete within {seconds} s ({hint})"),
                        {"seconds": _seconds(self._timeout), "hint": Hint.TIMEOUT},
                    ),
                )
            except httpx.TimeoutException:
                return _Answer(None, error_code=row_codes.TIMEOUT, error=_NO_ANSWER)
            except httpx.TransportError as error:
                return self._failed(
                    row_codes.CONNECTION_ERROR, N_("connection failed: {error}"), error
                )
            except httpx.HTTPError as error:
                # The answer could not be read (a broken body): the update may have landed,
                # and sending it again is harmless, so it is retried like a lost connection.
                return self._failed(
                    row_codes.HTTP_ERROR, N_("the answer could not be read: {error}"), error
                )
        finally:
            self._lanes.put_nowait(client)
        return self._read(response, update, body)

    def _read(self, response: httpx.Response, request: Request, body: bytes | None) -> _Answer:
        """What ``response`` says, from its ``body`` (``None``: over ``ANSWER_LIMIT``, unread)."""
        status = response.status_code
        if body is None:
            # A refusal stops the run and a 429 or 503 holds it as usual, whatever the body.
            body = b""
            oversized = status not in _FATAL
        else:
            oversized = False
        # Decoded as JSON reads bytes (UTF-8, or UTF-16/32 by their first bytes), as
        # response.json() did: reading a charset from the headers doubles the time per answer.
        text = self._redactor.text(body.decode(json.detect_encoding(body), "replace"))
        try:
            payload = json.loads(text)
        except json.JSONDecodeError:
            payload = None
        # A token written with escapes of its own (\u0022 for a quote) only shows once decoded.
        # Without an escape, every string parsed is a piece of the text, clean already.
        if "\\" in text:
            payload = self._redactor.value(payload)
        retry_after = None
        if status == 429:
            self.throttled += 1
        if status in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if _slows_everyone(status, retry_after):
                self._pacer.throttled()
            if retry_after is not None:
                asked, retry_after = retry_after, min(retry_after, self._policy.retry_after_max)
                self._tell_pause(status, asked, retry_after)
                # Every worker waits, not only the one that was told to.
                self._pacer.pause(retry_after)
        if oversized:
            return _Answer(
                status,
                retry_after=retry_after,
                error_code=row_codes.ANSWER_TOO_LARGE,
                error=too_large(status, response),
            )
        if 200 <= status < 300:
            self._pacer.succeeded()
            success = request.SUCCESS
            # A receipt is written to the results and the journal: one longer than any VTEX
            # gives is not one.
            if success.accepts(payload) and len(receipt_of(payload) or "") <= RECEIPT_LIMIT:
                return _Answer(status, payload)
            # Final, not retried: an answer VTEX never gives comes from whatever stands at the
            # address (a wrong --base-url, a proxy, a login page) and would come again. The row
            # fails, a run where every row gets it meets the failure streak and stops, and the
            # journal keeps the row as not sent, so a later run sends it again.
            # Shown as parsed (and redacted) when it is JSON: its escapes could spell a secret.
            shown = text if payload is None else json.dumps(payload, ensure_ascii=False)
            params: dict[str, Param] = {
                "status": status,
                "preview": self._redactor.text(_preview(shown)),
            }
            if success.hint is not None:
                params["hint"] = success.hint
            return _Answer(
                status,
                payload,
                error_code=row_codes.UNEXPECTED_ANSWER,
                error=Message(success.unexpected, params),
            )
        if status in _FATAL:
            reason = _refused(status, request)
            self.stop(reason)
            return _Answer(status, payload, error_code=row_codes.http_status(status), error=reason)
        code, message = _error_details(response, text, payload)
        return _Answer(
            status, payload, retry_after, _short_code(code), Message.as_is(self._clean(message))
        )

    def _tell_pause(self, status: int, asked: float, seconds: float) -> None:
        """Logs that the run waits ``seconds`` because VTEX asked ``asked``: once per pause,
        not once per worker told the same thing."""
        now = time.monotonic()
        held, self._hold.until = self._hold.until, max(self._hold.until, now + seconds)
        if now < held and now + seconds <= held + SAME_PAUSE:
            return
        message = (
            f"VTEX answered {status} asking to wait {_seconds(asked)} s before the next "
            f"request: every request of the run waits {_seconds(seconds)} s"
        )
        if seconds < asked:
            cap = _seconds(self._policy.retry_after_max)
            message += f" (capped: the run waits at most {cap} s, whatever VTEX asks)"
        logger.warning(message)

    def _failed(self, code: str, template: str, error: Exception) -> _Answer:
        """The answer of an attempt that ended with ``error``, told by ``template`` (its
        ``{error}`` the exception, cut so that the whole message keeps to the limit)."""
        room = MESSAGE_LIMIT - len(template) + len("{error}")
        said = self._clean(f"{type(error).__name__}: {error}", room)
        return _Answer(None, error_code=code, error=Message(template, {"error": said}))

    def _clean(self, message: str, limit: int = MESSAGE_LIMIT) -> str:
        """``message`` without the secrets (an exception's text or an answer's reason phrase
        may hold them), cut to ``limit`` characters."""
        message = self._redactor.text(message)
        return message if len(message) <= limit else message[: limit - 3] + "..."

    def _should_retry(self, answer: _Answer | None) -> bool:
        if answer is None:
            return False
        budget = self._pacer.retries
        budget.requested()
        if not answer.retryable or self.stop_reason:
            return False
        # The pace and the pause already hold back the retries of these.
        if _slows_everyone(answer.http_status, answer.retry_after):
            return True
        if budget.spend():
            return True
        if budget.refused == 1:  # said once a run, when the budget is first spent
            logger.warning(
                "VTEX failed more requests than the retry budget allows (%d %% of the requests "
                "of the last %d s): until it recovers, a row that fails is not tried again",
                round(budget.SHARE * 100),
                budget.WINDOW,
            )
        return False

    def _wait(self, state: RetryCallState) -> float:
        answer = state.outcome.result() if state.outcome else None
        if isinstance(answer, _Answer) and answer.retry_after is not None:
            return answer.retry_after
        return float(self._backoff(state))

    def _deliver(self, answer: _Answer, attempts: int, *, stopped: bool = False) -> Delivery:
        status = answer.http_status
        if status is not None and 200 <= status < 300 and answer.error_code is None:
            return Delivery(
                Status.SENT,
                attempts=attempts,
                http_status=status,
                receipt=receipt_of(answer.payload),
                payload=answer.payload,
            )
        error = answer.error
        if stopped and error is not None:
            error = Message(
                N_("{message} (the run stopped before another attempt because {reason})"),
                {"message": error, "reason": self.stop_message or _INTERRUPTED},
            )
        elif answer.retryable and attempts > 1 and error is not None:
            error = Message(
                N_("{message} (gave up after {attempts} attempts)"),
                {"message": error, "attempts": attempts},
            )
        return Delivery(
            Status.FAILED,
            attempts=attempts,
            http_status=status,
            error_code=answer.error_code,
            fatal=status in _FATAL,
            error=error,
        )


_NO_ANSWER = Message(N_("VTEX did not answer in time"))
# Why a run stopped when nothing else says.
_INTERRUPTED = Message(N_("it was interrupted"))
# A unit the run was interrupted while waiting for, by the upload kind's noun: the template
# for one request sent, and for more.
_INTERRUPTED_WHILE = {
    "row": (
        N_(
            "the run was interrupted while this row waited for VTEX ({attempts} request sent): "
            "it may have landed or not; running the same command again sends it again, which "
            "is harmless"
        ),
        N_(
            "the run was interrupted while this row waited for VTEX ({attempts} requests sent): "
            "it may have landed or not; running the same command again sends it again, which "
            "is harmless"
        ),
    ),
    "parcel": (
        N_(
            "the run was interrupted while this parcel waited for VTEX ({attempts} request "
            "sent): it may have landed or not; running the same command again sends it again, "
            "which is harmless"
        ),
        N_(
            "the run was interrupted while this parcel waited for VTEX ({attempts} requests "
            "sent): it may have landed or not; running the same command again sends it again, "
            "which is harmless"
        ),
    ),
}
# For a kind whose noun has no sentences of its own: the noun is a parameter.
_INTERRUPTED_WHILE_ANY = (
    N_(
        "the run was interrupted while this {unit} waited for VTEX ({attempts} request sent): "
        "it may have landed or not; running the same command again sends it again, which is "
        "harmless"
    ),
    N_(
        "the run was interrupted while this {unit} waited for VTEX ({attempts} requests sent): "
        "it may have landed or not; running the same command again sends it again, which is "
        "harmless"
    ),
)


def _not_sent(reason: str | Message | None) -> Message:
    """Why a row was not sent: the run stopped, because ``reason``."""
    return Message(
        N_("not sent: the run stopped because {reason}"),
        {"reason": reason or _INTERRUPTED},
    )


def given_up(attempts: int, stop_reason: str | Message | None, what: str = "row") -> Delivery:
    """The delivery of a ``what`` (a row, a parcel) the run ended without an answer for: failed
    with the requests that left for it (it may have landed), or not attempted."""
    if attempts:
        params: dict[str, Param] = {"attempts": attempts}
        templates = _INTERRUPTED_WHILE.get(what)
        if templates is None:
            templates, params["unit"] = _INTERRUPTED_WHILE_ANY, what
        return Delivery(
            Status.FAILED,
            attempts=attempts,
            error_code=row_codes.INTERRUPTED,
            error=Message(templates[0] if attempts == 1 else templates[1], params),
        )
    return Delivery(Status.FAILED, error_code=row_codes.NOT_ATTEMPTED, error=_not_sent(stop_reason))


class FailureStreak:
    """Stops ``sender`` once ``limit`` requests (rows, parcels) failed one after another
    (0: never): a wrong account or an outage fails every one, and trying them all only adds
    load. Rows the run did not try do not count."""

    def __init__(self, sender: Sender, limit: int, what: str = "rows") -> None:
        self._sender = sender
        self._limit = limit
        self._what = what
        self._count = 0

    def add(self, delivery: Delivery) -> None:
        if delivery.status is Status.SENT:
            self._count = 0
        elif delivery.error_code != row_codes.NOT_ATTEMPTED:
            self._count += 1
            if self._limit and self._count >= self._limit:
                self._sender.stop(self._reason(delivery))

    def _reason(self, last: Delivery) -> Message:
        params: dict[str, Param] = {
            "count": self._limit,
            "code": last.error_code or "",
            "message": last.error or "",
        }
        template = _STREAKS.get(self._what)
        if template is None:
            template, params["units"] = _ANY_STREAK, self._what
        return Message(template, params)


# Why a run stopped, by the plural noun of what failed one after another (the count is never
# below 1, and the sentence has always said "1 rows").
_STREAKS = {
    "rows": N_("{count} rows in a row failed (the last: {code}: {message})"),
    "parcels": N_("{count} parcels in a row failed (the last: {code}: {message})"),
}
# For a kind whose noun has no sentence of its own: the noun is a parameter.
_ANY_STREAK = N_("{count} {units} in a row failed (the last: {code}: {message})")


def _slows_everyone(status: int | None, retry_after: float | None) -> bool:
    """Whether an answer says the run is too fast: a 429 (the account's rate limit), or a 503
    with Retry-After (VTEX's circuit breaker). A bare 503, a timeout or a dropped connection
    is one request's bad luck and says nothing about the rate."""
    return status == 429 or (status == 503 and retry_after is not None)


def _seconds(value: float) -> str:
    """``value`` seconds for a message: ``3600``, ``0.05``."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _preview(text: str) -> str:
    """The start of an answer's body, on one line, for a message."""
    shown = " ".join(text.split())
    if not shown:
        return "empty body"
    return f"body: {shown[:PREVIEW_LIMIT]}" + ("..." if len(shown) > PREVIEW_LIMIT else "")


def _error_details(response: httpx.Response, text: str, payload: Any) -> tuple[str, str]:
    """The OMS error code and message of an answer (its body ``text``, and ``payload`` parsed
    from it), or the HTTP status when it has none."""
    if isinstance(payload, dict) and isinstance(payload.get("error"), dict):
        error = payload["error"]
        code = str(error.get("code") or row_codes.http_status(response.status_code))
        message = str(error.get("message") or response.reason_phrase)
        return code, message
    text = text.strip() if payload is None else json.dumps(payload)
    reason = response.reason_phrase or "error"
    message = f"{response.status_code} {reason}: {text}".rstrip(": ")
    return row_codes.http_status(response.status_code), message


# At most this much of an answer is read: VTEX's receipts are under 1 KB, an order tens of KB.
ANSWER_LIMIT = 1024 * 1024
# Receipts longer than this are no receipt (VTEX's have 32 characters).
RECEIPT_LIMIT = 200
# Error codes longer than this are cut: VTEX's are short (OMS007).
CODE_LIMIT = 60


async def capped_body(response: httpx.Response, limit: int) -> bytes | None:
    """The body of a streamed ``response``, decoded, or ``None`` as soon as it is over
    ``limit`` bytes (declared or read), the rest unread."""
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def too_large(status: int, response: httpx.Response) -> Message:
    """The message of an answer over ``ANSWER_LIMIT``: how large it was, or is said to be."""
    declared = response.headers.get("Content-Length", "")
    limit = (
        f"{ANSWER_LIMIT / 2**20:g} MiB" if ANSWER_LIMIT >= 2**20 else f"{ANSWER_LIMIT // 1024} KiB"
    )
    if declared.isdigit():
        return Message(
            N_(
                "VTEX answered {status} with {size} bytes, over the {limit} read of an answer "
                "(VTEX's are a few KB): not read; {hint}"
            ),
            {
                "status": status,
                "size": f"{int(declared):,}",
                "limit": limit,
                "hint": Hint.CHECK_ADDRESS,
            },
        )
    return Message(
        N_(
            "VTEX answered {status} with more than {limit}, over the {limit} read of an answer "
            "(VTEX's are a few KB): not read; {hint}"
        ),
        {"status": status, "limit": limit, "hint": Hint.CHECK_ADDRESS},
    )


def _short_code(code: str) -> str:
    """An error code from an answer, cut to ``CODE_LIMIT`` characters."""
    return code if len(code) <= CODE_LIMIT else code[: CODE_LIMIT - 3] + "..."
