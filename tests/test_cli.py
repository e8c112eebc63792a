"""The command line end to end: files in, requests to a sandbox on 127.0.0.1, results file and
exit status out."""

from __future__ import annotations

import csv
import datetime as dt
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli
from batch_uploader.sandbox.oms import Sandbox

from .conftest import CsvFactory, XlsxFactory

TOKEN = "TOKEN-must-never-show-9f8e7d"
NO_VTEX_ENV: dict[str, str | None] = {
    name: None
    for name in (
        "VTEX_APP_KEY",
        "VTEX_APP_TOKEN",
        "VTEX_BASE_URL",
        "VTEX_ACCOUNT_NAME",
        "VTEX_ENVIRONMENT",
    )
}
CREDENTIALS = {**NO_VTEX_ENV, "VTEX_APP_KEY": "vtexappkey-mystore-X", "VTEX_APP_TOKEN": TOKEN}
MIXED = (
    "Pedido;Nota Fiscal;Rastreio;Transportadora;Data de envio\n"
    "1300000000001-01;000123;AA123456789BR;Correios;2026-11-24\n"
    "1300000000002-01;000124;;Correios;2026-11-24\n"
    ";;;;\n"
    "1300000000003-01;000125;BB123456789BR;Correios;ontem\n"
    "1300000000004-01;000126;CC123456789BR;;\n"
)


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env or NO_VTEX_ENV, catch_exceptions=False)


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def test_upload_to_the_sandbox_writes_a_line_per_row(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(MIXED, "carrier.csv", bom=True)
    results = tmp_path / "results.csv"

    outcome = invoke("upload", str(source), "--sandbox", "--results", str(results))

    assert outcome.exit_code == 1
    lines = results_of(results)
    assert list(lines[0]) == [
        "row",
        "status",
        "orderId",
        "invoiceNumber",
        "trackingNumber",
        "trackingUrl",
        "courier",
        "dispatchedDate",
        "httpStatus",
        "receipt",
        "attempts",
        "errorCode",
        "errorMessage",
        "warnings",
        "notes",
    ]
    assert [(line["row"], line["status"], line["errorCode"]) for line in lines] == [
        ("2", "sent", ""),
        ("3", "invalid", "missing-value"),
        ("5", "invalid", "invalid-date"),
        ("6", "sent", ""),
    ]
    sent = lines[0]
    assert (sent["orderId"], sent["invoiceNumber"], sent["httpStatus"], sent["attempts"]) == (
        "1300000000001-01",
        "000123",
        "200",
        "1",
    )
    assert re.fullmatch("[0-9a-f]{32}", sent["receipt"])
    assert lines[1]["errorMessage"] == (
        "column C 'Rastreio' (trackingNumber): trackingNumber is empty; "
        "every row needs orderId, invoiceNumber, trackingNumber"
    )
    assert (
        f"{source} row 3: column C 'Rastreio' (trackingNumber): trackingNumber is empty"
        in outcome.output
    )
    assert "Processed 4 rows in" in outcome.output
    assert "2 sent, 0 skipped, 2 invalid, 0 failed." in outcome.output
    assert f"Results: {results}" in outcome.output


def test_xlsx_upload_sends_numbers_as_digits(
    write_xlsx: XlsxFactory, tmp_path: Path, sandbox: Sandbox
) -> None:
    source = write_xlsx(
        [
            ["Shipments — 24/11/2026"],
            [],
            ["Order ID", "Invoice", "Tracking Number", "Carrier", "Dispatched Date"],
            ["1300000000101-01", 88001, "LGI0000101", "Loggi", dt.datetime(2026, 11, 24, 9, 15)],
            ["1300000000102-01", 88002, 7999972, None, dt.date(2026, 11, 24)],
        ]
    )
    results = tmp_path / "results.csv"

    outcome = invoke(
        "upload", str(source), "--base-url", sandbox.base_url, "--results", str(results),
        "--journal", str(tmp_path / "journal.sqlite3"), env=CREDENTIALS,
    )  # fmt: skip

    assert outcome.exit_code == 0, outcome.output
    assert sorted((r.order_id, r.invoice_number, r.body["trackingNumber"], r.body["courier"],
                   r.body["dispatchedDate"]) for r in sandbox.received) == [
        ("1300000000101-01", "88001", "LGI0000101", "Loggi", "2026-11-24T09:15:00"),
        ("1300000000102-01", "88002", "7999972", None, "2026-11-24"),
    ]  # fmt: skip
    assert [(line["row"], line["status"]) for line in results_of(results)] == [
        ("4", "sent"),
        ("5", "sent"),
    ]
    assert {r.headers["X-VTEX-API-AppToken"] for r in sandbox.received} == {TOKEN}
    assert TOKEN not in outcome.output
    assert TOKEN not in results.read_text(encoding="utf-8-sig")


def test_several_files_add_file_and_sheet_columns(
    write_csv: CsvFactory, write_xlsx: XlsxFactory, tmp_path: Path
) -> None:
    first = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n", "a.csv")
    second = write_xlsx([["orderId", "invoiceNumber", "trackingNumber"], ["2-01", 2, "T2"]])
    results = tmp_path / "results.csv"

    outcome = invoke("upload", str(first), str(second), "--sandbox", "--results", str(results))

    assert outcome.exit_code == 0
    assert [(x["file"], x["sheet"], x["row"], x["status"]) for x in results_of(results)] == [
        (str(first), "", "2", "sent"),
        (str(second), "Sheet1", "2", "sent"),
    ]


def test_dry_run_sends_nothing(write_csv: CsvFactory, tmp_path: Path, sandbox: Sandbox) -> None:
    source = write_csv(MIXED)
    results = tmp_path / "results.csv"

    outcome = invoke(
        "upload", str(source), "--dry-run", "--base-url", sandbox.base_url,
        "--results", str(results), env=CREDENTIALS,
    )  # fmt: skip

    assert outcome.exit_code == 1
    assert sandbox.requests == 0
    assert [line["status"] for line in results_of(results)] == [
        "valid",
        "invalid",
        "invalid",
        "valid",
    ]
    assert "Dry run: nothing was sent." in outcome.output


def test_clean_dry_run_exits_0(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n")

    outcome = invoke("upload", str(source), "--dry-run", "--results", str(tmp_path / "r.csv"))

    assert outcome.exit_code == 0
    assert "Checked 1 rows in" in outcome.output


def test_refused_credentials_stop_the_run_with_exit_3(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    rows = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, 21))
    source = write_csv("orderId,invoiceNumber,trackingNumber\n" + rows)
    results = tmp_path / "results.csv"

    outcome = invoke(
        "upload", str(source), "--sandbox", "--sandbox-refuse-credentials", "403",
        "--concurrency", "1", "--results", str(results), env=CREDENTIALS,
    )  # fmt: skip

    assert outcome.exit_code == 3
    assert "stopped: the app key may not update invoices (403 Forbidden)" in outcome.output
    assert "'Notify invoice'" in outcome.output
    lines = results_of(results)
    assert len(lines) == 20
    assert (lines[0]["status"], lines[0]["httpStatus"], lines[0]["errorCode"]) == (
        "failed",
        "403",
        "http-403",
    )
    assert {(x["status"], x["errorCode"], x["attempts"]) for x in lines[1:]} == {
        ("failed", "not-attempted", "0")
    }
    assert TOKEN not in outcome.output
    assert TOKEN not in results.read_text(encoding="utf-8-sig")


def test_missing_credentials_is_a_usage_error(write_csv: CsvFactory) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n")

    outcome = invoke("upload", str(source), "--account", "mystore")

    assert outcome.exit_code == 2
    assert outcome.output == (
        "batch-uploader: error: missing credentials: set VTEX_APP_KEY and VTEX_APP_TOKEN to an "
        "app key and token whose role has the 'Notify invoice' resource (or use --sandbox or "
        "--dry-run)\n"
    )


def test_missing_target_is_a_usage_error(write_csv: CsvFactory) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n")

    outcome = invoke("upload", str(source), env=CREDENTIALS)

    assert outcome.exit_code == 2
    assert "no target: give --account" in outcome.output


def test_plain_http_is_refused_off_loopback(write_csv: CsvFactory) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n")

    outcome = invoke("upload", str(source), "--base-url", "http://oms.example.com", env=CREDENTIALS)

    assert outcome.exit_code == 2
    assert "uses plain http; use https" in outcome.output


def test_unreadable_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")

    outcome = invoke("upload", str(broken), "--sandbox")

    assert outcome.exit_code == 2
    assert outcome.output.startswith(f"batch-uploader: error: {broken}: cannot be opened")
    assert "Traceback" not in outcome.output


def test_file_without_the_required_columns_exits_2(write_csv: CsvFactory) -> None:
    source = write_csv("Pedido,Obs\n1-01,x\n")

    outcome = invoke("upload", str(source), "--sandbox")

    assert outcome.exit_code == 2
    assert "cannot find the column(s) invoiceNumber, trackingNumber" in outcome.output
    assert "Headings on row 1: 'Pedido', 'Obs'" in outcome.output


def test_results_must_be_csv_or_xlsx(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n")

    outcome = invoke("upload", str(source), "--sandbox", "--results", str(tmp_path / "r.txt"))

    assert outcome.exit_code == 2
    assert "the results file must end in .csv or .xlsx" in outcome.output


def test_default_results_path_is_under_output(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n", "jadlog.csv")
    monkeypatch.chdir(tmp_path)

    outcome = invoke("upload", str(source), "--sandbox")

    assert outcome.exit_code == 0
    results, summary = sorted(path.name for path in (tmp_path / "output").iterdir())
    assert re.fullmatch(r"jadlog-results-\d{8}T\d{6}Z\.csv", results)
    assert summary == results.removesuffix(".csv") + ".summary.json"


def test_python_dash_m_runs_the_cli() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "batch_uploader", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert completed.returncode == 0
    assert "upload" in completed.stdout
    assert "sandbox" in completed.stdout
