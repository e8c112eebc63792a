"""A disk that refuses a write mid-run. Sending stops, every row is counted, nothing
empty or cut short is left, exit 74, a message naming the file and what to do, never a
traceback."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from batch_uploader.files import fixes as fixes_module
from batch_uploader.jobs import engine as job_module
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig

from .conftest import invoke
from .test_full_disk import FULL, carrier_file, failing_after, results_lines

DISK_FULL = sqlite3.OperationalError("database or disk is full")


def failing_journal(monkeypatch: pytest.MonkeyPatch, fails: Any) -> None:
    """Journals whose connection raises DISK_FULL from each statement ``fails(sql)`` says."""
    real_connect = sqlite3.connect

    class Failing(sqlite3.Connection):
        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if fails(sql):
                raise DISK_FULL
            return super().execute(sql, *args)

        def commit(self) -> None:
            if fails("COMMIT"):
                raise DISK_FULL
            super().commit()

    monkeypatch.setattr(
        sqlite3, "connect", lambda *args, **kwargs: real_connect(*args, **kwargs, factory=Failing)
    )


def upload(*args: str) -> Any:
    return invoke("upload", *args, "--rate", "1000", "--stop-after-failures", "0")


def test_a_journal_that_fails_at_the_start_of_the_run_sends_nothing_and_exits_74(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = carrier_file(tmp_path, rows=20)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    failing_journal(monkeypatch, lambda sql: sql.startswith("INSERT INTO runs"))
    with Sandbox() as sandbox:
        outcome = upload(str(source), "--base-url", sandbox.base_url, "--journal", str(journal),
                         "--results", str(results))  # fmt: skip
        landed = len(sandbox.received)
    assert "Traceback" not in outcome.output
    assert outcome.exit_code == ExitStatus.CANNOT_WRITE, outcome.output
    assert landed == 0
    assert f"the journal {journal} could not be written" in outcome.stderr
    assert len(results_lines(results)) == 20


def test_rows_to_fix_that_cannot_be_written_name_their_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every row is refused by VTEX (unknown order), so every row goes to the rows to fix.
    source = carrier_file(tmp_path, rows=30)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    real = fixes_module._CsvSink.write
    monkeypatch.setattr(fixes_module._CsvSink, "write", failing_after(5, real, FULL))
    unknown = [f"{1300000 + n}-01" for n in range(30)]
    with Sandbox(SandboxConfig(unknown_orders=frozenset(unknown))) as sandbox:
        outcome = upload(str(source), "--base-url", sandbox.base_url, "--journal", str(journal),
                         "--results", str(results))  # fmt: skip
    assert "Traceback" not in outcome.output
    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    # The results go on being written: they list every row not sent.
    assert len(results_lines(results)) == 30
    # Rows to fix cut short would be taken for all of them: removed, and named.
    assert list(tmp_path.glob("loggi-to-fix-*.csv")) == []
    assert f"the rows to fix {tmp_path}/loggi-to-fix-" in outcome.stderr
    assert (
        "could not be written: No space left on device; it was removed: the results file "
        "lists every row not sent" in outcome.stderr
    )


def test_rows_to_fix_cut_short_at_their_close_are_not_left_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CSV is buffered: the disk's refusal comes at the flush of the close, the file left
    with a line cut in half."""
    source = carrier_file(tmp_path, rows=3)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    real_close = fixes_module._CsvSink.close

    def close(sink: Any) -> None:
        sink._handle.write("1300002-01;000002;LGI000")  # what fitted on the disk
        sink._handle.flush()
        real_close(sink)
        raise FULL

    monkeypatch.setattr(fixes_module._CsvSink, "close", close)
    unknown = frozenset(f"{1300000 + n}-01" for n in range(3))
    with Sandbox(SandboxConfig(unknown_orders=unknown)) as sandbox:
        outcome = upload(str(source), "--base-url", sandbox.base_url, "--journal", str(journal),
                         "--results", str(results))  # fmt: skip
    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert "Traceback" not in outcome.output
    left = list(tmp_path.glob("loggi-to-fix-*.csv"))
    summary = json.loads(results.with_name("results.summary.json").read_text())
    # The file the refusal cut short is still there, and the summary lists it as an output.
    assert left == [], [path.read_text() for path in left]
    assert summary["outputs"]["toFix"] == []


def test_a_journal_failing_while_an_interruption_is_handled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import signal

    source = carrier_file(tmp_path, rows=200)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    state: dict[str, Any] = {"interrupted": False, "leaving": 0}
    real_interrupt = job_module._Upload._interrupt

    def interrupt(self: Any, main: Any) -> None:
        state["interrupted"] = True
        real_interrupt(self, main)

    monkeypatch.setattr(job_module._Upload, "_interrupt", interrupt)

    def fails(sql: str) -> bool:
        if sql.startswith("UPDATE rows SET state"):
            state["leaving"] += 1
            if state["leaving"] == 20:
                os.kill(os.getpid(), signal.SIGINT)
        return bool(state["interrupted"])

    failing_journal(monkeypatch, fails)
    with Sandbox(SandboxConfig(latency=0.05)) as sandbox:
        outcome = upload(str(source), "--base-url", sandbox.base_url, "--journal", str(journal),
                         "--results", str(results), "--concurrency", "4")  # fmt: skip
    assert state["interrupted"]
    assert "Traceback" not in outcome.output
    assert outcome.exit_code in (ExitStatus.CANNOT_WRITE, ExitStatus.INTERRUPTED)
    assert f"the journal {journal} could not be written" in outcome.stderr, outcome.stderr
    assert len(results_lines(results)) == 200


def test_a_journal_failing_during_an_upload_with_verify(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = carrier_file(tmp_path, rows=100)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    count = {"n": 0}

    def fails(sql: str) -> bool:
        if sql.startswith("UPDATE rows SET state"):
            count["n"] += 1
        return count["n"] > 30

    failing_journal(monkeypatch, fails)
    with Sandbox() as sandbox:
        outcome = upload(str(source), "--base-url", sandbox.base_url, "--journal", str(journal),
                         "--results", str(results), "--verify")  # fmt: skip
        landed = len(sandbox.received)
    assert "Traceback" not in outcome.output
    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert f"the journal {journal} could not be written" in outcome.stderr
    assert landed <= 30
    assert len(results_lines(results)) == 100


def test_an_events_upload_whose_journal_fails_exits_74(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "events.csv"
    lines = "".join(
        f"{n}-01,{n},2026-11-2{day} 08:00,Recife,PE,step {day}\n"
        for n in range(1, 61) for day in (1, 2)
    )  # fmt: skip
    source.write_text("orderId,invoiceNumber,date,city,state,description\n" + lines)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    count = {"n": 0}

    def fails(sql: str) -> bool:
        if sql.startswith("UPDATE rows SET state"):
            count["n"] += 1
        return count["n"] > 20

    failing_journal(monkeypatch, fails)
    with Sandbox() as sandbox:
        outcome = invoke("events", str(source), "--base-url", sandbox.base_url, "--journal",
                         str(journal), "--results", str(results), "--rate", "1000")  # fmt: skip
        landed = len(sandbox.received)
    assert "Traceback" not in outcome.output
    assert outcome.exit_code == ExitStatus.CANNOT_WRITE, outcome.output
    assert f"the journal {journal} could not be written" in outcome.stderr
    assert landed <= 20
    with results.open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == 120


def test_an_events_upload_whose_results_fail_exits_74(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from batch_uploader.files.results import CsvResults

    source = tmp_path / "events.csv"
    lines = "".join(f"{n}-01,{n},2026-11-21 08:00,Recife,PE,step\n" for n in range(1, 41))
    source.write_text("orderId,invoiceNumber,date,city,state,description\n" + lines)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    monkeypatch.setattr(CsvResults, "_write_line", failing_after(10, CsvResults._write_line, FULL))
    with Sandbox() as sandbox:
        outcome = invoke("events", str(source), "--base-url", sandbox.base_url, "--journal",
                         str(journal), "--results", str(results), "--rate", "1000")  # fmt: skip
    assert "Traceback" not in outcome.output
    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert f"the results file {results} could not be written" in outcome.stderr
    summary = json.loads(results.with_name("results.summary.json").read_text())
    assert sum(summary["rows"].values()) >= 40 or summary["rows"]["total"] == 40
