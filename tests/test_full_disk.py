"""A disk that refuses to write in the middle of an upload (full, over quota, made read-only):
sending stops, since a row sent with no record is one the next run cannot account for; every
row decided still gets its results line where the disk allows; nothing empty or broken is
left behind; and the run ends with a status of its own (74), never a traceback read as "some
rows were invalid". Running again once there is room sends only what was not sent."""

from __future__ import annotations

import csv
import errno
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from batch_uploader.files.results import CsvResults
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox

from .conftest import SANDBOX_ENV, invoke

ROWS = 200
FULL = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def carrier_file(folder: Path, rows: int = ROWS, name: str = "loggi.csv") -> Path:
    path = folder / name
    lines = [f"{1300000 + n}-01;{n:06d};LGI{n:08d}BR" for n in range(rows)]
    path.write_text("Pedido;NF;Rastreio\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def failing_after(count: int, real: Callable[..., Any], error: BaseException) -> Callable[..., Any]:
    """``real``, which raises ``error`` from its ``count + 1``-th call on."""
    calls = 0

    def call(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > count:
            raise error
        return real(*args, **kwargs)

    return call


def upload(source: Path, journal: Path, results: Path, base_url: str) -> Any:
    return invoke(
        "upload", str(source), "--base-url", base_url, "--journal", str(journal),
        "--results", str(results), "--rate", "1000", "--stop-after-failures", "0",
    )  # fmt: skip


def results_lines(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_results_that_cannot_be_written_stop_the_sending_and_exit_74(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = carrier_file(tmp_path)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    monkeypatch.setattr(CsvResults, "_write_line", failing_after(20, CsvResults._write_line, FULL))

    with Sandbox() as sandbox:
        first = upload(source, journal, results, sandbox.base_url)
        monkeypatch.undo()
        landed_first = len(sandbox.received)
        second = upload(source, journal, tmp_path / "again.csv", sandbox.base_url)
        orders = Counter(received.order_id for received in sandbox.received)

    assert first.exit_code == ExitStatus.CANNOT_WRITE == 74
    assert "Traceback" not in first.output
    message = first.stderr
    assert f"the results file {results} could not be written: No space left on device" in message
    assert "free space" in message.lower()
    assert "sending stopped" in message.lower()
    # Sending stopped soon after: what was in flight at most, not the whole file.
    assert 20 <= landed_first < ROWS
    summary = json.loads(results.with_name("results.summary.json").read_text())
    assert summary["exitStatus"] == 74
    assert summary["unwritten"] == [f"the results file {results}: No space left on device"]
    assert summary["rows"]["sent"] == landed_first
    # The journal kept every row that landed: the next run sends each of the others once.
    assert second.exit_code == ExitStatus.OK
    again = results_lines(tmp_path / "again.csv")
    assert Counter(line["status"] for line in again) == {
        "skipped": landed_first,
        "sent": ROWS - landed_first,
    }
    assert len(orders) == ROWS
    assert set(orders.values()) == {1}


def journal_failing_at(monkeypatch: pytest.MonkeyPatch, leaving: int, error: sqlite3.Error) -> None:
    """Journals whose connection raises ``error`` as the request after ``leaving`` requests
    is noted leaving: what SQLite raises when the disk fills, or a page turns out damaged."""
    real_connect = sqlite3.connect

    class Failing(sqlite3.Connection):
        noted = 0

        def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
            if sql.startswith("UPDATE rows SET state"):
                Failing.noted += 1
                if Failing.noted > leaving:
                    raise error
            return super().execute(sql, *args)

    monkeypatch.setattr(
        sqlite3, "connect", lambda *args, **kwargs: real_connect(*args, **kwargs, factory=Failing)
    )


def test_a_journal_that_cannot_be_written_stops_every_request_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = carrier_file(tmp_path)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    journal_failing_at(monkeypatch, 30, sqlite3.OperationalError("database or disk is full"))

    with Sandbox() as sandbox:
        outcome = upload(source, journal, results, sandbox.base_url)
        landed = len(sandbox.received)

    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert "Traceback" not in outcome.output
    assert f"the journal {journal} could not be written: database or disk is full" in outcome.stderr
    # No request leaves that the journal could not note as leaving.
    assert landed == 30
    lines = results_lines(results)
    assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
    assert Counter(line["status"] for line in lines) == {"sent": 30, "failed": ROWS - 30}
    unsent = [line for line in lines if line["status"] == "failed"]
    assert {line["errorCode"] for line in unsent} == {"not-attempted"}
    assert f"the journal {journal} could not be written" in unsent[0]["errorMessage"]


def test_a_journal_found_damaged_mid_run_says_to_move_it_aside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = carrier_file(tmp_path)
    journal, results = tmp_path / "journal.sqlite3", tmp_path / "results.csv"
    journal_failing_at(monkeypatch, 10, sqlite3.DatabaseError("database disk image is malformed"))

    with Sandbox() as sandbox:
        outcome = upload(source, journal, results, sandbox.base_url)
        landed = len(sandbox.received)

    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert "Traceback" not in outcome.output
    message = outcome.stderr
    assert (
        f"the journal {journal} could not be written: damaged: database disk image is malformed"
        in message
    )
    assert "Move the journal aside" in message
    assert "Free space" not in message
    assert landed == 10
    assert len(results_lines(results)) == ROWS


def test_a_workbook_that_cannot_be_finished_is_not_left_broken(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import xlsxwriter

    source = carrier_file(tmp_path, rows=5)
    results = tmp_path / "results.xlsx"
    real_close = xlsxwriter.Workbook.close

    def close(book: xlsxwriter.Workbook) -> None:
        # What the disk does when the workbook's archive is written: a part of it, then no room.
        Path(book.filename).write_bytes(b"PK\x03\x04 cut short")
        real_close(book)
        raise xlsxwriter.exceptions.FileCreateError(FULL)

    monkeypatch.setattr(xlsxwriter.Workbook, "close", close)
    with Sandbox() as sandbox:
        outcome = upload(source, tmp_path / "journal.sqlite3", results, sandbox.base_url)
        sent = len(sandbox.received)

    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert "Traceback" not in outcome.output
    assert f"the results file {results} could not be written: No space left on device" in (
        outcome.stderr
    )
    assert not results.exists()
    assert "Results:" not in outcome.stdout
    assert sent == 5  # decided before the end: the journal has them
    summary = json.loads(results.with_name("results.summary.json").read_text())
    assert summary["rows"]["sent"] == 5


def test_a_summary_that_cannot_be_written_exits_74_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = carrier_file(tmp_path, rows=3)
    results = tmp_path / "results.csv"
    real_open = os.open

    def refusing(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).endswith(".summary.json"):
            raise FULL
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", refusing)
    with Sandbox() as sandbox:
        outcome = upload(source, tmp_path / "journal.sqlite3", results, sandbox.base_url)

    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    summary = results.with_name("results.summary.json")
    assert f"the summary {summary} could not be written: No space left on device" in (
        outcome.stderr
    )
    assert len(results_lines(results)) == 3


# A real full disk: a small tmpfs mounted in a mount namespace of the test's own, where the
# inbox, its journal and its results live. The sandbox answers from this process.


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    trial = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return trial.returncode == 0


needs_mount = pytest.mark.skipif(
    not _namespaces_allowed(),
    reason="mounting a small tmpfs needs user and mount namespaces (unshare -Urm)",
)


@needs_mount
def test_a_disk_that_fills_up_during_a_night_ends_with_74_and_the_next_night_finishes(
    tmp_path: Path,
) -> None:
    rows = 2000
    source = carrier_file(tmp_path, rows=rows)
    mount, kept = tmp_path / "disk", tmp_path / "kept"
    mount.mkdir()
    python = shlex.quote(sys.executable)
    night = (
        f"{python} -m batch_uploader inbox {mount}/inbox --base-url {{url}} --settle 0 "
        "--rate 2000 --format xlsx"
    )
    with Sandbox() as sandbox:
        command = night.format(url=sandbox.base_url)
        script = f"""
            mount -t tmpfs -o size=8m tmpfs {mount}
            mkdir {mount}/inbox && cp -p {source} {mount}/inbox/
            # What is left of the disk: room to start, not to finish.
            head -c $((8 * 1024 * 1024 - 192 * 1024)) /dev/zero > {mount}/ballast 2>/dev/null
            {command} > {tmp_path}/out1 2> {tmp_path}/err1; echo $? > {tmp_path}/status1
            cp -a {mount}/inbox {kept}
            rm {mount}/ballast
            {command} > {tmp_path}/out2 2> {tmp_path}/err2; echo $? > {tmp_path}/status2
            ls -A {mount}/inbox > {tmp_path}/left2
        """
        env = {**os.environ, **SANDBOX_ENV, "PYTHONPATH": str(Path(__file__).parents[1])}
        subprocess.run(["unshare", "-Urm", "sh", "-c", script], env=env, check=True, timeout=300)
        orders = {received.order_id for received in sandbox.received}

    first, error = (tmp_path / "status1").read_text(), (tmp_path / "err1").read_text()
    assert int(first) == ExitStatus.CANNOT_WRITE, error
    assert "Traceback" not in error
    assert "exception was never retrieved" not in error
    assert "could not be written" in error
    assert "free space" in error.lower()
    # The file waits in the inbox for the next night; nothing empty or broken sits in done/.
    assert (kept / "loggi.csv").is_file()
    for path in (kept / "done").glob("*") if (kept / "done").exists() else ():
        assert path.stat().st_size > 0, path
        if path.suffix == ".xlsx":
            openpyxl.load_workbook(path, read_only=True).close()
    second = (tmp_path / "status2").read_text()
    assert int(second) == ExitStatus.OK, (tmp_path / "err2").read_text()
    assert "loggi.csv" not in (tmp_path / "left2").read_text().split()
    assert len(orders) == rows


def test_a_disk_that_fills_as_the_inbox_notes_a_file_done_exits_74_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    carrier_file(inbox, rows=2)
    then = time.time() - 60
    os.utime(inbox / "loggi.csv", (then, then))
    ledger = inbox / ".batch-uploader" / "processed.jsonl"

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(ledger))

    monkeypatch.setattr("batch_uploader.jobs.inbox._Ledger.add", full)
    with Sandbox() as sandbox:
        outcome = invoke("inbox", str(inbox), "--base-url", sandbox.base_url, "--settle", "0")

    assert outcome.exit_code == ExitStatus.CANNOT_WRITE
    assert "Traceback" not in outcome.output
    assert outcome.stderr.startswith(
        f"batch-uploader: could not write {ledger} while running cli inbox: No space left on "
        "device; "
    )
    assert outcome.stderr.rstrip().endswith(
        "free space on that disk and run again: the journal skips the rows sent"
    )
