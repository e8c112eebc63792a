from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from batch_uploader.errors import UsageError
from batch_uploader.files.output_names import default_results_path
from batch_uploader.files.results import CsvResults, result_line
from batch_uploader.models import Delivery, Outcome, Row, RowError, Source, Status, TrackingUpdate

ROW = Row(
    Source("jadlog.csv"),
    5,
    {"orderId": "1-01", "invoiceNumber": "9", "trackingNumber": "", "courier": "Jadlog"},
    columns={"trackingNumber": "column C 'Rastreio'"},
)


def test_invalid_row_line_keeps_what_was_read_and_says_why() -> None:
    outcome = Outcome(
        ROW,
        Status.INVALID,
        errors=(
            RowError("missing-value", "trackingNumber", "trackingNumber is empty"),
            RowError("invalid-date", "dispatchedDate", "'x' is not a date"),
        ),
    )

    line = result_line(outcome)

    assert line == {
        "file": "jadlog.csv",
        "sheet": "",
        "row": "5",
        "status": "invalid",
        "orderId": "1-01",
        "invoiceNumber": "9",
        "trackingNumber": "",
        "trackingUrl": "",
        "courier": "Jadlog",
        "dispatchedDate": "",
        "httpStatus": "",
        "receipt": "",
        "attempts": "0",
        "errorCode": "missing-value;invalid-date",
        "errorMessage": "column C 'Rastreio' (trackingNumber): trackingNumber is empty; "
        "dispatchedDate: 'x' is not a date",
        "warnings": "",
        "notes": "",
        "verification": "",
        "verificationDetail": "",
    }


def test_sent_row_line_shows_what_was_sent_and_the_receipt() -> None:
    update = TrackingUpdate("1-01", "9", "AA1BR", None, "Jadlog", "2026-11-24")
    delivery = Delivery(Status.SENT, attempts=2, http_status=200, receipt="527b1ae2")

    line = result_line(Outcome(ROW, Status.SENT, update, delivery))

    assert (line["trackingNumber"], line["trackingUrl"], line["dispatchedDate"]) == (
        "AA1BR",
        "",
        "2026-11-24",
    )
    assert (line["httpStatus"], line["receipt"], line["attempts"], line["errorCode"]) == (
        "200",
        "527b1ae2",
        "2",
        "",
    )


def test_file_has_source_columns_only_for_several_tables(tmp_path: Path) -> None:
    one, several = tmp_path / "one" / "r.csv", tmp_path / "several.csv"
    with CsvResults(one, with_source=False) as writer:
        writer.write(Outcome(ROW, Status.VALID))
    with CsvResults(several, with_source=True):
        pass

    assert one.read_bytes().startswith(b"\xef\xbb\xbfrow,status,orderId,")
    assert one.read_text(encoding="utf-8-sig").splitlines()[1].startswith("5,valid,1-01,9,")
    assert several.read_text(encoding="utf-8-sig").startswith("file,sheet,row,status,")


def test_default_results_path() -> None:
    now = dt.datetime(2026, 11, 24, 22, 5, 9, tzinfo=dt.UTC)

    assert default_results_path([Path("in/jadlog.csv")], Path("output"), now) == Path(
        "output/jadlog-results-20261124T220509Z.csv"
    )
    assert default_results_path([Path("a.csv"), Path("b.xlsx")], Path("output"), now) == Path(
        "output/batch-results-20261124T220509Z.csv"
    )


def test_unwritable_results_path_is_a_usage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")

    with (
        pytest.raises(UsageError, match=r"cannot write the results to .*file/r\.csv"),
        CsvResults(blocker / "r.csv", with_source=False),
    ):
        pass
