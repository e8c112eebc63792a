"""The exceptions batch-uploader raises.

Every error a caller can act on derives from :class:`BatchUploaderError`, and each carries the
process exit status the command line uses for it:

- :class:`UsageError` (2): options, environment or target are missing or wrong.
- :class:`InputError` (2): a file cannot be read, or its columns cannot be understood.

HTTP failures are not exceptions: each becomes its row's outcome, and an answer that makes
going on pointless (401, 403) stops the run with the report's ``stop_reason`` (exit status 3).
"""

from __future__ import annotations

from .exit_statuses import ExitStatus


class BatchUploaderError(Exception):
    """Base class of the errors batch-uploader raises on purpose."""

    exit_status = ExitStatus.USAGE


class UsageError(BatchUploaderError):
    """The command was given options or an environment it cannot work with."""


class InputError(BatchUploaderError):
    """An input file cannot be read or understood."""
