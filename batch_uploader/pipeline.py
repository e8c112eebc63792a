"""An upload from files to results: read, validate, send, write, in input order.

Rows stream through: a file is never held in memory whole, and each results line is written
as soon as its row and every row before it are decided.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
from tqdm import tqdm

from . import signals
from .checker import Checker
from .errors import UsageError
from .fixes import RowsToFix
from .inputs import (
    Input,
    Reading,
    as_surveyed,
    changed_since_opened,
    close_inputs,
    data_rows,
    data_values,
    describe,
    hidden_notes,
    open_inputs,
)
from .journal import Journal
from .models import (
    Outcome,
    Row,
    Status,
    TrackingUpdate,
    Verdict,
    Verification,
)
from .outputs import Halt, Outputs
from .redaction import Redactor
from .report import Report
from .sender import FailureStreak, Sender, given_up, open_sender
from .settings import Settings
from .survey import Survey, survey
from .target import Credentials, check_base_url
from .tracking_urls import BUILT_IN_TEMPLATES, UrlTemplates
from .unused import suggestions, unused_columns
from .verify import verify
from .writer import FORMATS, results_writer


def run(
    paths: Sequence[Path],
    *,
    results_path: Path,
    base_url: str | None = None,
    credentials: Credentials | None = None,
    settings: Settings | None = None,
    dry_run: bool = False,
    reading: Reading | None = None,
    journal_path: Path | None = None,
    force: bool = False,
    show_progress: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
    url_templates: UrlTemplates | None = BUILT_IN_TEMPLATES,
    verify_orders: bool = False,
) -> Report:
    """Uploads the rows of ``paths`` (or only checks them, with ``dry_run``) and writes one
    results line per row to ``results_path`` (.csv or .xlsx). Beside it go the rows to fix
    (in their files' own columns) and a machine-readable summary (``.summary.json``). The
    report tells what happened. ``reading`` says how to read the files.

    ``credentials`` are needed to send; given to a dry run, rows holding the app token are
    refused as the real run would refuse them. Each row's state is kept in the journal at
    ``journal_path`` (in memory when ``None``):
    rows already sent to the same target with the same content are skipped, unless ``force``.
    ``url_templates`` make the tracking URL of rows that have none from their courier. With
    ``verify_orders``, each order updated is read back to check that it holds what was sent.

    Raises :class:`~batch_uploader.errors.InputError` or
    :class:`~batch_uploader.errors.UsageError` before sending anything when a file cannot be
    read or the journal is in use.
    """
    settings = settings or Settings()
    reading = reading or Reading()
    upload_to = checked_target(paths, results_path, dry_run, base_url, credentials)
    started = time.perf_counter()
    inputs, notes = open_inputs(paths, reading)
    try:
        totals: list[Row] = []
        found = survey(data_values(inputs, totals))
        report = new_report(paths, results_path, upload_to, notes, totals)
        note_unused_columns(report, inputs, reading, url_templates)
        verifying = verify_orders and upload_to is not None
        if verifying:
            report.verified = Counter()
        if dry_run:
            report.understood = hidden_notes(inputs) + _understood(inputs, found, reading)
        redactor = redactor_of(credentials)
        checker = Checker(
            found,
            reading,
            now=dt.datetime.now(dt.UTC),
            url_templates=url_templates,
            secrets=redactor,
        )
        headings = {item.table.source: item.columns.headings for item in inputs}
        halt = Halt(report)
        with contextlib.ExitStack() as stack:
            journal = (
                None
                if upload_to is None
                else stack.enter_context(Journal(journal_path, redactor=redactor, on_failure=halt))
            )
            outputs = stack.enter_context(
                Outputs(
                    results_writer(
                        results_path,
                        with_source=len(headings) > 1,
                        with_verification=verifying,
                        redactor=redactor,
                    ),
                    RowsToFix(results_path.parent, report.stamp, headings, redactor),
                    report,
                    halt,
                )
            )
            bar = stack.enter_context(
                tqdm(total=found.rows or None, unit="row", disable=not show_progress, leave=False)
            )

            def record(outcome: Outcome) -> None:
                outputs.record(outcome)
                bar.update()

            try:
                if journal is None or upload_to is None:
                    for row in as_surveyed(data_rows(inputs), found.numbers):
                        record(checker.check(row))
                else:
                    target, secret = upload_to
                    run_id = journal.start_run(target, paths)
                    try:
                        asyncio.run(
                            _upload(
                                as_surveyed(data_rows(inputs), found.numbers),
                                _Run(
                                    journal,
                                    run_id,
                                    target,
                                    force,
                                    settings,
                                    checker,
                                    record,
                                    report,
                                    halt,
                                    verifying,
                                ),
                                secret,
                                transport,
                            )
                        )
                    finally:
                        journal.finish_run(run_id, report.exit_status)
            except (KeyboardInterrupt, asyncio.CancelledError):
                report.interrupted = True
            finally:
                report.elapsed = time.perf_counter() - started
            report.note_changes(changed_since_opened(inputs))
            outputs.finish()
        report.write_summary(redactor)
        return report
    finally:
        close_inputs(inputs)


def redactor_of(credentials: Credentials | None) -> Redactor:
    """What takes the secrets of a run (its ``credentials``, a dry run's too when they are
    known) out of its files and keeps rows holding them from being sent."""
    return Redactor(()) if credentials is None else credentials.redactor()


def checked_target(
    paths: Sequence[Path],
    results_path: Path,
    dry_run: bool,
    base_url: str | None,
    credentials: Credentials | None,
) -> tuple[str, Credentials] | None:
    """Where a run sends (``None`` for a dry run), once its results file is known not to
    overwrite an input and to be of a format it can write."""
    if any(results_path.resolve() == path.resolve() for path in paths):
        raise UsageError(f"--results {results_path} is one of the input files; choose another")
    if results_path.suffix.lower().lstrip(".") not in FORMATS:
        raise UsageError(f"--results {results_path}: the results file must end in .csv or .xlsx")
    if dry_run:
        return None
    if base_url is None or credentials is None:
        raise ValueError("an upload needs base_url and credentials")
    return check_base_url(base_url), credentials


def new_report(
    paths: Sequence[Path],
    results_path: Path,
    upload_to: tuple[str, Credentials] | None,
    notes: list[str],
    totals: list[Row],
) -> Report:
    """The report of a run that starts, with the notes of its reading."""
    notes.extend(f"{row.where()} is a totals line: left out" for row in totals)
    return Report(
        dry_run=upload_to is None,
        results_path=results_path,
        notes=notes,
        files=[str(path) for path in paths],
        target=upload_to[0] if upload_to else None,
    )


def note_unused_columns(
    report: Report, inputs: list[Input], reading: Reading, templates: UrlTemplates | None
) -> None:
    """Records the columns no field takes, and the notes of those that look like a field
    without a column."""
    for item in inputs:
        if item.columns.unused:
            report.unused_columns[str(item.table.source)] = unused_columns(item)
            report.notes.extend(suggestions(item, reading.layout, templates))


def _understood(inputs: list[Input], found: Survey, reading: Reading) -> list[str]:
    lines = []
    for item in inputs:
        source = item.table.source
        order = found.date_orders.get(source, (None, False))
        if reading.date_order is not None:
            order = (reading.date_order, False)
        lines.extend(describe(item, found.rows_by_source[source], order))
    return lines


@dataclass(frozen=True, slots=True)
class _Run:
    """What an upload writes to, and how it goes."""

    journal: Journal
    run_id: int
    target: str
    force: bool
    settings: Settings
    checker: Checker
    record: Callable[[Outcome], None]
    report: Report
    halt: Halt
    verify: bool = False


async def _upload(
    rows: Iterator[Row],
    run: _Run,
    credentials: Credentials,
    transport: httpx.AsyncBaseTransport | None,
) -> None:
    async with open_sender(run.target, credentials, run.settings, transport) as sender:
        # Reads have a sender of their own: an app key that may not read orders stops the
        # reading, not the updates.
        reader = sender.companion() if run.verify else None
        # An output the disk refuses stops every request: none leaves that is not recorded.
        run.halt.add(sender.stop)
        if reader is not None:
            run.halt.add(reader.stop)
        upload = _Upload(sender, run, reader)
        try:
            await upload.feed(rows)
        finally:
            report = run.report
            report.add_traffic(sender)
            if reader is not None:
                report.add_traffic(reader)
            if not report.interrupted:
                report.stop_reason = sender.stop_reason


@dataclass(slots=True)
class _Pending:
    """A row started: the row checked (skipped already, when the journal says it was sent),
    the requests that left for it so far, what VTEX answered once it has (before the order is
    read back), and the outcome once decided."""

    checked: Outcome
    attempts: int = 0
    answered: Outcome | None = None
    future: asyncio.Future[Outcome] = field(init=False)


class _Upload:
    """Feeds rows to the sender and decides each, in input order.

    Rows are started ahead of the one being written, so a row waiting out a backoff does not
    stall the pool; the window bounds how many are held. The first SIGINT or SIGTERM stops
    sending and lets requests in flight end (for ``grace`` seconds at most); the second stops
    at once. However it ends, every row read gets its results line.
    """

    def __init__(self, sender: Sender, run: _Run, reader: Sender | None = None) -> None:
        self.sender = sender
        self.run = run
        self.reader = reader
        self.window = max(1000, 50 * run.settings.concurrency)
        self.failures = FailureStreak(sender, run.settings.stop_after_failures)
        self.pending: deque[_Pending] = deque()

    async def feed(self, rows: Iterator[Row]) -> None:
        main = asyncio.current_task()
        assert main is not None
        try:
            with signals.caught(functools.partial(self._interrupt, main)):
                for row in rows:
                    self.pending.append(self._start(row))
                    # The workers get the event loop after each row checked ahead, so requests
                    # leave on the pace: yielding only every 32 rows let a 100/s pace slip into
                    # bunches that met a 100/s limit (four 429s in 2,000 rows, 70/s kept).
                    await asyncio.sleep(0)
                    while self.pending and (
                        len(self.pending) >= self.window or self.pending[0].future.done()
                    ):
                        if not await self._decide_first():
                            break  # given up after an interruption: settled below
                    if self.run.report.interrupted:
                        break
                while self.pending and await self._decide_first():
                    pass
        finally:
            self._settle(rows)

    async def _decide_first(self) -> bool:
        """Records the first pending row; False when it was given up after an interruption."""
        first = self.pending[0].future
        try:
            outcome = await first
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not first.cancelled() or (task is not None and task.cancelling()):
                raise
            return False
        self.pending.popleft()
        self.run.record(outcome)
        return True

    def _settle(self, rows: Iterator[Row]) -> None:
        """Records, in input order, every row not recorded when the upload ends early: rows
        started and left without an answer fail with the requests they made, and the rows not
        read yet are read and decided without sending, so no row read is missing (for a large
        file, that reading takes as long as a dry run of the rest)."""
        while self.pending:
            item = self.pending.popleft()
            future = item.future
            if future.done() and not future.cancelled():
                self.run.record(future.result())  # a fault of its own is raised, not hidden
                continue
            future.cancel()
            known = item.answered or item.checked
            if known.status is not Status.VALID:
                # Sent (or sent before) and being read back: only the reading was cut short.
                self.run.record(self._unread(known))
                continue
            outcome = self._given_up(item.checked, item.attempts)
            if not item.attempts:
                # Journalled as failed when no request left; one that left stays in flight there.
                self.run.journal.record(self.run.run_id, self.run.target, outcome)
            self.run.record(outcome)
        for row in rows:
            checked = self.run.checker.check(row)
            update = checked.update
            if checked.status is Status.VALID and isinstance(update, TrackingUpdate):
                checked = self._already_sent(checked, update) or self._given_up(checked, 0)
            self.run.journal.record(self.run.run_id, self.run.target, checked)
            self.run.record(self._unread(checked))

    def _given_up(self, checked: Outcome, attempts: int) -> Outcome:
        """``checked``, a valid row, as failed because the run ended before its answer."""
        delivery = given_up(attempts, self.sender.stop_reason)
        return self._unread(replace(checked, status=Status.FAILED, delivery=delivery))

    def _unread(self, outcome: Outcome) -> Outcome:
        """``outcome`` with, when orders are read back, the reason it was not."""
        if self.reader is None or outcome.verification is not None:
            return outcome
        detail = "not read: the run stopped" if outcome.landed else "not sent"
        return replace(outcome, verification=Verification(Verdict.NOT_CHECKED, detail))

    def _start(self, row: Row) -> _Pending:
        run = self.run
        checked = run.checker.check(row)
        update = checked.update
        if checked.status is not Status.VALID or not isinstance(update, TrackingUpdate):
            return self._decided(checked)
        skipped = self._already_sent(checked, update)
        if skipped is not None:
            if self.reader is None:
                return self._decided(skipped)
            self.run.journal.record(self.run.run_id, self.run.target, skipped)
            item = _Pending(skipped)
            item.future = asyncio.ensure_future(self._read_back(skipped, update))
            return item
        # The survey made sure no other row of the run sends this invoice, so rows can go
        # in any order.
        run.journal.queued(run.run_id, run.target, row, update)
        item = _Pending(checked)
        item.future = asyncio.ensure_future(self._send(item, update))
        return item

    def _already_sent(self, checked: Outcome, update: TrackingUpdate) -> Outcome | None:
        """``checked`` skipped, when the journal says the same update was sent before."""
        run = self.run
        before = None if run.force else run.journal.sent_before(run.target, update)
        if before is None:
            return None
        return replace(checked, status=Status.SKIPPED, delivery=before.delivery())

    def _decided(self, outcome: Outcome) -> _Pending:
        self.run.journal.record(self.run.run_id, self.run.target, outcome)
        if self.reader is not None:
            outcome = replace(outcome, verification=Verification(Verdict.NOT_CHECKED, "not sent"))
        future = asyncio.get_running_loop().create_future()
        future.set_result(outcome)
        item = _Pending(outcome)
        item.future = future
        return item

    async def _send(self, item: _Pending, update: TrackingUpdate) -> Outcome:
        journal, run_id, checked = self.run.journal, self.run.run_id, item.checked

        def leaving() -> None:
            journal.in_flight(run_id, checked.row)
            if journal.failure is None:  # else the request does not leave
                item.attempts += 1

        delivery = await self.sender.send(update, on_request=leaving)
        outcome = replace(checked, status=delivery.status, delivery=delivery)
        item.answered = outcome
        # Journalled now, not when its results line is written: a receipt is kept at once.
        self.run.journal.record(self.run.run_id, self.run.target, outcome)
        self.failures.add(delivery)
        if delivery.status is Status.SENT and self.reader is not None:
            return await self._read_back(outcome, update)
        if self.reader is not None:
            outcome = replace(outcome, verification=Verification(Verdict.NOT_CHECKED, "not sent"))
        return outcome

    async def _read_back(self, outcome: Outcome, update: TrackingUpdate) -> Outcome:
        assert self.reader is not None
        return replace(outcome, verification=await verify(self.reader, update))

    def _interrupt(self, main: asyncio.Task[None]) -> None:
        report = self.run.report
        if report.interrupted:
            main.cancel()
            return
        report.interrupted = True
        self.sender.stop("it was interrupted")
        if self.reader is not None:
            self.reader.stop("it was interrupted")
        asyncio.get_running_loop().call_later(self.run.settings.grace, self._give_up)

    def _give_up(self) -> None:
        for item in self.pending:
            item.future.cancel()
