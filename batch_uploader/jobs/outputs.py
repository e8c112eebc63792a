"""What a run writes while it sends (its results, its rows to fix, its journal), and what
happens when the disk refuses one of them mid-way: full, over its quota, made read-only.

Sending then stops at once, since a row sent with no record of it is one nobody can account
for; every row is still decided and counted, written wherever the disk still allows; a file
the refusal left unusable is removed rather than left to be mistaken for a result; and the run
ends with exit status 74 (:attr:`~batch_uploader.exit_statuses.ExitStatus.CANNOT_WRITE`), the
machine's problem, told apart from bad rows (1), bad settings (2) and faults of the program
(70).
"""

from __future__ import annotations

import contextlib
import errno
import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self

from ..files.fixes import RowsToFix, RowsToFixRefused
from ..files.output_names import summary_path
from ..files.results import ResultsWriter
from ..models import Outcome, Source, Status
from ..redaction import Redactor
from .progress import OnEvent, OutputRefused
from .report import Entry, Report

# The errors of a disk that refuses to write, whatever the file: what the command line turns
# into exit status 74 when no part of the run could catch it sooner.
_REFUSALS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS})
# SQLite's words for the same.
_SQLITE_REFUSALS = ("database or disk is full", "disk i/o error", "attempt to write a readonly")


def refusal(error: BaseException) -> str | None:
    """Why the disk refused a write, when ``error`` is a disk's refusal; ``None`` otherwise
    (a workbook's refusal comes as the OSError it is: see writer.close_workbook)."""
    if isinstance(error, OSError) and error.errno in _REFUSALS:
        return error.strerror or str(error)
    if isinstance(error, sqlite3.OperationalError) and str(error).lower().startswith(
        _SQLITE_REFUSALS
    ):
        return str(error)
    return None


def reason_of(error: BaseException) -> str:
    """The words of a failed write: the system's (``No space left on device``) when it has."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error)


class Halt:
    """Stops a run's sending when one of its outputs cannot be written, and tells which (an
    :class:`~.progress.OutputRefused` event, to ``tell``: the report is told so). The senders
    register their ``stop``; a refusal met before they exist stops them as they register."""

    def __init__(self, tell: OnEvent) -> None:
        self.tell = tell
        # The outputs refused, and why, in order.
        self.unwritten: list[tuple[str, str]] = []
        self._stops: list[Callable[[str], None]] = []

    @property
    def reason(self) -> str | None:
        if not self.unwritten:
            return None
        what, why = self.unwritten[0]
        return f"{what} could not be written ({why})"

    def add(self, stop: Callable[[str], None]) -> None:
        self._stops.append(stop)
        if self.reason is not None:
            stop(self.reason)

    def __call__(self, what: str, why: str) -> None:
        """Records that ``what`` (``the journal x.sqlite3``) could not be written, ``why``."""
        self.unwritten.append((what, why))
        self.tell(OutputRefused(what, why))
        reason = self.reason
        assert reason is not None
        for stop in self._stops:
            stop(reason)


# A row decided, as Outputs.add takes it: its report entry, results line, source's index,
# row number, error code and line of the rows to fix (None: none).
Prepared = tuple[Entry, list[str], int, int, str, list[str] | None]


class Outputs:
    """The results and the rows to fix of a run, written as rows are decided; ``report`` (the
    run's, which the engine fills) is read for what a row's entry holds and for the results'
    summary sheet. The first refusal stops the sending (through ``halt``); the file refused is
    written no more: the results file keeps its whole lines, the rows to fix are removed (the
    results list every row not sent). Each row is counted whatever the disk does."""

    def __init__(
        self,
        results: ResultsWriter,
        fixes: RowsToFix,
        report: Report,
        halt: Halt,
        redactor: Redactor | None = None,
    ) -> None:
        self.results = results
        self.fixes = fixes
        self.report = report
        self.halt = halt
        self.redactor = redactor
        # What is left once closed: the results file (None: refused, and none left), the
        # rows to fix written.
        self.results_path: Path | None = results.path
        self.to_fix: list[Path] = []
        self._results_written = False
        self._fixes_written = True
        # The sources of the rows prepared, by index: a prepared row names its own by one.
        self._sources: dict[Source, int] = {}
        self._source_list: list[Source] = []

    def __enter__(self) -> Self:
        self.results.__enter__()
        self._results_written = True
        return self

    def prepare(self, outcome: Outcome) -> Prepared:
        """What :meth:`add` writes of ``outcome``, as plain values: a row decided early waits
        so for its turn, compact (see :mod:`~.in_order`)."""
        row = outcome.row
        index = self._sources.get(row.source)
        if index is None:
            index = self._sources[row.source] = len(self._source_list)
            self._source_list.append(row.source)
        return (
            self.report.entry(outcome, self.redactor),
            self.results.cells(outcome),
            index,
            row.number,
            outcome.error_code,
            self.fixes.line(outcome),
        )

    def add(self, prepared: Prepared) -> None:
        """Writes a row decided (see :meth:`prepare`), once counted; rows come in input order."""
        entry, cells, source, _, _, to_fix = prepared
        self._write(cells, entry[0], to_fix, self._source_list[source])

    def write(self, outcome: Outcome) -> None:
        """Writes a row decided in its turn, once counted: as :meth:`add` does, without the
        values a row that waits is kept as."""
        self._write(
            self.results.cells(outcome),
            outcome.status,
            self.fixes.line(outcome),
            outcome.row.source,
        )

    def _write(
        self, cells: list[str], status: Status, to_fix: list[str] | None, source: Source
    ) -> None:
        if self._results_written:
            try:
                self.results.write_cells(cells, status)
            except OSError as error:
                self._results_refused(reason_of(error))
        if self._fixes_written and to_fix is not None:
            try:
                self.fixes.write(source, to_fix)
            except RowsToFixRefused as error:
                self._fixes_refused(error)

    @property
    def summary_path(self) -> Path:
        """Where the run's summary.json goes."""
        return summary_path(self.results.path)

    def finish(self) -> None:
        """Ends the results file with what only the end of the run knows (the report, told
        how the run ended)."""
        if self._results_written:
            try:
                self.results.finish(self.report)
            except OSError as error:
                self._results_refused(reason_of(error))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._fixes_written:
            try:
                self.fixes.__exit__(None, None, None)
            except RowsToFixRefused as failure:
                self._fixes_refused(failure)
        self.to_fix = list(self.fixes.paths)
        try:
            self.results.__exit__(None, None, None)
        except OSError as failure:
            self._results_refused(reason_of(failure))
        path = self.results.path
        if not self._results_written:  # refused on the way
            self.results.cut_to_whole_lines()
        with contextlib.suppress(OSError):
            # A results file has its header at least: one the disk left empty would mislead.
            if path.is_file() and path.stat().st_size == 0:
                path.unlink()
        if not path.exists():
            self.results_path = None

    @property
    def _results_what(self) -> str:
        return f"the results file {self.results.path}"

    def _results_refused(self, why: str) -> None:
        self._results_written = False
        self._refused(self._results_what, why)

    def _fixes_refused(self, error: RowsToFixRefused) -> None:
        self._fixes_written = False
        self.fixes.abandon()
        why = f"{reason_of(error)}; it was removed: the results file lists every row not sent"
        self._refused(f"the rows to fix {error.path}", why)

    def _refused(self, what: str, why: str) -> None:
        if all(known != what for known, _ in self.halt.unwritten):
            self.halt(what, why)
