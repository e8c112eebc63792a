"""The results file: one line per input row, in input order, with what became of it."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from types import TracebackType
from typing import Self, TextIO

from .errors import UsageError
from .models import Outcome

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
)
SOURCE_COLUMNS = ("file", "sheet")


def default_results_path(inputs: list[Path], output_dir: Path, now: dt.datetime) -> Path:
    """``output/<input-stem>-results-<UTC timestamp>.csv``; ``batch`` names a run of several
    files."""
    stem = inputs[0].stem if len(inputs) == 1 else "batch"
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return output_dir / f"{stem}-results-{stamp}.csv"


def result_line(outcome: Outcome) -> dict[str, str]:
    """The values of one results line, by column."""
    row, update, delivery = outcome.row, outcome.update, outcome.delivery
    sent = update.body() if update else {}
    line = {
        "file": row.source.file,
        "sheet": row.source.sheet or "",
        "row": str(row.number),
        "status": outcome.status.value,
        "orderId": update.order_id if update else row.get("orderId"),
        "invoiceNumber": update.invoice_number if update else row.get("invoiceNumber"),
    }
    for name in ("trackingNumber", "trackingUrl", "courier", "dispatchedDate"):
        line[name] = (sent[name] or "") if update else row.get(name)
    if delivery:
        line["httpStatus"] = str(delivery.http_status or "")
        line["receipt"] = delivery.receipt or ""
        line["attempts"] = str(delivery.attempts)
        line["errorCode"] = delivery.error_code or ""
        line["errorMessage"] = delivery.error_message or ""
    else:
        line["attempts"] = "0"
        line["errorCode"] = ";".join(error.code for error in outcome.errors)
        line["errorMessage"] = "; ".join(row.explain(error) for error in outcome.errors)
    line["warnings"] = "; ".join(row.explain(warning) for warning in outcome.warnings)
    return line


class ResultsWriter:
    """Writes results lines to a CSV file as they are decided, so an interrupted run keeps
    every line decided before it stopped."""

    def __init__(self, path: Path, *, with_source: bool) -> None:
        self.path = path
        self.columns = (SOURCE_COLUMNS if with_source else ()) + RESULT_COLUMNS
        self._handle: TextIO | None = None
        self._writer: csv.DictWriter[str] | None = None

    def __enter__(self) -> Self:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # utf-8-sig: Excel opens the file with its accents intact.
            handle = self.path.open("w", encoding="utf-8-sig", newline="")
        except OSError as error:
            raise UsageError(f"cannot write the results to {self.path}: {error.strerror}") from None
        self._handle = handle
        self._writer = csv.DictWriter(handle, self.columns, extrasaction="ignore")
        self._writer.writeheader()
        return self

    def write(self, outcome: Outcome) -> None:
        assert self._writer is not None, "use ResultsWriter as a context manager"
        self._writer.writerow(result_line(outcome))

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._handle is not None:
            self._handle.close()
