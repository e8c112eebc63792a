"""The marks (see :mod:`~batch_uploader.files.sheet_marks`) of an Excel 97-2003 workbook (.xls):
its error cells and hidden rows, read from the records of its Workbook stream (BIFF8).

The file is an OLE compound file, opened with olefile; its Workbook stream is a run of
records (2 bytes of type, 2 of length, the body). The globals come first, and name each sheet
with the stream offset of its records (BOUNDSHEET). Only the few records that say something
here are looked at, and only their first bytes, so a record continued in CONTINUE records
(which are skipped like any other) needs no joining. xlrd reads the same, but builds every
cell of the workbook as a Python object, where this scan builds nothing.
"""

from __future__ import annotations

import struct
from pathlib import Path

import olefile

from ..errors import InputError
from .sheet_marks import ERROR_TEXTS, SheetMarks

_BOF = 0x0809
_EOF = 0x000A
_BOUNDSHEET = 0x0085
_FILEPASS = 0x002F
_ROW = 0x0208
_BOOLERR = 0x0205
_FORMULA = 0x0006
_BIFF8 = 0x0600
_GLOBALS = 0x0005
_WORKSHEET = 0x0000  # the sheet type a BOUNDSHEET gives a worksheet
# ROW's option flags (at offset 12 of its body): the row's height is zero, i.e. it is hidden.
_HIDDEN = 0x20
# The records that put a value in a cell (LABELSST, LABEL, RSTRING, RK, MULRK, NUMBER,
# BOOLERR, FORMULA): a hidden row holding one of them is sent. BLANK and MULBLANK only format
# a cell: a row of them is blank, and nothing sends it.
_VALUES = frozenset({0x00FD, 0x0204, 0x00D6, 0x027E, 0x00BD, 0x0203, _BOOLERR, _FORMULA})
# The records looked at closer in a sheet: its substreams' bounds, rows, and cells that may
# hold an error.
_LOOKED_AT = frozenset({_BOF, _EOF, _ROW, _BOOLERR, _FORMULA})
_HEADER = struct.Struct("<HH")
_TWO = struct.Struct("<HH")  # a cell's row and column, or a BOF's version and type
_SHORT = struct.Struct("<H")


class _Damaged(Exception):
    """The stream's records are not as BIFF8 writes them."""


def sheet_marks(path: Path) -> dict[str, SheetMarks]:
    """The error cells and hidden rows (with cells) of each worksheet of the .xls at ``path``,
    by sheet name; a sheet without any has no entry. Raises :class:`InputError` naming the file
    when it is damaged."""
    try:
        data = _workbook_stream(path)
        return {} if data is None else _workbook_marks(memoryview(data))
    except struct.error:
        reason = "a record cut short at the end of its Workbook stream"
    except _Damaged as error:
        reason = str(error)
    except (OSError, ValueError, IndexError, OverflowError, EOFError) as error:
        reason = str(error) or type(error).__name__  # olefile's, of the compound file
    raise InputError(
        f"{path}: cannot be opened as a workbook (damaged: {reason}); open it in its "
        "spreadsheet program and save it again"
    )


def _workbook_stream(path: Path) -> bytes | None:
    """The bytes of the file's Workbook stream; ``None`` when it has none to read marks from."""
    if not olefile.isOleFile(str(path)):
        # An HTML or text table named .xls, as some portals export: python-calamine refuses
        # it, in its own words.
        return None
    with olefile.OleFileIO(str(path)) as ole:
        if not ole.exists("Workbook"):
            # A BIFF5 file (Excel 5 to 95) keeps other records in a "Book" stream: its marks
            # are not read, rather than refuse a file python-calamine reads.
            return None
        if ole.get_type("Workbook") != olefile.STGTY_STREAM:
            raise _Damaged("its Workbook is a folder, not a stream")
        # olefile reads as many sectors as the stream declares, following the chain even
        # round a loop: a crafted size would fill the memory.
        if ole.get_size("Workbook") > path.stat().st_size:
            raise _Damaged("its Workbook stream is said to be larger than the file")
        data: bytes = ole.openstream("Workbook").read()
        return data


def _workbook_marks(data: memoryview) -> dict[str, SheetMarks]:
    """The marks of each worksheet the globals substream at the start of ``data`` names."""
    kind, length = _HEADER.unpack_from(data, 0)
    if kind != _BOF or length < 4:
        raise _Damaged("no BOF record first")
    version, substream = _TWO.unpack_from(data, 4)
    if version != _BIFF8 or substream != _GLOBALS:
        return {}  # another BIFF than 8 in a Workbook stream: no marks, as for BIFF5
    sheets: list[tuple[int, str]] = []
    at = 4 + length
    while True:
        kind, length = _HEADER.unpack_from(data, at)
        body = at + 4
        at = body + length
        if at > len(data):
            raise _Damaged(f"record {kind:#06x} runs past the end of the stream")
        if kind == _EOF:
            break
        if kind == _FILEPASS:
            # An encrypted workbook: its sheets' records cannot be read without the password,
            # which python-calamine does not take either: it refuses the file.
            return {}
        if kind == _BOUNDSHEET and length >= 8 and data[body + 5] == _WORKSHEET:
            offset = int.from_bytes(data[body : body + 4], "little")
            sheets.append((offset, _short_string(data[body + 6 : at])))
    found: dict[str, SheetMarks] = {}
    for offset, name in sheets:
        marks = _sheet_marks(data, offset)
        if marks.hidden_rows or marks.errors:
            found[name] = marks
    return found


def _short_string(data: memoryview) -> str:
    """A BIFF8 short unicode string: its count of characters, a flag byte saying whether they
    take two bytes (UTF-16LE) or one (Latin-1), then the characters."""
    if len(data) < 2:
        raise _Damaged("a sheet without a name")
    count, wide = data[0], data[1] & 0x01
    size = count * 2 if wide else count
    if len(data) < 2 + size:
        raise _Damaged("a sheet's name cut short")
    return bytes(data[2 : 2 + size]).decode("utf-16-le" if wide else "latin-1")


def _sheet_marks(data: memoryview, start: int) -> SheetMarks:
    """The marks of the worksheet whose records start at ``start``: its BOF to its EOF, less the
    substreams within it (a chart embedded in the sheet has its own BOF and EOF)."""
    if start + 4 > len(data) or _HEADER.unpack_from(data, start)[0] != _BOF:
        raise _Damaged(f"a sheet named at offset {start} does not start there")
    errors: dict[int, dict[int, str]] = {}
    hidden: set[int] = set()  # hidden rows; ROW records come before their cells
    told: set[int] = set()  # hidden rows seen holding a value
    depth = 0
    at = start
    end = len(data)
    unpack = _HEADER.unpack_from
    looked_at = _LOOKED_AT
    # Most records are cells without an error: each costs a header's unpacking and one look in
    # a set. Records running to the stream's very end without the sheet's EOF are read as
    # python-calamine reads them: the sheet ends there.
    while at < end:
        kind, length = unpack(data, at)
        body = at + 4
        at = body + length
        if kind in looked_at:
            if kind == _BOF:
                depth += 1
            elif kind == _EOF:
                depth -= 1
                if depth == 0:
                    break
            elif depth > 1:
                continue  # a chart's records
            elif at > end:
                break  # told below
            elif kind == _ROW:
                if length >= 14 and data[body + 12] & _HIDDEN:
                    hidden.add(_SHORT.unpack_from(data, body)[0] + 1)
            elif (error := _error(data, kind, body, length)) is not None:
                row, column = _TWO.unpack_from(data, body)
                errors.setdefault(row + 1, {})[column] = error
        if hidden and kind in _VALUES and depth == 1:
            number = _SHORT.unpack_from(data, body)[0] + 1
            if number in hidden:
                told.add(number)
    if at > end:
        raise _Damaged("its last record runs past the end of its Workbook stream")
    return SheetMarks(frozenset(told), errors)


def _error(data: memoryview, kind: int, body: int, length: int) -> str | None:
    """The text of the error a BOOLERR or FORMULA record at ``body`` holds, or ``None``."""
    # BOOLERR: the value's byte, then fError (1 for an error, 0 for a boolean).
    if kind == _BOOLERR and length >= 8 and data[body + 7] == 1:
        return _error_text(data[body + 6])
    # FORMULA: the cached result (8 bytes after row, column and format) is a number, unless
    # its last two bytes are 0xFFFF; then its first byte says what it is (2: an error, whose
    # code is its third byte).
    if (
        kind == _FORMULA
        and length >= 14
        and data[body + 6] == 2
        and data[body + 12] == data[body + 13] == 0xFF
    ):
        return _error_text(data[body + 8])
    return None


def _error_text(code: int) -> str:
    text = ERROR_TEXTS.get(code)
    if text is None:
        # No program writes another code (python-calamine refuses such a file too).
        raise _Damaged(f"an error cell of unknown code {code:#04x}")
    return text
