"""What the sheets of an Excel binary workbook (.xlsb) hold that python-calamine does not say,
read from the file before it is opened: the cells holding an error value, the hidden rows
holding cells, and how far the cells reach, to refuse a sheet whose grid would fill the memory.

An .xlsb is a zip archive whose sheets (``xl/worksheets/sheetN.bin``, named in
``xl/workbook.bin``) are streams of records (MS-XLSB 2.1.4): a record type of one or two bytes
and a size of one to four, seven bits each (the high bit says another byte follows), then the
body. Between BrtBeginSheetData and BrtEndSheetData a row header (BrtRowHdr) precedes the cells
of its row, each of which starts with its 0-based column. python-calamine reads the error of a
plain cell (BrtCellError) as an empty cell and skips a formula's error (BrtFmlaError) and a
blank cell (BrtCellBlank) altogether; it sizes a sheet's grid from the first to the last of the
cells it keeps, whatever the declared used range (BrtWsDim) says."""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ..errors import InputError
from .sheet_marks import ERROR_TEXTS, SheetMarks

_WORKBOOK = "xl/workbook.bin"
_WORKBOOK_RELS = "xl/_rels/workbook.bin.rels"
# Record types (MS-XLSB 2.3).
_ROW_HEADER = 0x00
_CELL_BLANK = 0x01
_CELL_ERROR = 0x03
_CELL_LAST_VALUE = 0x0A  # BrtCellRk to BrtFmlaBool: the cells python-calamine keeps
_FORMULA_ERROR = 0x0B
_BEGIN_SHEET_DATA = 0x91
_END_SHEET_DATA = 0x92
_BUNDLE_SHEET = 0x9C
_END_BUNDLE_SHEETS = 0x90
# python-calamine ends a sheet at a row header past this index, as if its data ended there.
_LAST_ROW = 0x10_0000
# BrtRowHdr: rw (4 bytes), ixfe (4), miyRw (2), a byte of flags, then the byte holding
# fDyZero, the row's height being zero: hidden.
_ROW_FLAGS = 11
_HIDDEN = 0x10
# A cell's error code follows its column (4 bytes) and style (4).
_ERROR_CODE = 8
# Bytes of a part unpacked at a time: none is held whole.
_CHUNK_BYTES = 1024 * 1024
# The most bytes a record's header and the part of its body looked at take: a record starting
# closer than this to the end of what is unpacked waits for the next chunk.
_LOOKED_AT = 2 + 4 + _ROW_FLAGS + 1
_U32: Callable[[bytes, int], tuple[int, ...]] = struct.Struct("<I").unpack_from


class _Damaged(Exception):
    """A part's records break off or make no sense."""


@dataclass(slots=True)
class _Sheet:
    """What one sheet's records hold: its marks, and the 0-based rows and columns of the first
    and last cells python-calamine keeps (``first_row`` is past ``last_row`` when none)."""

    hidden_rows: set[int] = field(default_factory=set)
    errors: dict[int, dict[int, str]] = field(default_factory=dict)
    first_row: int = _LAST_ROW + 1
    last_row: int = -1
    first_column: int = 2**32
    last_column: int = -1
    started: bool = False  # BrtBeginSheetData seen
    ended: bool = False  # BrtEndSheetData, or a row python-calamine stops at, seen
    row: int = 0
    hidden: bool = False  # the current row is hidden
    skip: int = 0  # bytes of a record's body still to come in the next chunks

    def extent(self) -> tuple[int, int]:
        """The rows and columns of the grid python-calamine makes of the sheet."""
        if self.last_row < 0:
            return 0, 0
        return self.last_row - self.first_row + 1, self.last_column - self.first_column + 1


def sheet_marks(path: Path) -> dict[str, SheetMarks]:
    """The marks of each sheet of the .xlsb workbook at ``path`` that has any, by sheet name;
    refuses (InputError) a sheet whose grid would not fit in memory, or a damaged part. Each
    sheet part is streamed once, a chunk at a time; the archive's sizes were checked before."""
    # The reader registers this module: it is imported when this runs, not when loaded.
    from .reader import _SAVE_AGAIN, _check_grid, _relationships

    found: dict[str, SheetMarks] = {}
    held = 0
    part = _WORKBOOK
    try:
        with zipfile.ZipFile(path) as archive:
            targets = _relationships(archive, _WORKBOOK_RELS, "xl").get("worksheet", {})
            for name, relation in _bundled_sheets(archive.read(_WORKBOOK)):
                part = targets.get(relation, "")
                if not part:
                    continue  # a chart sheet, or no sheet python-calamine reads cells of
                with archive.open(part) as handle:
                    sheet = _scan(handle)
                held += _check_grid(path, name, *sheet.extent(), held)
                if sheet.hidden_rows or sheet.errors:
                    hidden = frozenset(row + 1 for row in sheet.hidden_rows)
                    errors = {row + 1: cells for row, cells in sheet.errors.items()}
                    found[name] = SheetMarks(hidden, errors)
    except (_Damaged, KeyError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise InputError(
            f"{path}: its part {part} cannot be read ({error}): the file is damaged; {_SAVE_AGAIN}"
        ) from None
    return found


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """The records of a small part held whole (the workbook's), as (type, body)."""
    records = []
    at, end = 0, len(data)
    while at < end:
        kind, at = _varint(data, at, 2)
        size, at = _varint(data, at, 4)
        if at + size > end:
            raise _Damaged(f"a record of {size} bytes at byte {at} breaks off")
        records.append((kind, data[at : at + size]))
        at += size
    return records


def _varint(data: bytes, at: int, most: int) -> tuple[int, int]:
    """A record's type or size, and where what follows it starts."""
    value = 0
    for index in range(most):
        if at >= len(data):
            raise _Damaged("a record breaks off")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << (7 * index)
        if not byte & 0x80:
            break
    return value, at


def _bundled_sheets(data: bytes) -> list[tuple[str, str]]:
    """The sheets the workbook part lists (BrtBundleSh), as (name, relationship id)."""
    sheets = []
    for kind, body in _records(data):
        if kind == _END_BUNDLE_SHEETS:
            break
        if kind != _BUNDLE_SHEET:
            continue
        # hsState (4 bytes), iTabID (4), strRelID and strName: a count of UTF-16 characters
        # (4 bytes; all ones for no relationship), then the characters.
        relation, at = _wide_string(body, 8)
        if relation is None:
            continue
        name, _ = _wide_string(body, at)
        sheets.append((name or "", relation))
    return sheets


def _wide_string(body: bytes, at: int) -> tuple[str | None, int]:
    if at + 4 > len(body):
        raise _Damaged("a sheet's entry breaks off")
    (count,) = _U32(body, at)
    if count == 0xFFFF_FFFF:
        return None, at + 4
    end = at + 4 + 2 * count
    if end > len(body):
        raise _Damaged("a sheet's name breaks off")
    return body[at + 4 : end].decode("utf-16-le", "replace"), end


def _scan(handle: IO[bytes]) -> _Sheet:
    """Reads a sheet part's records a chunk at a time."""
    sheet = _Sheet()
    rest = b""
    while not sheet.ended:
        chunk = handle.read(_CHUNK_BYTES)
        if not chunk:
            # The last records: bytes past the end read as zeros, and a record reaching
            # past it breaks off.
            if rest:
                padded = rest + bytes(_LOOKED_AT)
                at = _read(sheet, padded, len(rest))
                if at > len(rest) or (at < len(rest) and not sheet.ended):
                    raise _Damaged("its last record breaks off")
            if not sheet.ended:
                raise _Damaged("its cells do not end (no BrtEndSheetData)")
            break
        if sheet.skip >= len(chunk):
            sheet.skip -= len(chunk)
            continue
        data = rest + chunk[sheet.skip :] if rest else chunk[sheet.skip :]
        sheet.skip = 0
        at = _read(sheet, data, len(data) - _LOOKED_AT)
        if at > len(data):
            sheet.skip, rest = at - len(data), b""
        else:
            rest = data[at:]
    return sheet


def _read(sheet: _Sheet, data: bytes, limit: int) -> int:
    """Reads the records of ``data`` that start before ``limit`` into ``sheet``; where the next
    record starts (past ``data`` when the last one's body goes on in the next chunk)."""
    at = 0
    if not sheet.started:
        at = _to_sheet_data(sheet, data, limit)
    # One pass of this loop a record. Most are value cells with a one-byte type and size:
    # they take the first branch, which reads only their column.
    u32 = _U32
    row, hidden = sheet.row, sheet.hidden
    hidden_rows, errors = sheet.hidden_rows, sheet.errors
    first_row, last_row = sheet.first_row, sheet.last_row
    first_column, last_column = sheet.first_column, sheet.last_column
    row_used = False  # the current row holds a cell python-calamine keeps
    while at < limit:
        kind = data[at]
        size = data[at + 1]
        if (kind | size) < 0x80:
            at += 2
            if _CELL_BLANK < kind <= _CELL_LAST_VALUE and size > _ERROR_CODE:
                (column,) = u32(data, at)
                if column > last_column:
                    last_column = column
                if column < first_column:
                    first_column = column
                row_used = True
                if hidden:
                    hidden_rows.add(row)
                if kind == _CELL_ERROR and (text := ERROR_TEXTS.get(data[at + _ERROR_CODE])):
                    errors.setdefault(row, {})[column] = text
                at += size
                continue
        else:
            kind, at = _varint(data, at, 2)
            size, at = _varint(data, at, 4)
        if kind == _ROW_HEADER:
            if size < _ROW_FLAGS + 1:
                raise _Damaged(f"a row header of {size} bytes")
            if row_used:
                first_row, last_row = min(first_row, row), max(last_row, row)
                row_used = False
            (row,) = u32(data, at)
            if row > _LAST_ROW:
                sheet.ended = True
                break
            hidden = bool(data[at + _ROW_FLAGS] & _HIDDEN)
        elif _CELL_BLANK < kind <= _FORMULA_ERROR:
            if size < _ERROR_CODE + 1:
                raise _Damaged(f"a cell of {size} bytes")
            if hidden:
                hidden_rows.add(row)
            (column,) = u32(data, at)
            if kind <= _CELL_LAST_VALUE:
                last_column, first_column = max(last_column, column), min(first_column, column)
                row_used = True
            if kind in (_CELL_ERROR, _FORMULA_ERROR) and (
                text := ERROR_TEXTS.get(data[at + _ERROR_CODE])
            ):
                errors.setdefault(row, {})[column] = text
        elif kind == _END_SHEET_DATA:
            sheet.ended = True
            at += size
            break
        at += size
    if row_used:
        first_row, last_row = min(first_row, row), max(last_row, row)
    sheet.row, sheet.hidden = row, hidden
    sheet.first_row, sheet.last_row = first_row, last_row
    sheet.first_column, sheet.last_column = first_column, last_column
    return at


def _to_sheet_data(sheet: _Sheet, data: bytes, limit: int) -> int:
    """Skips the records before BrtBeginSheetData (the sheet's properties, views, columns);
    where the next record starts."""
    at = 0
    while at < limit:
        kind, at = _varint(data, at, 2)
        size, at = _varint(data, at, 4)
        at += size
        if kind == _BEGIN_SHEET_DATA:
            sheet.started = True
            break
    return at
