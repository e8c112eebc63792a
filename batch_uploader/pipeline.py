"""An upload from files to results: read, validate, send, write, in input order.

Rows stream through: a file is never held in memory whole, and each results line is written
as soon as its row and every row before it are decided.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from tqdm import tqdm

from .columns import ColumnMap, find_header
from .errors import InputError
from .limiter import Pacer
from .models import Outcome, Row, Status
from .reader import Table, read_tables
from .report import Report
from .retry import RetryPolicy
from .sender import Sender, build_client
from .target import Credentials
from .validator import validate
from .writer import ResultsWriter


@dataclass(frozen=True, kw_only=True, slots=True)
class Settings:
    """How fast and how patiently to send."""

    rate: float = 10.0
    concurrency: int = 8
    timeout: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise ValueError("rate must be above 0 requests per second")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if not self.timeout > 0:
            raise ValueError("timeout must be above 0 seconds")


@dataclass(frozen=True, slots=True)
class Input:
    """A table to upload and where its columns are."""

    table: Table
    columns: ColumnMap


def open_inputs(paths: Sequence[Path]) -> list[Input]:
    """Opens every file and finds its header, so that an unreadable file stops the run before
    anything is sent. A workbook's first sheet with a header is used."""
    inputs = []
    for path in paths:
        tables = read_tables(path)
        if not tables:
            raise InputError(f"{path}: the workbook has no sheet with data")
        first_error: InputError | None = None
        for table in tables:
            try:
                columns = find_header(table.rows(), table.source, table.first_column)
            except InputError as error:
                first_error = first_error or error
                continue
            inputs.append(Input(table, columns))
            break
        else:
            assert first_error is not None
            raise first_error
    return inputs


def data_rows(inputs: Iterable[Input]) -> Iterator[Row]:
    """The data rows of every input, in order; blank rows are left out."""
    for item in inputs:
        source, columns = item.table.source, item.columns
        for raw in item.table.rows():
            if raw.number > columns.header_row and not raw.is_blank():
                yield columns.row(raw, source)


def run(
    paths: Sequence[Path],
    *,
    results_path: Path,
    base_url: str | None = None,
    credentials: Credentials | None = None,
    settings: Settings | None = None,
    dry_run: bool = False,
    show_progress: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Uploads the rows of ``paths`` (or only checks them, with ``dry_run``) and writes one
    results line per row to ``results_path``. The report tells what happened.

    Raises :class:`~batch_uploader.errors.InputError` before sending anything when a file
    cannot be read.
    """
    settings = settings or Settings()
    inputs = open_inputs(paths)
    report = Report(dry_run=dry_run, results_path=results_path)
    sources = {item.table.source for item in inputs}
    total = sum(max(0, (i.table.size_hint or 0) - i.columns.header_row) for i in inputs)
    started = time.perf_counter()
    with (
        ResultsWriter(results_path, with_source=len(sources) > 1) as writer,
        tqdm(total=total or None, unit="row", disable=not show_progress, leave=False) as bar,
    ):

        def record(outcome: Outcome) -> None:
            writer.write(outcome)
            report.record(outcome)
            bar.update()

        try:
            if dry_run:
                _check(data_rows(inputs), record)
            else:
                if base_url is None or credentials is None:
                    raise ValueError("an upload needs base_url and credentials")
                report.stop_reason = asyncio.run(
                    _upload(data_rows(inputs), record, base_url, credentials, settings, transport)
                )
        except KeyboardInterrupt:
            report.interrupted = True
        finally:
            report.elapsed = time.perf_counter() - started
    return report


def _check(rows: Iterable[Row], record: Callable[[Outcome], None]) -> None:
    for row in rows:
        record(_validated(row))


def _validated(row: Row) -> Outcome:
    checked = validate(row)
    if isinstance(checked, list):
        return Outcome(row, Status.INVALID, errors=tuple(checked))
    return Outcome(row, Status.VALID, update=checked)


async def _upload(
    rows: Iterable[Row],
    record: Callable[[Outcome], None],
    base_url: str,
    credentials: Credentials,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
) -> str | None:
    async with build_client(
        base_url,
        credentials,
        concurrency=settings.concurrency,
        timeout=settings.timeout,
        transport=transport,
    ) as client:
        sender = Sender(
            client,
            pacer=Pacer(settings.rate),
            concurrency=settings.concurrency,
            policy=settings.retry,
        )

        async def send(checked: Outcome) -> Outcome:
            assert checked.update is not None
            delivery = await sender.send(checked.update)
            return Outcome(checked.row, delivery.status, checked.update, delivery)

        # Rows are started ahead of the one being written, so a row waiting out a backoff does
        # not stall the pool; the window bounds how many are held.
        window = max(1000, 50 * settings.concurrency)
        pending: deque[asyncio.Future[Outcome]] = deque()
        try:
            for row in rows:
                checked = _validated(row)
                if checked.update is None:
                    done = asyncio.get_running_loop().create_future()
                    done.set_result(checked)
                    pending.append(done)
                else:
                    pending.append(asyncio.ensure_future(send(checked)))
                while len(pending) >= window or (pending and pending[0].done()):
                    record(await pending.popleft())
            while pending:
                record(await pending.popleft())
        finally:
            for future in pending:
                future.cancel()
        return sender.stop_reason
