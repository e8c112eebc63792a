"""Reading spreadsheets: every supported file becomes tables of rows of text.

No type guessing happens here. A CSV cell is the exact text of the file, less the quote a
tool puts before a cell a spreadsheet would run as a formula (see
:func:`~batch_uploader.writer.defused`). A workbook cell is rendered as the text a person
sees (an integer number as its digits, a date in ISO 8601), and the reader records which
cells were not stored as text, so later stages can tell damage done by a spreadsheet (a long
number rounded by Excel) from what was typed.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO

from python_calamine import CalamineError, CalamineWorkbook

from . import charset
from .errors import InputError, UsageError
from .models import CellKind, Source
from .writer import undefused

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
EXCEL_SUFFIXES = frozenset({".xlsx", ".xlsm"})
DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": '","', ";": '";"', "\t": "tab", "|": '"|"'}
_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 50
# Integers of more digits than this cannot come out of Excel intact (it keeps 15).
MAX_EXACT_DIGITS = 15


# Not frozen: one is built for every row, and a frozen dataclass takes three times as long
# to build. Nothing changes one once built.
@dataclass(slots=True)
class RawRow:
    """A row as read: its number in the spreadsheet, its cells as text, and the kinds of the
    cells that were not stored as text (column index to kind; ``None`` when all are text)."""

    number: int
    cells: list[str]
    kinds: dict[int, CellKind] | None = None

    def is_blank(self) -> bool:
        cells = self.cells
        if cells and cells[0] and not cells[0].isspace():
            return False  # most rows start with a value
        return not "".join(cells).strip()


@dataclass(frozen=True, slots=True)
class Table:
    """One grid of cells: a CSV file, or one sheet of a workbook.

    ``rows()`` starts a fresh pass over the rows, so the header can be looked for first and
    the data streamed afterwards without holding the file in memory. ``first_column`` is the
    index of the grid's first column in the sheet (workbooks may start further right).
    ``delimited`` tables (CSV) can have rows of another width than their header, which means
    a separator is missing or extra, so the row's cells stand under the wrong headings.
    ``format`` says how the file was read, for a person (``CSV, cp1252, delimiter ";"``).
    """

    source: Source
    rows: Callable[[], Iterator[RawRow]]
    first_column: int = 0
    delimited: bool = False
    format: str = ""


def read_tables(
    path: Path, *, encoding: str | None = None, sheet: str | None = None
) -> list[Table]:
    """The tables of a file: one for a CSV (in ``encoding``, detected when ``None``), one per
    sheet for a workbook (only ``sheet`` when given)."""
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | EXCEL_SUFFIXES:
        supported = ", ".join(sorted(CSV_SUFFIXES | EXCEL_SUFFIXES))
        raise UsageError(f"{path}: unsupported file type {suffix or '(none)'}; use {supported}")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    if suffix in EXCEL_SUFFIXES:
        return _workbook_tables(path, sheet)
    return [_csv_table(path, encoding)]


def _csv_table(path: Path, encoding: str | None) -> Table:
    def open_bytes() -> BinaryIO:
        return path.open("rb")

    decoding = charset.decoding(open_bytes, str(path), encoding)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else _guess_delimiter(path, decoding.encoding)

    def records() -> Iterator[list[str]]:
        # Bytes that are not text become U+FFFD, which the validator refuses: a UTF-8 file
        # with a few bad bytes is read whole, and refused only where they stand.
        with path.open(encoding=decoding.encoding, errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            try:
                yield from reader
            except csv.Error as error:
                raise InputError(
                    f"{path}: line {reader.line_num}: {error}; check the quotes on that line"
                ) from None

    def rows() -> Iterator[RawRow]:
        # One CSV record is one spreadsheet row, even when a quoted cell spans lines. A cell a
        # tool wrote defused (the rows to fix, "'+55TRK") is given as typed; most rows hold no
        # quote at all, and are let through after one search.
        for number, cells in enumerate(records(), start=1):
            if "'" in "".join(cells):
                cells = [undefused(cell) for cell in cells]
            yield RawRow(number, cells)

    # A file whose quotes break further down stops the run too, before anything is sent: the
    # survey of the run reads every row first.
    if next(records(), None) is None:
        raise InputError(f"{path}: the file is empty")
    return Table(
        Source(str(path)),
        rows,
        delimited=True,
        format=f"CSV, {decoding}, delimiter {_DELIMITER_NAMES[delimiter]}",
    )


def _guess_delimiter(path: Path, encoding: str) -> str:
    """The delimiter that splits the most lines of the file's start into the same number of
    cells (two at least). Title lines above the header, or a comma inside a courier's name in
    a semicolon file, do not mislead it; a comma when nothing splits."""
    with path.open(encoding=encoding, errors="replace", newline="") as handle:
        sample = handle.read(_SNIFF_BYTES)
    lines = sample.splitlines(keepends=True)
    if len(sample) == _SNIFF_BYTES and len(lines) > 1:
        lines.pop()  # cut in the middle
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        widths = Counter(
            len(cells)
            for cells in csv.reader(lines[:_SNIFF_LINES], delimiter=delimiter)
            if len(cells) > 1
        )
        score = max(widths.values(), default=0)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _workbook_tables(path: Path, only: str | None) -> list[Table]:
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"{path}: cannot be opened as a workbook ({error})") from None
    names = workbook.sheet_names
    if only is not None:
        if only not in names:
            listed = ", ".join(repr(name) for name in names)
            raise InputError(f"{path}: no sheet named {only!r}; its sheets are {listed}")
        names = [only]
    kind = "XLSM" if path.suffix.lower() == ".xlsm" else "XLSX"
    tables = []
    for name in names:
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
        tables.append(Table(Source(str(path), name), rows, first_column, format=kind))
    return tables


def _workbook_row(number: int, values: list[object]) -> RawRow:
    # Most cells are text: the row's own list is kept, with typed cells rendered in place.
    kinds: dict[int, CellKind] | None = None
    for index, value in enumerate(values):
        if value.__class__ is not str:
            text, kind = render_cell(value)
            values[index] = text
            if kinds is None:
                kinds = {}
            kinds[index] = kind
    return RawRow(number, values, kinds)  # type: ignore[arg-type]  # every cell is text now


@lru_cache(maxsize=4096, typed=True)  # typed: True and 1, 1 and 1.0 are other cells
def render_cell(value: object) -> tuple[str, CellKind]:
    """The text a person sees for a typed workbook cell, and what kind of cell it was. Cached:
    a column of dates holds a few dozen days."""
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
