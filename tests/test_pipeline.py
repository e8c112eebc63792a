from __future__ import annotations

import asyncio
import csv
import json
import random
from pathlib import Path

import httpx
import openpyxl
import pytest

from batch_uploader.errors import InputError, UsageError
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.models import Status
from batch_uploader.scripting import run
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import CsvFactory, XlsxFactory

BASE = "https://mystore.vtexcommercestable.com.br"


def test_results_keep_input_order_while_requests_overlap(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    rows = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, 61))
    source = write_csv("orderId,invoiceNumber,trackingNumber\n" + rows)
    results = tmp_path / "results.csv"
    in_flight = peak = 0
    delays = random.Random(3)

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(delays.uniform(0, 0.02))
        in_flight -= 1
        order = request.url.path.split("/")[5]
        if order == "7-01":
            return httpx.Response(
                404, json={"error": {"code": "OMS007", "message": "Order Not Found"}}
            )
        receipt = json.loads(request.content)["trackingNumber"].lower()
        return httpx.Response(200, json={"date": "d", "orderId": order, "receipt": receipt})

    report = run(
        [source],
        results_path=results,
        base_url=BASE,
        credentials=Credentials("key", "token"),
        settings=Settings(rate=1000, concurrency=4),
        transport=httpx.MockTransport(answer),
    )

    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [line["row"] for line in lines] == [str(n) for n in range(2, 62)]
    assert [line["receipt"] for line in lines] == ["" if n == 7 else f"t{n}" for n in range(1, 61)]
    assert lines[6]["status"] == "failed"
    assert 1 < peak <= 4
    assert (report.rows, report.exit_status) == (60, ExitStatus.ROWS_NOT_SENT)


def test_repeated_and_conflicting_invoices_across_files(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    first = write_csv(
        "orderId,invoiceNumber,trackingNumber\n1-01,9,AA\n2-01,5,OLD\n3-01,7,T3\n", "a.csv"
    )
    second = write_csv("Pedido;NF;Rastreio\n1-01;9;AA\n2-01;5;NEW\n1-01;9;AA\n", "b.csv")
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    report = run(
        [first, second],
        results_path=tmp_path / "results.csv",
        base_url=BASE,
        credentials=Credentials("key", "token"),
        settings=Settings(rate=1000),
        transport=httpx.MockTransport(answer),
    )

    with (tmp_path / "results.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = [(x["file"], x["row"], x["status"], x["errorCode"], x["errorMessage"])
                 for x in csv.DictReader(handle)]  # fmt: skip
    assert sorted(sent) == [
        "/api/oms/pvt/orders/1-01/invoice/9",
        "/api/oms/pvt/orders/3-01/invoice/7",
    ]
    conflict = (
        "this order and invoice have other tracking data in {}; none of these rows is sent: "
        "keep the right one and upload it again"
    )
    assert lines == [
        (str(first), "2", "sent", "", ""),
        (str(first), "3", "invalid", "conflicting-rows", conflict.format(f"{second} row 3")),
        (str(first), "4", "sent", "", ""),
        (str(second), "2", "skipped", "duplicate-row",
         f"repeats {first} row 2 (same order, invoice and tracking data), which is sent once"),
        (str(second), "3", "invalid", "conflicting-rows", conflict.format(f"{first} row 3")),
        (str(second), "4", "skipped", "duplicate-row",
         f"repeats {first} row 2 (same order, invoice and tracking data), which is sent once"),
    ]  # fmt: skip
    assert report.exit_status == ExitStatus.ROWS_NOT_SENT


def test_an_empty_cell_and_a_missing_column_repeat_the_same_row(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    first = write_csv("orderId,invoiceNumber,trackingNumber,courier\n1-01,9,AA,\n", "a.csv")
    second = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA\n", "b.csv")

    report = run([first, second], results_path=tmp_path / "r.csv", dry_run=True)

    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = [(x["status"], x["errorCode"]) for x in csv.DictReader(handle)]
    assert lines == [("valid", ""), ("skipped", "duplicate-row")]
    assert report.rows == 2


def test_every_sheet_with_a_header_is_read(write_xlsx: XlsxFactory, tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Loggi"
    first.append(["orderId", "invoiceNumber", "trackingNumber"])
    first.append(["1-01", "1", "L1"])
    workbook.create_sheet("Notes").append(["Remember to call the carrier"])
    jadlog = workbook.create_sheet("Jadlog")
    jadlog.append(["Pedido", "NF", "Rastreio"])
    jadlog.append(["2-01", "2", "J2"])
    workbook.save(path)

    report = run([path], results_path=tmp_path / "r.csv", dry_run=True)

    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = [(x["sheet"], x["row"], x["orderId"]) for x in csv.DictReader(handle)]
    assert lines == [("Loggi", "2", "1-01"), ("Jadlog", "2", "2-01")]
    assert len(report.notes) == 1
    assert str(report.notes[0]).startswith(
        f"sheet left out: {path} [Notes]: cannot find the column(s)"
    )


def test_results_may_not_overwrite_an_input(write_csv: CsvFactory) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n")

    with pytest.raises(UsageError, match="is one of the input files"):
        run([source], results_path=source, dry_run=True)

    assert source.read_text() == "orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n"


def test_failures_in_a_row_stop_the_run(write_csv: CsvFactory, tmp_path: Path) -> None:
    rows = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, 31))
    source = write_csv("orderId,invoiceNumber,trackingNumber\n" + rows)
    calls = 0

    def answer(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(404, json={"error": {"code": "OMS007", "message": "Order Not Found"}})

    report = run(
        [source],
        results_path=tmp_path / "r.csv",
        base_url=BASE,
        credentials=Credentials("key", "token"),
        settings=Settings(rate=1000, concurrency=1, stop_after_failures=5),
        transport=httpx.MockTransport(answer),
    )

    assert calls == 5
    assert report.exit_status == ExitStatus.ABORTED
    assert report.stop_reason == "5 rows in a row failed (the last: OMS007: Order Not Found)"
    assert report.counts[Status.FAILED] == 30


def test_a_quote_broken_far_down_a_file_stops_the_run_before_anything_is_sent(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    rows = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, 501))
    source = write_csv("orderId,invoiceNumber,trackingNumber\n" + rows + '501-01,501,"T501\n')
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    with pytest.raises(InputError, match=r"input\.csv: line 502: unexpected end of data"):
        run(
            [source],
            results_path=tmp_path / "results.csv",
            base_url=BASE,
            credentials=Credentials("key", "token"),
            settings=Settings(rate=1000, concurrency=4),
            transport=httpx.MockTransport(answer),
        )

    assert requests == []
    assert not (tmp_path / "results.csv").exists()
