"""``batch-uploader check``: are the target and the credentials right, before a night's run?

It sends one harmless request: the partial-invoice update for an order that cannot exist.
VTEX checks the key first, so the answer tells everything: 401 (wrong key or token), 403 (the
key's role lacks the Notify invoice resource), 404 OMS007 (all is well: the order is unknown),
or no OMS at all at that address (a wrong account name, or a server that answers 2xx without
VTEX's receipt).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import httpx

from .. import message_codes
from ..exit_statuses import ExitStatus
from ..messages import N_, RunMessage
from ..models import TrackingUpdate
from ..rules.hints import Hint
from .sender import ANSWER_LIMIT, build_client, capped_body, too_large
from .target import Credentials

# An order id VTEX never gives (theirs are like 1172452900788-01).
PROBE_ORDER = "batch-uploader-check-00000000"
PROBE = TrackingUpdate(PROBE_ORDER, "0", "0")


@dataclass(frozen=True, slots=True)
class AccessVerdict:
    """What the check found, for a person, and the exit status it earns."""

    exit_status: int
    message: RunMessage


async def check_access(
    base_url: str,
    credentials: Credentials,
    *,
    timeout: float = 30.0,  # noqa: ASYNC109 (the verdict names it: not the caller's to wrap)
    transport: httpx.AsyncBaseTransport | None = None,
) -> AccessVerdict:
    """Sends the probe to ``base_url`` and says what its answer means, within ``timeout``
    seconds in all, however slowly the server answers. It runs inside any running event loop
    (:func:`batch_uploader.scripting.check_access` is the same check for scripts)."""
    try:
        async with (
            asyncio.timeout(timeout),
            # The upload's own client: what is checked is what a run will use.
            build_client(
                base_url, credentials, concurrency=1, timeout=timeout, transport=transport
            ) as client,
            client.stream("PATCH", PROBE.path(), json=PROBE.body()) as response,
        ):
            # Read as the upload reads: an answer over the cap is not VTEX's, and not read.
            body = await capped_body(response, ANSWER_LIMIT)
    except TimeoutError:
        return AccessVerdict(
            ExitStatus.USAGE,
            RunMessage(
                message_codes.ACCESS_TIMED_OUT,
                N_(
                    "{base_url} did not answer within {seconds} s ({hint}); check the account "
                    "name, the environment and the network"
                ),
                {"base_url": base_url, "seconds": f"{timeout:g}", "hint": Hint.TIMEOUT},
            ),
        )
    except httpx.HTTPError as error:
        return AccessVerdict(
            ExitStatus.USAGE,
            RunMessage(
                message_codes.ACCESS_UNREACHABLE,
                N_(
                    "cannot reach {base_url} ({error}); check the account name, the environment "
                    "and the network"
                ),
                {"base_url": base_url, "error": type(error).__name__},
            ),
        )
    if body is None:
        # Said as the upload says it, with the check's own code.
        said = too_large(response.status_code, response)
        return AccessVerdict(
            ExitStatus.USAGE,
            RunMessage(message_codes.ACCESS_ANSWER_TOO_LARGE, said.template, said.params),
        )
    # The message may quote the answer's reason phrase, which a server may echo the token in.
    reason = credentials.redactor().text(response.reason_phrase)
    return _verdict(base_url, response.status_code, reason, body)


def _verdict(base_url: str, status: int, reason: str, body: bytes) -> AccessVerdict:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    error = payload.get("error") if isinstance(payload, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    if status == 401:
        return AccessVerdict(
            ExitStatus.ABORTED,
            RunMessage(
                message_codes.ACCESS_REFUSED,
                N_("{base_url} refused the app key or token (401): check {hint}"),
                {"base_url": base_url, "hint": Hint.CREDENTIALS},
            ),
        )
    if status == 403:
        return AccessVerdict(
            ExitStatus.ABORTED,
            RunMessage(
                message_codes.ACCESS_FORBIDDEN,
                N_(
                    "{base_url} knows the key, but its role may not update invoices (403): give it "
                    "the 'Notify invoice' resource (roles 'OMS - Full access' or "
                    "'IntegrationProfile - Fulfillment Oms')"
                ),
                {"base_url": base_url},
            ),
        )
    if (status == 404 and code == "OMS007") or (
        200 <= status < 300 and PROBE.SUCCESS.accepts(payload)
    ):
        return AccessVerdict(
            ExitStatus.OK,
            RunMessage(
                message_codes.ACCESS_GRANTED,
                N_("OK: {base_url} accepts the key, and the key may update invoices"),
                {"base_url": base_url},
            ),
        )
    if 200 <= status < 300:
        return AccessVerdict(
            ExitStatus.USAGE,
            RunMessage(
                message_codes.ACCESS_NOT_OMS,
                N_(
                    "{base_url} answered {status} without a receipt: it does not answer as VTEX's "
                    "OMS does; check the account name and the environment, or {hint}"
                ),
                {"base_url": base_url, "status": status, "hint": Hint.BASE_URL},
            ),
        )
    if status == 404:
        return AccessVerdict(
            ExitStatus.USAGE,
            RunMessage(
                message_codes.ACCESS_NO_OMS,
                N_(
                    "no VTEX order system answers at {base_url} (404 without an OMS error): check "
                    "the account name and the environment"
                ),
                {"base_url": base_url},
            ),
        )
    return AccessVerdict(
        ExitStatus.ROWS_NOT_SENT,
        RunMessage(
            message_codes.ACCESS_ANSWER,
            N_(
                "{base_url} answered {status} {reason}; try again later, and if it lasts, ask VTEX "
                "support"
            ),
            {"base_url": base_url, "status": status, "reason": reason},
        ),
    )
