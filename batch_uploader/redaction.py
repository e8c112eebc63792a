"""Redaction: the secrets of a job taken out of whatever text it writes or prints.

A server, a proxy or a library may echo a secret written otherwise than as it was given: in
JSON (a quote or a backslash escaped), in a URL (percent-encoded), in a Python repr (a logged
header), in HTML. A :class:`Redactor` knows each of those forms and replaces them all.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

REDACTED = "[redacted]"
# Shorter text cannot be told from ordinary words: a one-letter secret would blank out that
# letter everywhere. No VTEX token is this short, and the places tokens are read from refuse
# shorter ones (see Credentials.from_env), so only made-up ones are left alone.
MIN_SECRET_LENGTH = 16
_ALPHANUMERIC = re.compile(r"[0-9A-Za-z]+")
# A secret whose letters and digits come in shorter runs is searched for in full each time.
_CORE_LENGTH = 8


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
    :data:`MIN_SECRET_LENGTH` characters) with :data:`REDACTED`, in any case: a server may
    echo a token lower-cased, or percent-encode it with lower-case digits."""

    def __init__(self, secrets: Iterable[str]) -> None:
        kept = [secret for secret in secrets if len(secret) >= MIN_SECRET_LENGTH]
        # Forms of forms too: a message quoting a line that held the secret escaped (a TOML
        # credentials file) escapes it once more.
        found = {twice for secret in kept for once in forms(secret) for twice in forms(once)}
        # Longest first: a form holding another is replaced whole, not around its inner part.
        ordered = sorted(found, key=len, reverse=True)
        self._pattern = (
            re.compile("|".join(map(re.escape, ordered)), re.IGNORECASE) if ordered else None
        )
        # Letters and digits are written alike in every form: the longest run of them in each
        # secret, looked for first, spares the full search in text that holds no secret.
        cores = [max(_ALPHANUMERIC.findall(secret), key=len, default="") for secret in kept]
        self._cores = (
            [core.lower() for core in cores] if all(len(core) >= _CORE_LENGTH for core in cores)
            else None
        )  # fmt: skip

    def text(self, text: str) -> str:
        """``text`` with every form of the secrets replaced."""
        if self._pattern is None or not self._may_hold(text):
            return text
        redacted = self._pattern.sub(REDACTED, text)
        # The text itself when it holds none: nothing is copied for text that is clean.
        return text if redacted == text else redacted

    @property
    def redacts(self) -> bool:
        """Whether there is a secret to look for (none in a dry run)."""
        return self._pattern is not None

    def holds(self, text: str) -> bool:
        """Whether ``text`` holds a secret, in any of its forms."""
        return (
            self._pattern is not None
            and self._may_hold(text)
            and self._pattern.search(text) is not None
        )

    def cells(self, cells: list[str]) -> list[str]:
        """``cells`` (a line about to be written) with every form of the secrets replaced;
        the same list when none holds one, which is nearly always, and found at the cost of
        one search in the line."""
        if self._pattern is None or not self._may_hold("\x1f".join(cells)):
            return cells
        return [self.text(cell) for cell in cells]

    def _may_hold(self, text: str) -> bool:
        if self._cores is None:
            return True
        lowered = text.lower()
        return any(core in lowered for core in self._cores)

    def value(self, value: Any) -> Any:
        """A JSON ``value`` (objects, arrays, strings, numbers...) with every form of the
        secrets replaced in its strings and object keys, at any depth."""
        if self._pattern is None:
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
