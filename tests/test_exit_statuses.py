"""What the scheduler reads from the exit status when something goes wrong that no row caused:
a fault of batch-uploader exits 70 with one line (the traceback only with --verbose), and a
file or journal that cannot be read or written exits 2 with a message saying what to do, never
a traceback read as "some rows were invalid"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli import cli
from batch_uploader.journal import Journal
from batch_uploader.report import ExitStatus

from .conftest import SANDBOX_ENV, CsvFactory

ROWS = "Pedido;NF;Rastreio\n1-01;000001;AA1BR\n2-01;000002;AA2BR\n"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=SANDBOX_ENV, catch_exceptions=False)


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
