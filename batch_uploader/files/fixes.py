"""The rows to fix: those not sent (invalid or failed), written back in their file's own
columns with an ``error`` column added, so a person can correct them and upload the file
again as it is. One file per input table, made only when it has a row."""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self, TextIO

import xlsxwriter

from ..errors import UsageError
from ..models import Outcome, Source, Status
from ..redaction import Redactor
from .output_names import rows_to_fix_name
from .reader import WORKBOOK_SUFFIXES
from .results import claim, close_workbook, defused

ERROR_COLUMN = "error"


class RowsToFix:
    """Collects the rows to fix of a run into files under ``folder``, named after their
    input and ``stamp`` (numbered when the name is taken). ``headings`` holds each table's
    header row; ``redactor`` takes the run's secrets out of what is written."""

    def __init__(
        self,
        folder: Path,
        stamp: str,
        headings: Mapping[Source, Sequence[str]],
        redactor: Redactor | None = None,
    ) -> None:
        self.folder = folder
        self.stamp = stamp
        self.headings = headings
        self.redactor = redactor or Redactor(())
        self.paths: list[Path] = []
        self._open: dict[Source, _Sink] = {}

    def __enter__(self) -> Self:
        return self

    def add(self, outcome: Outcome) -> None:
        """Writes ``outcome``'s row when it was not sent. Raises :class:`RowsToFixRefused`
        when the disk refuses the file."""
        line = self.line(outcome)
        if line is not None:
            self.write(outcome.row.source, line)

    def line(self, outcome: Outcome) -> list[str] | None:
        """The line :meth:`write` writes for ``outcome`` (``None`` when it was sent)."""
        if outcome.status not in (Status.INVALID, Status.FAILED):
            return None
        row = outcome.row
        width = len(self.headings[row.source])
        return [*row.cells[:width], *[""] * (width - len(row.cells)), _reason(outcome)]

    def write(self, source: Source, line: list[str]) -> None:
        """Writes ``line`` (from :meth:`line`) of a row of ``source``. Raises
        :class:`RowsToFixRefused` when the disk refuses the file."""
        sink = self._open.get(source) or self._start(source)
        try:
            # A cell may hold a secret (a token pasted in a spreadsheet): not written back.
            sink.write(self.redactor.cells(line))
        except OSError as error:
            raise RowsToFixRefused(sink.path, error) from None

    def _start(self, source: Source) -> _Sink:
        # Any workbook's rows (.xls, .xlsb, .ods too) are written back as .xlsx: every
        # spreadsheet program opens it, and its cells stay text.
        is_workbook = Path(source.file).suffix.lower() in WORKBOOK_SUFFIXES
        # Inputs of one stem (a/carrier.csv, b/carrier.csv) or runs in one second each get
        # their own file: the next free name.
        path = self.folder / rows_to_fix_name(source.file, source.sheet, self.stamp, is_workbook)
        try:
            path = claim(path)
            sink: _Sink = _XlsxSink(path) if is_workbook else _CsvSink(path)
            self._open[source] = sink
            self.paths.append(path)
            # A heading may hold the token too (pasted in the wrong cell).
            sink.write(self.redactor.cells([*self.headings[source], ERROR_COLUMN]))
        except (OSError, UsageError) as error:
            raise RowsToFixRefused(path, error) from None
        return sink

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        """Closes every file; raises :class:`RowsToFixRefused` for the first the disk refused
        to finish, after removing them all (see :meth:`abandon`)."""
        refused: RowsToFixRefused | None = None
        for sink in self._open.values():
            try:
                sink.close()
            except OSError as failure:
                refused = refused or RowsToFixRefused(sink.path, failure)
        self._open.clear()
        if refused is not None:
            self.abandon()
            raise refused

    def abandon(self) -> None:
        """Closes and removes every file: rows to fix the disk cut short would be taken for
        all of them (the results file lists every row not sent)."""
        for sink in self._open.values():
            with contextlib.suppress(OSError):
                sink.close()
        self._open.clear()
        for path in self.paths:
            _remove(path)
        self.paths.clear()


class RowsToFixRefused(OSError):
    """The disk refused to write the rows to fix at ``path``."""

    def __init__(self, path: Path, error: BaseException) -> None:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        super().__init__(getattr(error, "errno", None), reason, str(path))
        self.path = path


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _reason(outcome: Outcome) -> str:
    row = outcome.row
    if outcome.errors:
        reason = "; ".join(f"{e.code}: {row.explain(e)}" for e in outcome.errors)
    else:
        delivery = outcome.delivery
        reason = f"{delivery.error_code}: {delivery.error_text()}" if delivery else ""
    if row.corrected:  # its cells hold what was typed on the page: the file holds other values
        reason += f" (corrected on the page: {', '.join(row.corrected)})"
    return reason


class _Sink(Protocol):
    path: Path

    def write(self, cells: list[str]) -> None: ...

    def close(self) -> None: ...


class _CsvSink:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: TextIO = path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._handle)

    def write(self, cells: list[str]) -> None:
        self._csv.writerow([defused(cell) for cell in cells])

    def close(self) -> None:
        self._handle.close()


class _XlsxSink:
    """Cells are written as text, so that opening the file does not turn 000123 into 123."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._book = xlsxwriter.Workbook(
            str(path), {"constant_memory": True, "strings_to_formulas": False}
        )
        self._sheet = self._book.add_worksheet("To fix")
        self._text = self._book.add_format({"num_format": "@"})
        self._row = 0

    def write(self, cells: list[str]) -> None:
        for column, cell in enumerate(cells):
            self._sheet.write_string(self._row, column, cell, self._text)
        self._row += 1

    def close(self) -> None:
        close_workbook(self._book, self.path)
