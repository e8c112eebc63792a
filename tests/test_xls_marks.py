"""Excel 97-2003 workbooks (.xls) get the care .xlsx gets: a cell holding an error value
(#N/A from a failed lookup) is read as its error, not as an empty cell, so its row is refused
rather than sent without it; rows hidden by a filter or by hand are named in a note.

The files are written as programs write them: with xlwt (errors as BOOLERR records, as Excel
stores a typed error) and by LibreOffice (errors as formulas with an error result, see
``libreoffice_xls``); a few records are written by hand where no program writes them."""

from __future__ import annotations

import csv
import json
import struct
from collections.abc import Iterable, Sequence
from pathlib import Path

import openpyxl
import pytest
import xlwt
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_uploader.errors import InputError
from batch_uploader.files import xls_marks
from batch_uploader.files.reader import open_tables, read_tables
from batch_uploader.files.sheet_marks import ERROR_TEXTS, SheetMarks
from batch_uploader.jobs.report import ExitStatus

from .conftest import invoke

HEADER = ["Pedido", "NF", "Rastreio", "Transportadora", "Data de envio"]
# Written by tests/data/make_libreoffice_xls.py: see libreoffice_xls.
LIBREOFFICE_XLS = Path(__file__).parent / "data" / "libreoffice-errors-hidden.xls"
NA, REF = 0x2A, 0x17


def xls(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    errors: Iterable[tuple[int, int, int]] = (),
    hidden: Iterable[int] = (),
    sheet: str = "Envios",
    first_column: int = 0,
) -> Path:
    """An .xls of one sheet: ``rows`` from row 1 (``None`` for no cell), ``errors`` as (row,
    column, code) with 1-based rows, ``hidden`` the 1-based numbers of hidden rows."""
    book = xlwt.Workbook()
    worksheet = book.add_sheet(sheet)
    for index, cells in enumerate(rows):
        for column, value in enumerate(cells):
            if value is not None:
                worksheet.write(index, first_column + column, value)
    for number, column, code in errors:
        worksheet.row(number - 1).set_cell_error(first_column + column, code)
    for number in hidden:
        worksheet.row(number - 1).hidden = True
    book.save(str(path))
    return path


def cells(path: Path) -> dict[int, list[str]]:
    (table,) = read_tables(path)
    return {row.number: row.cells for row in table.rows()}


def dry_run(source: Path) -> tuple[Result, list[str], dict[str, dict[str, str]]]:
    """The run's outcome, its notes and its results lines by orderId."""
    results = source.with_name(f"{source.stem}-results.csv")
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results))
    summary = results.with_name(f"{results.stem}.summary.json")
    notes = json.loads(summary.read_text(encoding="utf-8"))["notes"] if summary.exists() else []
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = {line["orderId"]: line for line in csv.DictReader(handle)}
    return outcome, notes, lines


def test_error_cells_are_read_as_the_error_excel_shows(tmp_path: Path) -> None:
    codes = list(ERROR_TEXTS)[:-1]  # all but #GETTING_DATA, which xlwt does not write
    path = xls(
        tmp_path / "loggi.xls",
        [["a", "b", "c", "d", "e", "f", "g", "TRUE?"], [None] * 7 + [True]],
        errors=[(2, column, code) for column, code in enumerate(codes)],
    )

    assert cells(path)[2] == [
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "TRUE",
    ]  # fmt: skip


def test_an_error_cell_is_put_in_its_column_when_the_table_starts_further_right(
    tmp_path: Path,
) -> None:
    path = xls(tmp_path / "loggi.xls", [HEADER, ["1-01", "000001", "LGI1", None, "2026-11-24"]],
               errors=[(2, 3, NA)], first_column=2)  # fmt: skip

    (table,) = read_tables(path)

    assert table.first_column == 2
    assert [row.cells for row in table.rows()][1] == ["1-01", "000001", "LGI1", "#N/A",
                                                      "2026-11-24"]  # fmt: skip


def test_getting_data_is_read_and_an_unknown_error_code_refuses_the_file(tmp_path: Path) -> None:
    # xlwt writes none of these: its #N/A's byte is changed in place (a BOOLERR record: row,
    # column, format, the code, then 1 for an error).
    path = xls(tmp_path / "loggi.xls", [["Transportadora"], [None, "x"]], errors=[(2, 0, NA)])
    data = path.read_bytes()
    record = struct.pack("<HHHH", 0x0205, 8, 1, 0)
    assert data.count(record) == 1
    at = data.index(record) + 10
    assert data[at : at + 2] == bytes([NA, 1])

    path.write_bytes(data[:at] + b"\x2b" + data[at + 1 :])
    assert cells(path)[2] == ["#GETTING_DATA", "x"]

    path.write_bytes(data[:at] + b"\x30" + data[at + 1 :])
    with pytest.raises(InputError, match=r"loggi\.xls: cannot be opened as a workbook \(damaged: "
                       r"an error cell of unknown code 0x30\)"):  # fmt: skip
        read_tables(path)


def test_hidden_rows_with_cells_are_told_blank_ones_are_not(tmp_path: Path) -> None:
    path = xls(
        tmp_path / "loggi.xls",
        [HEADER, ["1-01"], ["2-01"], [], ["4-01"], [None, None, None, None, None]],
        hidden=[3, 4, 6, 9],
    )
    book = xlwt.Workbook()  # a hidden row holding only formatted empty cells is blank too
    sheet = book.add_sheet("Envios")
    sheet.write(0, 0, "orderId")
    sheet.write(1, 0, "1-01")
    sheet.write_merge(2, 2, 0, 3, "")  # BLANK and MULBLANK records
    sheet.row(2).hidden = True
    sheet.row(1).hidden = True
    book.save(str(tmp_path / "blank.xls"))

    assert read_tables(path)[0].hidden_rows == {3}
    assert read_tables(tmp_path / "blank.xls")[0].hidden_rows == {2}


def test_sheet_names_in_latin_1_and_in_utf_16_are_matched(tmp_path: Path) -> None:
    # xlwt, as Excel, stores a name of Latin-1 letters one byte a letter, others in UTF-16.
    book = xlwt.Workbook()
    for name in ("Março", "Envíos €", "Sem marcas"):
        sheet = book.add_sheet(name)
        sheet.write(0, 0, "Transportadora")
        sheet.write(1, 1, "x")
        if name != "Sem marcas":
            sheet.row(1).set_cell_error(0, REF)
            sheet.row(1).hidden = True
    path = tmp_path / "loggi.xls"
    book.save(str(path))

    assert xls_marks.sheet_marks(path) == {
        "Março": SheetMarks(frozenset({2}), {2: {0: "#REF!"}}),
        "Envíos €": SheetMarks(frozenset({2}), {2: {0: "#REF!"}}),
    }
    assert [next(iter(table.rows())).cells for table in read_tables(path)] == [
        ["Transportadora", ""]
    ] * 3


def libreoffice_xls() -> Path:
    """An .xls saved by LibreOffice Calc 7.4 (``soffice --headless --convert-to xls``) from an
    .xlsx written with openpyxl (tests/data/make_libreoffice_xls.py writes it again). Sheet
    'Envios', header on row 1: row 2 holds #N/A typed in column D, row 3 (hidden) #REF! in
    column E, row 5 =NA() in column D, row 6 =1/0 in column E; row 8 is hidden and blank.
    LibreOffice stores every error as a FORMULA record with an error result."""
    return LIBREOFFICE_XLS


def test_a_libreoffice_xls_keeps_its_errors_and_hidden_rows() -> None:
    tables, notes = open_tables(libreoffice_xls())

    (table,) = tables
    assert notes == []
    assert table.hidden_rows == {3}
    assert [row.cells for row in table.rows()] == [
        HEADER,
        ["1-01", "000001", "LGI1", "#N/A", "2026-11-24"],
        ["2-01", "000002", "LGI2", "Loggi", "#REF!"],
        ["3-01", "000003", "LGI3", "Loggi", "2026-11-24"],
        ["4-01", "000004", "LGI4", "#N/A", "2026-11-24"],
        ["5-01", "000005", "LGI5", "Loggi", "#DIV/0!"],
    ]


@pytest.mark.parametrize("made_by", ["xlwt", "LibreOffice"])
def test_a_dry_run_refuses_the_rows_with_an_error_naming_the_column(
    tmp_path: Path, made_by: str
) -> None:
    if made_by == "xlwt":
        source = xls(
            tmp_path / "loggi.xls",
            [HEADER, ["1-01", "000001", "LGI1", None, "2026-11-24"],
             ["2-01", "000002", "LGI2", "Loggi"], ["3-01", "000003", "LGI3", "Loggi",
                                                  "2026-11-24"]],
            errors=[(2, 3, NA), (3, 4, REF)],
        )  # fmt: skip
    else:
        source = tmp_path / "loggi.xls"
        source.write_bytes(libreoffice_xls().read_bytes())

    outcome, _, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.ROWS_NOT_SENT, outcome.output
    assert (lines["1-01"]["status"], lines["1-01"]["errorCode"]) == ("invalid", "spreadsheet-error")
    assert "column D 'Transportadora'" in lines["1-01"]["errorMessage"]
    assert (lines["2-01"]["status"], lines["2-01"]["errorCode"]) == ("invalid", "spreadsheet-error")
    assert "column E 'Data de envio'" in lines["2-01"]["errorMessage"]
    assert lines["3-01"]["status"] == "valid"
    if made_by == "LibreOffice":
        assert [lines[order]["errorCode"] for order in ("4-01", "5-01")] == [
            "spreadsheet-error"
        ] * 2


def test_the_hidden_rows_note_of_an_xls_is_the_note_of_an_xlsx(tmp_path: Path) -> None:
    rows = [HEADER, *([f"{n}-01", f"{n:06d}", f"LGI{n}"] for n in range(1, 7))]
    hidden = (3, 5, 6)
    xls(tmp_path / "loggi.xls", rows, hidden=hidden)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Envios"
    for row in rows:
        sheet.append(row)
    for number in hidden:
        sheet.row_dimensions[number].hidden = True
    book.save(tmp_path / "loggi.xlsx")

    by_format = {}
    for suffix in ("xls", "xlsx"):
        outcome, notes, lines = dry_run(tmp_path / f"loggi.{suffix}")
        assert outcome.exit_code == ExitStatus.OK, outcome.output
        assert len(lines) == 6
        source = str(tmp_path / f"loggi.{suffix}")
        by_format[suffix] = (outcome.output.replace(source, "FILE"),
                             [note.replace(source, "FILE") for note in notes])  # fmt: skip

    note = (
        "rows 3, 5 and 6 of FILE sheet 'Envios' are hidden (a filter, or by hand): they are "
        "read and sent like the others; to send only the rows shown, delete the hidden ones"
    )
    assert by_format["xls"][1] == by_format["xlsx"][1] == [note]
    assert f"Note: {note}" in by_format["xls"][0]
    assert by_format["xls"][0].splitlines()[0] == by_format["xlsx"][0].splitlines()[0] == note


def test_a_damaged_xls_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = xls(tmp_path / "loggi.xls", [HEADER, ["1-01", "000001", "LGI1"]])
    data = path.read_bytes()
    # Its sheet's records cut off at the first row: the sheet's EOF is not where it was.
    at = data.index(struct.pack("<HH", 0x0208, 16))
    path.write_bytes(data[:at] + b"\xff" * 64 + data[at + 64 :])

    outcome = invoke("upload", str(path), "--dry-run", "--results", str(tmp_path / "r.csv"))

    assert outcome.exit_code == ExitStatus.USAGE
    assert f"{path}: cannot be opened as a workbook (damaged: " in " ".join(outcome.output.split())


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(changes=st.lists(st.tuples(st.integers(0, 2**16), st.binary(min_size=1, max_size=8)),
                        min_size=1, max_size=4),
       cut=st.one_of(st.none(), st.integers(0, 2**16)))  # fmt: skip
def test_a_damaged_file_gives_marks_or_an_input_error_never_another_exception(
    tmp_path: Path, changes: list[tuple[int, bytes]], cut: int | None
) -> None:
    path = tmp_path / "damaged.xls"
    if not path.exists():
        xls(path, [HEADER, ["1-01", "000001", "LGI1"]], errors=[(2, 3, NA)], hidden=[2])
    data = bytearray((tmp_path / "damaged.xls").read_bytes())
    for at, replacement in changes:
        at %= len(data)
        data[at : at + len(replacement)] = replacement
    damaged = tmp_path / "changed.xls"
    damaged.write_bytes(bytes(data[:cut]))

    refusal: InputError | None = None
    try:
        marks = xls_marks.sheet_marks(damaged)
    except InputError as error:
        refusal = error
    if refusal is not None:
        assert str(refusal).startswith(f"{damaged}: cannot be opened as a workbook (damaged: ")
    else:
        assert all(isinstance(found, SheetMarks) for found in marks.values())


def test_a_file_that_is_not_biff8_is_read_without_marks(tmp_path: Path) -> None:
    path = xls(tmp_path / "loggi.xls", [["Transportadora"], [None, "x"]], errors=[(2, 0, NA)])
    # Its stream renamed "Book", as Excel 5 to 95 name theirs: python-calamine reads the
    # records all the same, the marks are not read (the error stays empty), nothing refused.
    data = path.read_bytes()
    entry = "Workbook".encode("utf-16-le").ljust(64, b"\0") + struct.pack("<H", 18)
    assert data.count(entry) == 1
    path.write_bytes(
        data.replace(entry, "Book".encode("utf-16-le").ljust(64, b"\0") + struct.pack("<H", 10))
    )

    assert xls_marks.sheet_marks(path) == {}
    assert cells(path)[2] == ["", "x"]


def test_a_web_page_named_xls_is_refused_as_before(tmp_path: Path) -> None:
    path = tmp_path / "export.xls"
    path.write_text("<table><tr><td>Pedido</td></tr></table>", encoding="utf-8")

    assert xls_marks.sheet_marks(path) == {}
    with pytest.raises(InputError, match=r"export\.xls: cannot be opened as a workbook"):
        read_tables(path)


def record(kind: int, body: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def bof(substream: int, version: int = 0x0600) -> bytes:
    return record(0x0809, struct.pack("<HH", version, substream) + bytes(12))


def stream(*sheet: bytes, globals_: Sequence[bytes] = ()) -> memoryview:
    """A Workbook stream of one worksheet, 'Envios', holding the records ``sheet``."""
    name = b"\x06\x00Envios"

    def boundsheet(offset: int) -> bytes:
        return record(0x0085, struct.pack("<IBB", offset, 0, 0) + name)

    head = bof(0x0005) + b"".join(globals_)
    offset = len(head) + len(boundsheet(0)) + len(record(0x000A))
    return memoryview(
        head + boundsheet(offset) + record(0x000A) + bof(0x0010) + b"".join(sheet)
        + record(0x000A)
    )  # fmt: skip


def row(number: int, hidden: bool) -> bytes:
    return record(0x0208, struct.pack("<HHHHHHHH", number - 1, 0, 1, 255, 0, 0,
                                      0x0120 if hidden else 0x0100, 15))  # fmt: skip


def boolerr(number: int, column: int, code: int) -> bytes:
    return record(0x0205, struct.pack("<HHHBB", number - 1, column, 15, code, 1))


def formula_error(number: int, column: int, code: int) -> bytes:
    result = bytes([2, 0, code, 0, 0, 0, 0xFF, 0xFF])
    return record(0x0006, struct.pack("<HHH", number - 1, column, 15) + result + bytes(6)
                  + struct.pack("<H", 3) + b"\x1c" + bytes([code]) + b"\x00")  # fmt: skip


def number_cell(number: int, column: int) -> bytes:
    return record(0x0203, struct.pack("<HHHd", number - 1, column, 15, 1.0))


def test_records_continued_and_charts_inside_a_sheet_are_stepped_over() -> None:
    chart = [bof(0x0020), boolerr(9, 0, NA), number_cell(4, 0), record(0x000A)]
    data = stream(
        row(2, hidden=True), row(4, hidden=True), formula_error(2, 1, 0x07),
        record(0x003C, boolerr(3, 0, NA)),  # a CONTINUE record's bytes are no cell
        *chart, boolerr(5, 2, 0x1D), number_cell(6, 0),
    )  # fmt: skip

    assert xls_marks._workbook_marks(data) == {
        "Envios": SheetMarks(frozenset({2}), {2: {1: "#DIV/0!"}, 5: {2: "#NAME?"}})
    }


def test_no_marks_are_read_from_an_encrypted_workbook_or_another_biff() -> None:
    marked = (row(2, hidden=True), boolerr(2, 0, NA))
    filepass = record(0x002F, bytes(54))
    biff5 = memoryview(bof(0x0005, version=0x0500) + bytes(stream(*marked))[20:])

    assert xls_marks._workbook_marks(stream(*marked)) != {}
    assert xls_marks._workbook_marks(stream(*marked, globals_=[filepass])) == {}
    assert xls_marks._workbook_marks(biff5) == {}
