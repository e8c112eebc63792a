"""Running the same upload again: rows already sent are skipped with their receipt, corrected
rows are sent, --force sends everything, and one journal serves one run at a time."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli
from batch_uploader.jobs.journal import Journal
from batch_uploader.sandbox.oms import Sandbox

from .conftest import CsvFactory

ENV: dict[str, str | None] = {
    "VTEX_APP_KEY": "vtexappkey-mystore-X",
    "VTEX_APP_TOKEN": "token-for-reruns",
    "VTEX_BASE_URL": None,
    "VTEX_ACCOUNT_NAME": None,
}
FILE = "orderId,invoiceNumber,trackingNumber\n1-01,1,T1\n2-01,2,T2\n3-01,3,T3\n"


def upload(sandbox: Sandbox, source: Path, tmp_path: Path, name: str, *more: str) -> Result:
    return CliRunner().invoke(
        cli,
        [
            "upload",
            str(source),
            "--base-url",
            sandbox.base_url,
            "--journal",
            str(tmp_path / "journal.sqlite3"),
            "--results",
            str(tmp_path / name),
            *more,
        ],
        env=ENV,
        catch_exceptions=False,
    )


def results(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_second_run_skips_what_was_sent(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as sandbox:
        first = upload(sandbox, source, tmp_path, "first.csv")
        second = upload(sandbox, source, tmp_path, "second.csv")
        requests = len(sandbox.received)

    assert (first.exit_code, second.exit_code, requests) == (0, 0, 3)
    receipts = [line["receipt"] for line in results(tmp_path / "first.csv")]
    again = results(tmp_path / "second.csv")
    assert [(x["status"], x["receipt"], x["errorCode"]) for x in again] == [
        ("skipped", receipt, "already-sent") for receipt in receipts
    ]
    assert f"({source} row 2, run 1); --force sends it again" in again[0]["errorMessage"]
    assert "0 sent, 3 skipped, 0 invalid, 0 failed." in second.output


def test_a_corrected_row_is_sent_again(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as sandbox:
        upload(sandbox, source, tmp_path, "first.csv")
        source.write_text(FILE.replace("T2", "T2-FIXED"))
        outcome = upload(sandbox, source, tmp_path, "second.csv")
        bodies = [r.body["trackingNumber"] for r in sandbox.received]

    assert outcome.exit_code == 0
    assert sorted(bodies[:3]) == ["T1", "T2", "T3"]
    assert bodies[3:] == ["T2-FIXED"]
    assert [x["status"] for x in results(tmp_path / "second.csv")] == [
        "skipped",
        "sent",
        "skipped",
    ]


def test_force_sends_everything_again(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as sandbox:
        upload(sandbox, source, tmp_path, "first.csv")
        outcome = upload(sandbox, source, tmp_path, "second.csv", "--force")
        requests = len(sandbox.received)

    assert (outcome.exit_code, requests) == (0, 6)
    assert {x["status"] for x in results(tmp_path / "second.csv")} == {"sent"}


def test_the_same_rows_to_another_account_are_sent(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as first_account, Sandbox() as second_account:
        upload(first_account, source, tmp_path, "first.csv")
        outcome = upload(second_account, source, tmp_path, "second.csv")

        assert len(second_account.received) == 3
    assert outcome.exit_code == 0


def test_a_journal_in_use_stops_the_second_run(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as sandbox, Journal(tmp_path / "journal.sqlite3"):
        outcome = upload(sandbox, source, tmp_path, "second.csv")
        requests = sandbox.requests

    assert outcome.exit_code == 2
    assert "journal.sqlite3 is in use by pid" in outcome.output
    assert requests == 0


def test_history_tells_when_and_with_which_receipt(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    journal = str(tmp_path / "journal.sqlite3")
    with Sandbox() as sandbox:
        upload(sandbox, source, tmp_path, "first.csv")
    receipt = results(tmp_path / "first.csv")[1]["receipt"]
    runner = CliRunner()

    by_order = runner.invoke(cli, ["history", "--order", "2-01", "--journal", journal])
    by_file = runner.invoke(cli, ["history", "--file", str(source), "--journal", journal])
    runs = runner.invoke(cli, ["history", "--journal", journal])
    unknown = runner.invoke(cli, ["history", "--order", "9-01", "--journal", journal])

    assert by_order.exit_code == 0
    assert f"run 1  {source} row 3  2-01 / 2  sent  receipt {receipt}" in by_order.output
    assert len(by_file.output.splitlines()) == 3
    assert runs.output.startswith("run 1: ")
    assert "exit 0, http://127.0.0.1:" in runs.output
    assert "\n  rows: 3 sent\n" in runs.output
    assert runs.output.endswith(f"\n  results: {tmp_path / 'first.csv'}\n")
    assert (unknown.exit_code, unknown.output) == (
        1,
        f"The journal {journal} has no row for 9-01.\n",
    )
