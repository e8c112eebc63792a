"""OpenDocument workbooks get the care .xlsx ones get: error cells are refused, not read as
empty; rows hidden by hand or by a filter are named; a sheet whose grid would not fit in memory
is refused before python-calamine opens the file."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
import python_calamine
from odf.opendocument import OpenDocumentSpreadsheet
from odf.style import Style, TableRowProperties
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import P

from batch_uploader.errors import InputError
from batch_uploader.files import ods_marks, reader
from batch_uploader.files.reader import read_tables
from batch_uploader.jobs.report import ExitStatus

from .conftest import invoke

# Made by LibreOffice (see tests/data/README.md): sheet Envios from B2, with error cells and
# rows hidden by a filter; sheet Coleta from A1, with rows hidden by hand.
LIBREOFFICE = Path(__file__).parent / "data" / "ods-errors-hidden.ods"
HEADER = ["Pedido", "NF", "Rastreio", "Transportadora", "Data de envio"]
NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
)


def raw_ods(path: Path, body: str, name: str = "Bomb") -> Path:
    """An .ods holding one sheet of ``body`` (its rows), written as a crafted file would be."""
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {NS}><office:body>'
        f'<office:spreadsheet><table:table table:name="{name}">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:'
            'manifest:1.0"/>',
        )
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return path


def text_cell(text: str) -> TableCell:
    cell = TableCell(valuetype="string")
    cell.addElement(P(text=text))
    return cell


def odfpy_workbook(path: Path, count: int = 3) -> Path:
    """A sheet as odfpy writes it: a header, ``count`` orders, then two equal rows hidden
    by hand written once repeated, and a hidden blank row."""
    document = OpenDocumentSpreadsheet()
    table = OdsTable(name="Envios")
    rows = [HEADER] + [[f"{n}-01", f"{n:06d}", f"LGI{n}", "Loggi", "2026-11-24"]
                       for n in range(1, count + 1)]  # fmt: skip
    for cells in rows:
        row = TableRow()
        for value in cells:
            row.addElement(text_cell(value))
        table.addElement(row)
    hidden = TableRow(visibility="collapse", numberrowsrepeated=2)
    for value in ["9-01", "000009", "#N/A", "Loggi", "2026-11-24"]:
        cell = text_cell(value)
        if value == "#N/A":  # a lookup's error, as LibreOffice stores it
            cell = TableCell(formula="of:=NA()", valuetype="string", stringvalue="")
            cell.addElement(P(text="#N/A"))
        hidden.addElement(cell)
    table.addElement(hidden)
    blank = TableRow(visibility="filter")
    blank.addElement(TableCell())
    table.addElement(blank)
    document.spreadsheet.addElement(table)
    document.automaticstyles.addElement(Style(name="ro1", family="table-row"))
    document.automaticstyles.getElementsByType(Style)[0].addElement(TableRowProperties())
    document.save(str(path))
    return path


def dry_run(source: Path, *more: str) -> tuple[int, str, dict[tuple[str, str], dict[str, str]]]:
    results = source.with_name("results.csv")
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results), *more)
    lines: dict[tuple[str, str], dict[str, str]] = {}
    if results.exists():
        with results.open(encoding="utf-8-sig", newline="") as handle:
            lines = {
                (line.get("sheet", ""), line["orderId"]): line for line in csv.DictReader(handle)
            }  # a single sheet's results have no sheet column
    return outcome.exit_code, " ".join(outcome.output.split()), lines


def test_error_cells_of_a_libreoffice_file_are_read_as_their_error() -> None:
    envios, coleta = read_tables(LIBREOFFICE)

    rows = {raw.number: raw.cells for raw in envios.rows()}

    assert envios.first_column == 1  # column A and row 1 are empty
    assert rows[2] == HEADER
    assert rows[3][3] == "#N/A"  # a #N/A typed as Excel's error value
    assert rows[4][4] == "#REF!"
    assert rows[6][3] == "#N/A"  # =NA()
    assert rows[7][4] == "#DIV/0!"
    assert rows[8][3] == "Err:502"  # =SQRT(-1), as LibreOffice shows it
    assert rows[9][3:] == ["Loggi", "2026-11-24"]
    assert all("" not in raw.cells for raw in coleta.rows())


def test_error_cells_and_hidden_rows_of_a_libreoffice_file_in_a_dry_run(tmp_path: Path) -> None:
    source = tmp_path / "loggi.ods"
    source.write_bytes(LIBREOFFICE.read_bytes())

    status, output, lines = dry_run(source)

    assert status == ExitStatus.ROWS_NOT_SENT, output
    for order, column in [("1-01", "E 'Transportadora'"), ("2-01", "F 'Data de envio'"),
                          ("4-01", "E 'Transportadora'"), ("5-01", "F 'Data de envio'"),
                          ("6-01", "E 'Transportadora'")]:  # fmt: skip
        line = lines[("Envios", order)]
        assert (line["status"], line["errorCode"]) == ("invalid", "spreadsheet-error"), order
        assert f"column {column}" in line["errorMessage"]
    assert {lines[("Envios", order)]["status"] for order in ("3-01", "7-01")} == {"valid"}
    assert (
        f"rows 5 and 9 of {source} sheet 'Envios' are hidden (a filter, or by hand): they are "
        "read and sent like the others"
    ) in output
    assert f"rows 3 and 4 of {source} sheet 'Coleta' are hidden" in output


def test_a_repeated_hidden_row_of_an_odfpy_file_counts_as_each_row(tmp_path: Path) -> None:
    source = odfpy_workbook(tmp_path / "loggi.ods")

    marks = ods_marks.sheet_marks(source)["Envios"]

    # Rows 5 and 6 (one row repeated); row 7, hidden by a filter, is blank.
    assert marks.hidden_rows == {5, 6}
    assert marks.errors == {5: {2: "#N/A"}, 6: {2: "#N/A"}}
    status, output, lines = dry_run(source)
    assert f"rows 5 and 6 of {source} sheet 'Envios' are hidden" in output
    assert lines[("", "9-01")]["errorCode"] == "spreadsheet-error"
    assert status == ExitStatus.ROWS_NOT_SENT


@pytest.mark.parametrize("read_bytes", [4096, 9000])
def test_runs_of_plain_rows_give_the_marks_and_grid_the_parser_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, read_bytes: int
) -> None:
    sources = [LIBREOFFICE, odfpy_workbook(tmp_path / "many.ods", count=400)]
    parsed = [ods_marks.sheet_marks(source) for source in sources]  # one chunk: all parsed
    grids: list[tuple[str, int, int]] = []
    summaries: list[bytes | None] = []

    def check_grid(path: Path, sheet: str, height: int, width: int, held: int) -> int:
        grids.append((sheet, height, width))
        return 0

    def summary(run: bytes) -> bytes | None:
        summaries.append(ods_marks_summary(run))
        return summaries[-1]

    ods_marks_summary = ods_marks._summary
    monkeypatch.setattr(reader, "_check_grid", check_grid)
    monkeypatch.setattr(ods_marks, "_summary", summary)
    monkeypatch.setattr(ods_marks, "_READ_BYTES", read_bytes)

    assert [ods_marks.sheet_marks(source) for source in sources] == parsed
    # A run counts its empty rows and cells: a grid is measured at most a few larger.
    exact = [("Envios", 8, 5), ("Coleta", 5, 5), ("Envios", 403, 5)]
    assert [sheet for sheet, _, _ in grids] == [sheet for sheet, _, _ in exact]
    for (_, height, width), (_, rows, columns) in zip(grids, exact, strict=True):
        assert rows <= height <= rows + 1
        assert columns <= width <= columns + 2
    assert any(summaries)
    assert None in summaries


@pytest.fixture
def calamine_never_opens(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if python-calamine is asked to open a file: it must be refused first."""

    def never(*_: object) -> None:
        raise AssertionError("calamine opened the file")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_path", never)


@pytest.mark.usefixtures("calamine_never_opens")
def test_a_grid_bomb_is_refused_before_calamine_opens_it(tmp_path: Path) -> None:
    # A few hundred bytes asking for every cell of a sheet: calamine would build them all.
    source = raw_ods(
        tmp_path / "bomb.ods",
        '<table:table-row table:number-rows-repeated="1048576"><table:table-cell '
        'table:number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row>",
    )

    with pytest.raises(InputError) as raised:
        read_tables(source)

    assert str(raised.value).startswith(
        f"{source}: sheet 'Bomb' spans 1,048,576 rows by 16,384 columns, 549,756 MB in memory "
        "(limit 200 MB a sheet, 800 MB in all); set BATCH_UPLOADER_MAX_WORKBOOK_MB"
    )
    status, output, _ = dry_run(source)
    assert status == ExitStatus.USAGE
    assert f"{source}: sheet 'Bomb' spans 1,048,576 rows by 16,384 columns" in output


def test_two_far_cells_make_a_grid_but_trailing_empty_rows_do_not(tmp_path: Path) -> None:
    far = raw_ods(
        tmp_path / "far.ods",
        '<table:table-row><table:table-cell office:value-type="string"><text:p>a</text:p>'
        "</table:table-cell></table:table-row><table:table-row table:number-rows-repeated="
        '"9000"><table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        '<table:table-row><table:table-cell table:number-columns-repeated="9999"/>'
        '<table:table-cell office:value-type="float" office:value="1"/></table:table-row>',
    )
    with pytest.raises(InputError, match=r"spans 9,002 rows by 10,000 columns, 2,881 MB"):
        read_tables(far)

    # As LibreOffice ends every sheet: empty rows and cells repeated to its last row.
    trailing = raw_ods(
        tmp_path / "trailing.ods",
        '<table:table-row><table:table-cell office:value-type="string"><text:p>orderId</text:p>'
        '</table:table-cell><table:table-cell table:number-columns-repeated="16383"/>'
        '</table:table-row><table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>',
    )
    (table,) = read_tables(trailing)
    assert [raw.cells for raw in table.rows()] == [["orderId"]]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ("<table:table-row><table:table-cell>", "cannot be read"),
        ('<table:table-row table:number-rows-repeated="many"/>', "number-rows-repeated='many'"),
    ],
)
def test_a_damaged_file_is_refused_naming_it(tmp_path: Path, body: str, found: str) -> None:
    source = raw_ods(tmp_path / "damaged.ods", body)

    with pytest.raises(InputError) as raised:
        read_tables(source)

    assert str(raised.value).startswith(f"{source}: its part content.xml ")
    assert found in str(raised.value)


def plain_rows(count: int, start: int = 0) -> str:
    """``count`` rows of one order each, as a sheet's plain rows are written (more than one
    chunk of the part read at a time, from a few thousand on)."""
    return "".join(
        f'<table:table-row><table:table-cell office:value-type="string"><text:p>{n}-01'
        "</text:p></table:table-cell></table:table-row>"
        for n in range(start, start + count)
    )


@pytest.mark.usefixtures("calamine_never_opens")
@pytest.mark.parametrize("space", ["\n", "\t", "\r\n\t"])
def test_attributes_apart_by_any_white_space_are_read_amid_plain_rows(
    tmp_path: Path, space: str
) -> None:
    # XML parts attributes by any white space, as a program writing one attribute a line does.
    hidden = raw_ods(
        tmp_path / "hidden.ods",
        plain_rows(4000)
        + f'<table:table-row{space}table:visibility="collapse"><table:table-cell office:'
        'value-type="string"><text:p>h-01</text:p></table:table-cell></table:table-row>'
        + plain_rows(4000, 5000),
    )
    assert ods_marks.sheet_marks(hidden)["Bomb"].hidden_rows == {4001}

    bomb = raw_ods(
        tmp_path / "bomb.ods",
        plain_rows(4000)
        + f'<table:table-row{space}table:number-rows-repeated="1048576"><table:table-cell'
        f'{space}table:number-columns-repeated="16384"{space}office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row>" + plain_rows(4000, 5000),
    )

    with pytest.raises(InputError, match=r"spans 1,05[0-9,]+ rows by 16,384 columns"):
        read_tables(bomb)


@pytest.mark.usefixtures("calamine_never_opens")
def test_tags_inside_a_cells_cdata_are_text_amid_plain_rows(tmp_path: Path) -> None:
    # A cell's text in CDATA may hold the bytes of a row's start and run past a chunk: what
    # follows them up to its end is still text, and the rows after it are rows.
    cdata = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p><![CDATA['
        "<table:table-row>" + "x" * 600_000 + "]]></text:p></table:table-cell></table:table-row>"
    )
    bomb = (
        '<table:table-row table:number-rows-repeated="1048576"><table:table-cell table:'
        'number-columns-repeated="16384" office:value-type="string"><text:p>x</text:p>'
        "</table:table-cell></table:table-row>"
    )
    closing = (
        '<table:table-row><table:table-cell office:value-type="string"><text:p><![CDATA[y]]>'
        "</text:p></table:table-cell></table:table-row>"
    )
    source = raw_ods(
        tmp_path / "cdata.ods", plain_rows(100) + cdata + plain_rows(4000, 200) + bomb + closing
    )

    with pytest.raises(InputError, match=r"spans 1,05[0-9,]+ rows by 16,384 columns"):
        read_tables(source)


@pytest.mark.usefixtures("calamine_never_opens")
def test_an_error_cell_repeated_over_a_grid_is_refused_before_calamine_opens_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A few hundred bytes: one #N/A repeated over 600 rows by 1,000 columns, a grid within
    # the limit, but each error spelt out costs several times what a cell of the grid does.
    monkeypatch.setenv(reader.WORKBOOK_LIMIT_VARIABLE, "20")
    source = raw_ods(
        tmp_path / "errors.ods",
        '<table:table-row table:number-rows-repeated="600"><table:table-cell table:number-'
        'columns-repeated="1000" table:formula="of:=NA()" office:value-type="string" '
        'office:string-value=""><text:p>#N/A</text:p></table:table-cell></table:table-row>',
    )

    with pytest.raises(InputError) as raised:
        read_tables(source)

    assert str(raised.value).startswith(
        f"{source}: sheet 'Bomb' holds 600,000 error cells (#N/A, #REF!...), more than fit "
        "in memory (limit 133,333 in all); set BATCH_UPLOADER_MAX_WORKBOOK_MB"
    )
    # A column of lookups filled down, all #N/A, is far within it.
    filled = raw_ods(
        tmp_path / "filled.ods",
        '<table:table-row table:number-rows-repeated="5000"><table:table-cell office:value-'
        'type="string"><text:p>1-01</text:p></table:table-cell><table:table-cell table:'
        'formula="of:=NA()" office:value-type="string" office:string-value=""><text:p>#N/A'
        "</text:p></table:table-cell></table:table-row>",
    )
    assert len(ods_marks.sheet_marks(filled)["Bomb"].errors) == 5000
