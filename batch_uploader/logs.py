"""What the command line says, as lines for people or JSON lines for log collectors, and the
logging of the libraries underneath (``--verbose``), with the app token always redacted, in
whatever form it is written (see :mod:`batch_uploader.redaction`)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

import click

from .redaction import Redactor


class Console:
    """Prints events: ``human`` lines (messages on stdout, errors on stderr) or ``json``
    objects, one a line, with the event's fields."""

    def __init__(self, log_format: str = "human") -> None:
        self.json = log_format == "json"

    def say(self, event: str, message: str, **fields: Any) -> None:
        self._emit("info", event, message, fields, err=False)

    def error(self, event: str, message: str, **fields: Any) -> None:
        self._emit("error", event, message, fields, err=True)

    def _emit(
        self, level: str, event: str, message: str, fields: dict[str, Any], *, err: bool
    ) -> None:
        if not self.json:
            click.echo(_redactor.text(message), err=err)
            return
        line = {
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds"),
            "level": level,
            "event": event,
            "message": message,
            **fields,
        }
        # Redacted before encoding too: a value holding the token JSON-escaped already would
        # come out escaped twice, a form the line's own redaction does not look for.
        text = json.dumps(_redactor.value(line), ensure_ascii=False, default=str)
        click.echo(_redactor.text(text), err=err)


_secrets: set[str] = set()
_redactor = Redactor(_secrets)


def keep_secret(value: str) -> None:
    """Every later log line and printed line has ``value`` replaced, in every form."""
    global _redactor
    _secrets.add(value)
    _redactor = Redactor(_secrets)


def configure(*, verbose: bool) -> None:
    """Library logging on stderr: warnings by default; with ``verbose``, httpx's, httpcore's
    and tenacity's debug lines too. Secrets are redacted from every line."""
    handler = _Handler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    # Replaces the handler of an earlier call (in the same process), and no other.
    root.handlers = [h for h in root.handlers if not isinstance(h, _Handler)] + [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """batch-uploader's own handler, told apart from those of the program embedding it. It
    redacts whole lines, tracebacks included."""

    def format(self, record: logging.LogRecord) -> str:
        return _redactor.text(super().format(record))
