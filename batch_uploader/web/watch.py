"""What the page keeps of a job that the command line does not need: the rows refused, with
their problems as messages it words in each language, the first rows of each status as
decided, for its results page, and the results written a second time as a workbook, for its
download. All by wrapping the job's kind (see :class:`~batch_uploader.jobs.engine.Kind`), so
the engine runs as it always does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import BatchUploaderError
from ..files.inputs import Reading, Values
from ..files.results import ResultsWriter
from ..jobs.engine import Kind, Unit
from ..jobs.journal import Journal
from ..jobs.report import Report
from ..messages import Message
from ..models import Outcome, Row, Status
from ..redaction import Redactor
from ..rules.survey import Survey
from .wording import Refusal, refusals

# The refused rows a page lists; the rows to fix and the results have them all.
REFUSALS_KEPT = 500
# The rows of each status the results page lists; the results file has them all.
ROWS_KEPT = 500


class Refused:
    """The refusals of a job's rows, the first :data:`REFUSALS_KEPT`, and how many rows were
    refused in all."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.shown: list[Refusal] = []
        self.rows = 0

    def add(self, checked: Iterable[Outcome]) -> None:
        for outcome in checked:
            if outcome.status is Status.INVALID:
                self.rows += 1
                if len(self.shown) < REFUSALS_KEPT:
                    self.shown.extend(refusals(outcome, self.redactor))


@dataclass(frozen=True, slots=True)
class DecidedRow:
    """A row as its results line tells it: where, what it was for (its tracking number, or
    its event's description, as ``detail``), how it ended, its receipt and why it was not
    sent (``messages``, worded by the page)."""

    source: str
    row: int
    status: Status
    order_id: str
    invoice_number: str
    detail: str
    receipt: str
    messages: tuple[Message, ...]


class Decided:
    """The rows of a job as they are decided: the first :data:`ROWS_KEPT` of each status,
    and how many of each there are."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.kept: dict[Status, list[DecidedRow]] = {status: [] for status in Status}
        self.counts: Counter[Status] = Counter()

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        kept = self.kept[outcome.status]
        if len(kept) >= ROWS_KEPT:
            return
        row, delivery = outcome.row, outcome.delivery
        source, order_id, invoice, tracking, receipt = self.redactor.cells(
            [
                str(row.source),
                row.get("orderId"),
                row.get("invoiceNumber"),
                row.get("trackingNumber") or row.get("description"),
                (delivery.receipt if delivery else None) or "",
            ]
        )
        said = tuple(outcome.errors) or ((delivery.error,) if delivery and delivery.error else ())
        kept.append(
            DecidedRow(
                source, row.number, outcome.status, order_id, invoice, tracking, receipt, said
            )
        )

    def rows(self, status: Status | None = None) -> list[DecidedRow]:
        """The rows kept of ``status`` (of every status when ``None``), in the files' order."""
        if status is not None:
            return list(self.kept[status])
        every = [row for kept in self.kept.values() for row in kept]
        return sorted(every, key=lambda row: (row.source, row.row))

    def saying(self, text: str) -> Message | None:
        """The message of a row kept that says ``text`` in English, or a message one holds:
        why the job stopped early (a store's refusal, failures in a row), as the rows it
        failed or did not send say it, for the page to word in its language."""
        for kept in self.kept.values():
            for row in kept:
                for message in row.messages:
                    found = _saying(message, text)
                    if found is not None:
                        return found
        return None

    def all_kept(self, status: Status | None = None) -> bool:
        """Whether every row of ``status`` (of every status when ``None``) is kept."""
        statuses = list(Status) if status is None else [status]
        return all(self.counts[each] == len(self.kept[each]) for each in statuses)


def _saying(message: Message, text: str) -> Message | None:
    if message.text() == text:
        return message
    for value in message.params.values():
        if isinstance(value, Message) and (found := _saying(value, text)) is not None:
            return found
    return None


class SentBefore:
    """The rows of a job checked that the journal at ``journal`` has as sent to ``target``
    before, which sending skips: counted as they are checked (none when there is no journal
    yet, or it cannot be read: sending says why)."""

    def __init__(self, journal: Path | None, target: str) -> None:
        self.path = journal
        self.target = target
        self.rows = 0

    def watch(self, units: Iterator[Unit]) -> Iterator[Unit]:
        """``units``, counted as they pass."""
        journal = self._open()
        try:
            for unit in units:
                update = unit.update
                if journal is not None and update and journal.sent_before(self.target, update):
                    self.rows += len(unit.checked)
                yield unit
        finally:
            if journal is not None:
                journal.__exit__(None, None, None)

    def _open(self) -> Journal | None:
        if self.path is None or not self.path.is_file():
            return None
        try:
            return Journal(self.path, read_only=True).__enter__()
        except BatchUploaderError:
            return None


class Watched:
    """``kind``, its refused rows told to ``refused`` as they are checked, its rows to
    ``decided`` (when given) as they are written, those sent before counted by
    ``sent_before`` (when given), and its results also written as ``.xlsx`` beside the
    ``.csv`` when ``workbook``."""

    def __init__(
        self,
        kind: Kind,
        refused: Refused,
        *,
        workbook: bool,
        decided: Decided | None = None,
        sent_before: SentBefore | None = None,
    ) -> None:
        self.kind = kind
        self.name = kind.name
        self.noun = kind.noun
        self.templates = kind.templates
        self.refused = refused
        self.workbook = workbook
        self.decided = decided
        self.sent_before = sent_before

    def survey(self, values: Iterable[Values]) -> Survey:
        return self.kind.survey(values)

    def units(
        self, rows: Iterator[Row], found: Survey, reading: Reading, secrets: Redactor
    ) -> Iterator[Unit]:
        units = self.kind.units(rows, found, reading, secrets)
        if self.sent_before is not None:
            units = self.sent_before.watch(units)
        for unit in units:
            self.refused.add(unit.checked)
            yield unit

    def results(
        self,
        path: Path,
        with_source: bool,
        verifying: bool,
        redactor: Redactor,
        corrected: bool = False,
    ) -> ResultsWriter:
        first = self.kind.results(path, with_source, verifying, redactor, corrected)
        second = (
            self.kind.results(workbook_of(path), with_source, verifying, redactor, corrected)
            if self.workbook
            else None
        )
        if second is None and self.decided is None:
            return first
        return Both(first, second, self.decided)


def workbook_of(results: Path) -> Path:
    """Where the workbook of the results file ``results`` (.csv) goes."""
    return results.with_suffix(".xlsx")


class Both(ResultsWriter):
    """The results writer ``first``, every line also written to ``second`` (when given) and
    every row told to ``decided`` (when given); ``first``'s path is the results file the job
    names."""

    def __init__(
        self, first: ResultsWriter, second: ResultsWriter | None, decided: Decided | None
    ) -> None:
        self.path = first.path
        self.columns = first.columns
        self.first = first
        self.second = second
        self.decided = decided

    def __enter__(self) -> Both:
        self.first.__enter__()
        try:
            if self.second is not None:
                self.second.__enter__()
        except BaseException:
            self.first.__exit__(None, None, None)
            raise
        return self

    def cells(self, outcome: Outcome) -> list[str]:
        # Each row's cells are asked for once, when it is decided.
        if self.decided is not None:
            self.decided.add(outcome)
        return self.first.cells(outcome)

    def write_cells(self, cells: list[str], status: Status) -> None:
        self.first.write_cells(cells, status)
        if self.second is not None:
            self.second.write_cells(list(cells), status)

    def finish(self, report: Report) -> None:
        self.first.finish(report)
        if self.second is not None:
            self.second.finish(report)

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.first.__exit__(None, None, None)
        finally:
            if self.second is not None:
                self.second.__exit__(None, None, None)

    def cut_to_whole_lines(self) -> None:
        self.first.cut_to_whole_lines()
        if self.second is not None:
            self.second.cut_to_whole_lines()

    def _open(self) -> None:  # opened by __enter__
        pass

    def _write_line(self, values: list[str], status: Status) -> None:
        self.write_cells(values, status)

    def _close(self) -> None:  # closed by __exit__
        pass
