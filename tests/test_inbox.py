"""The inbox a nightly job empties: complete files only, oldest first, moved when done,
rejected when unreadable, never processed twice, one run at a time."""

from __future__ import annotations

import os
import time
from pathlib import Path

import openpyxl
from click.testing import CliRunner, Result

from batch_uploader.cli import cli
from batch_uploader.locks import take_lock
from batch_uploader.sandbox import Sandbox, SandboxConfig

ENV: dict[str, str | None] = {
    "VTEX_APP_KEY": "key",
    "VTEX_APP_TOKEN": "inbox-token-6f0a-2c9d",
    "VTEX_BASE_URL": None,
    "VTEX_ACCOUNT_NAME": None,
    "BATCH_UPLOADER_CONFIG": None,
}


def drop(folder: Path, name: str, text: str, age: float = 60.0) -> Path:
    """A file that arrived ``age`` seconds ago."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def drop_workbook(folder: Path, name: str, age: float) -> Path:
    path = folder / name
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio"])
    sheet.append(["9-01", "000009", "LGI9"])
    book.save(path)
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def run_inbox(folder: Path, sandbox: Sandbox, *more: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["inbox", str(folder), "--base-url", sandbox.base_url, "--settle", "5", *more],
        env=ENV,
        catch_exceptions=False,
    )


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_night_in_the_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;J2\n", age=60)
    drop_workbook(inbox, "loggi.xlsx", age=120)
    drop(inbox, "broken.csv", "this is not a carrier file\n", age=90)
    drop(inbox, "copying.csv", "Pedido;NF;Rastreio\n3-01;000003;C3\n", age=1)
    drop(inbox, "~$loggi.xlsx", "lock", age=600)
    drop(inbox, "download.csv.part", "Pedido", age=600)

    with Sandbox() as sandbox:
        outcome = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert outcome.exit_code == 2, outcome.output
    assert orders[0] == "9-01"  # the oldest file first
    assert sorted(orders) == ["1-01", "2-01", "9-01"]
    assert names(inbox) == [".batch-uploader", "copying.csv", "done", "download.csv.part",
                            "rejected", "~$loggi.xlsx"]  # fmt: skip
    done = names(inbox / "done")
    assert "jadlog.csv" in done
    assert "loggi.xlsx" in done
    assert any(name.startswith("jadlog-results-") and name.endswith(".csv") for name in done)
    assert any(name.endswith(".summary.json") for name in done)
    assert names(inbox / "rejected") == ["broken.csv", "broken.csv.error.txt"]
    assert "cannot find the column(s)" in (inbox / "rejected" / "broken.csv.error.txt").read_text()
    assert "Inbox " in outcome.output
    assert (
        "2 files processed (2 moved to done/), 1 rejected, 0 already processed before, "
        "1 still being written." in outcome.output
    )


def test_the_next_night_processes_only_what_is_new(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    text = "Pedido;NF;Rastreio\n1-01;000001;J1\n"
    drop(inbox, "jadlog.csv", text)
    with Sandbox() as sandbox:
        first = run_inbox(inbox, sandbox)
        drop(inbox, "jadlog-again.csv", text)  # the same file, sent twice by the carrier
        drop(inbox, "correios.csv", "Pedido;NF;Rastreio\n5-01;000005;RA473124829BR\n")
        second = run_inbox(inbox, sandbox)
        third = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert (first.exit_code, second.exit_code, third.exit_code) == (0, 0, 0)
    assert orders == ["1-01", "5-01"]
    assert "1 files processed (1 moved to done/), 0 rejected, 1 already processed" in second.output
    assert "0 files processed" in third.output
    assert "jadlog-again.csv" in names(inbox / "done")


def test_a_file_still_being_copied_waits_for_the_next_run(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    path = drop(inbox, "late.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n", age=0)
    with Sandbox() as sandbox:
        early = run_inbox(inbox, sandbox)
        waited = "late.csv" in names(inbox)
        old = time.time() - 60
        os.utime(path, (old, old))
        later = run_inbox(inbox, sandbox)

    assert "1 still being written" in early.output
    assert waited
    assert later.exit_code == 0
    assert "late.csv" in names(inbox / "done")


def test_overlapping_runs_do_not_collide(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    (inbox / ".batch-uploader").mkdir(parents=True)
    drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    with (
        Sandbox() as sandbox,
        take_lock(inbox / ".batch-uploader" / "inbox.lock", "the inbox"),
    ):
        outcome = run_inbox(inbox, sandbox)
        requests = sandbox.requests

    assert outcome.exit_code == 2
    assert f"the inbox {inbox} is in use by pid" in outcome.output
    assert requests == 0
    assert "jadlog.csv" in names(inbox)


def test_a_refused_key_leaves_the_files_for_the_next_run(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "a.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n", age=120)
    drop(inbox, "b.csv", "Pedido;NF;Rastreio\n2-01;000002;J2\n", age=60)
    with Sandbox(SandboxConfig(refuse_credentials=403)) as sandbox:
        outcome = run_inbox(inbox, sandbox)

    assert outcome.exit_code == 3
    assert {"a.csv", "b.csv"} <= set(names(inbox))
    assert "'Notify invoice'" in outcome.output
    assert "inbox-token-6f0a-2c9d" not in outcome.output


def test_results_in_xlsx_beside_the_file(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    with Sandbox() as sandbox:
        run_inbox(inbox, sandbox, "--format", "xlsx", "--quiet")

    assert any(name.endswith(".xlsx") for name in names(inbox / "done"))
