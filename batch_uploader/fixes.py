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

from .models import Outcome, Source, Status
from .reader import WORKBOOK_SUFFIXES
from .redaction import Redactor
from .writer import claim, close_workbook, defused

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
        if outcome.status not in (Status.INVALID, Status.FAILED):
            return
        row = outcome.row
        sink = self._open.get(row.source) or self._start(row.source)
        width = len(self.headings[row.source])
        cells = list(row.cells[:width]) + [""] * (width - len(row.cells))
        # A cell may hold a secret (a token pasted in a spreadsheet): it is not written back.
        sink.write(self.redactor.cells([*cells, _reason(outcome)]))

    def _start(self, source: Source) -> _Sink:
        name = Path(source.file).stem + (f"-{source.sheet}" if source.sheet else "")
        # Any workbook's rows (.xls, .xlsb, .ods too) are written back as .xlsx: every
        # spreadsheet program opens it, and its cells stay text.
        is_workbook = Path(source.file).suffix.lower() in WORKBOOK_SUFFIXES
        # Inputs of one stem (a/carrier.csv, b/carrier.csv) or runs in one second each get
        # their own file: the next free name.
        path = claim(self.folder / f"{name}-to-fix-{self.stamp}.{'xlsx' if is_workbook else 'csv'}")
        sink: _Sink = _XlsxSink(path) if is_workbook else _CsvSink(path)
        sink.write([*self.headings[source], ERROR_COLUMN])
        self._open[source] = sink
        self.paths.append(path)
        return sink

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        refused: OSError | None = None
        for path, sink in zip(list(self.paths), self._open.values(), strict=True):
            try:
                sink.close()
            except OSError as failure:
                refused = refused or failure
                if isinstance(sink, _XlsxSink):
                    _remove(path)  # a workbook is written whole at its close: this one is not
            # Every file has its header: one the disk left empty would only mislead.
            with contextlib.suppress(OSError):
                if path.exists() and path.stat().st_size == 0:
                    _remove(path)
            if not path.exists():
                self.paths.remove(path)
        if refused is not None:
            raise refused


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _reason(outcome: Outcome) -> str:
    row = outcome.row
    if outcome.errors:
        return "; ".join(f"{e.code}: {row.explain(e)}" for e in outcome.errors)
    delivery = outcome.delivery
    return f"{delivery.error_code}: {delivery.error_message}" if delivery else ""


class _Sink(Protocol):
    def write(self, cells: list[str]) -> None: ...

    def close(self) -> None: ...


class _CsvSink:
    def __init__(self, path: Path) -> None:
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
