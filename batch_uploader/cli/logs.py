"""What the command line says, as lines for people or JSON lines for log collectors, and the
logging of the libraries underneath (``--verbose``), with the app token of the command's job
always redacted, in whatever form it is written (see :mod:`batch_uploader.redaction`). The
secrets belong to a :class:`Console`, not to the process: two jobs in one process (a page's)
keep theirs apart."""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
from typing import Any

import click

from ..redaction import Redactor


class Console:
    """Prints events: ``human`` lines (messages on stdout, errors on stderr) or ``json``
    objects, one a line, with the event's fields; every secret it was told to keep
    (:meth:`keep_secret`) is redacted from them."""

    def __init__(self, log_format: str = "human") -> None:
        self.json = log_format == "json"
        self._secrets: set[str] = set()
        self.redactor = Redactor(())

    def keep_secret(self, value: str) -> None:
        """Every later line has ``value`` replaced, in every form."""
        self._secrets.add(value)
        self.redactor = Redactor(self._secrets)

    def say(self, event: str, message: str, **fields: Any) -> None:
        self._emit("info", event, message, fields, err=False)

    def error(self, event: str, message: str, **fields: Any) -> None:
        self._emit("error", event, message, fields, err=True)

    def _emit(
        self, level: str, event: str, message: str, fields: dict[str, Any], *, err: bool
    ) -> None:
        redactor = self.redactor
        if not self.json:
            click.echo(redactor.text(message), err=err)
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
        text = json.dumps(redactor.value(line), ensure_ascii=False, default=str)
        click.echo(redactor.text(text), err=err)


def configure(*, verbose: bool, console: Console) -> None:
    """Library logging on stderr: warnings by default; with ``verbose``, httpx's, httpcore's
    and tenacity's debug lines too. The secrets ``console`` keeps are redacted from every
    line."""
    handler = _Handler(sys.stderr, console)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    # Replaces the handler of an earlier call (in the same process), and no other.
    root.handlers = [h for h in root.handlers if not isinstance(h, _Handler)] + [handler]
    root.setLevel(logging.DEBUG if verbose else logging.WARNING)


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """batch-uploader's own handler, told apart from those of the program embedding it. It
    redacts whole lines, tracebacks included, of the secrets its console keeps."""

    def __init__(self, stream: Any, console: Console) -> None:
        super().__init__(stream)
        self._console = console

    def format(self, record: logging.LogRecord) -> str:
        return self._console.redactor.text(super().format(record))
