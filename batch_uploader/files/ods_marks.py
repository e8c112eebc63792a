"""The marks of an OpenDocument spreadsheet's sheets (see :mod:`~batch_uploader.files.sheet_marks`),
read from its ``content.xml`` before python-calamine opens it, and the refusal of a sheet
whose grid would not fit in memory.

The part is streamed once through expat, which builds nothing: a sheet is a ``table:table``
(named by ``table:name``), its rows ``table:table-row`` and its cells ``table:table-cell`` (or
``table:covered-table-cell``, under a merged cell), each possibly repeated
(``table:number-rows-repeated``, ``table:number-columns-repeated``): a cell's place is counted
from the repeats before it, as python-calamine counts it.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import methodcaller
from pathlib import Path
from pyexpat import ExpatError, ParserCreate
from typing import IO, Any

from ..errors import InputError
from .sheet_marks import SheetMarks

_TABLE_NS = "urn:oasis:names:tc:opendocument:xmlns:table:1.0 "
_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0 "
_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0 "
_CALC_NS = "urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0 "

_TABLE = _TABLE_NS + "table"
_ROW = _TABLE_NS + "table-row"
_CELLS = frozenset({_TABLE_NS + "table-cell", _TABLE_NS + "covered-table-cell"})
_NAME = _TABLE_NS + "name"
_ROWS_REPEATED = _TABLE_NS + "number-rows-repeated"
_COLUMNS_REPEATED = _TABLE_NS + "number-columns-repeated"
_VISIBILITY = _TABLE_NS + "visibility"
_FORMULA = _TABLE_NS + "formula"
_VALUE_TYPE = _OFFICE_NS + "value-type"
_STRING_VALUE = _OFFICE_NS + "string-value"
_CALC_VALUE_TYPE = _CALC_NS + "value-type"
_PARAGRAPH = _TEXT_NS + "p"
# A cell python-calamine reads as a value (an empty one is not in its grid): one with a value
# of its own, or of the string type (its text, even none).
_VALUES = frozenset(
    _OFFICE_NS + name
    for name in ("value", "string-value", "date-value", "time-value", "boolean-value")
)
# Rows hidden by hand (collapse) or by a filter; "visible" is the default.
_HIDDEN = frozenset({"collapse", "filter"})
# The text LibreOffice shows for an error: "#N/A", "#DIV/0!", "Err:502"; an error's text is
# short, and what is longer is no error's.
_ERROR_STARTS = ("#", "Err:")
_LONGEST_ERROR = 16
# What an error cell costs once spelt out by row and column, here and in the reader's copy
# (about 135 bytes, measured), where python-calamine holds 32: one cell repeated over rows and
# columns, a few bytes of the file, would otherwise fill the memory before the grid is read.
_ERROR_CELL_BYTES = 150
_CONTENT = "content.xml"
# Bytes of the part given to expat at a time.
_READ_BYTES = 256 * 1024


@dataclass(slots=True)
class _Sheet:
    """What is gathered of one ``table:table`` while it is streamed. Rows and errors are kept
    as the runs the file declares (a repeated row once), and spelt out only once the grid's
    size is known to be within the limits."""

    name: str
    row: int = 0  # rows before the current one
    column: int = 0  # columns before the current cell, in its row
    repeats: int = 0  # of the current row (none before the first)
    hidden: bool = False  # the current row
    counted: bool = False  # the current row holds a value, and is counted
    first_row: int | None = None
    last_row: int = 0
    first_column: int | None = None
    last_column: int = 0
    hidden_runs: list[tuple[int, int]] = field(default_factory=list)
    # (first row, rows, first column, columns, text), rows 1-based, columns 0-based
    error_runs: list[tuple[int, int, int, int, str]] = field(default_factory=list)

    def holds(self, column: int, columns: int) -> None:
        """The current row holds values from ``column`` over ``columns`` columns."""
        if not self.counted:
            self.counted = True
            if self.first_row is None:
                self.first_row = self.row
            self.last_row = self.row + self.repeats - 1
            if self.hidden:
                self.hidden_runs.append((self.row + 1, self.repeats))
        if self.first_column is None or column < self.first_column:
            self.first_column = column
        self.last_column = max(self.last_column, column + columns - 1)

    def error_cells(self) -> int:
        return sum(rows * columns for _, rows, _, columns, _ in self.error_runs)

    def extent(self) -> tuple[int, int]:
        """The rows and columns of the grid python-calamine makes of the sheet: from its first
        value to its last."""
        if self.first_row is None or self.first_column is None:
            return 0, 0
        return self.last_row - self.first_row + 1, self.last_column - self.first_column + 1

    def marks(self) -> SheetMarks:
        hidden = frozenset(
            number for first, count in self.hidden_runs for number in range(first, first + count)
        )
        errors: dict[int, dict[int, str]] = {}
        for first, rows, column, columns, text in self.error_runs:
            for number in range(first, first + rows):
                cells = errors.setdefault(number, {})
                for index in range(column, column + columns):
                    cells[index] = text
        return SheetMarks(hidden, errors)


def sheet_marks(path: Path) -> dict[str, SheetMarks]:
    """The marks of every sheet of the .ods at ``path``, by name; refuses the workbook when a
    sheet's grid, or all of them together (python-calamine reads every sheet when it opens
    one), would take more memory than the limits allow."""
    from . import reader  # which registers this reader: imported once both are

    sheets: dict[str, SheetMarks] = {}
    held = 0
    errors_held = 0  # error cells of the sheets read
    current: _Sheet | None = None
    nested = 0  # tables inside a cell of the sheet read (sub-tables), which are no sheets
    error: tuple[int, int, int] | None = None  # the error cell read: column, columns, row
    text: list[str] = []

    def close_sheet() -> None:
        nonlocal held, errors_held, current
        if current is not None:
            height, width = current.extent()
            # The same limits, and words, as the grids of an .xls.
            held += reader._check_grid(path, current.name, height, width, held)
            errors_held += current.error_cells()
            member_limit = reader._workbook_limit() * reader._MB
            if errors_held * _ERROR_CELL_BYTES > member_limit:
                raise InputError(
                    f"{path}: sheet {current.name!r} holds {current.error_cells():,} error "
                    f"cells (#N/A, #REF!...), more than fit in memory (limit "
                    f"{member_limit // _ERROR_CELL_BYTES:,} in all); "
                    f"{reader._raise_it(member_limit)}"
                )
            sheets[current.name] = current.marks()
            current = None

    def repeated(attributes: dict[str, str], name: str) -> int:
        value = attributes.get(name)
        if value is None:
            return 1
        if not value.isdigit():
            raise InputError(f"{path}: its part {_CONTENT} is damaged ({name.split()[-1]}="
                             f"{value!r}); {reader._SAVE_AGAIN}")  # fmt: skip
        return int(value)

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal current, error, nested
        sheet = current
        if sheet is None or nested:
            if name == _TABLE:
                if sheet is None:
                    current = _Sheet(attributes.get(_NAME, ""))
                else:
                    nested += 1
            return
        if name in _CELLS:
            columns = repeated(attributes, _COLUMNS_REPEATED)
            column = sheet.column
            sheet.column += columns
            if not _VALUES.isdisjoint(attributes) or attributes.get(_VALUE_TYPE) == "string":
                sheet.holds(column, columns)
                if attributes.get(_CALC_VALUE_TYPE) == "error" or (
                    _FORMULA in attributes and attributes.get(_STRING_VALUE) == ""
                ):
                    # Its text is the error's: read until the cell ends.
                    error = (column, columns, sheet.row + 1)
                    text.clear()
                    parser.CharacterDataHandler = text.append
                    parser.EndElementHandler = end_of_error
        elif name == _ROW:
            sheet.row += sheet.repeats  # the row before, as many times as it is repeated
            sheet.repeats = repeated(attributes, _ROWS_REPEATED)
            sheet.column = 0
            sheet.counted = False
            sheet.hidden = attributes.get(_VISIBILITY) in _HIDDEN
        elif name == _PARAGRAPH and error is not None and text:
            text.append("\n")  # paragraphs of a cell are its lines
        elif name == _TABLE:
            nested = 1

    def end_of_error(name: str) -> None:
        nonlocal error
        if name in _CELLS and error is not None and current is not None:
            column, columns, row = error
            shown = "".join(text).strip()
            if shown.startswith(_ERROR_STARTS) and len(shown) <= _LONGEST_ERROR:
                current.error_runs.append((row, current.repeats, column, columns, shown))
            error = None
            parser.CharacterDataHandler = None
            parser.EndElementHandler = end

    def end(name: str) -> None:
        nonlocal nested
        if name == _TABLE:
            if nested:
                nested -= 1
            else:
                close_sheet()

    parser: Any = ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.buffer_text = True
    try:
        with zipfile.ZipFile(path) as archive, archive.open(_CONTENT) as part:
            _stream(part, parser.Parse)
    except (KeyError, ExpatError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as problem:
        raise InputError(
            f"{path}: its part {_CONTENT} cannot be read ({problem}): the file is damaged; "
            f"{reader._SAVE_AGAIN}"
        ) from None
    return sheets


# The standard prefixes, as every program writing OpenDocument declares them on the root.
_PREFIXES = (
    b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"',
    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"',
)
_ROW_START = b"<table:table-row"
_CELL_START = b"<table:table-cell"
_CELL_COUNT = methodcaller("count", _CELL_START)
# Empty cells repeated to the end of a row, as LibreOffice often ends one: no value follows
# them, so python-calamine makes nothing of them (a run counts each as one column).
_TRAILING_START = b'<table:table-cell table:number-columns-repeated="'
_TRAILING = re.compile(
    rb'<table:table-cell table:number-columns-repeated="[0-9]+"/></table:table-row>'
)
# Text whose bytes may be those of tags (CDATA, a comment, a processing instruction: their
# starts hold "!" or "?", their ends "]", "-->" or "?"), which a run may start inside of and
# end past, and a prefix bound anew: the parser reads such runs. Single bytes are looked for
# far faster than "<!".
_UNPLAIN = (b"!", b"?", b"]", b"-->", b"xmlns")


def _stream(part: IO[bytes], parse: Callable[[bytes, bool], object]) -> None:
    """Gives the part to ``parse``, but for runs of plain rows (no repeats, nothing hidden,
    no formula, no merged cell), most of a sheet: each is given as one row repeated as many
    times, as wide as the widest, holding values when any does. The grid measured is then at
    most a few rows and columns larger than python-calamine's (empty rows and cells of a run
    are counted), and the marks the same: the parser's calls, one per element, would take
    longer than python-calamine reading the workbook."""
    pending = part.read(_READ_BYTES)
    plain = all(prefix in pending for prefix in _PREFIXES)
    while chunk := part.read(_READ_BYTES):
        pending += chunk
        first = pending.find(_ROW_START)
        last = pending.rfind(_ROW_START)
        if not plain or first == last:
            continue  # a row longer than the chunk: read on
        parse(pending[:first], False)
        run = pending[first:last]
        pending = pending[last:]
        parse(_summary(run) or run, False)
    parse(pending, True)


def _summary(run: bytes) -> bytes | None:
    """One row standing for the whole rows of ``run``, or ``None`` when it needs the parser."""
    # Of the table's attributes only a style, and repeats of empty cells ending a row: no
    # other repeats, hidden rows, formulas (an error is a formula's result), nor a sheet's name.
    # Every "table:" is a tag's or one of those attributes': XML parts attributes by any white
    # space (a tab, a line's end), and one after another than a space would go uncounted.
    trailing = run.count(_TRAILING_START)
    starts = run.count(b"<table:")
    ends = run.count(b"</table:")
    if (
        run.count(b"table:") != starts + ends + run.count(b" table:style-name") + trailing
        or b"covered-table-cell" in run
        or any(map(run.__contains__, _UNPLAIN))
        or (trailing and len(_TRAILING.findall(run)) != trailing)
    ):
        return None
    rows = run.split(_ROW_START)[1:]
    cells = list(map(_CELL_COUNT, rows))
    # Only rows and cells start or end: not a sheet, nor a group of rows (whose start begins
    # as a row's, but has no row's end).
    row_ends = run.count(b"</table:table-row>")
    if (
        row_ends != len(rows)
        or starts != len(rows) + sum(cells)
        or ends != row_ends + run.count(b"</table:table-cell>")
    ):
        return None
    width = max(cells)
    # A cell of any type but an empty one has "office:value-type": python-calamine may read
    # the run's rows as empty when none has.
    value = b' office:value-type="string"' if b"office:value-type" in run else b""
    row = b'<table:table-cell table:number-columns-repeated="%d"%s/>' % (width, value)
    return b'<table:table-row table:number-rows-repeated="%d">%s</table:table-row>' % (
        len(rows),
        row if width else b"",
    )
