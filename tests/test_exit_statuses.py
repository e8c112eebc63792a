"""What the scheduler reads from the exit status when something goes wrong that no row caused:
a fault of batch-uploader exits 70 with one line (the traceback only with --verbose), and a
file or journal that cannot be read or written exits 2 with a message saying what to do, never
a traceback read as "some rows were invalid"."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli
from batch_uploader.errors import InputError, UsageError
from batch_uploader.files.reader import read_tables
from batch_uploader.jobs.journal import Journal, fingerprint
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox

from .conftest import SANDBOX_ENV, CsvFactory, invoke

ROWS = "Pedido;NF;Rastreio\n1-01;000001;AA1BR\n2-01;000002;AA2BR\n"


def upload_to_sandbox(source: Path, journal: Path, output: Path) -> Result:
    """``batch-uploader upload SOURCE`` to the sandbox with this journal and output folder."""
    return invoke(
        "upload", str(source), "--sandbox", "--journal", str(journal), "--output-dir", str(output)
    )


def _fault(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("the journal fell over")


@pytest.mark.parametrize("verbose", [False, True])
def test_a_fault_deep_in_an_upload_exits_70_with_one_line(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, verbose: bool
) -> None:
    source = write_csv(ROWS, "carrier.csv")
    results = tmp_path / "results.csv"
    monkeypatch.setattr(Journal, "record", _fault)

    verbosity = ["--verbose"] if verbose else []
    outcome = invoke(*verbosity, "upload", str(source), "--sandbox", "--results", str(results))

    assert outcome.exit_code == ExitStatus.INTERNAL_ERROR == 70
    message = outcome.stderr.splitlines()[-1] if not verbose else outcome.stderr
    assert "a fault of batch-uploader" in message
    assert "upload" in message
    assert str(results) in message
    assert "report it" in message
    assert "RuntimeError: the journal fell over" in outcome.stderr
    assert ("Traceback" in outcome.output) is verbose


# The inbox: a file that cannot be read is rejected (or, if it cannot be moved, left with a
# message), and the files after it are processed the same night.

GOOD = "Pedido;NF;Rastreio\n1-01;000001;AA1BR\n"


def drop(folder: Path, name: str, age: float = 60.0) -> Path:
    path = folder / name
    path.write_text(GOOD, encoding="utf-8")
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def night(folder: Path) -> Result:
    with Sandbox() as sandbox:
        return CliRunner().invoke(
            cli,
            ["inbox", str(folder), "--base-url", sandbox.base_url, "--settle", "5"],
            env=SANDBOX_ENV,
            catch_exceptions=False,
        )


def _refusing(name: str, real: Callable[[Path], str]) -> Callable[[Path], str]:
    """``fingerprint`` that reads every file but ``name``, as a file of mode 000 is refused."""

    def refusing(path: Path) -> str:
        if path.name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    return refusing


def test_an_unreadable_inbox_file_is_rejected_and_the_next_ones_are_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(tmp_path, "a-locked.csv", age=120)
    drop(tmp_path, "b-fine.csv")
    monkeypatch.setattr(
        "batch_uploader.jobs.inbox.fingerprint", _refusing("a-locked.csv", fingerprint)
    )

    outcome = night(tmp_path)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert sorted(p.name for p in (tmp_path / "rejected").iterdir()) == [
        "a-locked.csv",
        "a-locked.csv.error.txt",
    ]
    reason = (tmp_path / "rejected" / "a-locked.csv.error.txt").read_text(encoding="utf-8")
    assert "cannot be read: Permission denied" in reason
    assert "b-fine.csv" in [p.name for p in (tmp_path / "done").iterdir()]
    assert "1 files processed (1 moved to done/), 1 rejected" in outcome.output
    assert "Traceback" not in outcome.output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a file of mode 000")
def test_a_file_of_mode_000_is_rejected(tmp_path: Path) -> None:
    drop(tmp_path, "a-locked.csv", age=120).chmod(0)
    drop(tmp_path, "b-fine.csv")

    outcome = night(tmp_path)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert (tmp_path / "rejected" / "a-locked.csv").exists()
    assert (tmp_path / "done" / "b-fine.csv").exists()


def test_a_folder_named_like_a_csv_is_rejected(tmp_path: Path) -> None:
    (tmp_path / "a-folder.csv").mkdir()
    os.utime(tmp_path / "a-folder.csv", (time.time() - 120, time.time() - 120))
    drop(tmp_path, "b-fine.csv")

    outcome = night(tmp_path)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert (tmp_path / "rejected" / "a-folder.csv").is_dir()
    reason = (tmp_path / "rejected" / "a-folder.csv.error.txt").read_text(encoding="utf-8")
    assert "not a regular file" in reason
    assert (tmp_path / "done" / "b-fine.csv").exists()


def test_an_unreadable_file_that_cannot_be_moved_is_left_with_a_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    drop(tmp_path, "a-locked.csv", age=120)
    drop(tmp_path, "b-fine.csv")
    monkeypatch.setattr(
        "batch_uploader.jobs.inbox.fingerprint", _refusing("a-locked.csv", fingerprint)
    )
    real_replace = os.replace

    def replace(source: Any, target: Any) -> None:
        if Path(source).name == "a-locked.csv":
            raise PermissionError(13, "Permission denied", str(source))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)

    outcome = night(tmp_path)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert (tmp_path / "a-locked.csv").exists()
    assert "could not be moved to rejected/ either" in outcome.output
    assert (tmp_path / "done" / "b-fine.csv").exists()
    assert "Traceback" not in outcome.output


# The journal: damaged, or in a folder where its lock cannot be made.


def _journal_with_a_run(write_csv: CsvFactory, tmp_path: Path) -> Path:
    journal = tmp_path / "state" / "journal.sqlite3"
    first = invoke(
        "upload",
        str(write_csv(ROWS, "first.csv")),
        "--sandbox",
        "--journal",
        str(journal),
        "--results",
        str(tmp_path / "first-results.csv"),
    )
    assert first.exit_code == 0, first.output
    return journal


@pytest.mark.parametrize("start", [0, 4096], ids=["whole-file", "second-page-on"])
def test_a_damaged_journal_is_named_with_what_to_do(
    write_csv: CsvFactory, tmp_path: Path, start: int
) -> None:
    journal = _journal_with_a_run(write_csv, tmp_path)
    size = journal.stat().st_size
    with journal.open("r+b") as handle:
        handle.seek(start)
        handle.write(bytes(range(256)) * ((size - start) // 256 + 1))
    output = tmp_path / "out"

    outcome = upload_to_sandbox(write_csv(ROWS, "second.csv"), journal, output)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert outcome.stderr.startswith(f"batch-uploader: error: journal {journal} ")
    assert "move it aside" in outcome.stderr
    assert "Traceback" not in outcome.output
    assert not output.exists() or list(output.iterdir()) == []


def test_a_journal_whose_lock_cannot_be_made_is_named_with_what_to_do(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As a read-only folder refuses it; done this way since root may write anywhere.
    journal = tmp_path / "read-only" / "journal.sqlite3"
    journal.parent.mkdir()
    real_open = Path.open

    def refusing(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if path.name.endswith(".lock") and not path.exists():
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refusing)
    output = tmp_path / "out"

    outcome = upload_to_sandbox(write_csv(ROWS, "carrier.csv"), journal, output)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert f"{journal}.lock" in outcome.stderr
    assert "Permission denied" in outcome.stderr
    assert "--journal" in outcome.stderr
    assert "Traceback" not in outcome.output
    assert list(output.iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_a_journal_in_a_read_only_folder_exits_2(write_csv: CsvFactory, tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    outcome = upload_to_sandbox(
        write_csv(ROWS, "carrier.csv"), folder / "journal.sqlite3", tmp_path / "out"
    )
    folder.chmod(0o755)

    assert outcome.exit_code == ExitStatus.USAGE, outcome.output
    assert "Traceback" not in outcome.output


def test_a_journal_reached_through_a_link_is_locked_as_itself(tmp_path: Path) -> None:
    real = tmp_path / "journal.sqlite3"
    link = tmp_path / "elsewhere.sqlite3"
    link.symlink_to(real)

    with Journal(real), pytest.raises(UsageError) as refused, Journal(link):
        pass

    assert f"the journal {link} is in use by pid {os.getpid()}" in str(refused.value)


def test_a_pipe_given_as_a_file_is_not_a_regular_file(tmp_path: Path) -> None:
    pipe = tmp_path / "carrier.csv"
    os.mkfifo(pipe)

    with pytest.raises(InputError) as refused:
        read_tables(pipe)

    assert str(refused.value).startswith(f"{pipe}: not a regular file")


def test_a_missing_file_is_still_no_such_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_tables(tmp_path / "gone.csv")


def test_hidden_inbox_files_are_named_as_left_alone(tmp_path: Path) -> None:
    drop(tmp_path, ".jadlog.csv")
    drop(tmp_path, "loggi.csv")
    (tmp_path / ".DS_Store").write_bytes(b"\0")

    outcome = night(tmp_path)

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert (tmp_path / ".jadlog.csv").exists()
    assert (tmp_path / "done" / "loggi.csv").exists()
    assert "Left alone: 1 hidden file (its name begins with a dot): .jadlog.csv;" in outcome.output
    assert ".DS_Store" not in outcome.output
