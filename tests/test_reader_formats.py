"""Excel 97-2003 (.xls), Excel binary (.xlsb) and OpenDocument (.ods) workbooks, read with the
same care for cell types as .xlsx: files written at test time the way Excel and LibreOffice
write them (xlwt, odfpy), and one .xlsb saved by Excel itself (tests/data/README.md)."""

from __future__ import annotations

import csv
import datetime as dt
import os
import time
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from batch_uploader.cli.main import cli
from batch_uploader.errors import InputError
from batch_uploader.files.reader import RawRow, read_tables
from batch_uploader.models import CellKind
from batch_uploader.sandbox.oms import Sandbox

from .conftest import ERROR, WorkbookFactory, invoke

XLSB = Path(__file__).parent / "data" / "excel-types.xlsb"
HEADER = ["Nº Pedido", "Nota Fiscal", "Código de Rastreio", "Transportadora", "Data de Envio"]


@pytest.fixture(params=["xls", "ods"])
def write_workbook(
    request: pytest.FixtureRequest, write_xls: WorkbookFactory, write_ods: WorkbookFactory
) -> WorkbookFactory:
    """The writer of one format: tests taking it run for .xls and .ods."""
    return write_xls if request.param == "xls" else write_ods


def rows_of(path: Path) -> list[RawRow]:
    (table,) = read_tables(path)
    return list(table.rows())


def test_cells_keep_their_types(write_workbook: WorkbookFactory, tmp_path: Path) -> None:
    path = write_workbook(
        [
            ["orderId", "invoiceNumber", "trackingNumber", "weight", "dispatchedDate", "day"],
            [
                "0012-01",
                "000123",
                7999972,
                1.5,
                dt.datetime(2026, 11, 24, 10, 30),
                dt.date(2026, 11, 24),
            ],
        ],
    )

    header, row = rows_of(path)

    # Text stays the text typed, leading zeros and all; numbers are their digits, dates ISO.
    assert row.cells == ["0012-01", "000123", "7999972", "1.5", "2026-11-24T10:30:00",
                         "2026-11-24"]  # fmt: skip
    assert row.kinds == {2: CellKind.NUMBER, 3: CellKind.NUMBER, 4: CellKind.DATE,
                         5: CellKind.DATE}  # fmt: skip
    assert header.kinds is None


@pytest.mark.parametrize("dates_1904", [False, True])
def test_xls_dates_are_read_in_the_workbook_own_date_system(
    write_xls: WorkbookFactory, dates_1904: bool
) -> None:
    # Excel for Mac saved workbooks counting days from 1904: the same serial number is a date
    # four years and a day later there.
    path = write_xls(
        [["dispatchedDate", "orderId"], [dt.datetime(2026, 11, 24, 16, 5), 46350]],
        dates_1904=dates_1904,
    )

    assert rows_of(path)[1].cells == ["2026-11-24T16:05:00", "46350"]


def test_row_numbers_match_the_sheet(write_workbook: WorkbookFactory) -> None:
    path = write_workbook([["Envios do dia"], [], ["orderId"], ["1-01"]])

    assert [(row.number, row.cells[0]) for row in rows_of(path)] == [
        (1, "Envios do dia"),
        (2, ""),
        (3, "orderId"),
        (4, "1-01"),
    ]


def test_sheets_are_named_and_chosen(write_workbook: WorkbookFactory) -> None:
    path = write_workbook([["orderId"], ["1-01"]], sheet="Envios")

    (table,) = read_tables(path, sheet="Envios")
    assert table.source.sheet == "Envios"
    with pytest.raises(InputError, match="no sheet named 'Jadlog'; its sheets are 'Envios'"):
        read_tables(path, sheet="Jadlog")


def test_a_dry_run_reads_a_carrier_workbook(
    write_workbook: WorkbookFactory, tmp_path: Path
) -> None:
    path = write_workbook(
        [
            ["Relatório de envios — 24/11/2026"],
            HEADER,
            [
                "1300000000001-01",
                "000123",
                "RA473124829BR",
                "Correios",
                dt.datetime(2026, 11, 24, 16, 5),
            ],
            ["1300000000002-01", "000124", 10012345678902, "Jadlog", dt.date(2026, 11, 23)],
            # A failed lookup: Excel and LibreOffice store the error, python-calamine reads it
            # as empty; it is put back from the file's records or XML and refused.
            ["1300000000003-01", ERROR, "RA473124830BR", "Correios", dt.date(2026, 11, 23)],
            # The error's text pasted as text is told for what it is.
            ["1300000000004-01", "#N/A", "RA473124831BR", "Correios", dt.date(2026, 11, 23)],
        ],
        sheet="Envios",
    )
    results = tmp_path / "results.csv"

    outcome = invoke("upload", str(path), "--dry-run", "--results", str(results))

    assert outcome.exit_code == 1, outcome.output
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [
        (x["row"], x["status"], x["errorCode"], x["orderId"], x["invoiceNumber"],
         x["trackingNumber"], x["dispatchedDate"])
        for x in lines
    ] == [
        ("3", "valid", "", "1300000000001-01", "000123", "RA473124829BR", "2026-11-24T16:05:00"),
        ("4", "valid", "", "1300000000002-01", "000124", "10012345678902", "2026-11-23"),
        ("5", "invalid", "spreadsheet-error", "1300000000003-01", "#N/A", "RA473124830BR",
         "2026-11-23"),
        ("6", "invalid", "spreadsheet-error", "1300000000004-01", "#N/A", "RA473124831BR",
         "2026-11-23"),
    ]  # fmt: skip
    assert f"{path} [Envios]: {'XLS' if path.suffix == '.xls' else 'ODS'}" in outcome.output
    assert "header on row 2; 4 data rows" in outcome.output
    # The rows to fix come back as .xlsx, whatever the workbook's format, their text as text.
    (to_fix,) = tmp_path.glob("input-Envios-to-fix-*.xlsx")
    sheet = openpyxl.load_workbook(to_fix).active
    assert sheet is not None
    assert [[cell.value for cell in row][:3] for row in sheet.iter_rows(min_row=2)] == [
        ["1300000000003-01", "#N/A", "RA473124830BR"],
        ["1300000000004-01", "#N/A", "RA473124831BR"],
    ]


def test_delivery_events_are_read_from_a_workbook(
    write_workbook: WorkbookFactory, tmp_path: Path
) -> None:
    path = write_workbook(
        [
            ["Pedido", "NF", "Data do evento", "Cidade", "UF", "Ocorrência", "Entregue"],
            [
                "1-01",
                "000009",
                dt.datetime(2026, 11, 21, 8),
                "Cajamar",
                "SP",
                "Objeto postado",
                "não",
            ],
        ]
    )
    results = tmp_path / "events.csv"

    with Sandbox() as sandbox:
        outcome = invoke("events", str(path), "--base-url", sandbox.base_url,
                         "--results", str(results), "--journal", str(tmp_path / "journal"),
                         "--quiet")  # fmt: skip
        sent = [(received.order_id, received.body) for received in sandbox.received]

    assert outcome.exit_code == 0, outcome.output
    assert [(order, body["events"]) for order, body in sent] == [
        ("1-01", [{"city": "Cajamar", "state": "SP", "description": "Objeto postado",
                   "date": "2026-11-21T08:00:00"}]),
    ]  # fmt: skip


def test_an_xls_dropped_in_the_inbox_is_sent(write_xls: WorkbookFactory, tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    path = write_xls([["Pedido", "NF", "Rastreio"], ["9-01", "000009", "LGI9"]])
    dropped = path.rename(inbox / "loggi.xls")
    os.utime(dropped, (time.time() - 60, time.time() - 60))

    with Sandbox() as sandbox:
        outcome = CliRunner().invoke(
            cli,
            ["inbox", str(inbox), "--base-url", sandbox.base_url, "--settle", "5"],
            env={"VTEX_APP_KEY": "key", "VTEX_APP_TOKEN": "inbox-token-6f0a-2c9d",
                 "VTEX_BASE_URL": None, "VTEX_ACCOUNT_NAME": None,
                 "BATCH_UPLOADER_CONFIG": None},
            catch_exceptions=False,
        )  # fmt: skip
        sent = [(r.order_id, r.invoice_number, r.body["trackingNumber"]) for r in sandbox.received]

    assert outcome.exit_code == 0, outcome.output
    assert sent == [("9-01", "000009", "LGI9")]
    assert (inbox / "done" / "loggi.xls").exists()
    assert any(name.startswith("loggi-xls-results-") for name in os.listdir(inbox / "done"))


def test_an_xlsb_saved_by_excel_keeps_its_cell_types() -> None:
    tables = read_tables(XLSB)

    assert [(table.source.sheet, str(table.format)) for table in tables] == [
        ("Sheet1", "XLSB"),
        ("Sheet3", "XLSB"),
    ]
    rows = list(tables[0].rows())
    # Row 1 is empty in the sheet: row numbers stay the sheet's.
    assert rows[1].number == 2
    assert rows[1].cells[:8] == ["String", "1", "1.1", "TRUE", "FALSE", "2010-10-10",
                                 "2010-10-10T10:10:10", "10:10:10"]  # fmt: skip
    assert {index: rows[1].kinds[index] for index in range(1, 8)} == {  # type: ignore[index]
        1: CellKind.NUMBER, 2: CellKind.NUMBER, 3: CellKind.BOOLEAN, 4: CellKind.BOOLEAN,
        5: CellKind.DATE, 6: CellKind.DATE, 7: CellKind.DATE,
    }  # fmt: skip
    # Sheet3 starts in column B.
    assert tables[1].first_column == 1
    assert [row.cells for row in tables[1].rows()][1:] == [["line1"] * 3, ["line2"] * 3,
                                                           ["line3"] * 3]  # fmt: skip


def test_an_xls_is_not_checked_as_a_zip(write_xls: WorkbookFactory) -> None:
    # Every zip-based workbook is opened as a zip first; an .xls is none, and is read.
    assert rows_of(write_xls([["orderId"], ["1-01"]]))[1].cells == ["1-01"]


def test_an_xls_sheet_whose_grid_would_fill_the_memory_is_refused(
    write_xls: WorkbookFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A few kilobytes with two cells far apart: python-calamine holds the whole grid between.
    monkeypatch.setenv("BATCH_UPLOADER_MAX_WORKBOOK_MB", "1")
    path = write_xls([["orderId"], *([None] for _ in range(40_000)), [None] * 9 + ["x"]])

    with pytest.raises(InputError) as caught:
        read_tables(path)

    assert str(caught.value).startswith(
        f"{path}: sheet 'Sheet1' spans 40,002 rows by 10 columns, 13 MB in memory "
        "(limit 1.0 MB a sheet, 4.0 MB in all); set BATCH_UPLOADER_MAX_WORKBOOK_MB"
    )


def test_an_xls_larger_than_a_whole_workbook_may_be_is_refused_before_it_is_opened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_UPLOADER_MAX_WORKBOOK_MB", "1")
    path = tmp_path / "huge.xls"
    with path.open("wb") as handle:
        handle.truncate(4_000_001)

    with pytest.raises(InputError, match=r"huge\.xls: 4\.0 MB, more than a workbook may hold"):
        read_tables(path)
