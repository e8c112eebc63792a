"""A results file of an earlier upload, read in again to read its orders back: its header and
lines, which lines VTEX took, what each sent, and the input row each is about."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import InputError
from ..models import TrackingUpdate
from ..rules import row_codes
from .output_names import summary_path
from .reader import WORKBOOK_SUFFIXES, Table, read_tables
from .results import EVENT_RESULT_COLUMNS, RESULT_COLUMNS

_NEEDED = ("status", "orderId", "invoiceNumber", "trackingNumber")
# The columns only the results of an events upload have.
_EVENTS_ONLY = frozenset(EVENT_RESULT_COLUMNS) - frozenset(RESULT_COLUMNS)

# A results line: its cells by column name.
Line = dict[str, str]


class EarlierResults:
    """The results file of batch-uploader at ``path`` (CSV, or a workbook's Results sheet),
    opened: its ``header``, and ``uploaded``, the one file whose upload wrote it when the
    summary beside it says so. Raises :class:`~batch_uploader.errors.InputError` when it is
    not a results file of tracking numbers. :meth:`close` lets the file go."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            workbook = path.suffix.lower() in WORKBOOK_SUFFIXES
            # batch-uploader writes .xlsx; one saved again in another format keeps its sheet.
            tables = read_tables(path, encoding=None, sheet="Results" if workbook else None)
        except InputError as error:
            raise InputError(f"{error} (verify reads a results file of batch-uploader)") from None
        self._table: Table = tables[0]
        try:
            self.header = self._header()
        except BaseException:
            self.close()
            raise
        self.uploaded = _uploaded_file(path)

    @property
    def source(self) -> str:
        """The file (and sheet) its lines are read from, as events name it."""
        return str(self._table.source)

    def lines(self) -> Iterator[tuple[int, Line]]:
        """A fresh pass over its lines (blank ones left out), each with its row number in the
        file."""
        header = self.header
        rows = self._table.rows()
        next(rows, None)  # the header
        for raw in rows:
            if not raw.is_blank():
                yield raw.number, dict(zip(header, raw.cells, strict=False))

    def count(self) -> int:
        """How many lines it holds (blank ones left out): a pass over the file."""
        rows = self._table.rows()
        next(rows, None)  # the header
        return sum(1 for raw in rows if not raw.is_blank())

    def close(self) -> None:
        self._table.close()

    def _header(self) -> list[str]:
        first = next(self._table.rows(), None)
        header = [cell.strip() for cell in first.cells] if first else []
        missing = [name for name in _NEEDED if name not in header]
        if missing and set(header) >= _EVENTS_ONLY:
            raise InputError(
                f"{self.path}: the results of a delivery-events upload: verify checks the results "
                "of tracking numbers (batch-uploader upload), not of delivery events"
            )
        if missing:
            raise InputError(
                f"{self.path}: not a results file of batch-uploader: no column {', '.join(missing)}"
            )
        return header


def landed(line: Line) -> bool:
    """Whether VTEX accepted the update of ``line``, in its run or an earlier one."""
    return line.get("status") == "sent" or (
        line.get("status") == "skipped" and line.get("errorCode") == row_codes.ALREADY_SENT
    )


def sent_update(line: Line) -> TrackingUpdate:
    """What was sent for ``line`` (optional values empty in the file were null)."""
    return TrackingUpdate(
        order_id=line["orderId"],
        invoice_number=line["invoiceNumber"],
        tracking_number=line["trackingNumber"],
        tracking_url=line.get("trackingUrl") or None,
        courier=line.get("courier") or None,
    )


def input_row(line: Line, uploaded: str | None) -> str:
    """The input row ``line`` is about, as the upload named it: ``carrier.csv row 3`` (the
    results of several files name each line's file and sheet; one file's, in its summary)."""
    file, sheet = line.get("file") or uploaded, line.get("sheet")
    where = f"{file} [{sheet}]" if file and sheet else file
    row = f"row {line.get('row') or '?'}"
    return f"{where} {row}" if where else row


def _uploaded_file(results: Path) -> str | None:
    """The one file whose upload wrote ``results``, from the summary beside it (the results of
    a single file do not repeat its name on every line); ``None`` when it cannot be told."""
    summary = summary_path(results)
    try:
        files = json.loads(summary.read_text(encoding="utf-8")).get("files")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(files, list) and len(files) == 1 and isinstance(files[0], str):
        return files[0]
    return None
