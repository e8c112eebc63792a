"""What a workbook hides is never dropped, nor sent, without a word: a hidden sheet is left out
with a note naming it (``--sheet`` reads it); rows hidden by a filter or by hand are sent like
the others, and a note names them."""

from __future__ import annotations

import csv
import json
import zipfile
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
import xlwt
from click.testing import Result
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableProperties
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import P

from batch_uploader.files import reader
from batch_uploader.files.reader import open_tables
from batch_uploader.jobs.report import ExitStatus

from .conftest import invoke

HEADER: list[object] = ["orderId", "invoiceNumber", "trackingNumber"]


def dry_run(source: Path, *more: str) -> tuple[Result, dict[str, object], list[dict[str, str]]]:
    results = source.with_name("results.csv")
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results), *more)
    summary_path = results.with_name("results.summary.json")
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    lines: list[dict[str, str]] = []
    if results.exists():
        with results.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.DictReader(handle))
    return outcome, summary, lines


def orders(count: int, prefix: str = "") -> list[list[object]]:
    return [[f"{prefix}{n}-01", f"{n:06d}", f"RA{n:09d}BR"] for n in range(1, count + 1)]


def workbook(
    path: Path, sheets: Sequence[tuple[str, list[list[object]], str]], hidden_rows: Sequence[int]
) -> Path:
    """Sheets of (title, rows, state); ``hidden_rows`` hidden in the first, under a filter."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for index, (title, rows, state) in enumerate(sheets):
        sheet = book.create_sheet(title)
        for cells in rows:
            sheet.append(cells)
        sheet.sheet_state = state
        if index == 0 and hidden_rows:
            sheet.auto_filter.ref = sheet.dimensions
            for number in hidden_rows:
                sheet.row_dimensions[number].hidden = True
    book.save(path)
    return path


def understood(outcome: Result) -> list[str]:
    """The dry run's lines before its first examples: what it understood."""
    lines = outcome.output.splitlines()
    return lines[: lines.index("First rows as they would be sent:")]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_is_left_out_with_a_note_and_sheet_reads_it(
    tmp_path: Path, state: str
) -> None:
    source = workbook(
        tmp_path / "loggi.xlsx",
        [
            ("Envios", [HEADER, *orders(2)], "visible"),
            ("Antigos", [HEADER, *orders(3, "9")], state),
        ],
        (),
    )
    note = "sheet 'Antigos' is hidden: left out; --sheet Antigos reads it"

    outcome, summary, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert [line["orderId"] for line in lines] == ["1-01", "2-01"]
    assert understood(outcome)[0] == f"{source}: {note}"
    assert f"Note: {source}: {note}" in outcome.output
    assert summary["notes"] == [f"{source}: {note}"]

    chosen, summary, lines = dry_run(source, "--sheet", "Antigos")

    assert chosen.exit_code == ExitStatus.OK, chosen.output
    assert [line["orderId"] for line in lines] == ["91-01", "92-01", "93-01"]
    assert summary["notes"] == []


def test_a_workbook_whose_only_sheets_with_data_are_hidden_is_refused(tmp_path: Path) -> None:
    source = workbook(
        tmp_path / "loggi.xlsx",
        [("Capa", [], "visible"), ("Antigos", [HEADER, *orders(2)], "hidden"),
         ("Base", [HEADER, *orders(1)], "veryHidden")],
        (),
    )  # fmt: skip

    outcome, _, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.USAGE
    assert (
        f"{source}: its only sheets with data are hidden ('Antigos', 'Base'), which usually "
        "hold old or lookup data: nothing read; --sheet Antigos reads one"
    ) in " ".join(outcome.output.split())
    assert lines == []


def test_rows_hidden_by_a_filter_are_sent_and_named(tmp_path: Path) -> None:
    # Rows 3, 5 and 6 (data rows 2, 4 and 5) hidden, as a filter leaves them.
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", [HEADER, *orders(6)], "visible")],
                      (3, 5, 6))  # fmt: skip
    note = (
        f"rows 3, 5 and 6 of {source} sheet 'Envios' are hidden (a filter, or by hand): they "
        "are read and sent like the others; to send only the rows shown, delete the hidden ones"
    )

    outcome, summary, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert [line["orderId"] for line in lines] == [f"{n}-01" for n in range(1, 7)]
    assert {line["status"] for line in lines} == {"valid"}
    assert understood(outcome)[0] == note
    assert f"Note: {note}" in outcome.output
    assert summary["notes"] == [note]


def test_one_hidden_row_and_hidden_rows_above_the_header_or_blank(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Envios de hoje"], [], HEADER, *orders(3), [], []]
    # Row 1 (a title), row 2 and row 8 (blank) are sent by no one; row 5 is.
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", rows, "visible")], (1, 2, 5, 8))

    outcome, summary, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert len(lines) == 3
    assert summary["notes"] == [
        f"row 5 of {source} sheet 'Envios' is hidden (a filter, or by hand): it is read and "
        "sent like the others; to send only the rows shown, delete it"
    ]


def test_a_workbook_without_hidden_things_has_no_note(tmp_path: Path) -> None:
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", [HEADER, *orders(2)], "visible")], ())

    outcome, summary, _ = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert summary["notes"] == []


def test_a_hidden_sheet_of_an_xls_or_ods_is_left_out_too(tmp_path: Path) -> None:
    book = xlwt.Workbook()
    book.add_sheet("Envios").write(0, 0, "orderId")
    old = book.add_sheet("Antigos")
    old.write(0, 0, "orderId")
    old.visibility = 1  # hidden
    book.save(str(tmp_path / "loggi.xls"))
    document = OpenDocumentSpreadsheet()
    style = Style(name="hidden", family="table")
    style.addElement(TableProperties(display="false"))
    document.automaticstyles.addElement(style)
    for name, hidden in (("Envios", False), ("Antigos", True)):
        table = OdsTable(name=name, stylename=style) if hidden else OdsTable(name=name)
        row, cell = TableRow(), TableCell(valuetype="string")
        cell.addElement(P(text="orderId"))
        row.addElement(cell)
        table.addElement(row)
        document.spreadsheet.addElement(table)
    document.save(str(tmp_path / "loggi.ods"))

    for source in (tmp_path / "loggi.xls", tmp_path / "loggi.ods"):
        tables, notes = open_tables(source)

        assert [table.source.sheet for table in tables] == ["Envios"]
        assert [str(note) for note in notes] == [
            f"{source}: sheet 'Antigos' is hidden: left out; --sheet Antigos reads it"
        ]
        assert [t.source.sheet for t in open_tables(source, sheet="Antigos")[0]] == ["Antigos"]


def test_a_visible_sheet_without_a_header_names_the_hidden_ones_in_its_error(
    tmp_path: Path,
) -> None:
    source = workbook(
        tmp_path / "loggi.xlsx",
        [("Capa", [["Relatório"], ["de envios"]], "visible"),
         ("Antigos", [HEADER, *orders(1)], "hidden")],
        (),
    )  # fmt: skip

    outcome, _, _ = dry_run(source)

    assert outcome.exit_code == ExitStatus.USAGE
    assert "sheet 'Antigos' is hidden: left out; --sheet Antigos reads it" in " ".join(
        outcome.output.split()
    )


SHEET_XML = (
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    '<row r="1"><c r="A1" t="inlineStr"><is><t>hidden</t></is></c></row>'
    '<row r="2" spans="1:3" hidden="1" x14ac:dyDescent="0.25"><c r="A2"><v>1</v></c></row>'
    "<row r='3' hidden='true'><c r='A3'><v>1</v></c></row>"
    '<row r="4" hidden="0"><c r="A4"><v>1</v></c></row><row r="5" hidden="1"/>'
    '<x:row r="6" hidden="1"><x:c r="A6"><x:v>1</x:v></x:c></x:row><row r="7" hidden="1"></row>'
    '<row r="8" customHeight="1" hidden = "1" ><c r="A8"><v>1</v></c></row>'
    '</sheetData><cols><col min="1" max="1" hidden="1"/></cols></worksheet>'
)


def sheet_part(tmp_path: Path, xml: str) -> Path:
    path = tmp_path / "raw.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", xml)
    return path


@pytest.mark.parametrize("chunk", [1, 2, 5, 7, 13, 64, 1024 * 1024])
def test_hidden_rows_are_found_whatever_the_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    path = sheet_part(tmp_path, SHEET_XML)
    monkeypatch.setattr(reader, "_SCAN_BYTES", chunk)

    found = reader._hidden_rows(path, "xl/worksheets/sheet1.xml")

    assert found == {2, 3, 6, 8}
    assert found == reader._parsed_hidden_rows(path, "xl/worksheets/sheet1.xml")


def test_hidden_rows_without_numbers_are_counted_by_the_parser(tmp_path: Path) -> None:
    path = sheet_part(
        tmp_path,
        '<worksheet><sheetData><row r="2"/><row/><row hidden="1"><c/></row><row hidden="1"/>'
        '<row r="9" hidden="1"><c/></row></sheetData></worksheet>',
    )

    assert reader._hidden_rows(path, "xl/worksheets/sheet1.xml") == {4, 9}


def test_a_filter_hiding_many_rows_names_the_first(tmp_path: Path) -> None:
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", [HEADER, *orders(30)], "visible")],
                      range(2, 32))  # fmt: skip

    _, summary, lines = dry_run(source)

    assert len(lines) == 30
    assert summary["notes"] == [
        f"rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 20 more (30 in all) of {source} sheet "
        "'Envios' are hidden (a filter, or by hand): they are read and sent like the others; to "
        "send only the rows shown, delete the hidden ones"
    ]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from(["", ' hidden="1"', " hidden='true'", ' hidden="0"', ' ht="15"']),
            st.sampled_from(
                ["/>", "></row>", '><c r="A1" t="inlineStr"><is><t>hidden</t></is></c></row>']
            ),
        ),
        max_size=12,
    ),
    chunk=st.integers(min_value=1, max_value=40),
)
def test_the_scan_finds_what_the_parser_finds(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    rows: list[tuple[str, str]],
    chunk: int,
) -> None:
    body = "".join(f'<row r="{n}"{hidden}{rest}' for n, (hidden, rest) in enumerate(rows, 1))
    path = sheet_part(tmp_path, f"<worksheet><sheetData>{body}</sheetData></worksheet>")
    monkeypatch.setattr(reader, "_SCAN_BYTES", chunk)

    found = reader._hidden_rows(path, "xl/worksheets/sheet1.xml")

    assert found == reader._parsed_hidden_rows(path, "xl/worksheets/sheet1.xml")
