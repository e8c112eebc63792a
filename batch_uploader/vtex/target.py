"""Where requests go and with which credentials."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .. import message_codes
from ..errors import UsageError
from ..messages import N_, RunMessage
from ..redaction import MIN_SECRET_LENGTH, Redactor
from ..rules.hints import Hint

DEFAULT_ENVIRONMENT = "vtexcommercestable"
_ACCOUNT = re.compile(r"^[a-z0-9][a-z0-9-]*$", re.IGNORECASE)
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


@dataclass(frozen=True, slots=True)
class Credentials:
    """A VTEX app key and its token. The token never appears in a repr or a message, and
    :meth:`redactor` takes it out of any text."""

    app_key: str
    app_token: str = field(repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Credentials:
        """Reads ``VTEX_APP_KEY`` and ``VTEX_APP_TOKEN``."""
        key = environ.get("VTEX_APP_KEY", "").strip()
        token = environ.get("VTEX_APP_TOKEN", "").strip()
        missing = tuple(
            name for name, v in (("VTEX_APP_KEY", key), ("VTEX_APP_TOKEN", token)) if not v
        )
        if missing:
            raise UsageError(
                RunMessage(
                    message_codes.MISSING_CREDENTIALS,
                    N_(
                        "missing credentials: set {missing: and } to an app key and token whose "
                        "role has the 'Notify invoice' resource (or {hint})"
                    ),
                    {"missing": missing, "hint": Hint.NO_SENDING},
                )
            )
        for name, value in (("VTEX_APP_KEY", key), ("VTEX_APP_TOKEN", token)):
            # Checked here, as an HTTP library would otherwise quote the value in its error.
            if not _PRINTABLE.match(value):
                raise UsageError(
                    RunMessage(
                        message_codes.UNPRINTABLE_CREDENTIAL,
                        N_(
                            "{name} holds a space, a line break or a character outside ASCII, "
                            "which no VTEX key or token has; copy it again from the admin"
                        ),
                        {"name": name},
                    )
                )
        if len(token) < MIN_SECRET_LENGTH:
            # VTEX's tokens are about 100 characters: a short one was cut when copied, and
            # could not be told apart from ordinary text to redact it.
            raise UsageError(
                RunMessage(
                    message_codes.TOKEN_TOO_SHORT,
                    N_(
                        "VTEX_APP_TOKEN is too short (under {minimum} characters; VTEX app tokens "
                        "are about 100): copy it again from the admin (Account settings > "
                        "Application keys)"
                    ),
                    {"minimum": MIN_SECRET_LENGTH},
                )
            )
        return cls(key, token)

    def headers(self) -> dict[str, str]:
        return {"X-VTEX-API-AppKey": self.app_key, "X-VTEX-API-AppToken": self.app_token}

    def redactor(self) -> Redactor:
        """What takes the token out of text, in every form it may be echoed in. The app key
        is no secret: it names the key, as user names do, and stays readable."""
        return Redactor([self.app_token])


def resolve_base_url(
    base_url: str | None, account: str | None, environment: str = DEFAULT_ENVIRONMENT
) -> str:
    """The API's base URL: ``base_url`` as given, or the account's VTEX address.

    Plain http is refused except on loopback, where the sandbox runs: credentials must not
    cross a network in clear text.
    """
    if base_url:
        return check_base_url(base_url)
    if not account:
        raise UsageError(
            RunMessage(
                message_codes.NO_TARGET, N_("no target: {hint}"), {"hint": Hint.CHOOSE_TARGET}
            )
        )
    if not _ACCOUNT.match(account) or not _ACCOUNT.match(environment):
        raise UsageError(
            RunMessage(
                message_codes.UNUSABLE_ACCOUNT_NAME,
                N_(
                    "account {account!r} and environment {environment!r} must be plain names such "
                    "as 'mystore' and 'vtexcommercestable'"
                ),
                {"account": account, "environment": environment},
            )
        )
    return f"https://{account.lower()}.{environment.lower()}.com.br"


def check_base_url(base_url: str) -> str:
    """``base_url`` without a trailing slash, once it is known to be a safe target.

    An address that could carry a secret (credentials before an ``@``, a query) is refused
    without being quoted: it would end up in messages, summaries and the journal."""
    if "@" in base_url:
        raise UsageError(
            RunMessage(
                message_codes.CREDENTIALS_IN_ADDRESS,
                N_(
                    "{hint} holds an '@', as in user:password@host: credentials never go in the "
                    "address. VTEX takes the app key and token in the headers X-VTEX-API-AppKey "
                    "and X-VTEX-API-AppToken, from {credentials}"
                ),
                {"credentials": Hint.CREDENTIALS, "hint": Hint.BASE_URL},
            )
        )
    try:
        parts = urlsplit(base_url.strip())
    except ValueError:  # a host's "[" left open, as in https://[::1
        raise _not_http(base_url) from None
    if parts.query or parts.fragment:
        raise UsageError(
            RunMessage(
                message_codes.ADDRESS_WITH_QUERY,
                N_("{hint} must not have a query or fragment (a '?' or '#' part)"),
                {"hint": Hint.BASE_URL},
            )
        )
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0 or (port is None and parts.netloc.endswith(":")):
        # Not quoted: what stands there may be a password written without its user ("@").
        raise UsageError(
            RunMessage(
                message_codes.UNUSABLE_PORT,
                N_(
                    "{hint} has a port that is not a number from 1 to 65535 (the part after the "
                    "host's ':'); write it as https://host or https://host:8443"
                ),
                {"hint": Hint.BASE_URL},
            )
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _not_http(base_url)
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise UsageError(
            RunMessage(
                message_codes.PLAIN_HTTP,
                N_(
                    "{hint} uses plain http; use https (http is allowed only for 127.0.0.1 and "
                    "localhost)"
                ),
                {"base_url": base_url, "hint": Hint.BASE_URL_GIVEN},
            )
        )
    return base_url.strip().rstrip("/")


def _not_http(base_url: str) -> UsageError:
    return UsageError(
        RunMessage(
            message_codes.NOT_HTTP_ADDRESS,
            N_("{hint} must be an http(s) address such as https://host"),
            {"base_url": base_url, "hint": Hint.BASE_URL_GIVEN},
        )
    )


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
