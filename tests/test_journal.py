from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from batch_uploader.errors import UsageError
from batch_uploader.jobs.journal import Journal, payload_hash
from batch_uploader.models import Delivery, Outcome, Row, Source, Status, TrackingUpdate

TARGET = "https://mystore.vtexcommercestable.com.br"
UPDATE = TrackingUpdate("1-01", "9", "AA1BR", None, "Correios", "2026-11-24")


@pytest.fixture
def source_file(tmp_path: Path) -> Path:
    path = tmp_path / "jadlog.csv"
    path.write_text("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1BR\n")
    return path


def sent(row: Row, update: TrackingUpdate = UPDATE, receipt: str = "r1") -> Outcome:
    delivery = Delivery(Status.SENT, attempts=1, http_status=200, receipt=receipt)
    return Outcome(row, Status.SENT, update, delivery)


def test_a_sent_row_is_committed_at_once(tmp_path: Path, source_file: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    row = Row(Source(str(source_file)), 2, {})
    with Journal(path) as journal:
        run_id = journal.start_run(TARGET, [source_file])
        journal.queued(run_id, TARGET, row, UPDATE)
        journal.record(run_id, TARGET, sent(row))

        # Another connection, as after a kill -9 of this process, sees the receipt already.
        other = sqlite3.connect(path)
        assert other.execute("SELECT state, receipt, row FROM rows").fetchall() == [
            ("sent", "r1", 2)
        ]
        other.close()


def test_sent_before_matches_target_order_invoice_and_payload(source_file: Path) -> None:
    row = Row(Source(str(source_file)), 2, {})
    with Journal(None) as journal:
        run_id = journal.start_run(TARGET, [source_file])
        journal.record(run_id, TARGET, sent(row))

        before = journal.sent_before(TARGET, UPDATE)
        assert before is not None
        assert (before.receipt, before.run_id, before.file, before.row) == (
            "r1",
            run_id,
            str(source_file),
            2,
        )
        corrected = TrackingUpdate("1-01", "9", "BB2BR", None, "Correios", "2026-11-24")
        assert journal.sent_before(TARGET, corrected) is None
        assert journal.sent_before("https://other.vtexcommercestable.com.br", UPDATE) is None


def test_failed_and_in_flight_rows_are_not_taken_as_sent(source_file: Path) -> None:
    row = Row(Source(str(source_file)), 2, {})
    failed = Outcome(row, Status.FAILED, UPDATE, Delivery(Status.FAILED, 5, 503))
    with Journal(None) as journal:
        run_id = journal.start_run(TARGET, [source_file])
        journal.queued(run_id, TARGET, row, UPDATE)
        assert journal.sent_before(TARGET, UPDATE) is None
        journal.record(run_id, TARGET, failed)
        assert journal.sent_before(TARGET, UPDATE) is None


def test_one_journal_one_run_at_a_time(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    with Journal(path), pytest.raises(UsageError) as caught, Journal(path):
        pass

    assert f"the journal {path} is in use by pid " in str(caught.value)
    with Journal(path):  # free again once the first run ended
        pass


def test_history_by_order_and_by_file_content(tmp_path: Path, source_file: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    row = Row(Source(str(source_file)), 2, {})
    with Journal(path) as journal:
        run_id = journal.start_run(TARGET, [source_file])
        journal.record(run_id, TARGET, sent(row))
        journal.finish_run(run_id, 0)
    renamed = tmp_path / "renamed.csv"
    shutil.copy(source_file, renamed)

    with Journal(path, read_only=True) as journal:
        (by_order,) = journal.history(order_id="1-01")
        (by_file,) = journal.history(file=renamed)
        (past,) = journal.runs()

    assert by_order == by_file
    assert (by_order.state, by_order.receipt, by_order.row) == ("sent", "r1", 2)
    assert (past.id, past.exit_status, past.files) == (run_id, 0, [str(source_file)])


def test_reading_a_missing_journal_does_not_create_it(tmp_path: Path) -> None:
    path = tmp_path / "none.sqlite3"

    with pytest.raises(UsageError, match="no journal at"), Journal(path, read_only=True):
        pass

    assert not path.exists()


def test_a_journal_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    sqlite3.connect(path).execute("PRAGMA user_version = 99").connection.close()

    with pytest.raises(UsageError, match="newer batch-uploader"), Journal(path):
        pass


def test_payload_hash_changes_with_any_field() -> None:
    changed = TrackingUpdate("1-01", "9", "AA1BR", None, "Jadlog", "2026-11-24")

    same = TrackingUpdate("1-01", "9", "AA1BR", None, "Correios", "2026-11-24")

    assert payload_hash(UPDATE) == payload_hash(same)
    assert payload_hash(UPDATE) != payload_hash(changed)


def test_a_row_waits_then_leaves(tmp_path: Path, source_file: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    row = Row(Source(str(source_file)), 2, {})
    with Journal(path) as journal:
        run_id = journal.start_run(TARGET, [source_file])
        journal.queued(run_id, TARGET, row, UPDATE)
        journal.db.commit()
        states = [journal.db.execute("SELECT state, attempts FROM rows").fetchone()]
        journal.in_flight(run_id, row)
        journal.in_flight(run_id, row)
        states.append(journal.db.execute("SELECT state, attempts FROM rows").fetchone())

    assert states == [("pending", 0), ("in-flight", 2)]


def test_a_run_keeps_where_its_results_went_and_its_counts(
    tmp_path: Path, source_file: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    results = tmp_path / "jadlog-results.csv"
    failed = Outcome(
        Row(Source(str(source_file)), 3, {}), Status.FAILED, UPDATE, Delivery(Status.FAILED, 5, 503)
    )
    other = tmp_path / "loggi.xlsx"
    other.write_bytes(b"")
    with Journal(path) as journal:
        first = journal.start_run(TARGET, [source_file], results)
        journal.record(first, TARGET, sent(Row(Source(str(source_file)), 2, {})))
        journal.record(first, TARGET, failed)
        journal.finish_run(first, 1)
        second = journal.start_run(TARGET, [other])

    with Journal(path, read_only=True) as journal:
        newest, oldest = journal.runs()
        assert (newest.id, newest.results, newest.exit_status) == (second, None, None)
        assert (oldest.id, oldest.results) == (first, str(results))
        assert journal.run(first) == oldest
        assert journal.run(999) is None
        assert journal.counts([first, second]) == {first: {"sent": 1, "failed": 1}, second: {}}
        assert [line.row for line in journal.rows_of(first)] == [2, 3]
        assert [line.row for line in journal.rows_of(first, state="failed")] == [3]
        assert [run.id for run in journal.runs(file_name="LOGGI")] == [second]
        assert [run.id for run in journal.runs(file_name="jad")] == [first]
        assert journal.runs(file_name="csv", offset=1) == []


def test_a_journal_of_an_earlier_version_gains_the_results_column(
    tmp_path: Path, source_file: Path
) -> None:
    path = tmp_path / "journal.sqlite3"
    earlier = sqlite3.connect(path)
    earlier.executescript(
        "CREATE TABLE runs (id INTEGER PRIMARY KEY, target TEXT NOT NULL, files TEXT NOT NULL,"
        " started_at TEXT NOT NULL, finished_at TEXT, exit_status INTEGER);"
        "INSERT INTO runs VALUES (1, 't', '[\"a.csv\"]', '2026-11-01T03:00:00Z', NULL, NULL);"
        "PRAGMA user_version = 1;"
    )
    earlier.close()

    # Read as it is (a run may hold it), then opened to write, which adds the column.
    with Journal(path, read_only=True) as journal:
        (past,) = journal.runs()
        assert (past.id, past.files, past.results) == (1, ["a.csv"], None)
    with Journal(path) as journal:
        run_id = journal.start_run(TARGET, [source_file], tmp_path / "r.csv")
    with Journal(path, read_only=True) as journal:
        assert [run.results for run in journal.runs()] == [str(tmp_path / "r.csv"), None]
        assert run_id == 2
