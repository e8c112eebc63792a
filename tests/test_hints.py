"""Row messages say what is wrong; the remedy that is an option of the run is a code, which
each front end words as its own control: no page shows a command-line flag."""

from __future__ import annotations

from batch_uploader.jobs.journal import SentBefore
from batch_uploader.models import Row, RowError, Source
from batch_uploader.rules.dates import DateRules
from batch_uploader.rules.hints import COMMAND_LINE, Hint, worded
from batch_uploader.rules.validator import checked_date

from .test_receipts import UPDATE, answered, send

# How a page might word each remedy.
PAGE = {
    Hint.FORCE: "tick “Send again” to send it anyway",
    Hint.DATE_ORDER: "choose how this column's dates are written",
    Hint.TARGET: "check the store chosen in Settings",
}


def test_every_remedy_is_worded_by_the_command_line() -> None:
    assert set(COMMAND_LINE) == set(Hint)
    assert all("--" in words for words in COMMAND_LINE.values())


def test_a_row_sent_before_says_force_on_the_command_line_and_the_pages_words_on_a_page() -> None:
    delivery = SentBefore("r-1", "2026-11-24T10:00:00Z", 3, "loggi.csv", 7).delivery()

    assert delivery.hint is Hint.FORCE
    assert delivery.error_text() == (
        "already sent on 2026-11-24T10:00:00Z (loggi.csv row 7, run 3); --force sends it again"
    )
    assert delivery.error_text(PAGE) == (
        "already sent on 2026-11-24T10:00:00Z (loggi.csv row 7, run 3); "
        "tick “Send again” to send it anyway"
    )


def test_an_ambiguous_date_names_the_remedy_by_code() -> None:
    errors: list[RowError] = []
    row_values = {"dispatchedDate": "01/02/2026"}

    row = Row(Source("loggi.csv"), 5, row_values)
    assert checked_date(row, row_values, "dispatchedDate", DateRules(), set(), errors) is None

    (error,) = errors
    assert (error.code, error.hint) == ("ambiguous-date", Hint.DATE_ORDER)
    assert error.text().endswith("give --date-format dmy (24/11/2026) or mdy (11/24/2026)")
    assert error.text(PAGE).endswith("choose how this column's dates are written")
    assert "--" not in error.text(PAGE)
    assert row.explain(error).startswith("dispatchedDate: '01/02/2026' may be day first")


def test_an_answer_without_a_receipt_points_at_the_target_by_code() -> None:
    delivery, _ = send(UPDATE, answered(b"{}", "application/json"))

    assert delivery.hint is Hint.TARGET
    assert "check that --account or --base-url points at VTEX's OMS" in (
        delivery.error_text() or ""
    )
    page = delivery.error_text(PAGE) or ""
    assert "check the store chosen in Settings; a later run sends it again" in page
    assert "--" not in page


def test_a_message_without_a_remedy_is_the_same_for_every_front_end() -> None:
    error = RowError("missing-value", "trackingNumber", "the cell is empty")

    assert error.text() == error.text(PAGE) == "the cell is empty"
    assert worded("the cell is empty", None, PAGE) == "the cell is empty"
