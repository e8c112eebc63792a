"""Redaction: the secrets of a job taken out of whatever text it writes or prints.

A server, a proxy or a library may echo a secret written otherwise than as it was given: in
JSON (a quote or a backslash escaped), in a URL (percent-encoded), in a Python repr (a logged
header), in HTML. A :class:`Redactor` knows each of those forms and replaces them all.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# Shorter text cannot be told from ordinary words: a one-letter secret would blank out that
# letter everywhere. No VTEX token is this short, and the places tokens are read from refuse
# shorter ones (see Credentials.from_env), so only made-up ones are left alone.
MIN_SECRET_LENGTH = 16


def forms(secret: str) -> set[str]:
    """Every way ``secret`` may be written by what echoes it."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        quote(secret, safe=""),
        quote_plus(secret),
        repr(secret)[1:-1],
        repr(secret.encode("utf-8", "surrogatepass"))[2:-1],
        html.escape(secret),
        html.escape(secret, quote=False),
    }


class Redactor:
    """Replaces every form of each of ``secrets`` (those of at least
    :data:`MIN_SECRET_LENGTH` characters) with :data:`REDACTED`."""

    def __init__(self, secrets: Iterable[str]) -> None:
        found = {form for secret in secrets if len(secret) >= MIN_SECRET_LENGTH
                 for form in forms(secret)}  # fmt: skip
        # Longest first: a form holding another is replaced whole, not around its inner part.
        self._forms = sorted(found, key=len, reverse=True)

    def text(self, text: str) -> str:
        """``text`` with every form of the secrets replaced."""
        for form in self._forms:
            text = text.replace(form, REDACTED)
        return text

    def value(self, value: Any) -> Any:
        """A JSON ``value`` (objects, arrays, strings, numbers...) with every form of the
        secrets replaced in its strings and object keys, at any depth."""
        if not self._forms:
            return value
        return self._clean(value)

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {
                self.text(key) if isinstance(key, str) else key: self._clean(item)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self._clean(item) for item in value]
        return value
