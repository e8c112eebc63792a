"""Outputs never overwrite one another: two files of one name, two runs in the same second,
or two inputs of one stem each keep their own results, summary and rows to fix. Only a
``--results`` path the user gives is overwritten, as asked."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import time
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Self

import openpyxl
import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli import main as cli_module
from batch_uploader.cli.main import cli
from batch_uploader.jobs import inbox as inbox_module
from batch_uploader.jobs import report as report_module
from batch_uploader.sandbox.oms import Sandbox

from .conftest import SANDBOX_ENV

STAMP = "20261125T023000Z"
ENV: dict[str, str | None] = {**SANDBOX_ENV, "VTEX_BASE_URL": None, "BATCH_UPLOADER_CONFIG": None}
# Row 3 has no tracking number: each file has a row to fix.
CARRIER = "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;\n"


class _Frozen(dt.datetime):
    """A clock stopped at 2026-11-25 02:30:00 UTC."""

    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> Self:
        return cls(2026, 11, 25, 2, 30, tzinfo=dt.UTC)


@pytest.fixture
def same_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything that names outputs reads a clock stopped on one second."""
    frozen = SimpleNamespace(**{**vars(dt), "datetime": _Frozen})
    modules: tuple[ModuleType, ...] = (cli_module, inbox_module, report_module)
    for module in modules:
        monkeypatch.setattr(module, "dt", frozen)


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), env=ENV, catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def lines_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.usefixtures("same_second")
def test_a_csv_and_a_workbook_of_one_name_in_the_inbox_keep_their_outputs(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "incoming"
    write(inbox / "carrier.csv", CARRIER)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for cells in (["Pedido", "NF", "Rastreio"], ["9-01", "000009", "L9"], ["8-01", "000008"]):
        sheet.append(cells)
    book.save(inbox / "carrier.xlsx")
    old = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (old, old))
    with Sandbox() as sandbox:
        outcome = invoke("inbox", str(inbox), "--base-url", sandbox.base_url, "--settle", "5")

    assert outcome.exit_code == 1, outcome.output
    done = inbox / "done"
    assert names(done) == [
        "carrier-Sheet-to-fix-20261125T023000Z.xlsx",
        "carrier-csv-results-20261125T023000Z.csv",
        "carrier-csv-results-20261125T023000Z.summary.json",
        "carrier-to-fix-20261125T023000Z.csv",
        "carrier-xlsx-results-20261125T023000Z.csv",
        "carrier-xlsx-results-20261125T023000Z.summary.json",
        "carrier.csv",
        "carrier.xlsx",
    ]
    for kind, order in (("csv", "1-01"), ("xlsx", "9-01")):
        summary = json.loads((done / f"carrier-{kind}-results-{STAMP}.summary.json").read_text())
        assert summary["files"] == [str(inbox / f"carrier.{kind}")]
        assert summary["outputs"]["results"] == str(done / f"carrier-{kind}-results-{STAMP}.csv")
        assert lines_of(done / f"carrier-{kind}-results-{STAMP}.csv")[0]["orderId"] == order


@pytest.mark.usefixtures("same_second")
def test_the_same_file_processed_again_in_the_same_second_keeps_both_results(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "incoming"
    with Sandbox() as sandbox:
        for tracking in ("J1", "J1-corrected"):
            write(inbox / "carrier.csv", f"Pedido;NF;Rastreio\n1-01;000001;{tracking}\n")
            old = time.time() - 60
            os.utime(inbox / "carrier.csv", (old, old))
            invoke("inbox", str(inbox), "--base-url", sandbox.base_url, "--settle", "5")

    done = inbox / "done"
    assert names(done) == [
        "carrier-2.csv",
        "carrier-csv-results-20261125T023000Z-2.csv",
        "carrier-csv-results-20261125T023000Z-2.summary.json",
        "carrier-csv-results-20261125T023000Z.csv",
        "carrier-csv-results-20261125T023000Z.summary.json",
        "carrier.csv",
    ]
    first = lines_of(done / f"carrier-csv-results-{STAMP}.csv")
    second = lines_of(done / f"carrier-csv-results-{STAMP}-2.csv")
    assert (first[0]["trackingNumber"], second[0]["trackingNumber"]) == ("J1", "J1-corrected")


@pytest.mark.usefixtures("same_second")
def test_links_planted_at_the_next_names_in_the_inbox_are_never_written_through(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "incoming"
    write(inbox / "carrier.csv", CARRIER)
    write(inbox / "broken.csv", "this is not a carrier file\n")
    old = time.time() - 60
    for path in inbox.iterdir():
        os.utime(path, (old, old))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # Dangling links at the exact names this run would use next, leading out of the inbox.
    planted = {
        inbox / "done" / f"carrier-csv-results-{STAMP}.summary.json": elsewhere / "pwned.json",
        inbox / "done" / f"carrier-to-fix-{STAMP}.csv": elsewhere / "to-fix.csv",
        inbox / "done" / "carrier.csv": elsewhere / "carrier.csv",
        inbox / "rejected" / "broken.csv.error.txt": elsewhere / "reason.txt",
    }
    for link, target in planted.items():
        link.parent.mkdir(exist_ok=True)
        link.symlink_to(target)
    with Sandbox() as sandbox:
        outcome = invoke("inbox", str(inbox), "--base-url", sandbox.base_url, "--settle", "5")

    assert names(elsewhere) == []
    assert {link: link.readlink() for link in planted} == planted
    assert outcome.exit_code == 2, outcome.output  # broken.csv is rejected
    done = inbox / "done"
    assert names(done) == [
        "carrier-2.csv",
        "carrier-csv-results-20261125T023000Z-2.csv",
        "carrier-csv-results-20261125T023000Z-2.summary.json",
        "carrier-csv-results-20261125T023000Z.summary.json",
        "carrier-to-fix-20261125T023000Z-2.csv",
        "carrier-to-fix-20261125T023000Z.csv",
        "carrier.csv",
    ]
    summary = json.loads((done / f"carrier-csv-results-{STAMP}-2.summary.json").read_text())
    assert summary["outputs"] == {
        "results": str(done / f"carrier-csv-results-{STAMP}-2.csv"),
        "toFix": [str(done / f"carrier-to-fix-{STAMP}-2.csv")],
        "summary": str(done / f"carrier-csv-results-{STAMP}-2.summary.json"),
    }
    assert names(inbox / "rejected") == ["broken-2.csv", "broken-2.csv.error.txt",
                                         "broken.csv.error.txt"]  # fmt: skip


@pytest.mark.usefixtures("same_second")
def test_two_uploads_of_one_file_in_the_same_second_keep_both_outputs(tmp_path: Path) -> None:
    output = tmp_path / "output"
    runs = []
    for tracking in ("J1", "J1-corrected"):
        source = write(tmp_path / "carrier.csv", CARRIER.replace("J1", tracking))
        runs.append(invoke("upload", str(source), "--sandbox", "--output-dir", str(output)))

    assert [run.exit_code for run in runs] == [1, 1]
    assert names(output) == [
        "carrier-results-20261125T023000Z-2.csv",
        "carrier-results-20261125T023000Z-2.summary.json",
        "carrier-results-20261125T023000Z.csv",
        "carrier-results-20261125T023000Z.summary.json",
        "carrier-to-fix-20261125T023000Z-2.csv",
        "carrier-to-fix-20261125T023000Z.csv",
    ]
    first = lines_of(output / f"carrier-results-{STAMP}.csv")
    second = lines_of(output / f"carrier-results-{STAMP}-2.csv")
    assert [line["trackingNumber"] for line in first] == ["J1", ""]
    assert [line["trackingNumber"] for line in second] == ["J1-corrected", ""]
    summary = json.loads((output / f"carrier-results-{STAMP}-2.summary.json").read_text())
    assert summary["outputs"] == {
        "results": str(output / f"carrier-results-{STAMP}-2.csv"),
        "toFix": [str(output / f"carrier-to-fix-{STAMP}-2.csv")],
        "summary": str(output / f"carrier-results-{STAMP}-2.summary.json"),
    }


@pytest.mark.usefixtures("same_second")
def test_a_results_name_whose_summary_is_left_is_taken(tmp_path: Path) -> None:
    source = write(tmp_path / "carrier.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    output = tmp_path / "output"
    # An earlier run's summary, its results moved away: the summary is still someone's record.
    earlier = write(output / f"carrier-results-{STAMP}.summary.json", '{"version": 1}\n')

    outcome = invoke("upload", str(source), "--sandbox", "--output-dir", str(output))

    assert outcome.exit_code == 0, outcome.output
    assert earlier.read_text() == '{"version": 1}\n'
    assert names(output) == [
        "carrier-results-20261125T023000Z-2.csv",
        "carrier-results-20261125T023000Z-2.summary.json",
        "carrier-results-20261125T023000Z.summary.json",
    ]


@pytest.mark.usefixtures("same_second")
def test_two_event_uploads_in_the_same_second_keep_both_results(tmp_path: Path) -> None:
    source = write(
        tmp_path / "eventos.csv",
        "Pedido;NF;Data do evento;Cidade;UF;Ocorrência\n"
        "1-01;000001;2026-11-21T08:00:00;Cajamar;SP;Objeto postado\n",
    )
    output = tmp_path / "output"

    runs = [invoke("events", str(source), "--sandbox", "--output-dir", str(output)) for _ in "12"]

    assert [run.exit_code for run in runs] == [0, 0], runs[1].output
    assert names(output) == [
        "eventos-results-20261125T023000Z-2.csv",
        "eventos-results-20261125T023000Z-2.summary.json",
        "eventos-results-20261125T023000Z.csv",
        "eventos-results-20261125T023000Z.summary.json",
    ]


def test_an_unreadable_file_leaves_no_empty_results(tmp_path: Path) -> None:
    source = write(tmp_path / "notes.csv", "this is not a carrier file\n")
    output = tmp_path / "output"

    outcome = invoke("upload", str(source), "--sandbox", "--output-dir", str(output))

    assert outcome.exit_code == 2
    assert "cannot find the column(s)" in outcome.output
    assert not output.exists() or names(output) == []


def test_inputs_of_one_stem_in_one_run_get_a_file_to_fix_each(tmp_path: Path) -> None:
    inputs = [
        write(tmp_path / "a" / "carrier.csv", "Pedido;NF;Rastreio\n1-01;000001;\n"),
        write(tmp_path / "b" / "carrier.csv", "Pedido;NF;Rastreio\n2-01;000002;\n"),
        write(tmp_path / "carrier.txt", "Pedido;NF;Rastreio\n3-01;000003;\n"),
    ]
    results = tmp_path / "out" / "results.csv"

    outcome = invoke("upload", *map(str, inputs), "--sandbox", "--results", str(results))

    assert outcome.exit_code == 1, outcome.output
    summary = json.loads((tmp_path / "out" / "results.summary.json").read_text())
    to_fix = [Path(path) for path in summary["outputs"]["toFix"]]
    assert len(set(to_fix)) == 3
    assert [[line["Pedido"] for line in lines_of(path)] for path in to_fix] == [
        ["1-01"],
        ["2-01"],
        ["3-01"],
    ]


def test_an_explicit_results_path_is_overwritten(tmp_path: Path) -> None:
    source = write(tmp_path / "carrier.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    results = tmp_path / "results.csv"
    write(results, "an earlier run\n")

    outcome = invoke("upload", str(source), "--sandbox", "--results", str(results))

    assert outcome.exit_code == 0, outcome.output
    assert [line["status"] for line in lines_of(results)] == ["sent"]
    assert names(tmp_path) == ["carrier.csv", "results.csv", "results.summary.json"]


def test_reading_one_results_file_back_twice_keeps_both_read_backs(tmp_path: Path) -> None:
    source = tmp_path / "carrier.csv"
    source.write_text(CARRIER, encoding="utf-8")
    results = tmp_path / "r.csv"
    runner = CliRunner()
    with Sandbox() as sandbox:
        upload = ["upload", str(source), "--base-url", sandbox.base_url, "--results",
                  str(results), "--journal", str(tmp_path / "j.sqlite3")]  # fmt: skip
        runner.invoke(cli, upload, env=ENV)
        for _ in range(2):
            verify = ["verify", str(results), "--base-url", sandbox.base_url]
            checked = runner.invoke(cli, verify, env=ENV)
            assert checked.exit_code == 0, checked.output

    assert (tmp_path / "r-verified.csv").is_file()
    assert (tmp_path / "r-verified-2.csv").is_file()
    assert "r-verified-2.csv" in checked.output


def test_a_summary_is_never_written_through_a_link(tmp_path: Path) -> None:
    source = tmp_path / "carrier.csv"
    source.write_text(CARRIER, encoding="utf-8")
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_text("kept\n", encoding="utf-8")
    # Planted once the results name was reserved: a given --results is written as asked.
    (tmp_path / "r.summary.json").symlink_to(elsewhere)

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--dry-run", "--results", str(tmp_path / "r.csv")], env=ENV
    )

    assert outcome.exit_code == 1, outcome.output
    assert elsewhere.read_text(encoding="utf-8") == "kept\n"
    summary = tmp_path / "r.summary.json"
    assert not summary.is_symlink()
    assert json.loads(summary.read_text(encoding="utf-8"))["files"] == [str(source)]
