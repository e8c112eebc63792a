"""The exceptions batch-uploader raises.

Every error a caller can act on derives from :class:`BatchUploaderError`, and each carries the
process exit status the command line uses for it:

- :class:`UsageError` (2): options, environment or target are missing or wrong.
- :class:`InputError` (2): a file cannot be read, or its columns cannot be understood.

Each also carries its message's ``code``, ``params`` and ``hint`` (see
:mod:`~batch_uploader.messages`): ``str(error)`` is the command line's text, and
``error.text(words, translate)`` another front end's, with its own words for the remedy.

HTTP failures are not exceptions: each becomes its row's outcome, and an answer that makes
going on pointless (401, 403) stops the run with the report's ``stop_reason`` (exit status 3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from . import message_codes
from .exit_statuses import ExitStatus
from .messages import Params, RunMessage, Translate
from .rules.hints import COMMAND_LINE, Hint


class BatchUploaderError(Exception):
    """Base class of the errors batch-uploader raises on purpose."""

    exit_status = ExitStatus.USAGE
    # The code of a message given as plain text: one that names no option of the run (a
    # workbook damaged inside, say), the same for every front end.
    plain_code: ClassVar[str] = message_codes.USAGE_ERROR

    def __init__(self, message: str | RunMessage) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)

    @property
    def code(self) -> str:
        """The message's stable code (see :mod:`~batch_uploader.message_codes`)."""
        return self.message.code if isinstance(self.message, RunMessage) else self.plain_code

    @property
    def params(self) -> Params:
        """The variable parts of the message: file, sheet, row, heading... and its hint."""
        return self.message.params if isinstance(self.message, RunMessage) else {}

    @property
    def hint(self) -> Hint | None:
        """The option of the run the message points at, if any."""
        return self.message.hint if isinstance(self.message, RunMessage) else None

    def text(
        self, words: Mapping[Hint, str] = COMMAND_LINE, translate: Translate | None = None
    ) -> str:
        """The message, translated by ``translate`` and its hints worded by ``words`` (the
        command line's English by default); plain text is the same for every front end."""
        if isinstance(self.message, RunMessage):
            return self.message.text(words, translate)
        return self.message


class UsageError(BatchUploaderError):
    """The command was given options or an environment it cannot work with."""


class InputError(BatchUploaderError):
    """An input file cannot be read or understood."""

    plain_code = message_codes.INPUT_ERROR
