"""A workbook's error cells (#N/A, #REF!...) are refused where a value is read, never read as
empty cells: a row whose courier or dispatch date is an error is not sent without it."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl

from batch_uploader.files.reader import read_tables
from batch_uploader.jobs.report import ExitStatus

from .conftest import invoke


def workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio", "Transportadora", "Data de envio"])
    sheet.append(["1-01", "000001", "LGI1", "#N/A", "2026-11-24"])  # error cells, as Excel's
    sheet.append(["2-01", "000002", "LGI2", "Loggi", "#REF!"])
    sheet.append(["3-01", "000003", "LGI3", "Loggi", "2026-11-24"])
    assert sheet["D2"].data_type == "e"
    book.save(path)
    return path


def test_error_cells_are_read_as_their_error(tmp_path: Path) -> None:
    (table,) = read_tables(workbook(tmp_path / "loggi.xlsx"))

    rows = {raw.number: raw.cells for raw in table.rows()}

    assert rows[2][3] == "#N/A"
    assert rows[3][4] == "#REF!"
    assert rows[4][3:] == ["Loggi", "2026-11-24"]


def test_a_row_with_an_error_in_an_optional_column_is_refused_not_sent_without_it(
    tmp_path: Path,
) -> None:
    source = workbook(tmp_path / "loggi.xlsx")
    results = tmp_path / "results.csv"

    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results))

    assert outcome.exit_code == ExitStatus.ROWS_NOT_SENT
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = {line["orderId"]: line for line in csv.DictReader(handle)}
    assert (lines["1-01"]["status"], lines["1-01"]["errorCode"]) == ("invalid", "spreadsheet-error")
    assert "column D 'Transportadora'" in lines["1-01"]["errorMessage"]
    assert (lines["2-01"]["status"], lines["2-01"]["errorCode"]) == ("invalid", "spreadsheet-error")
    assert "column E 'Data de envio'" in lines["2-01"]["errorMessage"]
    assert lines["3-01"]["status"] == "valid"
