"""Reading spreadsheets: every supported file becomes tables of rows of text.

No type guessing happens here. A CSV cell is the exact text of the file. A workbook cell is
rendered as the text a person sees (an integer number as its digits, a date in ISO 8601), and
the reader records which cells were not stored as text, so later stages can tell damage done
by a spreadsheet (a long number rounded by Excel) from what was typed.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from .errors import InputError, UsageError
from .models import CellKind, Source

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DELIMITERS = ",;\t|"
_SNIFF_BYTES = 64 * 1024
_CHUNK_BYTES = 1024 * 1024
# Integers of more digits than this cannot come out of Excel intact (it keeps 15).
MAX_EXACT_DIGITS = 15


@dataclass(frozen=True, slots=True)
class RawRow:
    """A row as read: its number in the spreadsheet, its cells as text, and the kinds of the
    cells that were not stored as text (column index to kind; ``None`` when all are text)."""

    number: int
    cells: list[str]
    kinds: dict[int, CellKind] | None = None

    def is_blank(self) -> bool:
        return not any(cell.strip() for cell in self.cells)


@dataclass(frozen=True, slots=True)
class Table:
    """One grid of cells: a CSV file, or one sheet of a workbook.

    ``rows()`` starts a fresh pass over the rows, so the header can be looked for first and
    the data streamed afterwards without holding the file in memory. ``first_column`` is the
    index of the grid's first column in the sheet (workbooks may start further right).
    """

    source: Source
    rows: Callable[[], Iterator[RawRow]]
    size_hint: int | None = None
    first_column: int = 0


def read_tables(path: Path) -> list[Table]:
    """The tables of a file: one for a CSV, one per sheet for a workbook."""
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | EXCEL_SUFFIXES:
        supported = ", ".join(sorted(CSV_SUFFIXES | EXCEL_SUFFIXES))
        raise UsageError(f"{path}: unsupported file type {suffix or '(none)'}; use {supported}")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix in EXCEL_SUFFIXES:
        return _workbook_tables(path)
    return [_csv_table(path)]


def _csv_table(path: Path) -> Table:
    lines = _check_utf8(path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _sniff_delimiter(path)

    def rows() -> Iterator[RawRow]:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter)
            try:
                # One CSV record is one spreadsheet row, even when a quoted cell spans lines.
                for number, cells in enumerate(reader, start=1):
                    yield RawRow(number, cells)
            except csv.Error as error:
                raise InputError(f"{path}: line {reader.line_num}: {error}") from None

    return Table(Source(str(path)), rows, size_hint=lines)


def _check_utf8(path: Path) -> int:
    """Decodes the whole file once, so a file that is not UTF-8 is refused before anything is
    sent; returns its number of lines, an estimate of its rows for the progress bar."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = offset = 0
    last = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                line = lines + chunk.count(b"\n", 0, error.start) + 1
                raise InputError(
                    f"{path}: line {line} is not UTF-8 text (byte 0x{chunk[error.start]:02x} "
                    f"at offset {offset + error.start}); save the file as 'CSV UTF-8' and retry"
                ) from None
            lines += chunk.count(b"\n")
            offset += len(chunk)
            last = chunk
    if offset == 0:
        raise InputError(f"{path}: the file is empty")
    return lines + (0 if last.endswith(b"\n") else 1)


def _sniff_delimiter(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES)
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        # The sniffer gives up on files with title lines above the header; the delimiter that
        # splits the most lines is then the best guess, and a comma when none does.
        lines = sample.splitlines()[:50]
        counts = {d: sum(1 for line in lines if d in line) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def _workbook_tables(path: Path) -> list[Table]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"{path}: cannot be opened as a workbook ({error})") from None
    tables = []
    for name in workbook.sheet_names:
        try:
            sheet = workbook.get_sheet_by_name(name)
        except (CalamineError, ValueError) as error:
            raise InputError(f"{path}: sheet {name!r} cannot be read ({error})") from None
        if sheet.height == 0:
            continue

        def rows(sheet: object = sheet) -> Iterator[RawRow]:
            # Rows start at the sheet's first row, so numbers match the spreadsheet's own;
            # columns start at its first used column.
            for number, values in enumerate(sheet.iter_rows(), start=1):  # type: ignore[attr-defined]
                yield _workbook_row(number, values)

        first_column = sheet.start[1] if sheet.start else 0
        tables.append(
            Table(Source(str(path), name), rows, (sheet.end or (0, 0))[0] + 1, first_column)
        )
    return tables


def _workbook_row(number: int, values: list[object]) -> RawRow:
    cells: list[str] = []
    kinds: dict[int, CellKind] = {}
    for index, value in enumerate(values):
        if isinstance(value, str):
            cells.append(value)
            continue
        text, kind = render_cell(value)
        cells.append(text)
        kinds[index] = kind
    return RawRow(number, cells, kinds or None)


def render_cell(value: object) -> tuple[str, CellKind]:
    """The text a person sees for a typed workbook cell, and what kind of cell it was."""
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), CellKind.BOOLEAN
    if isinstance(value, int):
        return str(value), CellKind.NUMBER
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 10**MAX_EXACT_DIGITS:
            return str(int(value)), CellKind.NUMBER
        return repr(value), CellKind.NUMBER
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat(), CellKind.DATE
    return str(value), CellKind.NUMBER
