"""The process exit statuses: what a scheduler reads from how batch-uploader ended.

Every command ends with one of these, and every rule that picks one is here: what a run earns
(:func:`run_status`), which of two is worse (:func:`worst`), and whether a run went to its end
(:func:`ran_to_the_end`).
"""

from __future__ import annotations


class ExitStatus:
    """The process exit statuses of the outside contract: plain ints, so that ``sys.exit``,
    JSON and the journal see the numbers themselves."""

    # Every row sent (or skipped as sent before), and found right when read back.
    OK = 0
    # Some rows were refused, failed, changed while read, or not verified when read back.
    ROWS_NOT_SENT = 1
    # Options, environment, target or an input file cannot be worked with; nothing was sent.
    USAGE = 2
    # The run stopped early for a known cause (401, 403, too many failures in a row).
    ABORTED = 3
    # EX_SOFTWARE of sysexits.h: a fault of batch-uploader itself, never of the rows.
    INTERNAL_ERROR = 70
    # EX_IOERR: the disk refused to write (full, over quota, read-only) once the run was under
    # way; sending stopped there.
    CANNOT_WRITE = 74
    # Ctrl-C or SIGTERM: 128 + SIGINT, as shells report it.
    INTERRUPTED = 130


# From best to worst: several runs (the inbox's files) end with their worst status. A fault of
# the program is worse than a stop with a known cause (3, which `check` helps fix), as only a
# new version fixes it; an interruption still ranks above it, being the scheduler's own word on
# how the run ended.
_SEVERITY = (
    ExitStatus.OK,
    ExitStatus.ROWS_NOT_SENT,
    ExitStatus.USAGE,
    ExitStatus.ABORTED,
    ExitStatus.CANNOT_WRITE,
    ExitStatus.INTERNAL_ERROR,
    ExitStatus.INTERRUPTED,
)


def run_status(*, interrupted: bool, unwritten: bool, stopped: bool, rows_left: bool) -> int:
    """The status a run earns from what happened, the first that applies: it was
    ``interrupted``; the disk left an output ``unwritten``; it ``stopped`` early for a known
    cause; it left ``rows_left`` (refused, failed, unread or unverified); else all is well."""
    if interrupted:
        return ExitStatus.INTERRUPTED
    if unwritten:
        return ExitStatus.CANNOT_WRITE
    if stopped:
        return ExitStatus.ABORTED
    if rows_left:
        return ExitStatus.ROWS_NOT_SENT
    return ExitStatus.OK


def worst(first: int, second: int) -> int:
    """The worse of two statuses, by the order of :data:`_SEVERITY`."""
    return max(first, second, key=_SEVERITY.index)


def ran_to_the_end(status: int) -> bool:
    """Whether a run with ``status`` decided every row: neither stopped nor interrupted."""
    return status in (ExitStatus.OK, ExitStatus.ROWS_NOT_SENT)
