"""What a run leaves for people and machines: results as CSV or XLSX, the rows to fix in
their own columns, and summary.json. Nothing written can run as a formula."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli

from .conftest import CsvFactory, XlsxFactory

FILE = (
    "Pedido;NF;Rastreio;Transportadora;Obs\n"
    "1-01;000123;RA473124829BR;Correios;fragile\n"
    "2-01;000124;;Jadlog;call first\n"
    '3-01;000125;T3;=HYPERLINK("http://evil");\n'
    "4-01;000126;T4;+55 11 5555-5555;\n"
)


def upload(*args: str) -> Result:
    return CliRunner().invoke(cli, ["upload", "--sandbox", *args], catch_exceptions=False)


def csv_lines(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_xlsx_results_have_a_summary_and_safe_cells(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    results = tmp_path / "results.xlsx"

    outcome = upload(str(source), "--results", str(results))

    assert outcome.exit_code == 1
    book = openpyxl.load_workbook(results)
    assert book.sheetnames == ["Summary", "Results"]
    sheet = book["Results"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][:4] == ["row", "status", "orderId", "invoiceNumber"]
    assert [(r[0], r[1], r[3]) for r in rows[1:]] == [
        ("2", "sent", "000123"),
        ("3", "invalid", "000124"),
        ("4", "invalid", "000125"),
        ("5", "sent", "000126"),
    ]
    assert rows[3][6] == '=HYPERLINK("http://evil")'
    assert sheet["G4"].data_type == "s"  # text, never a formula
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O5"
    assert sheet["B2"].fill.fgColor.rgb == "FFC6EFCE"
    assert sheet["B3"].fill.fgColor.rgb == "FFFFEB9C"
    summary = {row[0].value: row[1].value for row in book["Summary"].iter_rows() if row[0].value}
    assert (summary["sent"], summary["invalid"], summary["failed"]) == (2, 2, 0)
    assert (summary["missing-value"], summary["formula-cell"]) == (1, 1)
    assert summary["Exit status"] == 1
    assert summary["Requests"] == 2


def test_csv_results_cannot_run_formulas(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    results = tmp_path / "results.csv"

    upload(str(source), "--results", str(results))

    lines = csv_lines(results)
    assert lines[3][6] == '\'=HYPERLINK("http://evil")'
    assert lines[4][6] == "'+55 11 5555-5555"


def test_rows_to_fix_keep_their_columns_and_upload_again_once_fixed(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(FILE, "jadlog.csv")
    results = tmp_path / "out" / "results.csv"

    first = upload(str(source), "--results", str(results))

    report = json.loads((tmp_path / "out" / "results.summary.json").read_text())
    (to_fix,) = report["outputs"]["toFix"]
    assert Path(to_fix).name.startswith("jadlog-to-fix-")
    lines = csv_lines(Path(to_fix))
    assert lines[0] == ["Pedido", "NF", "Rastreio", "Transportadora", "Obs", "error"]
    assert lines[1][:5] == ["2-01", "000124", "", "Jadlog", "call first"]
    assert lines[1][5].startswith("missing-value: column C 'Rastreio' (trackingNumber)")
    assert lines[2][3] == '\'=HYPERLINK("http://evil")'

    lines[1][2] = "RA473124829BR"
    lines[2][3] = "Loggi"
    with Path(to_fix).open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(lines)
    again = upload(to_fix, "--results", str(tmp_path / "again.csv"))

    assert first.exit_code == 1
    assert again.exit_code == 0, again.output
    assert [line[1] for line in csv_lines(tmp_path / "again.csv")[1:]] == ["sent", "sent"]


def test_rows_to_fix_from_a_workbook_stay_text(write_xlsx: XlsxFactory, tmp_path: Path) -> None:
    source = write_xlsx(
        [["Pedido", "NF", "Rastreio"], ["1-01", "000123", None], ["2-01", "000124", "T2"]],
        "loggi.xlsx",
    )

    upload(str(source), "--results", str(tmp_path / "r.csv"))

    (to_fix,) = tmp_path.glob("loggi-Sheet1-to-fix-*.xlsx")
    sheet = openpyxl.load_workbook(to_fix)["To fix"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Pedido", "NF", "Rastreio", "error"]
    assert rows[1][:3] == ["1-01", "000123", ""]
    assert sheet["B2"].number_format == "@"


def test_summary_json_keys(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    results = tmp_path / "r.csv"

    upload(str(source), "--results", str(results))

    summary = json.loads((tmp_path / "r.summary.json").read_text())
    assert set(summary) == {
        "version", "startedAt", "seconds", "dryRun", "target", "files", "rows", "problems",
        "requests", "achievedRate", "throttled", "lowestRate", "changedInputs", "exitStatus",
        "stopReason", "interrupted", "outputs", "verification", "unwritten", "unusedColumns",
        "notes",
    }  # fmt: skip
    assert summary["verification"] is None  # no read-back without --verify
    assert summary["version"] == 1
    assert summary["rows"] == {
        "total": 4, "sent": 2, "invalid": 2, "failed": 0, "skipped": 0, "valid": 0,
    }  # fmt: skip
    assert summary["problems"] == {"missing-value": 1, "formula-cell": 1}
    assert summary["exitStatus"] == 1
    assert summary["files"] == [str(source)]
    assert summary["target"].startswith("http://127.0.0.1:")
    assert summary["outputs"]["results"] == str(results)
    assert summary["outputs"]["summary"] == str(tmp_path / "r.summary.json")
    assert summary["requests"] == 2
