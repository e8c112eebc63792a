"""The files in samples/ do what the README says they show."""

from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner

from batch_uploader.cli.main import cli
from batch_uploader.jobs.report import ExitStatus

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def run(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return outcome.exit_code, outcome.output


def lines_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_tracking_samples_get_urls_from_templates_and_are_read_back(tmp_path: Path) -> None:
    results = tmp_path / "r.csv"
    files = sorted(map(str, [*SAMPLES.glob("*.csv"), *SAMPLES.glob("*.xlsx")]))

    status, output = run("upload", *files, "--sandbox", "--verify", "--url-templates",
                         str(SAMPLES / "couriers.toml"), "--results", str(results))  # fmt: skip

    assert status == ExitStatus.ROWS_NOT_SENT, output
    lines = lines_of(results)
    by_order = {line["orderId"]: line for line in lines}
    expresso = by_order["1300000000207-01"]
    assert (expresso["trackingUrl"], expresso["notes"]) == (
        "https://rastreio.expresso.example/consulta/EXP0000207",
        "trackingUrl from the Expresso Exemplo template",
    )
    assert by_order["1300000000003-01"]["notes"] == "trackingUrl from the Correios template"
    sent = [line for line in lines if line["status"] == "sent"]
    assert len(sent) > 10
    assert {line["verification"] for line in sent} == {"verified"}


def test_the_events_sample_sends_two_parcels_and_refuses_two(tmp_path: Path) -> None:
    results = tmp_path / "e.csv"

    status, output = run("events", str(SAMPLES / "events" / "correios-eventos.csv"),
                         "--sandbox", "--results", str(results))  # fmt: skip

    assert status == ExitStatus.ROWS_NOT_SENT, output
    assert [(x["row"], x["status"], x["errorCode"]) for x in lines_of(results)] == [
        ("2", "sent", ""),
        ("3", "sent", ""),
        ("4", "sent", ""),
        ("5", "sent", ""),
        ("6", "invalid", "parcel-incomplete"),
        ("7", "invalid", "missing-value"),
        ("8", "invalid", "invalid-flag"),
    ]
