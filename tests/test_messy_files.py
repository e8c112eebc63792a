"""A real-looking carrier export, read end to end the way a person would check it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from batch_uploader.cli.main import cli

from .messy import FIRST_DATA_ROW, ROWS, carrier_export


@pytest.mark.parametrize(
    ("encoding", "delimiter", "named"),
    [("cp1252", ";", "cp1252"), ("utf-8-sig", ",", "utf-8"), ("utf-16", "\t", "utf-16")],
)
def test_a_carrier_export_is_understood(
    tmp_path: Path, encoding: str, delimiter: str, named: str
) -> None:
    source = carrier_export(tmp_path / "envios.txt", encoding=encoding, delimiter=delimiter)
    results = tmp_path / "results.csv"

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--dry-run", "--results", str(results)]
    )

    assert outcome.exit_code == 1, outcome.output
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert [(x["row"], x["status"], x["errorCode"]) for x in lines] == [
        (str(FIRST_DATA_ROW + i), status, code) for i, (_, status, code) in enumerate(ROWS)
    ]
    assert (lines[0]["dispatchedDate"], lines[1]["orderId"], lines[2]["invoiceNumber"]) == (
        "2026-11-24T16:05:00",
        "1300000000002-01",
        "000125",
    )
    assert f"{source}: CSV, {named}, delimiter" in outcome.output
    assert "header on row 3; 9 data rows" in outcome.output
    assert "orderId = column A 'Nº Pedido'" in outcome.output
    assert "dates: day first (24/11/2026)" in outcome.output
    assert f"Note: {source} row {FIRST_DATA_ROW + len(ROWS)} is a totals line: left out" in (
        outcome.output
    )
    assert "Most frequent problems: conflicting-rows (2)," in outcome.output
