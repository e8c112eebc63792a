"""Excel binary workbooks (.xlsb) get the care .xlsx gets: error cells are read as their error
and refused, hidden rows holding cells are named in a note, and a sheet whose grid would fill
the memory is refused before python-calamine opens the file.

No maintained library writes .xlsb and LibreOffice cannot save it, so the files here are built
by :func:`xlsb`, a writer of the few records a sheet needs, each laid out byte for byte as
MS-XLSB describes it (a record type and a size of seven bits a byte, then the body). The writer
is checked first: python-calamine reads its files with the values written. The file Excel
itself saved (tests/data/excel-types.xlsb) is read too."""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
import python_calamine
from python_calamine import CalamineWorkbook

from batch_uploader.errors import InputError
from batch_uploader.files import xlsb_marks
from batch_uploader.files.reader import read_tables
from batch_uploader.files.sheet_marks import ERROR_TEXTS, SheetMarks
from batch_uploader.jobs.report import ExitStatus

from .test_hidden import dry_run

EXCEL_XLSB = Path(__file__).parent / "data" / "excel-types.xlsb"
HEADER = ["Pedido", "NF", "Rastreio", "Transportadora", "Data de envio"]


@dataclass(frozen=True)
class Error:
    """A cell holding an error value: a plain one (BrtCellError) or a formula's result
    (BrtFmlaError, =NA() and the like), as Excel stores a failed lookup."""

    code: int = 0x2A  # #N/A
    formula: bool = False


Cell = str | float | Error | None


def record(kind: int, body: bytes = b"") -> bytes:
    """A record: its type (one or two bytes) and size (one to four), seven bits a byte with the
    high bit saying another follows, then its body (MS-XLSB 2.1.4)."""
    head = bytearray()
    for value, most in ((kind, 2), (len(body), 4)):
        for index in range(most):
            byte = value & 0x7F
            value >>= 7
            if value and index < most - 1:
                head.append(byte | 0x80)
            else:
                head.append(byte)
                break
    return bytes(head) + body


def wide(text: str) -> bytes:
    """An XLWideString: a count of UTF-16 characters, then the characters."""
    data = text.encode("utf-16-le")
    return struct.pack("<I", len(data) // 2) + data


def cell(column: int, value: Cell, strings: dict[str, int], inline: bool, style: int = 0) -> bytes:
    """One cell record: its column, its style (iStyleRef 24 bits and a byte of flags), then
    its value."""
    head = struct.pack("<II", column, style)
    if isinstance(value, Error):
        if value.formula:
            # The error byte, grbitFlags (2 bytes), then the formula: cce, rgce (PtgFunc of
            # NA, 0x21 0x000A) and cb (no extra data).
            formula = struct.pack("<I", 3) + b"\x21\x0a\x00" + struct.pack("<I", 0)
            return record(0x0B, head + bytes([value.code]) + b"\x00\x00" + formula)
        return record(0x03, head + bytes([value.code]))  # BrtCellError
    if isinstance(value, float):
        return record(0x05, head + struct.pack("<d", value))  # BrtCellReal
    if value is None:
        return record(0x01, head)  # BrtCellBlank: a formatted empty cell
    if inline:
        return record(0x06, head + wide(value))  # BrtCellSt
    return record(0x07, head + struct.pack("<I", strings.setdefault(value, len(strings))))


def sheet_part(
    rows: Sequence[tuple[int, Sequence[Cell]]],
    hidden: frozenset[int],
    strings: dict[str, int],
    *,
    inline: bool,
    first_column: int = 0,
    dimension: tuple[int, int, int, int] | None = None,
) -> bytes:
    """A worksheet part: BrtBeginSheet, BrtWsDim (the used range, as declared), then the rows
    (BrtRowHdr, whose byte 11 holds fDyZero, 0x10, for a hidden row) with their cells between
    BrtBeginSheetData and BrtEndSheetData."""
    last_row = max((number for number, _ in rows), default=1) - 1
    last_column = first_column + max((len(cells) for _, cells in rows), default=1) - 1
    declared = dimension or (0, last_row, first_column, last_column)
    parts = [record(0x81), record(0x94, struct.pack("<4I", *declared)), record(0x91)]
    for number, cells in rows:
        flags = 0x30 if number in hidden else 0  # fDyZero and fUnsynced, as Excel sets them
        span = struct.pack("<III", 1, first_column, first_column + max(len(cells) - 1, 0))
        header = struct.pack("<IIHBBB", number - 1, 0, 300, 0, flags, 0) + span
        parts.append(record(0x00, header))
        parts.extend(
            cell(first_column + index, value, strings, inline) for index, value in enumerate(cells)
        )
    parts += [record(0x92), record(0x82)]
    return b"".join(parts)


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="bin" '
    'ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    "{overrides}</Types>"
)
RELATIONSHIP = '<Relationship Id="{id}" Type="{kind}" Target="{target}"/>'
RELATIONSHIPS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{items}</Relationships>"
)
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"


@dataclass(frozen=True)
class Sheet:
    """A sheet's rows as (1-based number, cells), the numbers of the hidden ones, the column
    its cells start in, and the used range its BrtWsDim declares (0-based rows and columns,
    first to last; the cells' own when ``None``)."""

    name: str
    rows: Sequence[tuple[int, Sequence[Cell]]]
    hidden_rows: frozenset[int] = frozenset()
    first_column: int = 0
    dimension: tuple[int, int, int, int] | None = None


def numbered(rows: Sequence[Sequence[Cell]]) -> list[tuple[int, Sequence[Cell]]]:
    """Rows numbered from 1."""
    return list(enumerate(rows, 1))


def xlsb(path: Path, sheets: Sequence[Sheet], *, inline: bool = False) -> Path:
    """An .xlsb workbook of ``sheets``: text in a shared-strings part (BrtSSTItem), or
    ``inline`` in its cells (BrtCellSt), as Excel writes either."""
    strings: dict[str, int] = {}
    parts: dict[str, bytes] = {}
    bundles = []
    overrides = []
    relations = []
    for index, sheet in enumerate(sheets, 1):
        part = f"worksheets/sheet{index}.bin"
        parts[f"xl/{part}"] = sheet_part(
            sheet.rows,
            sheet.hidden_rows,
            strings,
            inline=inline,
            first_column=sheet.first_column,
            dimension=sheet.dimension,
        )
        # BrtBundleSh: hsState (visible), iTabID, strRelID, strName.
        bundles.append(record(0x9C, struct.pack("<II", 0, index) + wide(f"rId{index}")
                              + wide(sheet.name)))  # fmt: skip
        overrides.append(
            f'<Override PartName="/xl/{part}" ContentType="application/vnd.ms-excel.worksheet"/>'
        )
        relations.append(RELATIONSHIP.format(id=f"rId{index}", kind=OFFICE + "worksheet",
                                             target=part))  # fmt: skip
    parts["xl/workbook.bin"] = b"".join(
        [record(0x83), record(0x8F), *bundles, record(0x90), record(0x84)]
    )
    if strings:
        items = [record(0x13, b"\x00" + wide(text)) for text in strings]  # BrtSSTItem
        count = struct.pack("<II", len(items), len(items))
        parts["xl/sharedStrings.bin"] = b"".join([record(0x9F, count), *items, record(0xA0)])
        overrides.append(
            '<Override PartName="/xl/sharedStrings.bin" '
            'ContentType="application/vnd.ms-excel.sharedStrings"/>'
        )
        relations.append(RELATIONSHIP.format(id="rIdStrings", kind=OFFICE + "sharedStrings",
                                             target="sharedStrings.bin"))  # fmt: skip
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(overrides="".join(overrides)))
        archive.writestr("_rels/.rels", RELATIONSHIPS.format(items=RELATIONSHIP.format(
            id="rId1", kind=OFFICE + "officeDocument", target="xl/workbook.bin")))  # fmt: skip
        archive.writestr("xl/_rels/workbook.bin.rels",
                         RELATIONSHIPS.format(items="".join(relations)))  # fmt: skip
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


ROWS: list[Sequence[Cell]] = [
    HEADER,
    ["1-01", "000001", "LGI1", Error(), "2026-11-24"],
    ["2-01", "000002", "LGI2", "Loggi", Error(0x17, formula=True)],  # #REF!
    ["3-01", "000003", "LGI3", "Loggi", "2026-11-24"],
]


def calamine_rows(path: Path, sheet: str = "Envios") -> list[list[object]]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).iter_rows()
    return [list(row) for row in rows]


@pytest.mark.parametrize("inline", [False, True])
def test_the_writer_makes_files_python_calamine_reads(tmp_path: Path, inline: bool) -> None:
    path = xlsb(
        tmp_path / "loggi.xlsb",
        [
            Sheet("Envios", numbered([["orderId", 12.5, None], ["1-01", "x", "y"]])),
            Sheet("Outra", numbered([["z"]])),
        ],
        inline=inline,
    )

    book = CalamineWorkbook.from_path(str(path))

    assert book.sheet_names == ["Envios", "Outra"]
    assert calamine_rows(path) == [["orderId", 12.5, ""], ["1-01", "x", "y"]]
    assert calamine_rows(path, "Outra") == [["z"]]


def test_python_calamine_reads_error_cells_as_empty_and_skips_hidden_rows_silently(
    tmp_path: Path,
) -> None:
    # What this module makes up for: a plain error reads as an empty cell, a formula's error
    # is no cell at all, and nothing says a row is hidden.
    path = xlsb(tmp_path / "loggi.xlsb", [Sheet("Envios", numbered(ROWS), frozenset({3}))])

    rows = calamine_rows(path)

    assert rows[1][3] == ""
    assert rows[2] == ["2-01", "000002", "LGI2", "Loggi", ""]
    assert len(rows) == 4


def test_error_cells_are_read_as_their_error(tmp_path: Path) -> None:
    (table,) = read_tables(xlsb(tmp_path / "loggi.xlsb", [Sheet("Envios", numbered(ROWS))]))

    rows = {raw.number: raw.cells for raw in table.rows()}

    assert rows[2][3] == "#N/A"
    assert rows[3][4] == "#REF!"
    assert rows[4][3:] == ["Loggi", "2026-11-24"]


def test_every_error_code_reads_as_excel_shows_it(tmp_path: Path) -> None:
    codes = list(ERROR_TEXTS)
    rows: list[Sequence[Cell]] = [["orderId", "a", "b"]]
    rows += [[f"{n}-01", Error(code), Error(code, formula=True)] for n, code in enumerate(codes)]
    (table,) = read_tables(xlsb(tmp_path / "all.xlsb", [Sheet("Envios", numbered(rows))]))

    found = [raw.cells[1:] for raw in table.rows()][1:]

    assert found == [[text, text] for text in ERROR_TEXTS.values()]
    assert "#GETTING_DATA" in ERROR_TEXTS.values()


def test_errors_are_placed_in_a_table_that_starts_right_of_column_a(tmp_path: Path) -> None:
    # The table starts in column C; an error in column A, left of it, is no cell of it.
    rows: list[tuple[int, Sequence[Cell]]] = [(1, ["orderId", "courier"]), (2, ["1-01", Error()])]
    path = xlsb(tmp_path / "right.xlsb", [Sheet("Envios", rows, first_column=2)])
    (table,) = read_tables(path)

    assert table.first_column == 2
    assert [raw.cells for raw in table.rows()] == [["orderId", "courier"], ["1-01", "#N/A"]]


def test_a_row_with_an_error_is_refused_through_the_command_line(tmp_path: Path) -> None:
    outcome, _, lines = dry_run(xlsb(tmp_path / "loggi.xlsb", [Sheet("Envios", numbered(ROWS))]))

    assert outcome.exit_code == ExitStatus.ROWS_NOT_SENT, outcome.output
    by_order = {line["orderId"]: line for line in lines}
    assert (by_order["1-01"]["status"], by_order["1-01"]["errorCode"]) == (
        "invalid",
        "spreadsheet-error",
    )
    assert "column D 'Transportadora'" in by_order["1-01"]["errorMessage"]
    assert by_order["2-01"]["errorCode"] == "spreadsheet-error"
    assert "column E 'Data de envio'" in by_order["2-01"]["errorMessage"]
    assert by_order["3-01"]["status"] == "valid"


def test_hidden_rows_with_cells_are_named_in_a_note(tmp_path: Path) -> None:
    rows: list[list[Cell]] = [["Envios de hoje"], [], ["orderId", "invoiceNumber",
                              "trackingNumber"]]  # fmt: skip
    rows += [[f"{n}-01", f"{n:06d}", f"RA{n:09d}BR"] for n in range(1, 5)]
    rows += [[None, None]]  # a hidden row of formatted blanks: nothing sends it
    hidden = frozenset({1, 2, 5, 7, 8})
    source = xlsb(tmp_path / "loggi.xlsb", [Sheet("Envios", numbered(rows), hidden)])
    note = (
        f"rows 5 and 7 of {source} sheet 'Envios' are hidden (a filter, or by hand): they are "
        "read and sent like the others; to send only the rows shown, delete the hidden ones"
    )

    (table,) = read_tables(source)
    outcome, summary, lines = dry_run(source)

    assert table.hidden_rows == {1, 5, 7}
    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert len(lines) == 4
    assert f"Note: {note}" in outcome.output
    assert summary["notes"] == [note]


def far_workbook(tmp_path: Path) -> Path:
    """A cell in A1 and one in XFD1048576: a few hundred bytes asking for 17 billion cells."""
    path = xlsb(tmp_path / "near.xlsb", [Sheet("Envios", [(1, ["orderId"]), (1_048_576, [1.0])])])
    with zipfile.ZipFile(path) as archive:
        part = archive.read("xl/worksheets/sheet1.bin")
    near, far = cell(0, 1.0, {}, inline=False), cell(16_383, 1.0, {}, inline=False)
    assert part.count(near) == 1
    return replace_part(path, "xl/worksheets/sheet1.bin", part.replace(near, far),
                        tmp_path / "far.xlsb")  # fmt: skip


def test_a_sheet_whose_grid_would_fill_the_memory_is_refused_before_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = far_workbook(tmp_path)
    opened: list[str] = []
    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", opened.append)

    with pytest.raises(InputError) as caught:
        read_tables(path)

    assert str(caught.value).startswith(
        f"{path}: sheet 'Envios' spans 1,048,576 rows by 16,384 columns, 549,756 MB in memory "
        "(limit 200 MB a sheet, 800 MB in all); set BATCH_UPLOADER_MAX_WORKBOOK_MB"
    )
    assert opened == []


def test_the_grid_is_measured_from_the_cells_not_the_declared_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_UPLOADER_MAX_WORKBOOK_MB", "1")
    # Declared as one cell, its cells span 40,000 rows by 2 columns: 2.6 MB, over 1 MB.
    rows: list[tuple[int, Sequence[Cell]]] = [(1, ["orderId", "x"]), (40_000, ["1-01"])]
    path = xlsb(tmp_path / "lying.xlsb",
                [Sheet("Envios", rows, dimension=(0, 0, 0, 0))])  # fmt: skip

    with pytest.raises(InputError, match=r"sheet 'Envios' spans 40,000 rows by 2 columns, 2\.6 MB"):
        read_tables(path)

    # A range declared far larger than its cells is what python-calamine ignores too.
    honest = xlsb(tmp_path / "wide.xlsb", [Sheet("Envios", numbered([["orderId"], ["1-01"]]),
                                                 dimension=(0, 1_048_575, 0, 16_383))])  # fmt: skip
    assert [raw.cells for raw in read_tables(honest)[0].rows()] == [["orderId"], ["1-01"]]


def replace_part(path: Path, name: str, data: bytes, target: Path | None = None) -> Path:
    """A copy of the workbook at ``path`` (to ``target``) whose part ``name`` holds ``data``."""
    target = target or path.with_name(f"changed-{path.name}")
    with zipfile.ZipFile(path) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            new.writestr(item.filename, data if item.filename == name else old.read(item))
    return target


@pytest.mark.parametrize(
    "cut", [1, 2, 30, -4, -8], ids=["first-byte", "second-byte", "a-row", "end-of-data", "cell"]
)
def test_a_damaged_sheet_part_is_refused_naming_the_file(tmp_path: Path, cut: int) -> None:
    path = xlsb(tmp_path / "loggi.xlsb", [Sheet("Envios", numbered(ROWS))])
    with zipfile.ZipFile(path) as archive:
        part = archive.read("xl/worksheets/sheet1.bin")
    damaged = replace_part(path, "xl/worksheets/sheet1.bin", part[:cut])

    with pytest.raises(InputError, match=r"xl/worksheets/sheet1\.bin cannot be read") as caught:
        read_tables(damaged)

    assert str(caught.value).startswith(f"{damaged}: its part")
    assert "the file is damaged" in str(caught.value)


def test_a_record_larger_than_a_chunk_is_skipped_not_held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A long text (BrtCellSt of 100,000 characters) spans chunks of a few bytes.
    monkeypatch.setattr(xlsb_marks, "_CHUNK_BYTES", 7)
    rows: list[list[Cell]] = [["orderId", "note"], ["1-01", "x" * 100_000], ["2-01", Error()]]
    path = xlsb(
        tmp_path / "long.xlsb", [Sheet("Envios", numbered(rows), frozenset({3}))], inline=True
    )

    assert xlsb_marks.sheet_marks(path) == {"Envios": SheetMarks(frozenset({3}), {3: {1: "#N/A"}})}


def test_excel_own_xlsb_has_no_marks_and_reads_as_before() -> None:
    assert xlsb_marks.sheet_marks(EXCEL_XLSB) == {}
    tables = read_tables(EXCEL_XLSB)
    assert [(table.source.sheet, table.hidden_rows) for table in tables] == [
        ("Sheet1", frozenset()),
        ("Sheet3", frozenset()),
    ]


# Excel's Sheet1 row 1: a row header and three formatted blank cells (D1 to F1).
EXCEL_ROW_HEADER = bytes.fromhex("00000000000000000801000000010000000000000009000000")
EXCEL_ROW_1 = record(0x00, EXCEL_ROW_HEADER) + b"".join(
    record(0x01, struct.pack("<II", column, style)) for column, style in ((3, 1), (4, 1), (5, 2))
)
# The style Excel's file gives its date cells (2010-10-10 in F2).
EXCEL_DATE_STYLE = 4
DISPATCHED = 46350.0  # 2026-11-24, in days from 1899-12-30


def excel_copy(path: Path) -> Path:
    """Excel's own workbook (its styles, shared strings and sheets kept) with a header in its
    Sheet1's row 1, where Excel left formatted blanks, and three orders under its row 2: the
    second's courier a #N/A, the third's row hidden."""
    with zipfile.ZipFile(EXCEL_XLSB) as archive:
        part = archive.read("xl/worksheets/sheet1.bin")
    assert part.count(EXCEL_ROW_1) == 1
    header = b"".join(cell(column, text, {}, inline=True) for column, text in enumerate(HEADER))
    orders = []
    couriers: list[tuple[str, Cell]] = [("1-01", "Loggi"), ("2-01", Error()), ("3-01", "Loggi")]
    for row, (order, courier) in enumerate(couriers, 3):
        flags = 0x30 if order == "3-01" else 0
        orders.append(record(0x00, struct.pack("<IIHBBBI", row - 1, 0, 300, 0, flags, 0, 0)))
        values: list[Cell] = [order, f"00000{row}", f"LGI{row}", courier]
        orders += [cell(column, value, {}, inline=True) for column, value in enumerate(values)]
        orders.append(cell(4, DISPATCHED, {}, inline=True, style=EXCEL_DATE_STYLE))
    part = part.replace(EXCEL_ROW_1, record(0x00, EXCEL_ROW_HEADER) + header)
    part = part.replace(record(0x92), b"".join(orders) + record(0x92))
    return replace_part(EXCEL_XLSB, "xl/worksheets/sheet1.bin", part, path)


def test_a_dry_run_of_excel_own_xlsb(tmp_path: Path) -> None:
    source = excel_copy(tmp_path / "envios.xlsb")

    outcome, summary, lines = dry_run(source, "--sheet", "Sheet1")

    assert outcome.exit_code == ExitStatus.ROWS_NOT_SENT, outcome.output
    said = " ".join(outcome.output.split())
    assert f"{source} [Sheet1]: XLSB" in said
    assert "header on row 1; 4 data rows" in said
    assert (
        f"row 5 of {source} sheet 'Sheet1' is hidden (a filter, or by hand): it is read and "
        "sent like the others; to send only the rows shown, delete it"
    ) in said
    assert [
        (line["row"], line["status"], line["errorCode"], line["orderId"], line["invoiceNumber"],
         line["trackingNumber"], line["courier"], line["dispatchedDate"])
        for line in lines
    ] == [
        # Excel's own row: its number 1.1 is no tracking number, its FALSE no date.
        ("2", "invalid", "wrong-cell-type;invalid-date", "String", "1", "1.1", "TRUE", "FALSE"),
        ("3", "valid", "", "1-01", "000003", "LGI3", "Loggi", "2026-11-24"),
        ("4", "invalid", "spreadsheet-error", "2-01", "000004", "LGI4", "#N/A", "2026-11-24"),
        ("5", "valid", "", "3-01", "000005", "LGI5", "Loggi", "2026-11-24"),
    ]  # fmt: skip
    assert "[Sheet1] row 3: PATCH /api/oms/pvt/orders/1-01/invoice/000003" in said
    assert "[Sheet1] row 5: PATCH /api/oms/pvt/orders/3-01/invoice/000005" in said
    assert len(summary["notes"]) == 1  # type: ignore[arg-type]


def test_python_calamine_would_fill_the_memory_with_a_far_cell(tmp_path: Path) -> None:
    """What the refusal spares: the file of the test above, opened by python-calamine alone in
    a process limited to 2 GB of memory, dies (or fails) asking for hundreds of gigabytes."""
    path = far_workbook(tmp_path)
    script = textwrap.dedent(
        f"""
        import python_calamine
from python_calamine import CalamineWorkbook
        sheet = CalamineWorkbook.from_path({str(path)!r}).get_sheet_by_name("Envios")
        print("read", sheet.height, sheet.width)
        """
    )
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        pytest.skip("prlimit is not installed")

    done = subprocess.run(
        [prlimit, "--as=2000000000", sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode != 0, done.stdout
    assert "read" not in done.stdout
