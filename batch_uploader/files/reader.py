"""Reading spreadsheets: every supported file becomes tables of rows of text.

No type guessing happens here. A CSV cell is the text of the file as its writer means it: a
cell kept as text by a spreadsheet user or a tool (``'0012345``, ``="0012345"``) is the text
itself (see :mod:`~batch_uploader.files.cell_text`); a first line ``sep=;`` names the delimiter and
is not a row. A workbook cell is rendered as the text a person sees (an integer number as its
digits, a date in ISO 8601), and the reader records which cells were not stored as text, so
later stages can tell damage done by a spreadsheet (a long number rounded by Excel) from what
was typed.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import hashlib
import io
import os
import posixpath
import re
import weakref
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from pyexpat import ExpatError, ParserCreate
from typing import TYPE_CHECKING, Any, BinaryIO

from python_calamine import CalamineError, CalamineWorkbook, SheetVisibleEnum

from .. import message_codes
from ..errors import InputError, UsageError
from ..messages import N_, RunMessage
from ..models import CellKind, Source
from ..rules.hints import Hint
from . import cell_text, charset, ods_marks, xls_marks, xlsb_marks
from .sheet_marks import NO_MARKS, MarksReader, SheetMarks

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})
# The workbooks python-calamine reads. All are zip archives but .xls (Excel 97-2003), an OLE
# compound file; .xlsb is Excel's binary workbook, .ods OpenDocument (LibreOffice and others).
WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"})
ZIPPED_SUFFIXES = WORKBOOK_SUFFIXES - {".xls"}
DELIMITERS = ",;\t|"
_DELIMITER_NAMES = {",": '","', ";": '";"', "\t": "tab", "|": '"|"'}
# A first line naming the delimiter, as Excel reads it (and some programs write it).
_SEP_LINE = re.compile(rf"\ufeff?sep=([{re.escape(DELIMITERS)}])(?:\r\n?|\n|\Z)", re.IGNORECASE)
_SNIFF_BYTES = 64 * 1024
_SNIFF_LINES = 50
# A CSV file's bytes are checked for changes a block at a time (see PinnedFile).
_BLOCK_BYTES = 1024 * 1024
_BUFFER_BYTES = 64 * 1024
# Bytes of two blocks, either side of their seam, looked at for a mark (see _marks).
_SEAM_BYTES = 8
# Integers of more digits than this cannot come out of Excel intact (it keeps 15).
MAX_EXACT_DIGITS = 15
# What a workbook may unpack to, checked before it is read (calamine holds a sheet whole): from
# its zip directory, then by unpacking every part, as the directory can lie. Carriers' files
# unpack to a few megabytes, a crafted one to gigabytes.
# The variable raises the limit of one part (a sheet); the whole may unpack to
# WORKBOOK_PARTS times it.
WORKBOOK_LIMIT_VARIABLE = "BATCH_UPLOADER_MAX_WORKBOOK_MB"
WORKBOOK_MEMBER_MB = 200
WORKBOOK_PARTS = 4
# Sheets compress 10 to 50 times; a part over a megabyte compressed far more is a bomb.
WORKBOOK_RATIO = 200
_RATIO_FLOOR = 1_000_000
# Spreadsheet programs save tens of parts; a few thousand images still fit.
WORKBOOK_MEMBERS = 10_000
_MB = 1_000_000
# Parts are unpacked this much at a time to count their bytes.
_UNPACK_BYTES = 256 * 1024
# What spreadsheet programs (and calamine) unpack; zipfile would unpack bzip2 and LZMA
# without bounds on the bytes a chunk gives.
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED})
_ENCRYPTED = 0x1
_ANY_SIZE = 2**63 - 1
# What python-calamine holds for each cell of a sheet's grid (measured: 537 MB for 65,536 rows
# by 256 columns).
_CELL_BYTES = 32
# How the dry run names each format of workbook.
_FORMATS = {
    ".xlsx": N_("XLSX"),
    ".xlsm": N_("XLSM"),
    ".xlsb": N_("XLSB"),
    ".xls": N_("XLS (Excel 97-2003)"),
    ".ods": N_("ODS (OpenDocument)"),
}
# The workbooks whose rows hidden by a filter or by hand, and error cells, are found in their
# sheets' XML here (python-calamine says nothing of the first, and reads the second as empty);
# the other formats' by a reader of their own (see _MARKS_READERS).
_ROWS_TOLD = frozenset({".xlsx", ".xlsm"})
# The formats whose marks (see sheet_marks) are read by a reader of their own.
_MARKS_READERS: dict[str, MarksReader] = {
    ".xls": xls_marks.sheet_marks,
    ".xlsb": xlsb_marks.sheet_marks,
    ".ods": ods_marks.sheet_marks,
}
# Bytes that a sheet part with a hidden row holds (<row r="5" hidden="1">): a part without
# them, most, is not parsed again.
_HIDDEN = b"hidden"
# Bytes of a cell holding an error value (<c r="B2" t="e"><v>#N/A</v></c>), which
# python-calamine reads as an empty cell: the error is put back in its place, to be refused.
_ERROR = b't="e"'


# Not frozen: one is built for every row, and a frozen dataclass takes three times as long
# to build. Nothing changes one once built.
@dataclass(slots=True)
class RawRow:
    """A row as read: its number in the spreadsheet, its cells as text, the kinds of the
    cells that were not stored as text (column index to kind; ``None`` when all are text), and
    whether it was read from bytes that changed since the file was opened."""

    number: int
    cells: list[str]
    kinds: dict[int, CellKind] | None = None
    changed: bool = False

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
    ``format`` says how the file was read, for a person, as a message (``CSV, cp1252,
    delimiter ";"``, ``XLSX``): a front end words the remedy of an encoding guessed itself.
    ``file`` is the file as it was when opened; :meth:`close` lets it go. ``hidden_rows``
    are the numbers of the rows with cells a filter or a person hid (workbooks only):
    they are read like the others.
    """

    source: Source
    rows: Callable[[], Iterator[RawRow]]
    first_column: int = 0
    delimited: bool = False
    format: RunMessage = field(kw_only=True)
    file: OpenedFile = field(kw_only=True)
    hidden_rows: frozenset[int] = field(default=frozenset(), kw_only=True)

    def close(self) -> None:
        """Closes the file's descriptor, if it holds one; no pass may start after."""
        self.file.close()


class OpenedFile:
    """A file as it was when opened, to tell afterwards whether its path still holds it."""

    def __init__(self, path: Path, status: os.stat_result) -> None:
        self.path = path
        self.status = status

    def changes(self) -> RunMessage | None:
        """What happened to the file at ``path`` since it was opened, for a person; ``None``
        when it is as it was."""
        try:
            now = os.stat(self.path)
        except OSError:
            return RunMessage(
                message_codes.INPUT_REMOVED,
                N_(
                    "{file}: removed or renamed during the run: its rows were read as they were "
                    "when the run started"
                ),
                {"file": str(self.path)},
            )
        if (now.st_dev, now.st_ino) != (self.status.st_dev, self.status.st_ino):
            return RunMessage(
                message_codes.INPUT_REPLACED,
                N_(
                    "{file}: replaced during the run (saved again or copied over): its rows were "
                    "read as they were when the run started; upload the new file (rows already "
                    "sent are skipped)"
                ),
                {"file": str(self.path)},
            )
        return self._changed_in_place(now)

    def _changed_in_place(self, now: os.stat_result) -> RunMessage | None:
        if (now.st_size, now.st_mtime_ns) != (self.status.st_size, self.status.st_mtime_ns):
            return RunMessage(
                message_codes.INPUT_CHANGED,
                N_(
                    "{file}: changed during the run: its rows were read as they were when the "
                    "run started; upload the file again once it is complete (rows already sent "
                    "are skipped)"
                ),
                {"file": str(self.path)},
            )
        return None

    def close(self) -> None:
        """Nothing to close: a workbook's sheets are read whole when it is opened."""


class PinnedFile(OpenedFile):
    """A CSV file's bytes as they were when it was opened, read through one descriptor.

    Every pass over the file (encoding, delimiter, header, survey, sending) reads them with
    ``os.pread``, from its own offset and up to the size the file had when opened: rows
    appended later, or a file replaced by a rename (as spreadsheet programs and most editors
    save), never reach a pass. For a file rewritten in place, the first pass to read a block
    records its digest and later passes compare theirs: the rows read from a block that
    differs are marked ``changed``, and ``changed_row`` is the first of them.
    """

    def __init__(self, path: Path) -> None:
        descriptor = os.open(path, os.O_RDONLY)
        super().__init__(path, os.fstat(descriptor))
        self._descriptor = descriptor
        self._digests: dict[int, bytes] = {}
        self.changed_row: int | None = None
        # Closed by close(), or else when the file is let go.
        self._closing = weakref.finalize(self, os.close, descriptor)

    def open(self) -> BinaryIO:
        """A new pass over the bytes, from the start."""
        return io.BufferedReader(_Pass(self), _BUFFER_BYTES)

    def block(self, index: int) -> tuple[bytes, bool]:
        """Block ``index`` of the file as it is now, and whether it differs from its first
        reading."""
        if not self._closing.alive:
            raise ValueError(f"{self.path} was closed")
        start = index * _BLOCK_BYTES
        data = os.pread(self._descriptor, min(_BLOCK_BYTES, self.status.st_size - start), start)
        digest = hashlib.sha256(data).digest()
        return data, self._digests.setdefault(index, digest) != digest

    def mark(self, number: int) -> None:
        """Row ``number`` was read from bytes that changed."""
        if self.changed_row is None or number < self.changed_row:
            self.changed_row = number

    def changes(self) -> RunMessage | None:
        if self.changed_row is not None:
            return RunMessage(
                message_codes.INPUT_REWRITTEN,
                N_(
                    "{file}: changed during the run, from about row {row} on: those rows were "
                    "not sent (file-changed); upload the file again once it is complete (rows "
                    "already sent are skipped)"
                ),
                {"file": str(self.path), "row": self.changed_row},
            )
        return super().changes()

    def _changed_in_place(self, now: os.stat_result) -> RunMessage | None:
        if now.st_size > self.status.st_size:
            return RunMessage(
                message_codes.INPUT_GREW,
                N_(
                    "{file}: grew during the run ({added} bytes added): the rows added were not "
                    "read; upload the file again once it is complete (rows already sent are "
                    "skipped)"
                ),
                {"file": str(self.path), "added": now.st_size - self.status.st_size},
            )
        return super()._changed_in_place(now)

    def close(self) -> None:
        self._closing()


class _Pass(io.RawIOBase):
    """One pass over a pinned file. A block is checked whole before any of its bytes is given,
    so no row is read from changed bytes without being marked. ``found`` holds the marks of
    cells kept as text (:data:`cell_text.MARKS`, as ``marks`` gives their bytes) that a block
    read so far holds; ``unusual`` says that one does, or that a block changed: until then,
    which is to the end in most files, a row needs no closer look."""

    def __init__(self, file: PinnedFile, marks: Mapping[str, bytes] | None = None) -> None:
        super().__init__()
        self._file = file
        self._marks = marks or {}
        self._next = 0
        self._left = memoryview(b"")
        self._tail = b""
        self.changed = False
        self.unusual = False
        self.found: list[str] = []

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        if not self._left:
            if self._next * _BLOCK_BYTES >= self._file.status.st_size:
                return 0
            data, changed = self._file.block(self._next)
            self._next += 1
            self.changed |= changed
            if len(self.found) < len(self._marks):
                seam = self._tail + data[:_SEAM_BYTES]  # a mark may straddle two blocks
                for text, mark in self._marks.items():
                    if text not in self.found and (_holds(data, mark) or mark in seam):
                        self.found.append(text)
                self._tail = data[-_SEAM_BYTES:]
            self.unusual = self.changed or bool(self.found)
            self._left = memoryview(data)
        view = memoryview(buffer).cast("B")
        count = min(len(self._left), len(view))
        view[:count] = self._left[:count]
        self._left = self._left[count:]
        return count


def _marks(encoding: str) -> dict[str, bytes]:
    """The bytes of each of :data:`cell_text.MARKS` in ``encoding``, without the zero bytes of
    a UTF-16 or UTF-32 character, so that they are found in either byte order; no bytes, found
    in any block, when the encoding cannot write them."""
    try:
        start = len("".encode(encoding))  # a byte order mark, for some
        return {text: text.encode(encoding)[start:].strip(b"\0") for text in cell_text.MARKS}
    except (LookupError, UnicodeError):
        return dict.fromkeys(cell_text.MARKS, b"")


def _holds(data: bytes, mark: bytes) -> bool:
    # A byte is looked for with memchr; a longer mark far more slowly (0.3 ms a MiB with re,
    # 1 ms with "in"), so only in a block holding its last byte: a quote, which most lack.
    if mark[-1:] not in data:
        return False
    return len(mark) == 1 or _search(mark)(data) is not None


@lru_cache(maxsize=16)
def _search(mark: bytes) -> Callable[[bytes], re.Match[bytes] | None]:
    return re.compile(re.escape(mark)).search


def read_tables(
    path: Path, *, encoding: str | None = None, sheet: str | None = None
) -> list[Table]:
    """The tables of a file: one for a CSV (in ``encoding``, detected when ``None``), one per
    sheet for a workbook with data (only ``sheet`` when given; hidden sheets are left out
    unless so named)."""
    return open_tables(path, encoding=encoding, sheet=sheet)[0]


def open_tables(
    path: Path, *, encoding: str | None = None, sheet: str | None = None
) -> tuple[list[Table], list[RunMessage]]:
    """What :func:`read_tables` gives, and a note for a person per hidden sheet left out."""
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | WORKBOOK_SUFFIXES:
        raise UsageError(
            RunMessage(
                message_codes.UNSUPPORTED_FILE_TYPE,
                N_("{file}: unsupported file type {suffix}; use {supported:, }"),
                {
                    "file": str(path),
                    "suffix": suffix or "(none)",
                    "supported": tuple(sorted(CSV_SUFFIXES | WORKBOOK_SUFFIXES)),
                },
            )
        )
    if not path.is_file():
        if path.exists():
            # A folder, a device such as /dev/zero, or a pipe: never read (it may never end).
            raise InputError(
                RunMessage(
                    message_codes.NOT_A_FILE,
                    N_("{file}: not a regular file; give the spreadsheet file itself"),
                    {"file": str(path)},
                )
            )
        raise InputError(
            RunMessage(
                message_codes.NO_SUCH_FILE,
                N_("{file}: no such file; check its name and folder"),
                {"file": str(path)},
            )
        )
    if suffix in WORKBOOK_SUFFIXES:
        return _workbook_tables(path, sheet)
    return [_csv_table(path, encoding)], []


def _csv_table(path: Path, encoding: str | None) -> Table:
    file = PinnedFile(path)
    try:
        return _pinned_table(file, encoding)
    except BaseException:
        file.close()
        raise


def _pinned_table(file: PinnedFile, encoding: str | None) -> Table:
    path = file.path
    decoding = charset.decoding(file.open, str(path), encoding)

    def text(reading: _Pass) -> io.TextIOWrapper:
        # Bytes that are not text become U+FFFD, which the validator refuses: a UTF-8 file
        # with a few bad bytes is read whole, and refused only where they stand. (Bytes that
        # changed since the opening may not be text either: their rows are refused anyway.)
        handle = io.TextIOWrapper(
            io.BufferedReader(reading, _BUFFER_BYTES),
            encoding=decoding.encoding,
            errors="replace",
            newline="",
        )
        # Decoded 64 KiB at a time, not 8: fewer calls into the Python reader below.
        handle._CHUNK_SIZE = _BUFFER_BYTES  # type: ignore[attr-defined]
        return handle

    def records(reading: _Pass) -> Iterator[list[str]]:
        with text(reading) as handle:
            reader = csv.reader(handle, delimiter=delimiter, strict=True)
            while True:
                try:
                    yield from reader
                    return
                except csv.Error as error:
                    if not reading.changed:
                        raise InputError(
                            RunMessage(
                                message_codes.BROKEN_QUOTES,
                                N_("{file}: line {line}: {reason}; check the quotes on that line"),
                                {"file": str(path), "line": reader.line_num, "reason": str(error)},
                            )
                        ) from None
                    # Bytes rewritten since the opening broke this record: it is left out,
                    # and the rows after it are refused as read from a changed file.

    def table_records(reading: _Pass) -> Iterator[list[str]]:
        found = records(reading)
        if named is not None:
            next(found, None)  # the sep= line
        return found

    def rows() -> Iterator[RawRow]:
        # One CSV record is one spreadsheet row, even when a quoted cell spans lines, and its
        # number counts the sep= line. A cell kept as text ("'0012345", '="0012345"', or
        # "'+55TRK" in the rows to fix) is given as meant.
        reading = _Pass(file, marks)
        for number, cells in enumerate(table_records(reading), start=first_row):
            if not reading.unusual:
                yield RawRow(number, cells)
                continue
            joined = "".join(cells)  # one look at the row for each mark: most hold none
            for mark in reading.found:
                if mark in joined:
                    cells = [cell_text.meant(cell) for cell in cells]
                    break
            if reading.changed:
                file.mark(number)
            yield RawRow(number, cells, changed=reading.changed)

    with text(_Pass(file)) as handle:
        sample = handle.read(_SNIFF_BYTES)
    named = _named_delimiter(sample)
    if named is not None:
        delimiter = named
    elif path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        delimiter = _guess_delimiter(sample)
    first_row = 1 if named is None else 2
    marks = _marks(decoding.encoding)
    # A file whose quotes break further down stops the run too, before anything is sent: the
    # survey of the run reads every row first.
    if next(table_records(_Pass(file)), None) is None:
        raise InputError(
            RunMessage(
                message_codes.EMPTY_FILE, N_("{file}: the file is empty"), {"file": str(path)}
            )
        )
    described = RunMessage(
        message_codes.CSV_FORMAT,
        N_("CSV, {encoding}, delimiter {delimiter}")
        if named is None
        else N_("CSV, {encoding}, delimiter {delimiter} (named on its first line, sep=)"),
        {"encoding": decoding.described(), "delimiter": _DELIMITER_NAMES[delimiter]},
    )
    return Table(Source(str(path)), rows, delimited=True, format=described, file=file)


def _named_delimiter(sample: str) -> str | None:
    """The delimiter a first line ``sep=;`` names (``sep=,``, ``sep=|``, ``sep=`` and a tab),
    or ``None``: Excel reads such a line so, not as a row, whatever else the file holds."""
    found = _SEP_LINE.match(sample)
    return found.group(1) if found else None


def _guess_delimiter(sample: str) -> str:
    """The delimiter that splits the most lines of ``sample``, the start of the file, into the
    same number of cells (two at least). Title lines above the header, or a comma inside a
    courier's name in a semicolon file, do not mislead it; a comma when nothing splits."""
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


def _workbook_tables(path: Path, only: str | None) -> tuple[list[Table], list[RunMessage]]:
    # python-calamine reads a sheet's cells when the sheet is got (a CalamineSheet holds its
    # whole range), so every pass reads the workbook as it was opened; its status is taken
    # first, so that a change made while it is read is told afterwards.
    file = OpenedFile(path, path.stat())
    suffix = path.suffix.lower()
    marked: dict[str, frozenset[bytes]] = {}
    if suffix in ZIPPED_SUFFIXES:
        marked = _check_unpacked_size(path, (_HIDDEN, _ERROR) if suffix in _ROWS_TOLD else ())
    else:
        _check_file_size(path, file.status.st_size)
    read_marks = _MARKS_READERS.get(suffix)
    marks_by_sheet: Mapping[str, SheetMarks] = read_marks(path) if read_marks else {}
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as error:
        raise InputError(f"{path}: cannot be opened as a workbook ({error})") from None
    names = workbook.sheet_names
    hidden: list[str] = []
    if only is not None:
        if only not in names:
            raise InputError(
                RunMessage(
                    message_codes.NO_SUCH_SHEET,
                    N_("{file}: no sheet named {sheet!r}; its sheets are {sheets!r:, }"),
                    {"file": str(path), "sheet": only, "sheets": tuple(names)},
                )
            )
        names = [only]
    else:
        # A hidden sheet usually holds old or lookup data: only naming it reads it.
        hidden = [
            sheet.name
            for sheet in workbook.sheets_metadata
            if sheet.visible != SheetVisibleEnum.Visible and sheet.name in names
        ]
        names = [name for name in names if name not in hidden]
    kind = RunMessage(message_codes.WORKBOOK_FORMAT, _FORMATS[suffix])
    tables = []
    held = 0
    parts: dict[str, str] | None = None
    for name in names:
        sheet = _sheet(workbook, path, name)
        if sheet.height == 0:
            continue
        if suffix not in ZIPPED_SUFFIXES:
            held += _check_grid(path, name, sheet.height, sheet.width, held)
        hidden_rows: frozenset[int] = frozenset()
        errors: dict[int, dict[int, str]] = {}
        first_column = sheet.start[1] if sheet.start else 0
        if marked:
            parts = _sheet_parts(path) if parts is None else parts
            found = marked.get(parts.get(name, ""), frozenset())
            if _HIDDEN in found:
                hidden_rows = _hidden_rows(path, parts[name])
            if _ERROR in found:
                errors = _error_cells(path, parts[name], first_column)
        elif (marks := marks_by_sheet.get(name, NO_MARKS)) is not NO_MARKS:
            hidden_rows = marks.hidden_rows
            errors = {
                number: {column - first_column: text for column, text in cells.items()}
                for number, cells in marks.errors.items()
            }

        def rows(
            sheet: object = sheet, errors: dict[int, dict[int, str]] = errors
        ) -> Iterator[RawRow]:
            # Rows start at the sheet's first row, so numbers match the spreadsheet's own;
            # columns start at its first used column.
            for number, values in enumerate(sheet.iter_rows(), start=1):  # type: ignore[attr-defined]
                if errors and number in errors:
                    for index, error in errors[number].items():
                        if 0 <= index < len(values) and values[index] == "":
                            values[index] = error
                yield _workbook_row(number, values)

        tables.append(
            Table(
                Source(str(path), name),
                rows,
                first_column,
                format=kind,
                file=file,
                hidden_rows=hidden_rows,
            )
        )
    if not tables and hidden:
        _refuse_hidden_only(path, workbook, hidden)
    return tables, [
        RunMessage(
            message_codes.HIDDEN_SHEET,
            N_("{file}: sheet {sheet!r} is hidden: left out; {hint}"),
            {"file": str(path), "sheet": name, "hint": Hint.SHEET},
        )
        for name in hidden
    ]


def _sheet(workbook: CalamineWorkbook, path: Path, name: str) -> Any:
    try:
        return workbook.get_sheet_by_name(name)
    except (CalamineError, ValueError) as error:
        raise InputError(f"{path}: sheet {name!r} cannot be read ({error})") from None


def _refuse_hidden_only(path: Path, workbook: CalamineWorkbook, hidden: list[str]) -> None:
    """Refuses a workbook whose only sheets with data are hidden: reading one in silence
    would send old or lookup data, and reading none would say the workbook is empty."""
    full = tuple(name for name in hidden if _sheet(workbook, path, name).height)
    if full:
        many = len(full) > 1
        raise InputError(
            RunMessage(
                message_codes.ONLY_HIDDEN_SHEETS,
                _ONLY_HIDDEN_SHEETS if many else _ONLY_HIDDEN_SHEET,
                {
                    "file": str(path),
                    "sheets": full,
                    "sheet": full[0],
                    "hint": Hint.SHEET_ONE if many else Hint.SHEET,
                },
            )
        )


_ONLY_HIDDEN_SHEET = N_(
    "{file}: its only sheet with data is hidden ({sheets!r:, }), which usually hold old or "
    "lookup data: nothing read; {hint}"
)
_ONLY_HIDDEN_SHEETS = N_(
    "{file}: its only sheets with data are hidden ({sheets!r:, }), which usually hold old or "
    "lookup data: nothing read; {hint}"
)


def _sheet_parts(path: Path) -> dict[str, str]:
    """The zip part of each sheet of an XLSX workbook, by sheet name: the workbook part (named
    in ``_rels/.rels``) lists its sheets with a relationship id, its relationships part gives
    each id's target."""
    try:
        with zipfile.ZipFile(path) as archive:
            book = _relationships(archive, "_rels/.rels", "").get("officeDocument", {})
            workbook = next(iter(book.values()), "xl/workbook.xml")
            folder, base = posixpath.split(workbook)
            targets = _relationships(
                archive, posixpath.join(folder, "_rels", base + ".rels"), folder
            ).get("worksheet", {})
            parts: dict[str, str] = {}
            for element in ElementTree.fromstring(archive.read(workbook)).iter():
                if _local(element.tag) == "sheet":
                    ids = [value for key, value in element.attrib.items() if _local(key) == "id"]
                    target = targets.get(ids[0]) if ids else None
                    if target is not None:
                        parts[element.get("name", "")] = target
            return parts
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, OSError) as error:
        # Only the note of hidden rows depends on it: calamine read the sheets already.
        raise InputError(f"{path}: cannot be opened as a workbook ({error})") from None


def _relationships(archive: zipfile.ZipFile, name: str, folder: str) -> dict[str, dict[str, str]]:
    """The targets of a relationships part, by type (its last word) and id, as zip names."""
    found: dict[str, dict[str, str]] = {}
    if name not in archive.namelist():
        return found
    for element in ElementTree.fromstring(archive.read(name)).iter():
        if _local(element.tag) == "Relationship":
            target = element.get("Target", "")
            # An absolute target starts at the package's root; others at the part's folder.
            where = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            kind = element.get("Type", "").rpartition("/")[2]
            found.setdefault(kind, {})[element.get("Id", "")] = posixpath.normpath(where)
    return found


def _local(name: str) -> str:
    """An XML name without its namespace (``{uri}row``, ``x:row``: ``row``)."""
    return name.rpartition("}")[2].rpartition(":")[2]


_ERROR_CELL = re.compile(
    rb'<c\b[^>]*?\bt="e"[^>]*>(?:<f\b[^>]*/>|<f\b[^>]*>.*?</f>)?<v>([^<]{1,16})</v>', re.S
)
_CELL_PLACE = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')


def _error_cells(path: Path, part: str, first_column: int) -> dict[int, dict[int, str]]:
    """The error values (``#N/A``) of a sheet's XML part by row number and column index in the
    table, which python-calamine gives as empty cells. Only a part known to hold one is read,
    whole: its size was bounded by the checks of the archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            data = archive.read(part)
    except (KeyError, zipfile.BadZipFile, OSError) as error:
        raise InputError(f"{path}: cannot be opened as a workbook ({error})") from None
    found: dict[int, dict[int, str]] = {}
    for cell in _ERROR_CELL.finditer(data):
        place = _CELL_PLACE.search(cell[0], 0, cell[0].find(b">"))
        if place is not None:
            column = _column_number(place[1]) - 1 - first_column
            text = cell[1].decode("utf-8", "replace")
            found.setdefault(int(place[2]), {})[column] = text
    return found


def _hidden_rows(path: Path, part: str) -> frozenset[int]:
    """The numbers of the rows with cells a sheet's XML part marks hidden (``<row r="5"
    hidden="1">``): rows without, often hidden too, are blank.

    Parsing the part costs about as much as reading the workbook (1.2 s for 100,000 rows,
    most of it calls for cells): instead the part is streamed a chunk at a time, and only the
    tags around each ``hidden`` in it are looked at. The bytes looked at stop at the last
    ``<`` followed by a byte: every tag before it is whole, and whether the next one closes
    the row (``</``: it holds nothing) can be told. A hidden row without ``r`` (its number is
    then the previous row's and one) sends the part to the parser."""
    hidden: set[int] = set()
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as handle:
            rest = b""
            while chunk := handle.read(_SCAN_BYTES):
                buffer = rest + chunk
                cut = buffer.rfind(b"<", 0, len(buffer) - 1)
                if cut < 0:  # no tag starts in it, but maybe at its very end
                    cut = len(buffer) - 1 if buffer.endswith(b"<") else len(buffer)
                elif cut == 0 and len(buffer) > _LONGEST_TAG:
                    cut = len(buffer)  # one tag longer than any row's
                if not _hidden_in(buffer, cut, hidden):
                    return _parsed_hidden_rows(path, part)
                rest = buffer[cut:]
            if not _hidden_in(rest, len(rest), hidden):
                return _parsed_hidden_rows(path, part)
    except (KeyError, zipfile.BadZipFile, zlib.error, OSError) as error:
        raise InputError(f"{path}: its part {part} cannot be read ({error})") from None
    return frozenset(hidden)


# Bytes of a sheet's part looked at a time for hidden rows; a row's tag is a few dozen, so
# bytes that start one and run longer than this are no row's.
_SCAN_BYTES = 1024 * 1024
_LONGEST_TAG = 64 * 1024
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row[\s/>]")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _hidden_in(data: bytes, limit: int, hidden: set[int]) -> bool:
    """Adds to ``hidden`` the numbers of the hidden rows with cells whose tags start in
    ``data`` before ``limit``; ``False`` when one has no number (``r``)."""
    at = data.find(_HIDDEN, 0, limit)
    while at >= 0:
        start = data.rfind(b"<", 0, at)
        end = data.find(b">", at)
        # The word inside a tag, not in a cell's text (<t>hidden</t>), and that tag a row's.
        if start >= 0 and end >= 0 and data.find(b">", start, at) < 0:
            tag = data[start : end + 1]
            # A row without cells (<row r="8" hidden="1"/>) is blank: nothing sends it.
            empty = tag.endswith(b"/>") or data.startswith(b"</", end + 1)
            if not empty and _ROW_TAG.match(tag):
                attributes = {
                    name.rpartition(b":")[2]: quoted or apostrophed
                    for name, quoted, apostrophed in _ATTRIBUTE.findall(tag)
                }
                if attributes.get(b"hidden") in (b"1", b"true"):
                    number = attributes.get(b"r", b"")
                    if not number.isdigit():
                        return False
                    hidden.add(int(number))
        at = data.find(_HIDDEN, at + len(_HIDDEN), limit)
    return True


def _parsed_hidden_rows(path: Path, part: str) -> frozenset[int]:
    """What :func:`_hidden_rows` gives, from the part parsed: streamed through expat, which
    builds nothing; only a row's ``r`` and ``hidden``, and whether it holds anything, are
    looked at."""
    hidden: set[int] = set()
    last = 0
    pending: int | None = None  # a hidden row, until a cell in it is seen

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal last, pending
        if name == "row" or name.endswith(":row"):
            number = attributes.get("r", "")
            last = int(number) if number.isdigit() else last + 1
            pending = last if attributes.get("hidden") in ("1", "true") else None
        elif pending is not None:
            hidden.add(pending)
            pending = None

    parser = ParserCreate()
    parser.StartElementHandler = start
    parser.buffer_text = True
    try:
        with zipfile.ZipFile(path) as archive, archive.open(part) as handle:
            parser.ParseFile(handle)
    except (KeyError, ExpatError, zipfile.BadZipFile, zlib.error, OSError) as error:
        raise InputError(f"{path}: its part {part} cannot be read ({error})") from None
    return frozenset(hidden)


def _check_file_size(path: Path, size: int) -> None:
    """Refuses an .xls file larger than a whole workbook may unpack to. It is no zip: its cells
    are stored as they are, not compressed, so what python-calamine reads of it is bounded by
    its size; the grids its sheets make are not (see :func:`_check_grid`)."""
    member_limit = _workbook_limit() * _MB
    if size > WORKBOOK_PARTS * member_limit:
        raise InputError(
            f"{path}: {_megabytes(size)}, more than a workbook may hold "
            f"(limit {_megabytes(WORKBOOK_PARTS * member_limit)}); {_raise_it(member_limit)}"
        )


def _check_grid(path: Path, sheet: str, height: int, width: int, held: int) -> int:
    """The bytes a sheet's grid holds, once read; refuses it when that is more than a part
    may unpack to, or brings the sheets read so far (``held``) over the whole's limit.

    python-calamine holds a sheet as a grid from its first used cell to its last: an .xls of
    a few kilobytes with a cell in A1 and one in IV65536 makes a grid of 65,536 rows by 256
    columns (half a gigabyte; about twice that while it is read). An .xls sheet has no more
    cells than that, so checking the grid once read bounds what one sheet costs, and no more
    than one such sheet is held: the file is refused before the next is read."""
    member_limit = _workbook_limit() * _MB
    size = height * width * _CELL_BYTES
    if size > member_limit or held + size > WORKBOOK_PARTS * member_limit:
        raise InputError(
            f"{path}: sheet {sheet!r} spans {height:,} rows by {width:,} columns, "
            f"{_megabytes(size)} in memory (limit {_megabytes(member_limit)} a sheet, "
            f"{_megabytes(WORKBOOK_PARTS * member_limit)} in all); {_raise_it(member_limit)}"
        )
    return size


def _check_unpacked_size(
    path: Path, markers: tuple[bytes, ...] = ()
) -> dict[str, frozenset[bytes]]:
    """Refuses a workbook that would unpack to more than the limits. Its zip directory is
    checked first (cheap, and enough for an honest file); then every part is unpacked a chunk
    at a time, nothing kept, to find one that holds other bytes than its directory declares.
    The parts whose bytes hold some of ``markers`` are returned, with those they hold: they
    are unpacked here anyway, so looking for them costs a search, not another unpacking."""
    member_limit = _workbook_limit() * _MB
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputError(f"{path}: cannot be opened as a workbook ({error})") from None
    with archive:
        members = archive.infolist()
        _check_directory(path, members, member_limit)
        # A part is unpacked no further than one byte past its declared size, which the
        # directory's check bounds: the real sizes are within the limits when no part lies.
        held = 0
        marked: dict[str, frozenset[bytes]] = {}
        for member in members:
            holds, extent = _check_part(path, archive, member, markers)
            if holds:
                marked[member.filename] = holds
            if extent is not None:
                # python-calamine allocates a sheet's grid, first cell to last, before a row is
                # read: a few kilobytes with a cell in A1 and one in XFD1048576 would ask for
                # hundreds of gigabytes and end the process. Refused before it is opened.
                held += _check_grid(path, member.filename, *extent, held)
        return marked


def _check_directory(path: Path, members: list[zipfile.ZipInfo], member_limit: int) -> None:
    """Refuses a workbook whose zip directory says it would unpack to more than the limits."""
    if len(members) > WORKBOOK_MEMBERS:
        raise InputError(
            f"{path}: holds {len(members)} files (limit {WORKBOOK_MEMBERS}), far more than a "
            f"workbook has; {_AS_CSV}"
        )
    raise_it = _raise_it(member_limit)
    for member in members:
        size = member.file_size
        if size > member_limit:
            raise InputError(
                f"{path}: its part {member.filename} would unpack to {_megabytes(size)} "
                f"(limit {_megabytes(member_limit)}); {raise_it}"
            )
        if size > _RATIO_FLOOR and size > WORKBOOK_RATIO * member.compress_size:
            ratio = size // max(member.compress_size, 1)
            raise InputError(
                f"{path}: its part {member.filename} is compressed {ratio}:1 "
                f"({_megabytes(member.compress_size)} unpacking to {_megabytes(size)}), "
                f"more than any spreadsheet (at most {WORKBOOK_RATIO}:1): it would fill the "
                f"memory; {_AS_CSV}"
            )
    total = sum(member.file_size for member in members)
    if total > WORKBOOK_PARTS * member_limit:
        raise InputError(
            f"{path}: would unpack to {_megabytes(total)} in all "
            f"(limit {_megabytes(WORKBOOK_PARTS * member_limit)}); {raise_it}"
        )


def _check_part(
    path: Path, archive: zipfile.ZipFile, member: zipfile.ZipInfo, markers: tuple[bytes, ...]
) -> tuple[frozenset[bytes], tuple[int, int] | None]:
    """Refuses a part that unpacks to other bytes than its zip directory declares, or cannot
    be unpacked: the directory of a crafted workbook declares a kilobyte for a part that
    unpacks to gigabytes, and the reader would unpack what is there. Says which of
    ``markers`` its bytes hold, and, for a worksheet, how far its cells reach (rows, columns), for
    :func:`_check_grid`."""
    name, declared = member.filename, member.file_size
    if member.flag_bits & _ENCRYPTED or member.compress_type not in _METHODS:
        found = (
            "encrypted"
            if member.flag_bits & _ENCRYPTED
            else f"compressed with method {member.compress_type}"
        )
        raise InputError(
            f"{path}: its part {name} is {found} (spreadsheet programs store or deflate): what "
            f"it unpacks to cannot be checked; {_SAVE_AGAIN}"
        )
    # zipfile stops at the declared size (without a word when the CRC is of the bytes
    # declared): declaring "any size" to it makes it give what the part really holds.
    unbounded = copy.copy(member)
    unbounded.file_size = _ANY_SIZE
    unpacked = 0
    extent = _Extent() if _WORKSHEET.match(name) else None
    holds: set[bytes] = set()
    tail = b""  # the end of the chunk before: a marker may straddle two
    try:
        with archive.open(unbounded) as part:
            while unpacked <= declared:
                chunk = part.read(min(_UNPACK_BYTES, declared + 1 - unpacked))
                if not chunk:
                    break
                unpacked += len(chunk)
                if extent is not None:
                    extent.add(chunk)
                for marker in markers:
                    if marker not in holds and (
                        marker in chunk or marker in tail + chunk[: len(marker) - 1]
                    ):
                        holds.add(marker)
                tail = chunk[-16:]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
        raise InputError(
            f"{path}: its part {name} cannot be unpacked ({error}): the file is damaged; "
            f"{_SAVE_AGAIN}"
        ) from None
    if unpacked > declared:
        raise InputError(
            f"{path}: its part {name} unpacks to more than the {declared:,} bytes its zip "
            f"directory declares: the file is damaged, or made to fill the memory; {_SAVE_AGAIN}"
        )
    if unpacked < declared:
        raise InputError(
            f"{path}: its part {name} unpacks to {unpacked:,} bytes, not the {declared:,} its "
            f"zip directory declares: the file is damaged; {_SAVE_AGAIN}"
        )
    return frozenset(holds), (None if extent is None else (extent.rows, extent.columns))


# The sheets of an .xlsx or .xlsm workbook, whose cells name their place (<c r="AB12">).
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml\Z")
_ONE_LETTER_CELL = re.compile(rb'<c r="([A-Z])[0-9]')
_WIDE_CELL = re.compile(rb'<c r="([A-Z]{2,3})([0-9]{1,7})"')
_FAR_ROW_CELL = re.compile(rb'<c r="[A-Z]([0-9]{6,7})"')
_ROW = re.compile(rb'<row r="([0-9]{1,7})"')
_FAR_OR_WIDE_CELL = re.compile(rb'<c r="(?:[A-Z]{2,3}[0-9]|[A-Z][0-9]{6})')


class _Extent:
    """How far a sheet's cells reach, from its XML as it is unpacked: the rows and columns of
    the grid python-calamine will make of it. Cheap on a carrier's sheet (columns A to Z, rows
    in order): only the last row of each chunk is read, and cell references of two or three
    letters, or of a row past 99,999, are looked at one by one where there are any."""

    def __init__(self) -> None:
        self.rows = 0
        self.columns = 0
        self._tail = b""

    def add(self, chunk: bytes) -> None:
        # A reference may straddle two chunks: the end of the last one goes first.
        data = self._tail + chunk
        self._tail = chunk[-32:]
        if self.columns < 26 and (letters := _ONE_LETTER_CELL.findall(data[:65536])):
            self.columns = max(self.columns, max(letters)[0] - ord("A") + 1)
        if (last := data.rfind(b'<row r="')) != -1 and (row := _ROW.match(data, last)):
            self.rows = max(self.rows, int(row[1]))
        # One search over the chunk finds whether any reference needs a closer look.
        if _FAR_OR_WIDE_CELL.search(data) is None:
            return
        for far in _FAR_ROW_CELL.findall(data):
            self.rows = max(self.rows, int(far))
            self.columns = max(self.columns, 26)
        for letters, row in _WIDE_CELL.findall(data):
            self.columns = max(self.columns, _column_number(letters))
            self.rows = max(self.rows, int(row))


def _column_number(letters: bytes) -> int:
    """AB is column 28."""
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


_AS_CSV = "save its sheet as CSV and upload that (a CSV file is streamed, never held whole)"


def _raise_it(member_limit: int) -> str:
    """How to read a genuine workbook over the limits."""
    return (
        f"set {WORKBOOK_LIMIT_VARIABLE} to more megabytes per sheet if the file is genuine "
        f"(now {member_limit // _MB}), or {_AS_CSV}"
    )


_SAVE_AGAIN = f"open it in its spreadsheet program and save it again, or {_AS_CSV}"


def _workbook_limit() -> int:
    """The megabytes a workbook's part may unpack to: the environment's, or the default."""
    value = os.environ.get(WORKBOOK_LIMIT_VARIABLE, "").strip()
    if not value:
        return WORKBOOK_MEMBER_MB
    if not value.isdigit() or int(value) < 1:
        raise UsageError(
            f"{WORKBOOK_LIMIT_VARIABLE}={value!r}: give a whole number of megabytes, such "
            f"as {WORKBOOK_MEMBER_MB}"
        )
    return int(value)


def _megabytes(size: int) -> str:
    """``size`` bytes for a message: ``3.5 MB``, ``1,100 MB``."""
    return f"{size / _MB:.1f} MB" if size < 10 * _MB else f"{size / _MB:,.0f} MB"


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
