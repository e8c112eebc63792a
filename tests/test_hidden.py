"""What a workbook hides is never dropped, nor sent, without a word: a hidden sheet is left out
with a note naming it (``--sheet`` reads it); rows hidden by a filter or by hand are sent like
the others, and a note names them."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import openpyxl
import pytest
from click.testing import Result

from batch_uploader.report import ExitStatus

from .conftest import invoke

HEADER: list[object] = ["orderId", "invoiceNumber", "trackingNumber"]


def dry_run(source: Path, *more: str) -> tuple[Result, dict[str, object], list[dict[str, str]]]:
    results = source.with_name("results.csv")
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results), *more)
    summary_path = results.with_name("results.summary.json")
    summary = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    lines: list[dict[str, str]] = []
    if results.exists():
        with results.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.DictReader(handle))
    return outcome, summary, lines


def orders(count: int, prefix: str = "") -> list[list[object]]:
    return [[f"{prefix}{n}-01", f"{n:06d}", f"RA{n:09d}BR"] for n in range(1, count + 1)]


def workbook(
    path: Path, sheets: Sequence[tuple[str, list[list[object]], str]], hidden_rows: Sequence[int]
) -> Path:
    """Sheets of (title, rows, state); ``hidden_rows`` hidden in the first, under a filter."""
    book = openpyxl.Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for index, (title, rows, state) in enumerate(sheets):
        sheet = book.create_sheet(title)
        for cells in rows:
            sheet.append(cells)
        sheet.sheet_state = state
        if index == 0 and hidden_rows:
            sheet.auto_filter.ref = sheet.dimensions
            for number in hidden_rows:
                sheet.row_dimensions[number].hidden = True
    book.save(path)
    return path


def understood(outcome: Result) -> list[str]:
    """The dry run's lines before its first examples: what it understood."""
    lines = outcome.output.splitlines()
    return lines[: lines.index("First rows as they would be sent:")]


@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_a_hidden_sheet_is_left_out_with_a_note_and_sheet_reads_it(
    tmp_path: Path, state: str
) -> None:
    source = workbook(
        tmp_path / "loggi.xlsx",
        [
            ("Envios", [HEADER, *orders(2)], "visible"),
            ("Antigos", [HEADER, *orders(3, "9")], state),
        ],
        (),
    )
    note = "sheet 'Antigos' is hidden: left out; --sheet Antigos reads it"

    outcome, summary, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert [line["orderId"] for line in lines] == ["1-01", "2-01"]
    assert understood(outcome)[0] == f"{source}: {note}"
    assert f"Note: {source}: {note}" in outcome.output
    assert summary["notes"] == [f"{source}: {note}"]

    chosen, summary, lines = dry_run(source, "--sheet", "Antigos")

    assert chosen.exit_code == ExitStatus.OK, chosen.output
    assert [line["orderId"] for line in lines] == ["91-01", "92-01", "93-01"]
    assert summary["notes"] == []


def test_a_workbook_whose_only_sheets_with_data_are_hidden_is_refused(tmp_path: Path) -> None:
    source = workbook(
        tmp_path / "loggi.xlsx",
        [("Capa", [], "visible"), ("Antigos", [HEADER, *orders(2)], "hidden"),
         ("Base", [HEADER, *orders(1)], "veryHidden")],
        (),
    )  # fmt: skip

    outcome, _, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.USAGE
    assert (
        f"{source}: its only sheets with data are hidden ('Antigos', 'Base'), which usually "
        "hold old or lookup data: nothing read; --sheet Antigos reads one"
    ) in " ".join(outcome.output.split())
    assert lines == []


def test_rows_hidden_by_a_filter_are_sent_and_named(tmp_path: Path) -> None:
    # Rows 3, 5 and 6 (data rows 2, 4 and 5) hidden, as a filter leaves them.
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", [HEADER, *orders(6)], "visible")],
                      (3, 5, 6))  # fmt: skip
    note = (
        f"rows 3, 5 and 6 of {source} sheet 'Envios' are hidden (a filter, or by hand): they "
        "are read and sent like the others; to send only the rows shown, delete the hidden ones"
    )

    outcome, summary, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert [line["orderId"] for line in lines] == [f"{n}-01" for n in range(1, 7)]
    assert {line["status"] for line in lines} == {"valid"}
    assert understood(outcome)[0] == note
    assert f"Note: {note}" in outcome.output
    assert summary["notes"] == [note]


def test_one_hidden_row_and_hidden_rows_above_the_header_or_blank(tmp_path: Path) -> None:
    rows: list[list[object]] = [["Envios de hoje"], [], HEADER, *orders(3), [], []]
    # Row 1 (a title), row 2 and row 8 (blank) are sent by no one; row 5 is.
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", rows, "visible")], (1, 2, 5, 8))

    outcome, summary, lines = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert len(lines) == 3
    assert summary["notes"] == [
        f"row 5 of {source} sheet 'Envios' is hidden (a filter, or by hand): it is read and "
        "sent like the others; to send only the rows shown, delete it"
    ]


def test_a_workbook_without_hidden_things_has_no_note(tmp_path: Path) -> None:
    source = workbook(tmp_path / "loggi.xlsx", [("Envios", [HEADER, *orders(2)], "visible")], ())

    outcome, summary, _ = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert summary["notes"] == []
