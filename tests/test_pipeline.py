from __future__ import annotations

import asyncio
import csv
import json
import random
from pathlib import Path

import httpx

from batch_uploader.pipeline import Settings, run
from batch_uploader.report import ExitStatus
from batch_uploader.target import Credentials

from .conftest import CsvFactory

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
