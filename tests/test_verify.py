"""Read-back verification: the comparison, the read's error paths (404, 429, 403), and the
upload with --verify end to end against the sandbox."""

from __future__ import annotations

import asyncio
import csv
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from batch_uploader import Credentials, Settings, run
from batch_uploader.cli.main import cli
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.models import TrackingUpdate, Verdict, Verification
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.vtex.read_back import compare
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import open_sender

from .conftest import CsvFactory, XlsxFactory, invoke

UPDATE = TrackingUpdate("1-01", "9", "AA1", "https://t.example/AA1", "Loggi")


def order(*packages: dict[str, Any]) -> dict[str, Any]:
    return {"orderId": "1-01", "packageAttachment": {"packages": list(packages)}}


def test_an_order_holding_what_was_sent_is_verified() -> None:
    held = {"invoiceNumber": "9", "trackingNumber": "AA1", "trackingUrl": "https://t.example/AA1",
            "courier": "Loggi", "invoiceValue": 1015}  # fmt: skip

    assert compare(order({"invoiceNumber": "1"}, held), UPDATE) == Verification(Verdict.VERIFIED)


def test_a_different_tracking_number_is_a_mismatch_saying_what_vtex_holds() -> None:
    held = {"invoiceNumber": "9", "trackingNumber": "OLD", "trackingUrl": None, "courier": "Loggi"}

    assert compare(order(held), UPDATE) == Verification(
        Verdict.MISMATCH, "VTEX holds trackingNumber 'OLD', trackingUrl empty"
    )


def test_values_not_sent_are_not_compared() -> None:
    held = {"invoiceNumber": "9", "trackingNumber": "AA1", "courier": "Correios"}

    assert compare(order(held), TrackingUpdate("1-01", "9", "AA1")).verdict is Verdict.VERIFIED


@pytest.mark.parametrize(
    ("answer", "detail"),
    [
        (order({"invoiceNumber": "7"}, {"invoiceNumber": 8}),
         "the order holds no invoice '9': its invoices are '7', '8'"),
        (order(), "the order holds no invoice '9': it has no invoice"),
        ({"orderId": "1-01", "packageAttachment": None},
         "the order holds no invoice '9': it has no invoice"),
    ],
)  # fmt: skip
def test_a_missing_invoice_is_a_mismatch(answer: dict[str, Any], detail: str) -> None:
    assert compare(answer, UPDATE) == Verification(Verdict.MISMATCH, detail)


FILE = "orderId,invoiceNumber,trackingNumber,courier\n1-01,9,AA1,Loggi\n2-01,8,BB2,Loggi\n"


def upload_with_reads(
    write_csv: CsvFactory, tmp_path: Path, reads: list[httpx.Response]
) -> tuple[list[dict[str, str]], list[str], int]:
    """Uploads FILE with --verify against a mock OMS whose order reads answer ``reads`` in
    turn (then the order as sent); the results lines, the requests made, the exit status."""
    made: list[str] = []
    sent: dict[str, dict[str, Any]] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        made.append(f"{request.method} {request.url.path}")
        order_id = request.url.path.split("/")[5]
        if request.method == "PATCH":
            sent[order_id] = {"invoiceNumber": request.url.path.split("/")[7],
                              **json.loads(request.content)}  # fmt: skip
            return httpx.Response(200, json={"date": "d", "orderId": order_id, "receipt": "r"})
        if reads:
            return reads.pop(0)
        return httpx.Response(200, json=order(sent[order_id]))

    report = run(
        [write_csv(FILE)],
        results_path=tmp_path / "r.csv",
        base_url="https://mystore.vtexcommercestable.com.br",
        credentials=Credentials("key", "token"),
        settings=Settings(rate=1000, concurrency=1, retry=RetryPolicy(backoff_initial=0.001)),
        transport=httpx.MockTransport(answer),
        verify_orders=True,
    )
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    return lines, made, report.exit_status


def test_an_order_that_cannot_be_read_is_not_checked_with_the_reason(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    not_found = httpx.Response(
        404, json={"error": {"code": "OMS007", "message": "Order Not Found", "exception": None}}
    )

    lines, made, status = upload_with_reads(write_csv, tmp_path, [not_found])

    assert [(x["status"], x["verification"], x["verificationDetail"]) for x in lines] == [
        ("sent", "not-checked", "the order could not be read: OMS007: Order Not Found"),
        ("sent", "verified", ""),
    ]
    assert made == [
        "PATCH /api/oms/pvt/orders/1-01/invoice/9",
        "GET /api/oms/pvt/orders/1-01",
        "PATCH /api/oms/pvt/orders/2-01/invoice/8",
        "GET /api/oms/pvt/orders/2-01",
    ]
    assert status == ExitStatus.ROWS_NOT_SENT


def test_a_read_answered_429_is_retried(write_csv: CsvFactory, tmp_path: Path) -> None:
    throttled = httpx.Response(429, headers={"Retry-After": "0"}, json={})

    lines, made, status = upload_with_reads(write_csv, tmp_path, [throttled])

    assert [x["verification"] for x in lines] == ["verified", "verified"]
    assert made.count("GET /api/oms/pvt/orders/1-01") == 2
    assert status == ExitStatus.OK


def test_reads_share_the_pacer_of_the_updates(write_csv: CsvFactory, tmp_path: Path) -> None:
    async def companion_pacer() -> bool:
        settings = Settings(rate=10)
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
        async with open_sender("https://x.example", Credentials("k", "t"), settings,
                               transport) as sender:  # fmt: skip
            return sender.companion().pacer is sender.pacer

    assert asyncio.run(companion_pacer())

    # End to end: 5 updates and 5 reads at --rate 10 take 10 slots 0.1 s apart, so at least
    # 0.9 s from the first request to the last (a pacer of their own would let the reads slip
    # between the updates, and the whole run take about half that).
    at: list[tuple[str, float]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        at.append((request.method, time.monotonic()))
        order_id = request.url.path.split("/")[5]
        if request.method == "PATCH":
            return httpx.Response(200, json={"date": "d", "orderId": order_id, "receipt": "r"})
        return httpx.Response(
            200, json=order({"invoiceNumber": order_id[0], "trackingNumber": "T"})
        )

    rows = "".join(f"{n}-01,{n},T\n" for n in range(1, 6))
    report = run(
        [write_csv("orderId,invoiceNumber,trackingNumber\n" + rows)],
        results_path=tmp_path / "r.csv",
        base_url="https://mystore.vtexcommercestable.com.br",
        credentials=Credentials("key", "token"),
        settings=Settings(rate=10, concurrency=4),
        transport=httpx.MockTransport(answer),
        verify_orders=True,
    )

    assert report.exit_status == ExitStatus.OK
    assert sorted(method for method, _ in at) == ["GET"] * 5 + ["PATCH"] * 5
    assert report.requests == 10
    assert at[-1][1] - at[0][1] >= 0.8


def test_a_key_that_may_not_read_orders_stops_the_reads_not_the_updates(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    lines, made, status = upload_with_reads(write_csv, tmp_path, [httpx.Response(403, json={})])

    refused = (
        "the app key may not read orders (403 Forbidden); give its role the 'View order' resource"
    )
    assert [(x["status"], x["verification"], x["verificationDetail"]) for x in lines] == [
        ("sent", "not-checked", f"the order could not be read: http-403: {refused}"),
        ("sent", "not-checked", f"not read: {refused}"),
    ]
    assert [m.split()[0] for m in made] == ["PATCH", "GET", "PATCH"]
    assert status == ExitStatus.ROWS_NOT_SENT


def test_upload_with_verify_finds_the_update_that_did_not_land(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(FILE + "3-01,7,,Loggi\n")
    results = tmp_path / "r.csv"

    outcome = CliRunner().invoke(
        cli,
        ["upload", str(source), "--sandbox", "--verify", "--sandbox-lost-update", "2-01",
         "--results", str(results)],
        catch_exceptions=False,
    )  # fmt: skip

    assert outcome.exit_code == ExitStatus.ROWS_NOT_SENT, outcome.output
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(x["row"], x["status"], x["verification"], x["verificationDetail"]) for x in lines] == [
        ("2", "sent", "verified", ""),
        ("3", "sent", "mismatch", "the order holds no invoice '8': it has no invoice"),
        ("4", "invalid", "not-checked", "not sent"),
    ]
    assert "Read back: 1 verified, 1 mismatch, 0 not-checked." in outcome.output
    # The row sent but not found on the order is not among the rows not sent.
    before_summary = outcome.output.splitlines()[:-1]
    assert before_summary[0] == "Rows not sent; the results file has them all:"
    assert before_summary[1].startswith(f"  {source} row 4: ")
    assert before_summary[2:] == [
        "Rows sent but not verified; the results file has them all:",
        f"  {source} row 3: mismatch: the order holds no invoice '8': it has no invoice",
    ]
    summary = json.loads(results.with_name("r.summary.json").read_text(encoding="utf-8"))
    assert summary["verification"] == {"verified": 1, "mismatch": 1, "not-checked": 0}


def test_rows_sent_but_not_verified_are_counted_under_their_own_heading(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    orders = [f"{n}-01" for n in range(1, 13)]
    source = write_csv(
        "orderId,invoiceNumber,trackingNumber\n"
        + "".join(f"{order},{n},T{n}\n" for n, order in enumerate(orders, 1))
    )
    with Sandbox(SandboxConfig(lost_updates=frozenset(orders))) as sandbox:
        outcome = invoke("upload", str(source), "--base-url", sandbox.base_url, "--verify",
                         "--rate", "1000", "--results", str(tmp_path / "r.csv"),
                         "--journal", str(tmp_path / "journal.sqlite3"))  # fmt: skip

    assert outcome.exit_code == ExitStatus.ROWS_NOT_SENT, outcome.output
    *listed, summary = outcome.output.splitlines()
    assert listed == [
        "Rows sent but not verified (the first 10 of 12); the results file has them all:",
        *(f"  {source} row {n + 1}: mismatch: the order holds no invoice '{n}': it has no invoice"
          for n in range(1, 11)),
    ]  # fmt: skip
    assert "12 sent, 0 skipped, 0 invalid, 0 failed." in summary
    assert "Read back: 0 verified, 12 mismatch, 0 not-checked." in summary


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_verify_reads_back_the_rows_a_results_file_says_were_sent(
    write_csv: CsvFactory, tmp_path: Path, extension: str
) -> None:
    source = write_csv(FILE + "3-01,7,,Loggi\n4-01,6,+X1,Loggi\n")
    results = tmp_path / f"r.{extension}"
    with Sandbox(SandboxConfig(lost_updates=frozenset({"2-01"}))) as sandbox:
        sent = invoke("upload", str(source), "--base-url", sandbox.base_url, "--results",
                      str(results), "--no-url-templates", "--journal",
                      str(tmp_path / "journal.sqlite3"))  # fmt: skip
        assert sent.exit_code == ExitStatus.ROWS_NOT_SENT, sent.output
        checked = invoke("verify", str(results), "--base-url", sandbox.base_url)
        requests = sandbox.requests

    assert requests == 3 + 3  # an update and a read for each row sent
    assert checked.exit_code == ExitStatus.ROWS_NOT_SENT, checked.output
    verified = tmp_path / "r-verified.csv"
    with verified.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(x["row"], x["status"], x["trackingNumber"], x["verification"],
             x["verificationDetail"]) for x in lines] == [
        ("2", "sent", "AA1", "verified", ""),
        ("3", "sent", "BB2", "mismatch", "the order holds no invoice '8': it has no invoice"),
        ("4", "invalid", "", "not-checked", "not sent"),
        ("5", "sent", "'+X1", "verified", ""),
    ]  # fmt: skip
    *listed, summary = checked.output.splitlines()
    assert listed == [
        f"Rows sent but not verified; {verified} has them all:",
        f"  {source} row 3: mismatch: the order holds no invoice '8': it has no invoice",
    ]
    assert summary.startswith("Read back 3 rows sent: 2 verified, 1 mismatch, 0 not-checked.")


def test_verify_names_each_line_by_its_file_sheet_and_row(
    write_xlsx: XlsxFactory, tmp_path: Path
) -> None:
    header = ["orderId", "invoiceNumber", "trackingNumber"]
    first = write_xlsx([header, ["1-01", "9", "AA1"], ["2-01", "8", "BB2"]], "a.xlsx")
    second = write_xlsx([header, ["3-01", "7", "CC3"]], "b.xlsx", sheet="Envios")
    results = tmp_path / "r.csv"
    with Sandbox(SandboxConfig(lost_updates=frozenset({"2-01", "3-01"}))) as sandbox:
        invoke("upload", str(first), str(second), "--base-url", sandbox.base_url, "--results",
               str(results), "--journal", str(tmp_path / "journal.sqlite3"))  # fmt: skip
        results.with_name("r.summary.json").unlink()  # the lines name their files themselves
        checked = invoke("verify", str(results), "--base-url", sandbox.base_url)

    assert checked.exit_code == ExitStatus.ROWS_NOT_SENT, checked.output
    assert checked.output.splitlines()[:-1] == [
        f"Rows sent but not verified; {tmp_path / 'r-verified.csv'} has them all:",
        f"  {first} [Sheet1] row 3: mismatch: the order holds no invoice '8': it has no invoice",
        f"  {second} [Envios] row 2: mismatch: the order holds no invoice '7': it has no invoice",
    ]


def test_verify_refuses_the_results_of_delivery_events(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("Pedido;NF;Data;Cidade;UF;Ocorrência\n1-01;9;2026-11-21;Recife;PE;x\n")
    results = tmp_path / "events.csv"
    invoke("events", str(source), "--dry-run", "--results", str(results))

    outcome = invoke("verify", str(results), "--base-url", "http://127.0.0.1:9")

    assert outcome.exit_code == ExitStatus.USAGE
    assert outcome.output == (
        f"batch-uploader: error: {results}: the results of a delivery-events upload: verify "
        "checks the results of tracking numbers (batch-uploader upload), not of delivery events\n"
    )


def test_verify_refuses_a_file_that_is_not_results(write_csv: CsvFactory) -> None:
    outcome = invoke("verify", str(write_csv(FILE)), "--base-url", "http://127.0.0.1:9")

    assert outcome.exit_code == ExitStatus.USAGE
    assert "not a results file of batch-uploader: no column status" in outcome.output
