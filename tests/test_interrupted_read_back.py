"""An upload with read-back interrupted while the orders are being read: the rows VTEX took
are sent (with their receipt), not failed, and say they were not read back."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx

from batch_uploader import Credentials, Settings, run, verify_results
from batch_uploader.jobs.report import ExitStatus

from .conftest import CsvFactory

BASE = "https://mystore.vtexcommercestable.com.br"
CREDENTIALS = Credentials("vtexappkey-mystore-ABC", "read-back-test-token-7d1e")


async def answer(request: httpx.Request) -> httpx.Response:
    if request.method == "GET":
        await asyncio.sleep(30)  # the read-back hangs
    order = request.url.path.split("/")[5]
    return httpx.Response(200, json={"date": "d", "orderId": order, "receipt": f"r-{order}"})


def test_rows_sent_before_an_interrupted_read_back_stay_sent(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.sqlite3"
    settings = Settings(rate=1000, concurrency=4, grace=0.2)
    earlier = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n", "earlier.csv")
    run([earlier], results_path=tmp_path / "earlier-results.csv", base_url=BASE,
        credentials=CREDENTIALS, settings=settings, journal_path=journal,
        transport=httpx.MockTransport(answer))  # fmt: skip
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n2-01,8,BB2\n")
    results = tmp_path / "results.csv"

    interrupt = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    try:
        report = run([source], results_path=results, base_url=BASE, credentials=CREDENTIALS,
                     settings=settings, journal_path=journal, verify_orders=True,
                     transport=httpx.MockTransport(answer))  # fmt: skip
    finally:
        interrupt.cancel()

    assert report.exit_status == ExitStatus.INTERRUPTED
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = [
            (line["row"], line["status"], line["receipt"], line["errorCode"],
             line["verification"], line["verificationDetail"])
            for line in csv.DictReader(handle)
        ]  # fmt: skip
    assert lines == [
        ("2", "skipped", "r-1-01", "already-sent", "not-checked", "not read: the run stopped"),
        ("3", "sent", "r-2-01", "", "not-checked", "not read: the run stopped"),
    ]
    summary = json.loads(results.with_name("results.summary.json").read_text(encoding="utf-8"))
    assert summary["rows"] | {"total": 2} == {
        "total": 2, "sent": 1, "skipped": 1, "invalid": 0, "failed": 0, "valid": 0
    }  # fmt: skip


def test_an_interrupted_verify_writes_every_line(write_csv: CsvFactory, tmp_path: Path) -> None:
    results = write_csv(
        "row,status,orderId,invoiceNumber,trackingNumber,errorCode\n"
        "2,sent,1-01,9,AA1,\n"
        "3,invalid,,8,,missing-value\n"
        "4,skipped,3-01,7,CC3,already-sent\n",
        "results.csv",
    )
    output = tmp_path / "verified.csv"

    interrupt = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    interrupt.start()
    try:
        report = verify_results(results, output, base_url=BASE, credentials=CREDENTIALS,
                                settings=Settings(rate=1000, concurrency=4),
                                transport=httpx.MockTransport(answer))  # fmt: skip
    finally:
        interrupt.cancel()

    assert report.exit_status == ExitStatus.INTERRUPTED
    with output.open(encoding="utf-8-sig", newline="") as handle:
        lines = [(line["row"], line["verification"], line["verificationDetail"])
                 for line in csv.DictReader(handle)]  # fmt: skip
    assert lines == [
        ("2", "not-checked", "not read: interrupted"),
        ("3", "not-checked", "not sent"),
        ("4", "not-checked", "not read: interrupted"),
    ]


# A run of more rows than are held ahead whose first row is never answered, stopped once.
HELD_AHEAD = """
import asyncio, os, signal, sys, threading
from pathlib import Path

import httpx

from batch_uploader import Credentials, Settings, run

async def answer(request):
    if request.url.path.split("/")[5] == "1-01":
        await asyncio.sleep(3600)
    return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

folder = Path(sys.argv[1])
source = folder / "many.csv"
source.write_text("orderId,invoiceNumber,trackingNumber\\n"
                  + "".join(f"{n}-01,{n},T{n}\\n" for n in range(1, 1201)))
threading.Timer(2, os.kill, (os.getpid(), signal.SIGINT)).start()
report = run([source], results_path=folder / "r.csv", base_url="https://x.vtexcommercestable.com.br",
             credentials=Credentials("key", "held-ahead-token-4e2f"),
             settings=Settings(rate=1000, concurrency=4, grace=0.3, timeout=100),
             transport=httpx.MockTransport(answer))
sys.exit(report.exit_status)
"""


def test_an_interrupted_run_with_every_row_held_ahead_ends(tmp_path: Path) -> None:
    script = tmp_path / "held_ahead.py"
    script.write_text(HELD_AHEAD, encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()

    assert process.returncode == ExitStatus.INTERRUPTED, err
    with (tmp_path / "r.csv").open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == 1200
    assert (lines[0]["status"], lines[0]["errorCode"], lines[0]["attempts"]) == (
        "failed", "interrupted", "1"
    )  # fmt: skip
