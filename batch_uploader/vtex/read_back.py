"""Read-back verification: did the update really land on the order?

The order is read back (``GET /api/oms/pvt/orders/{orderId}``, through the same pacer and
retries as the updates) and its ``packageAttachment.packages[]`` must hold the invoice with
the tracking number, and the URL and courier when they were sent.
"""

from __future__ import annotations

import asyncio
import csv
import itertools
import json
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import httpx

from ..errors import InputError, UsageError
from ..exit_statuses import run_status
from ..files.output_names import summary_path
from ..files.reader import WORKBOOK_SUFFIXES, read_tables
from ..files.results import (
    EVENT_RESULT_COLUMNS,
    RESULT_COLUMNS,
    VERIFICATION_COLUMNS,
    defused,
)
from ..jobs.report import EXAMPLES_SHOWN
from ..models import (
    Status,
    Success,
    TrackingUpdate,
    Verdict,
    Verification,
    order_path,
)
from ..rules import row_codes
from ..rules.hints import Hint
from ..rules.messages import N_
from ..rules.validator import shown
from .sender import Sender, open_sender
from .settings import Settings
from .target import Credentials


@dataclass(frozen=True, slots=True)
class OrderRead:
    """The request that reads an order."""

    METHOD: ClassVar[str] = "GET"
    RESOURCE: ClassVar[str] = "View order"
    SUCCESS: ClassVar[Success] = Success(
        N_(
            "VTEX answered {status} without an order ({preview}), so the order cannot be "
            "checked; {hint}"
        ),
        keys=("orderId",),
        hint=Hint.TARGET,
    )

    order_id: str

    def path(self) -> str:
        return order_path(self.order_id)

    def body(self) -> None:
        return None


async def verify(client: Sender, update: TrackingUpdate) -> Verification:
    """Reads ``update``'s order back with ``client`` and compares."""
    delivery = await client.send(OrderRead(update.order_id))
    if delivery.status is Status.SENT:
        return compare(delivery.payload, update)
    if delivery.error_code == row_codes.NOT_ATTEMPTED:
        return Verification(Verdict.NOT_CHECKED, f"not read: {client.stop_reason}")
    return Verification(
        Verdict.NOT_CHECKED,
        f"the order could not be read: {delivery.error_code}: {delivery.error_text()}",
    )


def compare(order: Any, update: TrackingUpdate) -> Verification:
    """Whether the ``order`` VTEX returned holds what ``update`` sent."""
    attachment = order.get("packageAttachment") if isinstance(order, dict) else None
    packages = attachment.get("packages") if isinstance(attachment, dict) else None
    packages = [p for p in packages or () if isinstance(p, dict)]
    package = next(
        (p for p in packages if str(p.get("invoiceNumber")) == update.invoice_number), None
    )
    if package is None:
        invoices = ", ".join(shown(str(p.get("invoiceNumber"))) for p in packages)
        held = f"its invoices are {invoices}" if invoices else "it has no invoice"
        return Verification(
            Verdict.MISMATCH, f"the order holds no invoice {shown(update.invoice_number)}: {held}"
        )
    sent = {
        "trackingNumber": update.tracking_number,
        "trackingUrl": update.tracking_url,
        "courier": update.courier,
    }
    differ = [
        f"{key} {shown(str(package.get(key))) if package.get(key) is not None else 'empty'}"
        for key, value in sent.items()
        if value is not None and package.get(key) != value
    ]
    if differ:
        return Verification(Verdict.MISMATCH, "VTEX holds " + ", ".join(differ))
    return Verification(Verdict.VERIFIED)


# The results lines whose update VTEX accepted, now or in an earlier run.
def _landed(line: dict[str, str]) -> bool:
    return line.get("status") == "sent" or (
        line.get("status") == "skipped" and line.get("errorCode") == row_codes.ALREADY_SENT
    )


_NEEDED = ("status", "orderId", "invoiceNumber", "trackingNumber")
# The columns only the results of an events upload have.
_EVENTS_ONLY = frozenset(EVENT_RESULT_COLUMNS) - frozenset(RESULT_COLUMNS)
# Lines read back at once: bounds memory whatever the size of the results file.
_BATCH = 1000


@dataclass
class VerifyReport:
    """What ``batch-uploader verify`` found, and the exit status it earns."""

    counts: Counter[Verdict] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)
    stop_reason: str | None = None
    results_path: Path | None = None
    interrupted: bool = False

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


def verify_results(
    results: Path,
    output: Path,
    *,
    base_url: str,
    credentials: Credentials,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> VerifyReport:
    """Reads back the order of every line of the results file ``results`` that was sent, and
    writes the lines to ``output`` (CSV) with the verification columns filled in."""
    if output.suffix.lower() != ".csv":
        raise UsageError(f"--results {output}: the verified results are written as .csv")
    if output.resolve() == results.resolve():
        raise UsageError(f"--results {output} is the file being verified; choose another")
    header, lines = _read_results(results)
    uploaded = _uploaded_file(results)
    columns = [c for c in header if c not in VERIFICATION_COLUMNS] + list(VERIFICATION_COLUMNS)
    report = VerifyReport(results_path=output)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        unwritten: list[dict[str, str]] = []
        try:
            asyncio.run(
                _verify_lines(
                    lines, unwritten, writer.writerow, columns, report, uploaded, base_url,
                    credentials, settings, transport,
                )
            )  # fmt: skip
        except (KeyboardInterrupt, asyncio.CancelledError):
            report.interrupted = True
            # Every line read is written: those not read back say so.
            for line in itertools.chain(unwritten, lines):
                checked = Verification(
                    Verdict.NOT_CHECKED, "not read: interrupted" if _landed(line) else "not sent"
                )
                writer.writerow(_verified_line(line, checked, columns))
    return report


async def _verify_lines(
    lines: Iterator[dict[str, str]],
    unwritten: list[dict[str, str]],
    write: Callable[[list[str]], object],
    columns: list[str],
    report: VerifyReport,
    uploaded: str | None,
    base_url: str,
    credentials: Credentials,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None,
) -> None:
    async with open_sender(base_url, credentials, settings, transport) as client:

        async def check(line: dict[str, str]) -> Verification:
            if not _landed(line):
                return Verification(Verdict.NOT_CHECKED, "not sent")
            checked = await verify(client, _update(line))
            report.counts[checked.verdict] += 1
            if checked.verdict is not Verdict.VERIFIED and len(report.examples) < EXAMPLES_SHOWN:
                where = _input_row(line, uploaded)
                report.examples.append(f"{where}: {checked.verdict.value}: {checked.detail}")
            return checked

        # ``unwritten`` holds the lines being read back, for an interruption to write.
        while batch := list(itertools.islice(lines, _BATCH)):
            unwritten[:] = batch
            verdicts = await asyncio.gather(*(check(line) for line in batch))
            for line, checked in zip(batch, verdicts, strict=True):
                write(_verified_line(line, checked, columns))
            unwritten.clear()
        report.stop_reason = client.stop_reason


def _verified_line(line: dict[str, str], checked: Verification, columns: list[str]) -> list[str]:
    """A results ``line`` with its read-back, as written."""
    line = line | {"verification": checked.verdict.value, "verificationDetail": checked.detail}
    return [defused(line.get(column, "")) for column in columns]


def _update(line: dict[str, str]) -> TrackingUpdate:
    """What was sent for a results line (optional values empty in the file were null)."""
    return TrackingUpdate(
        order_id=line["orderId"],
        invoice_number=line["invoiceNumber"],
        tracking_number=line["trackingNumber"],
        tracking_url=line.get("trackingUrl") or None,
        courier=line.get("courier") or None,
    )


def _input_row(line: dict[str, str], uploaded: str | None) -> str:
    """The input row a results line is about, as the upload named it: ``carrier.csv row 3``
    (the results of several files name each line's file and sheet; one file's, in summary)."""
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


def _read_results(path: Path) -> tuple[list[str], Iterator[dict[str, str]]]:
    """The header and the lines of a results file of
    batch-uploader, CSV or XLSX (its Results sheet)."""
    try:
        tables = read_tables(path, encoding=None, sheet="Results" if _is_workbook(path) else None)
    except InputError as error:
        raise InputError(f"{error} (verify reads a results file of batch-uploader)") from None
    table = tables[0]
    rows = table.rows()
    first = next(rows, None)
    header = [cell.strip() for cell in first.cells] if first else []
    missing = [name for name in _NEEDED if name not in header]
    if missing and set(header) >= _EVENTS_ONLY:
        raise InputError(
            f"{path}: the results of a delivery-events upload: verify checks the results of "
            "tracking numbers (batch-uploader upload), not of delivery events"
        )
    if missing:
        raise InputError(
            f"{path}: not a results file of batch-uploader: no column {', '.join(missing)}"
        )

    def lines() -> Iterator[dict[str, str]]:
        for raw in rows:
            if not raw.is_blank():
                yield dict(zip(header, raw.cells, strict=False))

    return header, lines()


def _is_workbook(path: Path) -> bool:
    # batch-uploader writes .xlsx; one saved again in another format keeps its Results sheet.
    return path.suffix.lower() in WORKBOOK_SUFFIXES
