"""One scenario for every note batch-uploader writes about a row, run through the public API
(and, for what only an interrupted run says, the functions that say it): dry runs of tracking
numbers and delivery events with one trouble a row, uploads to a VTEX that answers each order
with another trouble, refused credentials, failures one after another, a row sent twice, orders
read back, files that change while they are read.

:func:`everything` returns what each scenario's results say about each row, as plain values:
``row-messages.json`` in ``data/`` holds what the version before messages became templates said
(see the README there). It runs in the current folder, whose files it names as written.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import openpyxl

from batch_uploader.files import reader
from batch_uploader.files.inputs import Reading, as_surveyed, data_rows, data_values, open_inputs
from batch_uploader.jobs.report import Report
from batch_uploader.models import Source, TrackingUpdate
from batch_uploader.scripting import run, upload_events
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import FailureStreak, Sender, build_client, given_up
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

TOKEN = "app-token-9c1f-Qz7w-kV3x"
CREDENTIALS = Credentials("vtexappkey-test", TOKEN)
BASE = "https://mystore.vtexcommercestable.com.br"
HEADER = "orderId,invoiceNumber,trackingNumber,trackingUrl,courier,dispatchedDate\n"
EVENTS_HEADER = "orderId,invoiceNumber,date,city,state,description,isDelivered,deliveredDate\n"
RECEIPT = {"date": "2024-11-24T10:00:00Z", "orderId": "o", "receipt": "527b1ae2"}
# Two attempts, at once; an attempt gives up after half a second.
SETTINGS = Settings(
    rate=1000,
    concurrency=1,
    timeout=0.5,
    retry=RetryPolicy(max_attempts=2, backoff_initial=0, backoff_max=0),
    stop_after_failures=0,
)
Handler = Callable[[httpx.Request], Any]

# Each row a trouble of its own, or a warning, or a note; dates of the past are of 2024.
TRACKING = HEADER + (
    "1-01,1,aa 123 456 785 br,,Correios,2024-11-20\n"
    "2-01,2,XX1,,Correios,\n"
    "3-01,3,RA473124828BR,,Correios,\n"
    "4,4,T4,,Loggi,\n"
    "5-01,5,,,,\n"
    "6/01,6,T6,,,\n"
    "6 01,61,T6,,,\n"
    "6#1,62,T6,,,\n"
    "6?1,63,T6,,,\n"
    "6-05,..,T6,,,\n"
    "7-01,7,T\x077,,,\n"
    "8-01,8,T8,www.carrier.example/t,,\n"
    "9-01,=A1,T9,,,\n"
    "9-02,9,#N/A,,,\n"
    "10-01,10,T\ufffd,,,\n"
    "11-01,11,1.23457E+17,,,\n"
    "13-01,13,T13,,,tomorrow\n"
    "13-02,13,T13,,,2024-02-30 4:05 PM\n"
    "13-03,13,T13,,,2024-11-24 13:05 PM\n"
    "13-04,13,T13,,,31 de fevereiro de 2024\n"
    "13-05,13,T13,,,3 Foo 2024\n"
    '13-06,13,T13,,,"segunda-feira, 26 de novembro de 2024"\n'
    "13-07,13,T13,,,1999-12-31\n"
    "13-08,13,T13,,,2099-01-01\n"
    "13-09,13,T13,,,25/12/99\n"
    "13-10,13,T13,,,31/02/2024\n"
    "14-01,14,T14\n"
    "15-01,15,A15,,,\n"
    "15-01,15,B15,,,\n"
    "15-01,15,C15,,,\n"
    "16-01,16,T16,,,\n"
    "16-01,16,T16,,,\n"
    "17-01,17,T17,,Transportadora Zé,\n"
    "18-01,18,T18,,Jadlog,2024-11-21\n"
    "19-01,19,X19,,,\n"
    "23-01,23,A23,,,\n"
    "23-01,23,B23,,,\n"
    f"24-01,24,{TOKEN},,,\n"
)
# Rows repeating or contradicting rows of TRACKING, and a column of month-first dates.
OTHER = HEADER + (
    "16-01,16,T16,,,\n19-01,19,Y19,,,\n20-01,20,T20,,,11/25/2024\n20-02,20,T20,,,13/25/2024\n"
)
UNDECIDED = HEADER + "21-01,21,T21,,,01/02/2024\n"
MIXED = HEADER + "22-01,22,T22,,,25/11/2024\n22-02,22,T22,,,11/25/2024\n"
EVENTS = EVENTS_HEADER + (
    "1-01,1,2024-11-20T10:00,SP,SP,postado,maybe,\n"
    "2-01,2,2024-11-20T10:00,SP,SP,postado,não,2024-11-21\n"
    "3-01,3,2024-11-20T10:00,SP,SP,postado,,\n"
    "3-01,3,tomorrow,SP,SP,em trânsito,,\n"
    "4-01,4,2024-11-20T10:00,SP,SP,postado,,\n"
    "4-01,4,tomorrow,SP,SP,em trânsito,,\n"
    "4-01,4,xx,SP,SP,saiu,,\n"
    "5-01,5,2024-11-20T10:00,SP,SP,entregue,sim,\n"
    "5-01,5,2024-11-21T10:00,SP,SP,em trânsito,não,\n"
    "6-01,6,2024-11-20T10:00,SP,SP,postado,,2024-11-22\n"
    "6-01,6,2024-11-21T10:00,SP,SP,entregue,sim,2024-11-23\n"
    "7-01,7,2024-11-20T10:00,SP,SP,postado,,2024-11-19\n"
)
GOOD_EVENTS = EVENTS_HEADER + (
    "1-01,1,2024-11-20T10:00,SP,SP,postado,,\n2-01,2,2024-11-20T10:00,SP,SP,postado,,\n"
)
# Orders 1-01 to 10-01, each fine as a row.
ROWS = HEADER + "".join(f"{n}-01,{n},T{n},,,\n" for n in range(1, 11))
NOT_FOUND = {"error": {"code": "OMS007", "message": "Order Not Found"}}


def everything() -> dict[str, Any]:
    """What every scenario's results say, by scenario."""
    return {
        "dry run": _dry_run(),
        "events dry run": _events_dry_run(),
        "troubles": _said(_upload("troubles", ROWS, _troubles)[1]),
        "forbidden": _stopped(_upload("forbidden", _first(2), _answered(403))),
        "unauthorized": _stopped(_events("unauthorized", GOOD_EVENTS, _answered(401))),
        "rows failing": _stopped(_upload("streak", _first(4), _not_found, settings=_streak(2))),
        "parcels failing": _stopped(
            _events("parcels", GOOD_EVENTS, _not_found, settings=_streak(1))
        ),
        "sent twice": _sent_twice(),
        "read back": _said(_upload("verify", _first(2), _reads, verify_orders=True)[1]),
        "changed files": _changed_files(),
        "interrupted": asyncio.run(_interrupted()),
    }


def normalised(said: dict[str, Any]) -> Any:
    """``said`` as JSON gives it back, without the moments it names."""
    text = json.dumps(said, ensure_ascii=False)
    return json.loads(re.sub(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", "TIME", text))


def _write(name: str, text: str) -> Path:
    path = Path(name)
    path.write_text(text, encoding="utf-8")
    return path


def _first(count: int) -> str:
    return HEADER + "".join(ROWS.splitlines(keepends=True)[1 : count + 1])


def _workbook() -> Path:
    """A sheet whose identifiers Excel stored as numbers, dates and booleans."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Envios"
    sheet.append(HEADER.strip().split(","))
    sheet.append([1234.5, "31", "T31"])
    sheet.append(["32-01", dt.datetime(2024, 1, 2), "T32"])
    sheet.append(["33-01", "33", True])
    sheet.append(["34-01", "34", 123456789012345678])
    sheet.append(["35-01", "35", "T\ufffd35"])
    path = Path("w.xlsx")
    book.save(path)
    return path


def _said(path: Path) -> list[list[str]]:
    """What a results file says about each row that it says something of: its file, row,
    code, message, warnings, notes and read-back."""
    columns = ("errorMessage", "warnings", "notes", "verificationDetail")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [
            [
                line.get("file", ""),
                line["row"],
                line["errorCode"],
                *(line.get(c, "") for c in columns),
            ]
            for line in csv.DictReader(handle)
            if any(line.get(column) for column in columns)
        ]


def _stopped(run: tuple[Report, Path]) -> dict[str, Any]:
    report, results = run
    return {"rows": _said(results), "stop reason": report.stop_reason}


def _dry_run() -> list[list[str]]:
    files = [
        _write("a.csv", TRACKING),
        _write("b.csv", OTHER),
        _write("c.csv", UNDECIDED),
        _write("d.csv", MIXED),
        _workbook(),
    ]
    # Given the credentials, a dry run refuses a row holding the token as a real one would.
    run(files, results_path=Path("dry.csv"), dry_run=True, credentials=CREDENTIALS)
    return _said(Path("dry.csv"))


def _events_dry_run() -> list[list[str]]:
    upload_events([_write("e.csv", EVENTS)], results_path=Path("e-dry.csv"), dry_run=True)
    return _said(Path("e-dry.csv"))


def _upload(name: str, text: str, handler: Handler, **options: Any) -> tuple[Report, Path]:
    return _sent(run, name, text, handler, **options)


def _events(name: str, text: str, handler: Handler, **options: Any) -> tuple[Report, Path]:
    return _sent(upload_events, name, text, handler, **options)


def _sent(
    send: Callable[..., Report], name: str, text: str, handler: Handler, **options: Any
) -> tuple[Report, Path]:
    """The file ``name`` of ``text`` sent by ``send`` to a VTEX answering with ``handler``."""
    results = Path(f"{name}-results.csv")
    options.setdefault("settings", SETTINGS)
    report = send(
        [_write(f"{name}.csv", text)],
        results_path=results,
        base_url=BASE,
        credentials=CREDENTIALS,
        transport=httpx.MockTransport(handler),
        **options,
    )
    return report, results


def _streak(failures: int) -> Settings:
    return Settings(
        rate=1000, concurrency=1, retry=RetryPolicy(max_attempts=1), stop_after_failures=failures
    )


def _order(request: httpx.Request) -> str:
    return request.url.path.split("/")[5]


def _answered(status: int) -> Handler:
    return lambda request: httpx.Response(status)


def _not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json=NOT_FOUND)


async def _endless() -> AsyncIterator[bytes]:
    while True:
        yield b"x" * 65536


async def _troubles(request: httpx.Request) -> httpx.Response:
    """Each order answered with another trouble; order 10-01 fine."""
    order = _order(request)
    if order == "1-01":
        return httpx.Response(404, json=NOT_FOUND)
    if order == "2-01":
        return httpx.Response(200, json={})
    if order == "3-01":
        return httpx.Response(503, text="down")
    if order == "4-01":
        raise httpx.ConnectError("refused", request=request)
    if order == "5-01":
        raise httpx.ReadTimeout("timed out", request=request)
    if order == "6-01":
        raise httpx.DecodingError("broken gzip", request=request)
    if order == "7-01":
        return httpx.Response(200, content=b"x" * 2_000_000)
    if order == "8-01":
        return httpx.Response(200, content=_endless())
    if order == "9-01":
        await asyncio.sleep(2)  # past the attempt's deadline
    return httpx.Response(200, json=RECEIPT)


def _fine(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=RECEIPT)


def _reads(request: httpx.Request) -> httpx.Response:
    """Updates land; order 1-01 reads back as no order, and 2-01 may not be read."""
    if request.method == "PATCH":
        return httpx.Response(200, json=RECEIPT)
    return httpx.Response(200, json={}) if _order(request) == "1-01" else httpx.Response(403)


def _sent_twice() -> list[list[str]]:
    journal = Path("journal.sqlite3")
    _upload("once", _first(1), _fine, journal_path=journal)
    return _said(_upload("twice", _first(1), _fine, journal_path=journal)[1])


def _changed_files() -> list[str]:
    """What rows read from bytes rewritten in place, and rows no longer in a file, say."""
    text = "orderId,invoiceNumber,trackingNumber\n" + "".join(
        f"{n}-01,{n},TRK{n}\n" for n in range(1, 30)
    )
    source = _write("changing.csv", text)
    kept, reader._BLOCK_BYTES = reader._BLOCK_BYTES, 64
    try:
        inputs, _ = open_inputs([source], Reading())
        list(data_values(inputs))  # the first pass, which the second must find unchanged
        with source.open("r+b") as handle:  # rewritten in place from the third block on
            handle.seek(200)
            handle.write(text[200:].replace("TRK", "XYZ").encode())
        rows = list(data_rows(inputs))
    finally:
        reader._BLOCK_BYTES = kept
    gone = as_surveyed([], {Source("gone.csv"): (2,)})
    return sorted({row.explain(error) for row in (*rows, *gone) for error in row.read_errors})


class _Elsewhere(TrackingUpdate):
    """An update whose License Manager resource no message names."""

    RESOURCE = "Something else"


async def _interrupted() -> list[str | None]:
    """What rows and parcels an interrupted or stopped run ends without an answer for say."""
    said: list[str | None] = [
        given_up(attempts, None, what).error_text()
        for attempts, what in (
            (1, "row"),
            (2, "row"),
            (1, "parcel"),
            (3, "parcel"),
            (2, "order"),
            (1, "order"),
        )
    ]
    said.append(given_up(0, None).error_text())
    said.append(given_up(0, "the person pressed Stop", "parcel").error_text())

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403 if request.url.path.endswith("/9") else 503, text="down")

    transport = httpx.MockTransport(answer)
    async with build_client(
        BASE, CREDENTIALS, concurrency=1, timeout=5, transport=transport
    ) as client:

        def sender(attempts: int, sleep: Callable[[float], Any] = asyncio.sleep) -> Sender:
            return Sender(
                client,
                pacer=Pacer(1000),
                concurrency=1,
                policy=RetryPolicy(max_attempts=attempts, backoff_initial=0.01, backoff_max=0.01),
                redactor=CREDENTIALS.redactor(),
                sleep=sleep,
            )

        async def stop_while_waiting(seconds: float) -> None:
            interrupted.stop("it was interrupted")

        interrupted = sender(3, stop_while_waiting)
        said.append((await interrupted.send(TrackingUpdate("1-01", "1", "T1"))).error_text())
        said.append((await sender(1).send(_Elsewhere("1-01", "9", "T1"))).error_text())
        failing = sender(1)
        streak = FailureStreak(failing, 1, "orders")
        streak.add(await failing.send(TrackingUpdate("1-01", "1", "T1")))
        said.append(failing.stop_reason)
        said.append((await failing.send(TrackingUpdate("2-01", "2", "T2"))).error_text())
    return said
