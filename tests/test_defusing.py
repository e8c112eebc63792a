"""Cells written with a leading apostrophe, so that a spreadsheet does not run them, read back
as they were: the rows to fix upload again as they are, and verify compares what was sent."""

from __future__ import annotations

import csv
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from batch_uploader import run
from batch_uploader.files.cell_text import meant
from batch_uploader.files.inputs import Reading, data_rows, open_inputs
from batch_uploader.files.results import defused
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.models import TrackingUpdate
from batch_uploader.rules.validator import validate
from batch_uploader.sandbox.oms import Sandbox

from .conftest import CsvFactory, XlsxFactory, invoke

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Any text, and often text made of the characters that matter here.
TEXT = st.one_of(st.text(), st.text(alphabet="'=+-@\t\r\"A", max_size=5))


@given(TEXT)
def test_a_csv_cell_read_gives_back_what_defused_was_given(text: str) -> None:
    assert meant(defused(text)) == text


@given(TEXT)
def test_a_defused_cell_never_starts_as_a_formula(text: str) -> None:
    assert not defused(text).startswith(FORMULA_STARTS)


def test_defused_keeps_a_cell_starting_with_an_apostrophe_apart() -> None:
    assert [defused(text) for text in ("=A", "'=A", "'A", "A")] == ["'=A", "''=A", "''A", "A"]


def test_a_row_to_fix_uploads_again_with_its_cells_as_typed(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(
        "orderId,invoiceNumber,trackingNumber,courier,dispatchedDate\n"
        "1-01,9,+55TRK,@Express,31/02/2026\n"
        "2-01,8,-7TRK,Loggi,2026-11-20\n"
    )
    report = run([source], results_path=tmp_path / "out" / "r.csv", dry_run=True)
    (to_fix,) = report.to_fix
    with to_fix.open(encoding="utf-8-sig", newline="") as handle:
        header, refused = list(csv.reader(handle))
    assert refused[:5] == ["1-01", "9", "'+55TRK", "'@Express", "31/02/2026"]

    # The person corrects the date and uploads the file as it is.
    refused[4] = "2026-11-21"
    with to_fix.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, refused])
    inputs, _ = open_inputs([to_fix], Reading())

    assert [validate(row) for row in data_rows(inputs)] == [
        TrackingUpdate("1-01", "9", "+55TRK", None, "@Express", "2026-11-21")
    ]


def test_verify_finds_a_tracking_number_starting_with_an_apostrophe_as_sent(
    write_xlsx: XlsxFactory, tmp_path: Path
) -> None:
    source = write_xlsx(
        [["orderId", "invoiceNumber", "trackingNumber", "courier"], ["1-01", "9", "'=ABC", "Loggi"]]
    )
    results = tmp_path / "r.csv"
    with Sandbox() as sandbox:
        sent = invoke("upload", str(source), "--base-url", sandbox.base_url, "--results",
                      str(results), "--no-url-templates", "--journal",
                      str(tmp_path / "journal.sqlite3"))  # fmt: skip
        assert sent.exit_code == ExitStatus.OK, sent.output
        checked = invoke("verify", str(results), "--base-url", sandbox.base_url)

    with (tmp_path / "r-verified.csv").open(encoding="utf-8-sig", newline="") as handle:
        (line,) = csv.DictReader(handle)
    assert (line["verification"], line["verificationDetail"]) == ("verified", "")
    assert checked.exit_code == ExitStatus.OK, checked.output
    # Both files hold the tracking number defused, as a spreadsheet shows '=ABC.
    with results.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.DictReader(handle))["trackingNumber"] == "''=ABC"
    assert line["trackingNumber"] == "''=ABC"
