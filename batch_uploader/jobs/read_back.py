"""The read-back of a results file as a job: the order of every line VTEX took is read again
and compared with what was sent (see :mod:`~batch_uploader.vtex.read_back`), and every line is
written to the verified results, in input order, as soon as it and every line before it are
decided.

Like the uploads, it runs inside any running event loop, tells its progress as events and is
stopped by a :class:`~.control.Control`; :func:`batch_uploader.verify_results` runs one to its
end for scripts and the command line.
"""

from __future__ import annotations

import asyncio
import csv
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Self, TextIO

import httpx

from .. import message_codes
from ..errors import UsageError
from ..exit_statuses import run_status
from ..files.earlier_results import EarlierResults, Line, input_row, landed, sent_update
from ..files.results import VERIFICATION_COLUMNS, defused
from ..messages import N_, RunMessage
from ..models import Verdict, Verification
from ..rules import row_codes
from ..rules.hints import Hint
from ..vtex.read_back import ReadBackResult, read_back
from ..vtex.sender import Sender, open_sender
from ..vtex.settings import Settings
from ..vtex.target import Credentials
from .control import INTERRUPTED, Control, stop_message
from .progress import (
    JobFinished,
    JobStarted,
    JobStopped,
    OnEvent,
    RowDecided,
    StopNotice,
    ignore,
)
from .report import EXAMPLES_SHOWN

# What the JobStarted event says the job does.
KIND = "read-back"
# Lines held ahead of the one being written: bounds memory whatever the size of the file.
_AHEAD = 1000

_NOT_SENT = ReadBackResult(Verification(Verdict.NOT_CHECKED, "not sent"))
_NOT_READ = Verification(Verdict.NOT_CHECKED, "not read: interrupted")


@dataclass
class VerifyReport:
    """What ``batch-uploader verify`` found, and the exit status it earns: ``counts``, the
    lines read back by verdict; ``lines``, every line written by verdict (those not sent, or
    not read back because the job was stopped, included)."""

    counts: Counter[Verdict] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    results_path: Path | None = None
    interrupted: bool = False
    lines: Counter[Verdict] = field(default_factory=Counter)

    @property
    def exit_status(self) -> int:
        # What is written as the lines are read back: a refused write is an error raised.
        return run_status(
            interrupted=self.interrupted,
            unwritten=False,
            stopped=bool(self.stop_reason),
            rows_left=bool(self.not_verified),
        )

    @property
    def not_verified(self) -> int:
        """Lines read back that were found wrong or could not be checked."""
        return self.counts[Verdict.MISMATCH] + self.counts[Verdict.NOT_CHECKED]

    def summary(self) -> str:
        read = ", ".join(f"{self.counts[v]} {v.value}" for v in Verdict)
        text = f"Read back {sum(self.counts.values())} rows sent: {read}."
        if self.stop_reason:
            text += f" Stopped early because {self.stop_reason}."
        if self.interrupted:
            text += " Interrupted: the lines not read back are written as not-checked."
        return text + f" Results: {self.results_path}"


class ReadBack:
    """The read-back of ``results`` (a results file of an upload of tracking numbers, CSV or
    XLSX): the order of each line sent is read from ``base_url`` with ``credentials``, paced
    and retried as ``settings`` say, and every line is written to ``output`` (CSV) with the
    verification columns filled in.

    Opening it (``with``) reads the results file once to count its lines: it raises
    :class:`~batch_uploader.errors.InputError` when the file is no results file of tracking
    numbers, and blocks while it reads (a server runs it in a thread). :meth:`run` then reads
    the orders back, inside any running event loop: it installs no signal handler.
    """

    def __init__(
        self,
        results: Path,
        output: Path,
        *,
        base_url: str,
        credentials: Credentials,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if output.suffix.lower() != ".csv":
            raise UsageError(
                RunMessage(
                    message_codes.VERIFY_OUTPUT_NOT_CSV,
                    N_("{hint}: the verified results are written as .csv"),
                    {"results": str(output), "hint": Hint.RESULTS},
                )
            )
        if output.resolve() == results.resolve():
            raise UsageError(
                RunMessage(
                    message_codes.VERIFY_OUTPUT_IS_INPUT,
                    N_("{hint} is the file being verified; choose another"),
                    {"results": str(output), "hint": Hint.RESULTS},
                )
            )
        self.results = results
        self.output = output
        self.base_url = base_url
        self.credentials = credentials
        self.settings = settings or Settings()
        self.transport = transport
        self.lines = 0
        self._earlier: EarlierResults | None = None

    def __enter__(self) -> Self:
        earlier = EarlierResults(self.results)
        try:
            self.lines = earlier.count()
        except BaseException:
            earlier.close()
            raise
        self._earlier = earlier
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._earlier is not None:
            self._earlier.close()
            self._earlier = None

    async def run(self, control: Control | None = None, on_event: OnEvent = ignore) -> VerifyReport:
        """Reads back the order of every line sent, writes every line and returns the report;
        ``on_event`` is told the progress (see :mod:`~.progress`: a :class:`RowDecided` per
        line, its verdict as status) and ``control`` stops it. However it ends, every line of
        the results file is written: those not read back say why."""
        earlier = self._earlier
        if earlier is None:
            raise RuntimeError("open the read-back (with ReadBack(...) as job) before running it")
        control = control or Control()
        report = VerifyReport(results_path=self.output)
        on_event(JobStarted(KIND, self.lines, (str(self.results),), self.base_url))
        notice = StopNotice(control, on_event)
        try:
            self.output.parent.mkdir(parents=True, exist_ok=True)
            with self.output.open("w", encoding="utf-8-sig", newline="") as handle:
                verified = _Verified(handle, earlier, report, on_event)
                reading = _Reading(control, self.settings, report, verified.write, earlier.uploaded)
                lines = earlier.lines()
                try:
                    async with open_sender(
                        self.base_url, self.credentials, self.settings, self.transport
                    ) as client:
                        await reading.run(lines, client)
                        if not report.interrupted:
                            report.stop_reason = client.stop_reason
                except (KeyboardInterrupt, asyncio.CancelledError):
                    report.interrupted = True
                reading.settle(lines)
        finally:
            notice.close()
        if not notice.told and (report.stop_reason or report.interrupted):
            on_event(JobStopped(report.stop_reason or control.reason or INTERRUPTED))
        counts = {verdict.value: count for verdict, count in report.lines.items()}
        on_event(JobFinished(report.exit_status, counts, str(self.output), None, ()))
        return report


class _Verified:
    """The verified results: the lines of ``earlier`` with the verification columns, each
    told to ``on_event`` as it is written."""

    def __init__(
        self, handle: TextIO, earlier: EarlierResults, report: VerifyReport, on_event: OnEvent
    ) -> None:
        self.columns = [c for c in earlier.header if c not in VERIFICATION_COLUMNS]
        self.columns += VERIFICATION_COLUMNS
        self.writer = csv.writer(handle)
        self.writer.writerow(self.columns)
        self.source = earlier.source
        self.report = report
        self.on_event = on_event
        # A job nobody watches builds no event for each line.
        self.watched = on_event is not ignore
        self.decided = 0

    def write(self, number: int, line: Line, result: ReadBackResult) -> None:
        """Writes ``line``, row ``number`` of the results file, with its read-back."""
        checked = result.verification
        verdict = checked.verdict.value
        line = line | {"verification": verdict, "verificationDetail": checked.detail}
        self.writer.writerow([defused(line.get(column, "")) for column in self.columns])
        self.report.lines[checked.verdict] += 1
        if self.watched:
            self.decided += 1
            self.on_event(RowDecided(self.source, number, verdict, result.code, self.decided))


# Where a line stands in the results file, the line, and its read-back.
Write = Callable[[int, Line, ReadBackResult], None]


@dataclass(slots=True)
class _Pending:
    """A line started: its order being read back (``task``), or decided without a read
    (``decided``); ``left`` once a request left for it."""

    number: int
    line: Line
    decided: ReadBackResult | None = None
    task: asyncio.Task[ReadBackResult] | None = None
    left: bool = False


class _Reading:
    """Reads back the orders of lines as they come, a window of them ahead of the one being
    written. A stop sends nothing more and lets the reads in flight end (for the settings'
    grace period at most); an abort ends them at once. Either way, :meth:`settle` writes the
    lines left."""

    def __init__(
        self,
        control: Control,
        settings: Settings,
        report: VerifyReport,
        write: Write,
        uploaded: str | None,
    ) -> None:
        self.control = control
        self.settings = settings
        self.report = report
        self.write = write
        self.uploaded = uploaded
        self.pending: deque[_Pending] = deque()
        self.client: Sender | None = None
        self.stopped = False
        # Whether the stop was this job's own (not a refusal of the key before it): reads
        # it kept from leaving say so.
        self.own_stop = False
        self._grace: asyncio.TimerHandle | None = None

    async def run(self, lines: Iterator[tuple[int, Line]], client: Sender) -> None:
        self.client = client
        stop_listening = self.control.listen(self._on_control)
        try:
            if self.control.stopping:  # asked before the first line: nothing is read
                self._on_control(self.control.aborted)
            for number, line in lines:
                if self.stopped:
                    self.pending.append(_Pending(number, line, self._unread(line)))
                    break
                item = self._start(number, line)
                self.pending.append(item)
                if item.task is not None:
                    # The reads get the event loop after each one started, so they leave on
                    # the pace.
                    await asyncio.sleep(0)
                while self.pending and (len(self.pending) >= _AHEAD or _ready(self.pending[0])):
                    await self._write_first()
            while self.pending:
                await self._write_first()
        finally:
            stop_listening()
            if self._grace is not None:
                self._grace.cancel()
            self._give_up()

    def settle(self, lines: Iterator[tuple[int, Line]]) -> None:
        """Writes every line not written when the reading ends early: those whose read
        finished with it, the others as not read back."""
        while self.pending:
            self._decide(self.pending.popleft())
        for number, line in lines:
            self.write(number, line, self._unread(line))

    def _start(self, number: int, line: Line) -> _Pending:
        if not landed(line):
            return _Pending(number, line, _NOT_SENT)
        assert self.client is not None
        item = _Pending(number, line)

        def leaving() -> None:
            item.left = True

        item.task = asyncio.ensure_future(
            read_back(self.client, sent_update(line), on_request=leaving)
        )
        return item

    async def _write_first(self) -> None:
        first = self.pending[0]
        if first.task is not None and not first.task.done():
            # Returns when the read ends, however: a read given up is cancelled.
            await asyncio.wait((first.task,))
        self.pending.popleft()
        self._decide(first)

    def _decide(self, item: _Pending) -> None:
        """Writes ``item``'s line with its read-back, counting it when its order was read."""
        task, result = item.task, item.decided
        if task is not None:
            if not task.done() or task.cancelled():
                # Given up: a stop's grace ended, or an abort.
                code = row_codes.INTERRUPTED if item.left else row_codes.NOT_ATTEMPTED
                result = ReadBackResult(_NOT_READ, code)
            else:
                result = task.result()  # a fault of its own is raised
                if result.code == row_codes.NOT_ATTEMPTED and self.own_stop:
                    result = ReadBackResult(_NOT_READ, result.code)
                else:
                    self._count(item.line, result.verification)
        assert result is not None
        self.write(item.number, item.line, result)

    def _count(self, line: Line, checked: Verification) -> None:
        report = self.report
        report.counts[checked.verdict] += 1
        if checked.verdict is not Verdict.VERIFIED and len(report.examples) < EXAMPLES_SHOWN:
            where = input_row(line, self.uploaded)
            report.examples.append(f"{where}: {checked.verdict.value}: {checked.detail}")

    def _unread(self, line: Line) -> ReadBackResult:
        """The read-back of a line the job ended before reading."""
        if not landed(line):
            return _NOT_SENT
        return ReadBackResult(_NOT_READ, row_codes.NOT_ATTEMPTED)

    def _on_control(self, aborted: bool) -> None:
        """A stop sends nothing more and gives the reads in flight the grace period; an
        abort, after a stop or not, gives them up at once."""
        if not self.stopped:
            self.stopped = True
            self.report.interrupted = True
            assert self.client is not None
            self.own_stop = self.client.stop_reason is None
            self.client.stop(stop_message(self.control.reason or INTERRUPTED))
            loop = asyncio.get_running_loop()
            self._grace = loop.call_later(self.settings.grace, self._give_up)
        if aborted:
            self._give_up()

    def _give_up(self) -> None:
        for item in self.pending:
            if item.task is not None:
                item.task.cancel()


def _ready(item: _Pending) -> bool:
    return item.task is None or item.task.done()
