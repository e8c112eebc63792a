"""The engine of every upload: files read and surveyed, then each unit sent (a row of
tracking numbers, a parcel of delivery events), every line decided and written in input order.

What differs between kinds of upload is a :class:`Kind`: how the rows are surveyed, how they
become units, and which results columns they have. Everything else is here once: the target
check, the report, the journal, the outputs, stopping (a stop lets requests in flight end for
the grace period, an abort ends at once), the traffic, the rows sent before, every row settled
when a job ends early, and the progress events.

The report is filled by folding the progress events alone (see
:meth:`~.report.Report.fold`), so that a front end gets the same report from them; a job
nobody watches folds what a row's event would hold without making one.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol, Self, TypedDict

import httpx

from .. import message_codes
from ..errors import UsageError
from ..files.fixes import RowsToFix
from ..files.inputs import (
    Input,
    Reading,
    Values,
    as_surveyed,
    changed_since_opened,
    close_inputs,
    data_rows,
    data_values,
    describe,
    hidden_notes,
    open_inputs,
)
from ..files.results import FORMATS, ResultsWriter, unsupported_results_type
from ..files.unused import suggestions, unused_columns
from ..messages import N_, RunMessage
from ..models import (
    InvoiceUpdate,
    Outcome,
    Row,
    Source,
    Status,
    TrackingUpdate,
    Verdict,
    Verification,
)
from ..redaction import Redactor
from ..rules.dates import DateOrder
from ..rules.hints import Hint
from ..rules.survey import Survey
from ..rules.tracking_urls import UrlTemplates
from ..vtex.read_back import verify
from ..vtex.sender import FailureStreak, Sender, given_up, open_sender
from ..vtex.settings import Settings
from ..vtex.target import Credentials, check_base_url
from .control import INTERRUPTED, Control, stop_message
from .in_order import InOrder
from .journal import Journal
from .outputs import Halt, Outputs, Prepared
from .progress import (
    AllDecided,
    Event,
    JobFinished,
    JobStarted,
    JobStopped,
    OnEvent,
    OutputRefused,
    OutputsClosed,
    PaceChanged,
    Retrying,
    RowDecided,
    StopNotice,
    TableUnderstood,
    ignore,
)
from .report import Report, started_now


# Not frozen: one is built for every row, and a frozen dataclass takes longer to build.
# Nothing changes one once built.
@dataclass(slots=True)
class Unit:
    """What one request sends: its lines (one row, or a parcel's lines), each checked and at
    its place in the run (0 for the first row read), and the update they send together
    (``None`` when nothing is to be sent: the lines are decided as checked)."""

    places: tuple[int, ...]
    checked: tuple[Outcome, ...]
    update: InvoiceUpdate | None


class Kind(Protocol):
    """What an upload kind does its own way."""

    name: str  # what it sends, for the JobStarted event
    noun: str  # what one request sends: "row", "parcel"
    templates: UrlTemplates | None  # for the notes of unused columns

    def survey(self, values: Iterable[Values]) -> Survey:
        """The first pass over the rows."""
        ...

    def units(
        self, rows: Iterator[Row], found: Survey, reading: Reading, secrets: Redactor
    ) -> Iterator[Unit]:
        """``rows`` (every row of the run, in input order) checked and made into units."""
        ...

    def results(
        self,
        path: Path,
        with_source: bool,
        verifying: bool,
        redactor: Redactor,
        corrected: bool = False,
    ) -> ResultsWriter:
        """The results file's writer (``corrected``: with the column of the fields typed on
        the page)."""
        ...


class JobOptions(TypedDict, total=False):
    """What every upload kind is given beside its files and results path (see :class:`Upload`),
    named once for the kinds and their wrappers."""

    base_url: str | None
    credentials: Credentials | None
    settings: Settings | None
    dry_run: bool
    reading: Reading | None
    journal_path: Path | None
    force: bool
    transport: httpx.AsyncBaseTransport | None


class UploadOptions(JobOptions, total=False):
    """What an upload of tracking numbers is given too: whether to read its orders back."""

    verify_orders: bool


class Upload:
    """An upload of ``paths`` of one ``kind`` (or only their check, with ``dry_run``),
    writing one results line per row to ``results_path`` (.csv or .xlsx). Beside it go the
    rows to fix (in their files' own columns) and a machine-readable summary
    (``.summary.json``). ``reading`` says how to read the files.

    ``credentials`` are needed to send; given to a dry run, rows holding the app token are
    refused as the real run would refuse them. Each row's state is kept in the journal at
    ``journal_path`` (in memory when ``None``): rows already sent to the same target with the
    same content are skipped, unless ``force``. With ``verify_orders``, each order updated is
    read back to check that it holds what was sent.

    Opening it (``with``) reads the files: it raises
    :class:`~batch_uploader.errors.InputError` or :class:`~batch_uploader.errors.UsageError`
    when a file cannot be read, and blocks while it reads (a server runs it in a thread).
    :meth:`run` then sends, inside any running event loop: it installs no signal handler.
    """

    def __init__(
        self,
        kind: Kind,
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
        transport: httpx.AsyncBaseTransport | None = None,
        verify_orders: bool = False,
    ) -> None:
        self.kind = kind
        self.paths = paths
        self.results_path = results_path
        self.settings = settings or Settings()
        self.reading = reading or Reading()
        self.credentials = credentials
        self.journal_path = journal_path
        self.force = force
        self.transport = transport
        self.upload_to = checked_target(paths, results_path, dry_run, base_url, credentials)
        self.verifying = verify_orders and self.upload_to is not None
        self._inputs: list[Input] = []

    def __enter__(self) -> Self:
        self._started = time.perf_counter()
        started_at = started_now()
        self._inputs, notes = open_inputs(self.paths, self.reading)
        try:
            totals: list[Row] = []
            self.survey = self.kind.survey(data_values(self._inputs, totals))
            notes.extend(
                RunMessage(
                    message_codes.TOTALS_LINE,
                    N_("{source} row {row} is a totals line: left out"),
                    {"source": str(row.source), "row": row.number},
                )
                for row in totals
            )
            self._started_event = JobStarted(
                self.kind.name,
                self.survey.rows,
                tuple(str(path) for path in self.paths),
                self.upload_to[0] if self.upload_to else None,
                started_at,
                str(self.results_path),
                self.verifying,
                tuple(notes),
                tuple(hidden_notes(self._inputs)),
            )
            self._tables = [
                understood(item, self.survey, self.reading, self.kind.templates)
                for item in self._inputs
            ]
        except BaseException:
            close_inputs(self._inputs)
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        close_inputs(self._inputs)

    @property
    def inputs(self) -> Sequence[Input]:
        """The tables read, once opened: where each found its header and columns."""
        return tuple(self._inputs)

    async def run(self, control: Control | None = None, on_event: OnEvent = ignore) -> Report:
        """Checks every row, sends the valid ones (unless a dry run), writes the outputs and
        returns the report; ``on_event`` is told the progress (see :mod:`~.progress`) and
        ``control`` stops it."""
        control = control or Control()
        found, inputs = self.survey, self._inputs
        redactor = redactor_of(self.credentials)
        report = Report()
        self.report = report

        def tell(event: Event) -> None:
            # Secret-free before anyone sees it (a row's event is told apart: see told).
            event = event.redacted(redactor)
            report.fold(event)
            on_event(event)

        tell(self._started_event)
        for table in self._tables:
            tell(table)
        headings = {item.table.source: item.columns.headings for item in inputs}
        halt = Halt(tell)
        stopped = StopNotice(control, tell)
        ending = _Ending()
        with contextlib.ExitStack() as stack:
            journal = (
                None
                if self.upload_to is None
                else stack.enter_context(
                    Journal(self.journal_path, redactor=redactor, on_failure=halt)
                )
            )
            outputs = stack.enter_context(
                Outputs(
                    self.kind.results(
                        self.results_path,
                        len(headings) > 1,
                        self.verifying,
                        redactor,
                        corrected=self.reading.corrects,
                    ),
                    RowsToFix(self.results_path.parent, report.stamp, headings, redactor),
                    report,
                    halt,
                    redactor,
                )
            )
            decided = 0
            # A job nobody watches builds no event for each row: the report folds the plain
            # values the event would hold (Report.add, what Report.fold takes of one).
            watched = on_event is not ignore

            def told(prepared: Prepared) -> None:
                nonlocal decided
                status, source, verdict, unverified, problem, codes, example = prepared[0]
                decided += 1
                # Its texts are secret-free already (see Report.entry).
                on_event(
                    RowDecided(
                        source, prepared[3], status.value, prepared[4], decided, problem,
                        example, codes, None if verdict is None else verdict.value, unverified,
                    )
                )  # fmt: skip

            def write(outcome: Outcome) -> None:
                if watched:
                    write_kept(outputs.prepare(outcome))
                else:  # nothing kept nor told: written as it is
                    report.add(report.entry(outcome, redactor))
                    outputs.write(outcome)

            def write_kept(prepared: Prepared) -> None:
                report.add(prepared[0])
                if watched:
                    told(prepared)
                outputs.add(prepared)

            in_order = InOrder(write, outputs.prepare, write_kept)

            try:
                rows = as_surveyed(data_rows(inputs), found.numbers)
                units = self.kind.units(rows, found, self.reading, redactor)
                if journal is None or self.upload_to is None:
                    await _check_only(units, in_order.add, control, ending)
                else:
                    target, secret = self.upload_to
                    run_id = journal.start_run(target, self.paths, self.results_path)
                    try:
                        await _upload(
                            units,
                            _Run(
                                journal,
                                run_id,
                                target,
                                self.force,
                                self.settings,
                                in_order.add,
                                ending,
                                halt,
                                control,
                                tell,
                                self.kind.noun,
                                self.verifying,
                            ),
                            secret,
                            self.transport,
                        )
                    finally:
                        journal.finish_run(
                            run_id,
                            report.status_if(
                                interrupted=ending.interrupted, stop_reason=ending.stop_reason
                            ),
                        )
            except (KeyboardInterrupt, asyncio.CancelledError):
                ending.interrupted = True
            finally:
                in_order.close()
                stopped.close()
                seconds = time.perf_counter() - self._started
            tell(ending.event(seconds, changed_since_opened(inputs)))
            outputs.finish()
        summary = outputs.summary_path
        tell(OutputsClosed(_text(outputs.results_path), _texts(outputs.to_fix), str(summary)))
        refused = report.write_summary(redactor)
        if refused is not None:
            tell(OutputRefused(f"the summary {summary}", refused))
        if not stopped.told and (report.stop_reason or report.interrupted):
            tell(JobStopped(report.stop_reason or control.reason or INTERRUPTED))
        tell(
            JobFinished(
                report.exit_status,
                {status.value: count for status, count in report.counts.items()},
                _text(report.results_path),
                None if refused is not None else str(summary),
                _texts(report.to_fix),
            )
        )
        return report


@dataclass(slots=True)
class _Ending:
    """How a job ends, as the engine learns it, until all its rows are decided: whether a stop
    or an abort interrupted it, else why it stopped early, and the traffic of its senders."""

    interrupted: bool = False
    stop_reason: str | None = None
    requests: int = 0
    throttled: int = 0
    lowest_rate: float | None = None

    def add_traffic(self, sender: Sender) -> None:
        """Counts the requests of ``sender`` (and the lowest pace its pacer reached)."""
        self.requests += sender.requests
        self.throttled += sender.throttled
        pacer = sender.pacer
        self.lowest_rate = pacer.lowest_rate if pacer.lowest_rate < pacer.ceiling else None

    def event(self, seconds: float, changed_inputs: Sequence[RunMessage]) -> AllDecided:
        """The event of a job whose rows are all decided after ``seconds``."""
        return AllDecided(
            seconds,
            self.requests,
            self.throttled,
            self.lowest_rate,
            self.stop_reason,
            self.interrupted,
            tuple(changed_inputs),
        )


def _text(path: Path | None) -> str | None:
    return None if path is None else str(path)


def _texts(paths: Iterable[Path]) -> tuple[str, ...]:
    return tuple(str(path) for path in paths)


# Where a row stands in the run, and what became of it.
Record = Callable[[int, Outcome], None]


async def _check_only(
    units: Iterator[Unit], record: Record, control: Control, ending: _Ending
) -> None:
    """A dry run's units, checked and recorded; the event loop gets a turn now and then, so
    that a stop is heard and a server stays responsive."""
    for count, unit in enumerate(units, 1):
        places = unit.places
        if len(places) == 1:  # a row of tracking numbers: most units
            record(places[0], unit.checked[0])
        else:
            for place, outcome in zip(places, unit.checked, strict=True):
                record(place, outcome)
        if count % _CHECKS_BETWEEN_TURNS == 0:
            await asyncio.sleep(0)
            if control.stopping:
                ending.interrupted = True
                return


# Units a dry run checks before the event loop gets a turn.
_CHECKS_BETWEEN_TURNS = 256


def understood(
    item: Input, found: Survey, reading: Reading, templates: UrlTemplates | None
) -> TableUnderstood:
    """The event of how ``item`` was read, with the notes of its columns that look like a
    field without a column (``templates``: the couriers known)."""
    source = item.table.source
    order, mixed = _date_order(source, found, reading)
    columns = item.columns
    rows = found.rows_by_source[source]
    return TableUnderstood(
        str(source),
        item.table.format,
        columns.header_row,
        rows,
        dict(columns.labels),
        tuple(unused_columns(item)),
        "mixed" if mixed else (order.value if order else None),
        tuple(describe(item, rows, (order, mixed))),
        tuple(suggestions(item, reading.layout, templates) if columns.unused else ()),
    )


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
        raise UsageError(
            RunMessage(
                message_codes.RESULTS_IS_INPUT,
                N_("{hint} is one of the input files; choose another"),
                {"results": str(results_path), "hint": Hint.RESULTS},
            )
        )
    if results_path.suffix.lower().lstrip(".") not in FORMATS:
        raise UsageError(unsupported_results_type(results_path))
    if dry_run:
        return None
    if base_url is None or credentials is None:
        raise ValueError("an upload needs base_url and credentials")
    return check_base_url(base_url), credentials


def _date_order(source: Source, found: Survey, reading: Reading) -> tuple[DateOrder | None, bool]:
    """How the slashed dates of ``source`` are read, and whether its column shows both
    orders: as the person said, else as the survey found."""
    given = reading.date_order_for(source)
    if given is not None:
        return given, False
    return found.date_orders.get(source, (None, False))


@dataclass(frozen=True, slots=True)
class _Run:
    """What an upload writes to, and how it goes."""

    journal: Journal
    run_id: int
    target: str
    force: bool
    settings: Settings
    record: Record
    ending: _Ending
    halt: Halt
    control: Control
    on_event: OnEvent
    noun: str
    verify: bool = False


async def _upload(
    units: Iterator[Unit],
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
            await upload.feed(units)
        finally:
            ending = run.ending
            ending.add_traffic(sender)
            if reader is not None:
                ending.add_traffic(reader)
            if not ending.interrupted:
                ending.stop_reason = sender.stop_reason


# A unit's lines, decided.
Decided = tuple[Outcome, ...]


@dataclass(slots=True)
class _Pending:
    """A unit started: its lines checked (skipped already, when the journal says it was
    sent), the requests that left for it so far, what VTEX answered once it has (before the
    order is read back), and the lines' outcomes once decided."""

    unit: Unit
    checked: Decided
    attempts: int = 0
    answered: Decided | None = None
    future: asyncio.Future[Decided] = field(init=False)


class _Upload:
    """Feeds units to the sender and decides each, in the order they come.

    Units are started ahead of the one being recorded, so one waiting out a backoff does not
    stall the pool; the window bounds how many are held. A stop (the first SIGINT or SIGTERM)
    ends the sending and lets requests in flight end (for ``grace`` seconds at most); an abort
    (the second) ends at once. However it ends, every row read gets its results line.
    """

    def __init__(self, sender: Sender, run: _Run, reader: Sender | None = None) -> None:
        self.sender = sender
        self.run = run
        self.reader = reader
        self.window = max(1000, 50 * run.settings.concurrency)
        self.failures = FailureStreak(sender, run.settings.stop_after_failures, run.noun + "s")
        self.pending: deque[_Pending] = deque()
        self.pace = (sender.pacer.rate, sender.throttled)

    async def feed(self, units: Iterator[Unit]) -> None:
        main = asyncio.current_task()
        assert main is not None
        control = self.run.control
        stop_listening = control.listen(functools.partial(self._on_control, main))
        if control.stopping:  # asked before the first row: nothing is sent
            self._on_control(main, control.aborted)
        try:
            try:
                for unit in units:
                    self.pending.append(self._start(unit))
                    # The workers get the event loop after each unit checked ahead, so requests
                    # leave on the pace: yielding only every 32 rows let a 100/s pace slip into
                    # bunches that met a 100/s limit (four 429s in 2,000 rows, 70/s kept).
                    await asyncio.sleep(0)
                    while self.pending and (
                        len(self.pending) >= self.window or self.pending[0].future.done()
                    ):
                        if not await self._decide_first():
                            break  # given up after an interruption: settled below
                    if self.run.ending.interrupted:
                        break
                while self.pending and await self._decide_first():
                    pass
            finally:
                stop_listening()
        finally:
            self._settle(units)

    async def _decide_first(self) -> bool:
        """Records the first pending unit; False when it was given up after an interruption."""
        first = self.pending[0]
        try:
            outcomes = await first.future
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if not first.future.cancelled() or (task is not None and task.cancelling()):
                raise
            return False
        self.pending.popleft()
        self._record(first.unit, outcomes)
        self._tell_pace()
        return True

    def _record(self, unit: Unit, outcomes: Iterable[Outcome]) -> None:
        for place, outcome in zip(unit.places, outcomes, strict=True):
            self.run.record(place, outcome)

    def _journal(self, outcomes: Iterable[Outcome]) -> None:
        for outcome in outcomes:
            self.run.journal.record(self.run.run_id, self.run.target, outcome)

    def _tell_pace(self) -> None:
        """Tells a change of the pace, or a new 429, once a unit is decided."""
        pace = (self.sender.pacer.rate, self.sender.throttled)
        if pace != self.pace:
            self.pace = pace
            self.run.on_event(PaceChanged(round(pace[0], 2), pace[1]))

    def _settle(self, units: Iterator[Unit]) -> None:
        """Records every row not recorded when the upload ends early: units started and left
        without an answer fail with the requests they made, and the units not read yet are
        read and decided without sending, so no row read is missing (for a large file, that
        reading takes as long as a dry run of the rest)."""
        while self.pending:
            item = self.pending.popleft()
            future = item.future
            if future.done() and not future.cancelled():
                self._record(item.unit, future.result())  # a fault of its own is raised
                continue
            future.cancel()
            known = item.answered or item.checked
            if known[0].status is not Status.VALID:
                # Sent (or sent before) and being read back: only the reading was cut short.
                self._record(item.unit, map(self._unread, known))
                continue
            outcomes = self._given_up(item.checked, item.attempts)
            if not item.attempts:
                # Journalled as failed when no request left; one that left stays in flight there.
                self._journal(outcomes)
            self._record(item.unit, outcomes)
        for unit in units:
            checked = unit.checked
            if unit.update is not None:
                checked = self._already_sent(checked, unit.update) or self._given_up(checked, 0)
            self._journal(checked)
            self._record(unit, map(self._unread, checked))

    def _given_up(self, checked: Decided, attempts: int) -> Decided:
        """``checked``, valid lines, as failed because the run ended before their answer."""
        delivery = given_up(attempts, self.sender.stop_message, self.run.noun)
        return tuple(
            self._unread(replace(line, status=Status.FAILED, delivery=delivery)) for line in checked
        )

    def _unread(self, outcome: Outcome) -> Outcome:
        """``outcome`` with, when orders are read back, the reason it was not."""
        if self.reader is None or outcome.verification is not None:
            return outcome
        detail = "not read: the run stopped" if outcome.landed else "not sent"
        return replace(outcome, verification=Verification(Verdict.NOT_CHECKED, detail))

    def _start(self, unit: Unit) -> _Pending:
        run, update = self.run, unit.update
        if update is None:
            return self._decided(unit, unit.checked)
        skipped = self._already_sent(unit.checked, update)
        if skipped is not None:
            if self.reader is None:
                return self._decided(unit, skipped)
            self._journal(skipped)
            item = _Pending(unit, skipped)
            item.future = asyncio.ensure_future(self._read_back(skipped, update))
            return item
        # The survey made sure no other unit of the run sends this invoice, so units can go
        # in any order.
        for line in unit.checked:
            run.journal.queued(run.run_id, run.target, line.row, update)
        item = _Pending(unit, unit.checked)
        item.future = asyncio.ensure_future(self._send(item, update))
        return item

    def _already_sent(self, checked: Decided, update: InvoiceUpdate) -> Decided | None:
        """``checked`` skipped, when the journal says the same update was sent before."""
        run = self.run
        before = None if run.force else run.journal.sent_before(run.target, update)
        if before is None:
            return None
        delivery = before.delivery()
        return tuple(replace(line, status=Status.SKIPPED, delivery=delivery) for line in checked)

    def _decided(self, unit: Unit, outcomes: Decided) -> _Pending:
        self._journal(outcomes)
        outcomes = self._not_sent(outcomes)
        future = asyncio.get_running_loop().create_future()
        future.set_result(outcomes)
        item = _Pending(unit, outcomes)
        item.future = future
        return item

    async def _send(self, item: _Pending, update: InvoiceUpdate) -> Decided:
        journal, run_id, checked = self.run.journal, self.run.run_id, item.checked

        def leaving() -> None:
            for line in checked:
                journal.in_flight(run_id, line.row)
            if journal.failure is None:  # else the request does not leave
                item.attempts += 1

        def retrying(attempt: int, reason: str) -> None:
            row = checked[0].row
            self.run.on_event(Retrying(str(row.source), row.number, attempt, reason))

        delivery = await self.sender.send(update, on_request=leaving, on_retry=retrying)
        outcomes = tuple(
            replace(line, status=delivery.status, delivery=delivery) for line in checked
        )
        item.answered = outcomes
        # Journalled now, not when its results lines are written: a receipt is kept at once.
        self._journal(outcomes)
        self.failures.add(delivery)
        if delivery.status is Status.SENT and self.reader is not None:
            return await self._read_back(outcomes, update)
        return self._not_sent(outcomes)

    def _not_sent(self, outcomes: Decided) -> Decided:
        """``outcomes``, not sent now, with why their orders are not read back (when they are)."""
        if self.reader is None:
            return outcomes
        check = Verification(Verdict.NOT_CHECKED, "not sent")
        return tuple(replace(line, verification=check) for line in outcomes)

    async def _read_back(self, outcomes: Decided, update: InvoiceUpdate) -> Decided:
        assert self.reader is not None
        assert isinstance(update, TrackingUpdate)
        verification = await verify(self.reader, update)
        return tuple(replace(line, verification=verification) for line in outcomes)

    def _on_control(self, main: asyncio.Task[None], aborted: bool) -> None:
        """A stop lets the requests in flight end; an abort, after a stop or not, ends now."""
        if aborted and not self.run.ending.interrupted:
            self._interrupt(main)
        self._interrupt(main)

    def _interrupt(self, main: asyncio.Task[None]) -> None:
        """The first time, stops sending and gives the requests in flight the grace period;
        the second, ends at once."""
        ending = self.run.ending
        if ending.interrupted:
            main.cancel()
            return
        ending.interrupted = True
        reason = stop_message(self.run.control.reason or INTERRUPTED)
        self.sender.stop(reason)
        if self.reader is not None:
            self.reader.stop(reason)
        asyncio.get_running_loop().call_later(self.run.settings.grace, self._give_up)

    def _give_up(self) -> None:
        for item in self.pending:
            item.future.cancel()
