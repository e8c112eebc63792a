"""Stopping an upload from outside, as a scheduler or a reboot does, with the real process:
SIGTERM ends it cleanly (exit 130, results for every decided row); after SIGKILL the same
command sends only what the sandbox had not accepted."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_uploader.sandbox.oms import RECEIVED_PATH

ROWS = 150
CONCURRENCY = 4
ENV = {**os.environ, "VTEX_APP_KEY": "key", "VTEX_APP_TOKEN": "token-kept-secret"}


@contextlib.contextmanager
def serve_sandbox(latency: float) -> Iterator[str]:
    """A sandbox in its own process, so it outlives the uploader it watches."""
    server = subprocess.Popen(
        [sys.executable, "-m", "batch_uploader", "sandbox", "--port", "0",
         "--latency", str(latency)],
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        yield line.split()[3]
    finally:
        server.terminate()
        server.communicate(timeout=10)


@pytest.fixture
def sandbox_url() -> Iterator[str]:
    with serve_sandbox(latency=0.02) as url:
        yield url


def accepted(base_url: str) -> list[str]:
    with urllib.request.urlopen(base_url + RECEIVED_PATH, timeout=5) as answer:
        return [entry["orderId"] for entry in json.load(answer)]


def wait_until_accepted(base_url: str, count: int) -> None:
    deadline = time.monotonic() + 20
    while len(accepted(base_url)) < count:
        assert time.monotonic() < deadline, "the upload did not get going"
        time.sleep(0.05)


def start_upload(base_url: str, tmp_path: Path, results: str) -> subprocess.Popen[str]:
    source = tmp_path / "many.csv"
    if not source.exists():
        lines = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, ROWS + 1))
        source.write_text("orderId,invoiceNumber,trackingNumber\n" + lines)
    return subprocess.Popen(
        [sys.executable, "-m", "batch_uploader", "upload", str(source),
         "--base-url", base_url, "--journal", str(tmp_path / "journal.sqlite3"),
         "--results", str(tmp_path / results), "--rate", "60",
         "--concurrency", str(CONCURRENCY)],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def start_events(base_url: str, tmp_path: Path) -> subprocess.Popen[str]:
    """An events upload of ROWS parcels of two lines each, in its own process."""
    source = tmp_path / "events.csv"
    lines = "".join(
        f"{n}-01,{n},2026-11-2{day} 08:00,Recife,PE,step {day}\n"
        for n in range(1, ROWS + 1)
        for day in (1, 2)
    )
    source.write_text("orderId,invoiceNumber,date,city,state,description\n" + lines)
    return subprocess.Popen(
        [sys.executable, "-m", "batch_uploader", "events", str(source),
         "--base-url", base_url, "--journal", str(tmp_path / "journal.sqlite3"),
         "--results", str(tmp_path / "results.csv"), "--rate", "60",
         "--concurrency", str(CONCURRENCY)],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_sigterm_ends_with_130_and_results_for_every_row(sandbox_url: str, tmp_path: Path) -> None:
    upload = start_upload(sandbox_url, tmp_path, "results.csv")
    wait_until_accepted(sandbox_url, 20)

    upload.send_signal(signal.SIGTERM)
    out, err = upload.communicate(timeout=30)

    assert upload.returncode == 130, err
    lines = results_of(tmp_path / "results.csv")
    assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
    sent = [line for line in lines if line["status"] == "sent"]
    assert len(sent) < ROWS
    assert all(line["receipt"] for line in sent)
    assert {line["errorCode"] for line in lines if line["status"] != "sent"} <= {"not-attempted"}
    # Nothing VTEX accepted is missing from the results: requests in flight were let finish.
    assert sorted(line["orderId"] for line in sent) == sorted(accepted(sandbox_url))
    assert "Interrupted" in out
    assert "token-kept-secret" not in out + err
    assert "Traceback" not in err


def test_after_kill_9_the_same_command_sends_only_the_rest(
    sandbox_url: str, tmp_path: Path
) -> None:
    upload = start_upload(sandbox_url, tmp_path, "killed.csv")
    wait_until_accepted(sandbox_url, 30)
    upload.kill()
    upload.communicate(timeout=10)
    time.sleep(0.2)  # answers to requests that were in flight
    before_kill = set(accepted(sandbox_url))
    journal = sqlite3.connect(tmp_path / "journal.sqlite3")
    states = dict(journal.execute("SELECT order_id, state FROM rows").fetchall())
    journal.close()
    # The journal knows what may have reached VTEX: the rows it accepted are recorded as sent
    # or, for the few whose answer the kill cut off, as in flight.
    assert {states[order] for order in before_kill} <= {"sent", "in-flight"}
    assert sum(state == "in-flight" for state in states.values()) <= CONCURRENCY

    rerun = start_upload(sandbox_url, tmp_path, "rerun.csv")
    out, err = rerun.communicate(timeout=60)

    assert rerun.returncode == 0, out + err
    log = Counter(accepted(sandbox_url))
    assert set(log) == {f"{n}-01" for n in range(1, ROWS + 1)}
    sent_twice = {order for order, times in log.items() if times > 1}
    # Only requests in flight at the kill may have gone twice (their answers were lost).
    assert sent_twice <= before_kill
    assert len(sent_twice) <= CONCURRENCY
    lines = results_of(tmp_path / "rerun.csv")
    assert len(lines) == ROWS
    statuses = Counter(line["status"] for line in lines)
    assert statuses["sent"] + statuses["skipped"] == ROWS
    assert statuses["skipped"] >= len(before_kill) - CONCURRENCY
    assert all(line["receipt"] for line in lines)


def test_a_second_signal_stops_at_once(tmp_path: Path) -> None:
    with serve_sandbox(latency=20) as slow_url:
        upload = start_upload(slow_url, tmp_path, "results.csv")
        time.sleep(1.5)  # requests are in flight, and will be for 20 s
        upload.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        stopped_at = time.monotonic()
        upload.send_signal(signal.SIGTERM)
        out, err = upload.communicate(timeout=15)

    assert upload.returncode == 130, err
    assert time.monotonic() - stopped_at < 5
    assert "Interrupted" in out
    assert "Traceback" not in err


def test_sigterm_ends_an_events_upload_with_130_and_every_parcel_it_sent(
    sandbox_url: str, tmp_path: Path
) -> None:
    upload = start_events(sandbox_url, tmp_path)
    wait_until_accepted(sandbox_url, 20)

    upload.send_signal(signal.SIGTERM)
    out, err = upload.communicate(timeout=30)

    assert upload.returncode == 130, err
    results = results_of(tmp_path / "results.csv")
    assert len(results) == 2 * ROWS
    sent = {line["orderId"] for line in results if line["status"] == "sent"}
    assert 0 < len(sent) < ROWS
    # Both lines of every parcel sent carry its receipt; nothing VTEX accepted is missing.
    assert sum(line["status"] == "sent" and bool(line["receipt"]) for line in results) == 2 * len(
        sent
    )
    assert sent == set(accepted(sandbox_url))
    assert {line["errorCode"] for line in results if line["status"] != "sent"} <= {"not-attempted"}
    assert "Interrupted" in out
    assert "Traceback" not in err


def stopped_twice(upload: subprocess.Popen[str]) -> tuple[str, str]:
    """What ``upload`` prints when stopped twice while its requests are in flight (the
    sandbox answers in 20 s): the second SIGTERM does not wait for them."""
    time.sleep(1.5)
    upload.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    upload.send_signal(signal.SIGTERM)
    return upload.communicate(timeout=15)


def test_interrupted_while_answers_are_slow_every_row_read_has_a_status(tmp_path: Path) -> None:
    with serve_sandbox(latency=20) as slow_url:
        upload = start_upload(slow_url, tmp_path, "results.csv")
        out, err = stopped_twice(upload)

    assert upload.returncode == 130, err
    lines = results_of(tmp_path / "results.csv")
    assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
    assert {line["status"] for line in lines} == {"failed"}
    waited = [line for line in lines if line["errorCode"] == "interrupted"]
    # The requests in flight made one attempt each, and say so; the others never left.
    assert 0 < len(waited) <= CONCURRENCY
    assert {line["attempts"] for line in waited} == {"1"}
    assert all("may have landed" in line["errorMessage"] for line in waited)
    rest = [line for line in lines if line["errorCode"] != "interrupted"]
    assert {(line["errorCode"], line["attempts"]) for line in rest} == {("not-attempted", "0")}
    assert "Interrupted: rows not sent are in the results" in out
    journal = sqlite3.connect(tmp_path / "journal.sqlite3")
    states = dict(journal.execute("SELECT order_id, state FROM rows").fetchall())
    journal.close()
    # The journal keeps the rows whose request left as in flight: they may have landed.
    assert {states[line["orderId"]] for line in waited} == {"in-flight"}
    assert {states[line["orderId"]] for line in rest} == {"failed"}
    summary = json.loads((tmp_path / "results.summary.json").read_text(encoding="utf-8"))
    assert summary["rows"]["total"] == ROWS
    assert summary["rows"]["failed"] == ROWS
    assert summary["interrupted"] is True
    assert "Traceback" not in err


def test_an_interrupted_events_upload_gives_every_line_a_status(tmp_path: Path) -> None:
    with serve_sandbox(latency=20) as slow_url:
        upload = start_events(slow_url, tmp_path)
        out, err = stopped_twice(upload)

    assert upload.returncode == 130, err
    results = results_of(tmp_path / "results.csv")
    assert len(results) == 2 * ROWS
    assert {line["status"] for line in results} == {"failed"}
    waited = [line for line in results if line["errorCode"] == "interrupted"]
    assert 0 < len(waited) <= 2 * CONCURRENCY
    assert {line["attempts"] for line in waited} == {"1"}
    rest = {(line["errorCode"], line["attempts"]) for line in results if line not in waited}
    assert rest == {("not-attempted", "0")}
    assert "Interrupted: rows not sent are in the results" in out
    assert "Traceback" not in err


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_signal_while_the_files_are_read_ends_with_130(
    tmp_path: Path, stop: signal.Signals
) -> None:
    source = tmp_path / "big.csv"
    lines = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, 1_500_001))
    source.write_text("orderId,invoiceNumber,trackingNumber\n" + lines)
    upload = subprocess.Popen(
        [sys.executable, "-m", "batch_uploader", "upload", str(source), "--sandbox",
         "--results", str(tmp_path / "results.csv")],
        env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    time.sleep(1.5)  # started, and reading the rows before anything is sent

    upload.send_signal(stop)
    out, err = upload.communicate(timeout=60)

    # Not 1 ("some rows were not sent", which a scheduler takes for a normal night).
    assert upload.returncode == 130, out + err
    assert "interrupted" in out + err
    assert "Aborted!" not in err
    assert "Traceback" not in err
