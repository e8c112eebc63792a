"""The results file: one line per input row, in input order, with what became of it.

CSV or XLSX, chosen by the file's extension. Both are written as rows are decided, in constant
memory, so an interrupted run keeps every line decided before it stopped. Nothing written can
run as a formula when the file is opened in a spreadsheet.
"""

from __future__ import annotations

import contextlib
import csv
import gc
import os
import sys
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

import xlsxwriter
import xlsxwriter.exceptions

from .. import message_codes
from ..errors import UsageError
from ..jobs.report import Report
from ..messages import N_, RunMessage
from ..models import EventsUpdate, Outcome, Status, TrackingUpdate
from ..redaction import Redactor
from ..rules.hints import Hint
from .output_names import RESULTS_FAMILY, RESULTS_FORMATS

RESULT_COLUMNS = (
    "row",
    "status",
    "orderId",
    "invoiceNumber",
    "trackingNumber",
    "trackingUrl",
    "courier",
    "dispatchedDate",
    "httpStatus",
    "receipt",
    "attempts",
    "errorCode",
    "errorMessage",
    "warnings",
    "notes",
)
# The results of an events upload: each line's event, and its parcel's outcome.
EVENT_RESULT_COLUMNS = (
    "row",
    "status",
    "orderId",
    "invoiceNumber",
    "date",
    "city",
    "state",
    "description",
    "isDelivered",
    "deliveredDate",
    "httpStatus",
    "receipt",
    "attempts",
    "errorCode",
    "errorMessage",
)
SOURCE_COLUMNS = ("file", "sheet")
# The formats a results file is written in, each by its extension.
FORMATS = RESULTS_FORMATS
VERIFICATION_COLUMNS = ("verification", "verificationDetail")
# The fields of a row whose value a person typed on the page, in a column of its own that is
# there only when some were (the command line's results never have it).
CORRECTION_COLUMNS = ("correctedOnPage",)
# A cell starting so could be taken for a formula by a spreadsheet (CSV injection), or, for
# the quote, for one defused: both get a quote first.
_QUOTED_STARTS = frozenset("=+-@\t\r'")


def defused(text: str) -> str:
    """``text`` as a spreadsheet must show it: a leading quote keeps ``=cmd|...`` and the like
    from being run as a formula. Text starting with a quote gets one more, so that the CSV
    reader, which takes a leading quote off (:func:`~batch_uploader.files.cell_text.meant`), gives
    back any text exactly."""
    return "'" + text if text[:1] in _QUOTED_STARTS else text


def claim(path: Path, family: Sequence[str] = ()) -> Path:
    """Creates ``path`` empty, exclusively, and returns it; when that name is taken, or a name
    of its ``family`` (its stem with one of these suffixes) is, the first free of
    ``<stem>-2<suffix>``, ``<stem>-3<suffix>``... instead, so two outputs, even of runs at the
    same moment, never share a name. Any entry takes a name, a symbolic link (even one to
    nothing) included."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(
            f"cannot create the folder {path.parent} for {path.name}: {error.strerror}; choose "
            "another folder, or let batch-uploader write there"
        ) from None
    candidate, number = path, 1
    # lexists, not exists: a link to nothing would look free, and then be written through.
    while any(os.path.lexists(candidate.with_suffix(end)) for end in family) or not _created(
        candidate
    ):
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _created(path: Path) -> bool:
    """Whether ``path`` was made now, empty; False when it already existed."""
    try:
        # O_EXCL: of two runs asking for one name at once, only one gets it; and a symbolic
        # link there, even to nothing, makes it fail rather than be followed.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    except OSError as error:
        raise UsageError(
            f"cannot create {path}: {error.strerror}; choose another folder, or let "
            "batch-uploader write there"
        ) from None
    os.close(descriptor)
    return True


@contextlib.contextmanager
def new_results_file(path: Path) -> Iterator[Path]:
    """A results file of its own for a run: ``path``, or the next free name (see
    :func:`claim`), its summary's name free too. A run that stops before writing anything (an
    unreadable file) leaves no empty file behind."""
    claimed = claim(path, RESULTS_FAMILY)
    try:
        yield claimed
    finally:
        if claimed.is_file() and claimed.stat().st_size == 0:
            claimed.unlink()


def result_line(outcome: Outcome) -> dict[str, str]:
    """The values of one results line of a tracking-number upload, by column."""
    row, update = outcome.row, outcome.update
    line = _outcome_line(outcome)
    sent = update.body() if isinstance(update, TrackingUpdate) else None
    for name in ("trackingNumber", "trackingUrl", "courier", "dispatchedDate"):
        line[name] = (sent[name] or "") if sent else row.get(name)
    return line


def event_line(outcome: Outcome) -> dict[str, str]:
    """The values of one results line of an events upload: the line's own event as read, and
    what became of its parcel."""
    line = _outcome_line(outcome)
    for name in ("date", "city", "state", "description", "isDelivered", "deliveredDate"):
        line[name] = outcome.row.get(name)
    if isinstance(outcome.update, EventsUpdate):
        line["isDelivered"] = "true" if outcome.update.is_delivered else "false"
        line["deliveredDate"] = outcome.update.delivered_date or ""
    return line


def _outcome_line(outcome: Outcome) -> dict[str, str]:
    row, update, delivery = outcome.row, outcome.update, outcome.delivery
    line = {
        "file": row.source.file,
        "sheet": row.source.sheet or "",
        "row": str(row.number),
        "status": outcome.status.value,
        "orderId": update.order_id if update else row.get("orderId"),
        "invoiceNumber": update.invoice_number if update else row.get("invoiceNumber"),
    }
    if delivery:
        line["httpStatus"] = str(delivery.http_status or "")
        line["receipt"] = delivery.receipt or ""
        line["attempts"] = str(delivery.attempts)
        line["errorCode"] = outcome.error_code
        line["errorMessage"] = delivery.error_text() or ""
    else:
        line["httpStatus"] = line["receipt"] = ""
        line["attempts"] = "0"
        line["errorCode"] = outcome.error_code
        line["errorMessage"] = "; ".join(row.explain(error) for error in outcome.errors)
    line["warnings"] = "; ".join(row.explain(warning) for warning in outcome.warnings)
    notes = outcome.notes
    if len(notes) == 1:  # a row has a note or none
        line["notes"] = notes[0].text()
    else:
        line["notes"] = "; ".join([note.text() for note in notes])
    check = outcome.verification
    line["verification"] = check.verdict.value if check else ""
    line["verificationDetail"] = check.detail if check else ""
    if row.corrected:  # else the column is empty, when the results have it
        line["correctedOnPage"] = ", ".join(row.corrected)
    return line


class ResultsWriter(ABC):
    """Writes results lines as they are decided. Use :func:`results_writer` to get one."""

    # Whether the file is written whole at its close (a workbook's archive), so that one the
    # disk cut short there is of no use.
    WRITTEN_AT_CLOSE = False

    def __init__(
        self,
        path: Path,
        *,
        with_source: bool,
        with_verification: bool = False,
        events: bool = False,
        redactor: Redactor | None = None,
        with_corrections: bool = False,
    ) -> None:
        self.path = path
        self._redactor = redactor or Redactor(())
        self.columns = (
            (SOURCE_COLUMNS if with_source else ())
            + (EVENT_RESULT_COLUMNS if events else RESULT_COLUMNS)
            + (VERIFICATION_COLUMNS if with_verification else ())
            + (CORRECTION_COLUMNS if with_corrections else ())
        )
        self._line = event_line if events else result_line

    def __enter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._open()
        except OSError as error:
            raise UsageError(f"cannot write the results to {self.path}: {error.strerror}") from None
        return self

    def write(self, outcome: Outcome) -> None:
        self.write_cells(self.cells(outcome), outcome.status)

    def cells(self, outcome: Outcome) -> list[str]:
        """The results line of ``outcome``, as :meth:`write_cells` takes it."""
        line = self._line(outcome)
        # A cell of the input may hold a secret (a token pasted in a spreadsheet).
        return self._redactor.cells([line.get(column, "") for column in self.columns])

    def write_cells(self, cells: list[str], status: Status) -> None:
        """Writes a results line made by :meth:`cells`."""
        self._write_line(cells, status)

    @abstractmethod
    def finish(self, report: Report) -> None:
        """Adds what only the end of the run knows."""

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            self._close()
        except OSError:
            # A file written whole at its close and cut short there opens nowhere: removed
            # rather than mistaken for results (an empty one is left to the run's outputs).
            if self.WRITTEN_AT_CLOSE:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            raise

    @abstractmethod
    def cut_to_whole_lines(self) -> None:
        """After the disk refused part of it, ends the file with its last whole line: a line
        cut in half would be read as a row with half an invoice number."""

    @abstractmethod
    def _open(self) -> None: ...

    @abstractmethod
    def _write_line(self, values: list[str], status: Status) -> None: ...

    @abstractmethod
    def _close(self) -> None: ...


def unsupported_results_type(path: Path) -> RunMessage:
    """Why ``path`` cannot be a results file: its extension is neither .csv nor .xlsx."""
    return RunMessage(
        message_codes.RESULTS_NOT_CSV_OR_XLSX,
        N_("{hint}: the results file must end in .csv or .xlsx"),
        {"results": str(path), "hint": Hint.RESULTS},
    )


def results_writer(
    path: Path,
    *,
    with_source: bool,
    with_verification: bool = False,
    events: bool = False,
    redactor: Redactor | None = None,
    with_corrections: bool = False,
) -> ResultsWriter:
    """The writer for ``path``'s extension (.csv or .xlsx); ``with_verification`` adds the
    read-back columns; ``events`` writes the columns of an events upload; ``redactor`` takes
    the run's secrets out of every line; ``with_corrections`` adds the column of the fields
    typed on the page."""
    kinds: dict[str, type[ResultsWriter]] = {".csv": CsvResults, ".xlsx": XlsxResults}
    kind = kinds.get(path.suffix.lower())
    if kind is None:
        raise UsageError(unsupported_results_type(path))
    return kind(
        path,
        with_source=with_source,
        with_verification=with_verification,
        events=events,
        redactor=redactor,
        with_corrections=with_corrections,
    )


class CsvResults(ResultsWriter):
    """Results as CSV, UTF-8 with a BOM so that Excel opens it with its accents intact."""

    _handle: TextIO | None = None

    def _open(self) -> None:
        self._handle = self.path.open("w", encoding="utf-8-sig", newline="")
        self._csv = csv.writer(self._handle)
        self._csv.writerow(self.columns)

    def _write_line(self, values: list[str], status: Status) -> None:
        # defused() inlined: this runs for every value of every line.
        starts = _QUOTED_STARTS
        self._csv.writerow([("'" + v) if v[:1] in starts else v for v in values])

    def finish(self, report: Report) -> None:
        """A CSV has no room for a summary: the run's summary.json holds it."""

    def cut_to_whole_lines(self) -> None:
        with contextlib.suppress(OSError):
            data = self.path.read_bytes()
            end = data.rfind(b"\r\n")
            # A line ends where an even number of quotes stands before it: a quoted cell may
            # hold a line break of its own.
            while end != -1 and data.count(b'"', 0, end) % 2:
                end = data.rfind(b"\r\n", 0, end)
            # Truncating needs no room on the disk.
            os.truncate(self.path, end + 2 if end != -1 else 0)

    def _close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def close_workbook(book: xlsxwriter.Workbook, path: Path) -> None:
    """Closes ``book``, which writes it whole to ``path``; raises the disk's refusal as the
    :class:`OSError` it is, and nothing afterwards."""
    refused: OSError | None = None
    with _unraisable_refusals_ignored():
        try:
            book.close()
        except xlsxwriter.exceptions.FileCreateError as error:
            if not (error.args and isinstance(error.args[0], OSError)):
                raise
            # A copy: the error itself holds, through its traceback, the archive left open.
            refused = OSError(error.args[0].errno, error.args[0].strerror, str(path))
        # That archive is closed now, quietly, not when the collector comes by: its second
        # refusal would print a traceback wherever that happens.
        gc.collect()
    if refused is not None:
        raise refused


@contextlib.contextmanager
def _unraisable_refusals_ignored() -> Iterator[None]:
    """Ignores the disk's refusals raised where nothing can catch them (a finaliser)."""
    hook = sys.unraisablehook

    def quiet(unraisable: sys.UnraisableHookArgs) -> None:
        if not isinstance(unraisable.exc_value, OSError):
            hook(unraisable)

    sys.unraisablehook = quiet
    try:
        yield
    finally:
        sys.unraisablehook = hook


_STATUS_COLOURS = {
    Status.SENT: "#C6EFCE",
    Status.VALID: "#C6EFCE",
    Status.SKIPPED: "#DDEBF7",
    Status.INVALID: "#FFEB9C",
    Status.FAILED: "#FFC7CE",
}
_MAX_WIDTH = 60


class XlsxResults(ResultsWriter):
    """Results as a workbook: a Results sheet with a frozen, filtered header, statuses in
    colour and widths that fit, and a Summary sheet. Written in constant memory."""

    WRITTEN_AT_CLOSE = True

    _book: xlsxwriter.Workbook | None = None

    def _open(self) -> None:
        book = xlsxwriter.Workbook(
            str(self.path), {"constant_memory": True, "strings_to_formulas": False}
        )
        self._book = book
        self._summary = book.add_worksheet("Summary")
        self._sheet = book.add_worksheet("Results")
        self._bold = book.add_format({"bold": True, "bg_color": "#D9D9D9"})
        self._colours = {s: book.add_format({"bg_color": c}) for s, c in _STATUS_COLOURS.items()}
        self._status_column = self.columns.index("status")
        self._widths = [len(column) + 2 for column in self.columns]
        self._row = 0
        self._sheet.write_row(0, 0, self.columns, self._bold)
        self._sheet.freeze_panes(1, 0)

    def _write_line(self, values: list[str], status: Status) -> None:
        self._row += 1
        for column, value in enumerate(values):
            colour = self._colours[status] if column == self._status_column else None
            self._sheet.write_string(self._row, column, value, colour)
            if len(value) >= self._widths[column]:
                self._widths[column] = min(_MAX_WIDTH, len(value) + 2)

    def finish(self, report: Report) -> None:
        for column, width in enumerate(self._widths):
            self._sheet.set_column(column, column, width)
        self._sheet.autofilter(0, 0, self._row, len(self.columns) - 1)
        _write_summary_sheet(self._summary, report, self._bold)

    def _close(self) -> None:
        if self._book is not None:
            book, self._book = self._book, None
            close_workbook(book, self.path)

    def cut_to_whole_lines(self) -> None:
        """Nothing to cut: a workbook the disk cut short is removed (WRITTEN_AT_CLOSE)."""


def _write_summary_sheet(
    sheet: xlsxwriter.worksheet.Worksheet, report: Report, bold: xlsxwriter.format.Format
) -> None:
    sections: list[tuple[str, list[tuple[str, str | int | float]]]] = [
        (
            "Run",
            [
                ("Started", report.started_at),
                ("Seconds", round(report.elapsed, 1)),
                ("Exit status", report.exit_status),
                ("Requests", report.requests),
                ("Achieved rate (requests/s)", round(report.achieved_rate, 2)),
                ("429 answers", report.throttled),
                ("Stopped early because", report.stop_reason or ""),
            ],
        ),
        ("Rows by status", [(status.value, report.counts[status]) for status in Status]),
        ("Problems by code", list(report.error_codes.most_common())),
        (
            "Rows by file",
            [
                (f"{file}: {status.value}", count)
                for (file, status), count in sorted(report.counts_by_file.items())
            ],
        ),
        (
            "Columns not used",
            [(source, ", ".join(labels)) for source, labels in report.unused_columns.items()],
        ),
        ("Notes", [(str(note), "") for note in report.notes]),
    ]
    sheet.set_column(0, 0, 48)
    sheet.set_column(1, 1, 28)
    number = 0
    for title, lines in sections:
        sheet.write_string(number, 0, title, bold)
        for label, value in lines:
            number += 1
            sheet.write_string(number, 0, label)
            if isinstance(value, str):
                sheet.write_string(number, 1, value)
            else:
                sheet.write_number(number, 1, value)
        number += 2
