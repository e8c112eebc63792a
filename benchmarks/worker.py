"""One measured case, run in a process of its own: ``python -m benchmarks.worker CASE PARAMS OUT``.

``PARAMS`` is a JSON object; the result is written to the file ``OUT`` as JSON: the wall time
and CPU time of the measured operation alone (imports and setup are left out), the process's
peak RSS (``VmHWM``, which counts the imports too), and figures particular to the case.
``--profile FILE`` runs the operation under cProfile and dumps the statistics to ``FILE``.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime as dt
import importlib
import json
import resource
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

Params = dict[str, Any]
Extra = dict[str, Any]
Operation = Callable[[], Extra]


def peak_rss_kib() -> int:
    """The peak resident set size of this process, from ``/proc/self/status`` (``VmHWM``).

    Unlike ``ru_maxrss``, it belongs to this program's own address space only: it is not
    raised by the memory of the process that started this one."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _idle(params: Params) -> Operation:
    """Python with batch_uploader imported, doing nothing: the floor of every RSS figure."""
    importlib.import_module("batch_uploader")
    return lambda: {}


def _pandas_csv(params: Params) -> Operation:
    pandas = importlib.import_module("pandas")
    path = params["path"]

    def operation() -> Extra:
        frame = pandas.read_csv(path, dtype=str)
        return {"rows": len(frame)}

    return operation


def _pandas_xlsx(params: Params) -> Operation:
    pandas = importlib.import_module("pandas")
    importlib.import_module("openpyxl")
    path = params["path"]

    def operation() -> Extra:
        frame = pandas.read_excel(path, engine="openpyxl")
        return {"rows": len(frame)}

    return operation


def _dry_run(params: Params) -> Operation:
    import batch_uploader

    path, results = Path(params["path"]), Path(params["results"])

    def operation() -> Extra:
        report = batch_uploader.run([path], results_path=results, dry_run=True)
        return {"rows": report.rows, "counts": {str(k): v for k, v in report.counts.items()}}

    return operation


def _read_validate(params: Params) -> Operation:
    """What a dry run does, less the results file, the report and the progress bar: open the
    file, survey every row, then check every row."""
    from batch_uploader.files.inputs import Reading, data_rows, data_values, open_inputs
    from batch_uploader.models import Row
    from batch_uploader.rules.checker import Checker
    from batch_uploader.rules.survey import survey

    path = Path(params["path"])

    def operation() -> Extra:
        reading = Reading()
        inputs, _ = open_inputs([path], reading)
        totals: list[Row] = []
        found = survey(data_values(inputs, totals))
        checker = Checker(found, reading, now=dt.datetime.now(dt.UTC))
        counts = Counter(str(checker.check(row).status) for row in data_rows(inputs))
        return {"rows": sum(counts.values()), "counts": dict(counts)}

    return operation


def _read_only(params: Params) -> Operation:
    """Opening the file (encoding check, row count, header) and one pass over its data rows."""
    from batch_uploader.files.inputs import Reading, data_rows, open_inputs

    path = Path(params["path"])

    def operation() -> Extra:
        inputs, _ = open_inputs([path], Reading())
        return {"rows": sum(1 for _ in data_rows(inputs))}

    return operation


def _outcomes(count: int) -> list[Any]:
    """``count`` distinct synthetic outcomes in the proportions of a real upload: mostly sent,
    some invalid (with explained errors), some failed at VTEX, some skipped repeats."""
    from batch_uploader.files.columns import column_letter
    from batch_uploader.models import (
        FIELDS,
        Delivery,
        Outcome,
        Row,
        RowError,
        Source,
        Status,
        TrackingUpdate,
    )

    from .data import HEADINGS, rows

    source = Source("/data/carrier-export.csv")
    # The fields in the order of HEADINGS.
    order = ("orderId", "invoiceNumber", "trackingNumber", "courier", "dispatchedDate",
             "trackingUrl")  # fmt: skip
    assert set(order) == set(FIELDS)
    columns = {
        name: f"column {column_letter(i)} {heading!r}"
        for i, (name, heading) in enumerate(zip(order, HEADINGS, strict=True))
    }
    made: list[Any] = []
    for i, values in enumerate(rows(count)):
        by_field = dict(zip(order, values, strict=True))
        row = Row(source, i + 2, by_field, columns=columns)
        update = TrackingUpdate(
            order_id=by_field["orderId"],
            invoice_number=by_field["invoiceNumber"],
            tracking_number=by_field["trackingNumber"],
            tracking_url=by_field["trackingUrl"] or None,
            courier=by_field["courier"] or None,
            dispatched_date=by_field["dispatchedDate"] or None,
        )
        kind = i % 100
        if kind < 90:
            receipt = f"{i:032x}"
            delivery = Delivery(Status.SENT, attempts=1, http_status=200, receipt=receipt)
            made.append(Outcome(row, Status.SENT, update, delivery))
        elif kind < 95:
            error = RowError(
                "invalid-url",
                "trackingUrl",
                f"{by_field['trackingUrl']!r} is not an absolute web address; write it in full",
            )
            made.append(Outcome(row, Status.INVALID, errors=(error,)))
        elif kind < 98:
            delivery = Delivery(
                Status.FAILED,
                attempts=1,
                http_status=404,
                error_code="OMS007",
                error_message="Order Not Found",
            )
            made.append(Outcome(row, Status.FAILED, update, delivery))
        else:
            delivery = Delivery(
                Status.SKIPPED,
                error_code="duplicate-row",
                error_message="repeats row 2 (same order, invoice and tracking data)",
            )
            made.append(Outcome(row, Status.SKIPPED, update, delivery))
    return made


_POOL = 1000


class NotBuilt(Exception):
    """The case measures something batch_uploader does not do yet."""


def _results_writer(path: Path) -> Any:
    """batch_uploader's results writer for ``path``: ``results_writer`` (by extension) where
    it exists, the CSV-only ``ResultsWriter`` of earlier versions otherwise."""
    from batch_uploader.errors import UsageError

    module = importlib.import_module("batch_uploader.files.results")
    factory = getattr(module, "results_writer", None)
    if factory is not None:
        try:
            return factory(path, with_source=False)
        except UsageError as refused:
            raise NotBuilt(str(refused)) from None
    if path.suffix.lower() != ".csv":
        raise NotBuilt(f"no results writer for {path.suffix} files")
    return module.ResultsWriter(path, with_source=False)


def _write_results(params: Params) -> Operation:
    """batch_uploader's results writer writing ``rows`` lines (CSV or XLSX, by the extension
    of ``results``), cycling over a pool of distinct outcomes built before the clock starts (so
    the figure is the writer's, not the outcomes' making)."""
    import batch_uploader

    count, results = int(params["rows"]), Path(params["results"])
    pool = _outcomes(min(_POOL, count))
    report = batch_uploader.Report()
    for outcome in pool:
        report.record(outcome)

    made = _results_writer(results)  # not opened yet: that is measured

    def operation() -> Extra:
        with made as writer:
            for i in range(count):
                writer.write(pool[i % len(pool)])
            finish = getattr(writer, "finish", None)
            if finish is not None:
                finish(report)  # the summary sheet of a workbook
        return {"rows": count, "bytes": results.stat().st_size}

    return operation


def _write_floor(params: Params) -> Operation:
    """The floor for writing the same lines, the 14 values given ready-made: csv.writer for a
    CSV, xlsxwriter in constant-memory mode (write_string per cell) for a workbook."""
    from batch_uploader.files.results import RESULT_COLUMNS, result_line

    count, results = int(params["rows"]), Path(params["results"])
    lines = [[result_line(o).get(c, "") for c in RESULT_COLUMNS] for o in _outcomes(_POOL)]

    if results.suffix.lower() == ".xlsx":
        xlsxwriter = importlib.import_module("xlsxwriter")

        def workbook() -> Extra:
            book = xlsxwriter.Workbook(str(results), {"constant_memory": True})
            sheet = book.add_worksheet("Results")
            sheet.write_row(0, 0, RESULT_COLUMNS)
            for i in range(count):
                for column, value in enumerate(lines[i % len(lines)]):
                    sheet.write_string(i + 1, column, value)
            book.close()
            return {"rows": count, "bytes": results.stat().st_size}

        return workbook

    def operation() -> Extra:
        with results.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(RESULT_COLUMNS)
            for i in range(count):
                writer.writerow(lines[i % len(lines)])
        return {"rows": count, "bytes": results.stat().st_size}

    return operation


def _upload(params: Params) -> Operation:
    import batch_uploader

    # aiohttp is imported when a run first sends: an import, left out as every import is.
    importlib.import_module("batch_uploader.vtex.transport")
    path, results = Path(params["path"]), Path(params["results"])
    settings = batch_uploader.Settings(
        rate=float(params["rate"]),
        concurrency=int(params["concurrency"]),
        timeout=float(params.get("timeout", batch_uploader.Settings().timeout)),
    )

    def operation() -> Extra:
        report = batch_uploader.run(
            [path],
            results_path=results,
            base_url=params["base_url"],
            credentials=batch_uploader.Credentials("k", "t"),
            settings=settings,
            journal_path=Path(params["journal"]),
        )
        return {
            "rows": report.rows,
            "counts": {str(k): v for k, v in report.counts.items()},
            "requests": report.requests,
            "throttled": report.throttled,
            "achieved_rate": report.achieved_rate,
            "lowest_rate": report.lowest_rate,
            "elapsed": report.elapsed,
        }

    return operation


_HEADERS = {
    "X-VTEX-API-AppKey": "k",
    "X-VTEX-API-AppToken": "t",
    "Accept": "application/json",
    "User-Agent": "batch-uploader",
}


def _requests(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """The PATCH path and JSON body of every row of the CSV ``path``, read with the csv
    module: what a hand-written script sends."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = csv.reader(handle)
        next(lines)
        for order, invoice, tracking, courier, date, url in lines:
            body = {
                "trackingNumber": tracking,
                "trackingUrl": url or None,
                "courier": courier or None,
                "dispatchedDate": date or None,
            }
            yield (
                f"/api/oms/pvt/orders/{quote(order, safe='')}/invoice/{quote(invoice, safe='')}",
                body,
            )


def _sequential(params: Params) -> Operation:
    """The baseline of an upload: one httpx.Client sending the same PATCH requests (same
    path, headers and JSON body) one after another, the rows read with the csv module."""
    import httpx

    path = Path(params["path"])

    def operation() -> Extra:
        statuses: Counter[int] = Counter()
        with httpx.Client(base_url=params["base_url"], headers=_HEADERS, timeout=30) as client:
            for target, body in _requests(path):
                statuses[client.patch(target, json=body).status_code] += 1
        return {"rows": sum(statuses.values()), "statuses": dict(statuses)}

    return operation


def _bare_async(params: Params) -> Operation:
    """The floor of an upload's client CPU: ``concurrency`` tasks sharing one
    ``httpx.AsyncClient`` (on httpx's own transport, or with ``aiohttp`` on the transport the
    upload uses) send the same requests, with no pacing, retries, journal or results file; the
    rows read with the csv module."""
    import asyncio

    import httpx

    from batch_uploader.vtex.transport import aiohttp_transport

    path, concurrency = Path(params["path"]), int(params["concurrency"])
    over_aiohttp = bool(params.get("aiohttp"))

    async def send_all() -> Counter[int]:
        statuses: Counter[int] = Counter()
        pending = _requests(path)
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        transport = aiohttp_transport(limits, httpx.create_ssl_context()) if over_aiohttp else None
        async with httpx.AsyncClient(
            base_url=params["base_url"],
            headers=_HEADERS,
            timeout=30,
            limits=limits,
            transport=transport,
        ) as client:

            async def worker() -> None:
                for target, body in pending:  # one shared iterator: each row is sent once
                    statuses[(await client.patch(target, json=body)).status_code] += 1

            await asyncio.gather(*(worker() for _ in range(concurrency)))
        return statuses

    def operation() -> Extra:
        statuses = asyncio.run(send_all())
        return {"rows": sum(statuses.values()), "statuses": dict(statuses)}

    return operation


def _history(params: Params) -> Operation:
    """The questions the page's history asks of a journal, each timed: the latest runs with
    their counts, a run's rows (all, then its failed ones) and its files, an order in every
    run, and an inbox's morning state."""
    try:
        from batch_uploader.jobs.inbox import journal_path
        from batch_uploader.web.history import History
    except ImportError as missing:
        raise NotBuilt(f"no history yet: {missing}") from None

    # The page's journal is also its nightly inbox's, as when the inbox job is given it.
    journal = Path(params["journal"])
    inbox = journal.parent / f"{journal.stem}-inbox"
    if not inbox.exists():
        journal_path(inbox).parent.mkdir(parents=True)
        journal_path(inbox).symlink_to(journal)
    history = History.of(journal, (inbox,), journal.parent)

    def timed(question: Callable[[], object]) -> tuple[float, object]:
        started = time.perf_counter()
        answer = question()
        return time.perf_counter() - started, answer

    def operation() -> Extra:
        runs_s, runs = timed(lambda: history.runs())
        latest = runs[0]  # type: ignore[index]
        rows_s, _ = timed(
            lambda: (history.rows(latest, None), history.rows(latest, "failed"), latest.outputs())
        )
        order_s, found = timed(lambda: history.order("1300000000042-01"))
        inbox_s, _ = timed(history.inboxes)
        return {"runs": runs_s, "rows": rows_s, "order": order_s, "inbox": inbox_s,
                "shown": len(runs), "found": len(found)}  # type: ignore[arg-type]  # fmt: skip

    return operation


CASES: dict[str, Callable[[Params], Operation]] = {
    "idle": _idle,
    "pandas_csv": _pandas_csv,
    "pandas_xlsx": _pandas_xlsx,
    "dry_run": _dry_run,
    "read_validate": _read_validate,
    "read_only": _read_only,
    "write_results": _write_results,
    "write_floor": _write_floor,
    "upload": _upload,
    "sequential": _sequential,
    "bare_async": _bare_async,
    "bare_aiohttp": lambda params: _bare_async(params | {"aiohttp": True}),
    "history": _history,
}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("case", choices=sorted(CASES))
    parser.add_argument("params", help="a JSON object")
    parser.add_argument("out", type=Path, help="where the JSON result is written")
    parser.add_argument("--profile", type=Path, help="dump cProfile statistics here")
    args = parser.parse_args()
    try:
        operation = CASES[args.case](json.loads(args.params))
    except NotBuilt as missing:
        unsupported = {"wall": 0.0, "cpu": 0.0, "peak_rss_kib": peak_rss_kib(),
                       "extra": {"unsupported": str(missing)}}  # fmt: skip
        args.out.write_text(json.dumps(unsupported), encoding="utf-8")
        return
    profiler = cProfile.Profile() if args.profile else None
    cpu, started = _cpu_seconds(), time.perf_counter()
    extra = profiler.runcall(operation) if profiler is not None else operation()
    wall, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    if profiler is not None:
        profiler.dump_stats(args.profile)
    result = {"wall": wall, "cpu": cpu, "peak_rss_kib": peak_rss_kib(), "extra": extra}
    args.out.write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main()
