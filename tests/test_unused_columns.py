"""Columns a file has that feed no field are said, never dropped in silence; where a field has
no column and an unused one looks like it, the run says which, and the --map that uses it."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
from click.testing import Result

from batch_uploader.jobs.report import ExitStatus

from .conftest import CsvFactory, invoke

RECENT = "2026-11-24"


def dry_run(source: Path, *more: str) -> tuple[Result, dict[str, object]]:
    results = source.with_name("results.csv")
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results), *more)
    summary = json.loads(results.with_name("results.summary.json").read_text(encoding="utf-8"))
    return outcome, summary


def test_unused_columns_are_named_in_the_dry_run_the_summary_and_summary_json(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio;Peso;Observações\n1-01;000001;AA1BR;0,5;frágil\n", "loggi.csv"
    )

    outcome, summary = dry_run(source)

    assert outcome.exit_code == ExitStatus.OK
    assert "  columns not used: column D 'Peso', column E 'Observações'\n" in outcome.stdout
    assert summary["unusedColumns"] == {str(source): ["column D 'Peso'", "column E 'Observações'"]}
    assert f"Columns not used: {source}: column D 'Peso', {source}: column E 'Observações'." in (
        outcome.stdout
    )


def test_a_file_whose_every_column_is_used_says_none(write_csv: CsvFactory) -> None:
    source = write_csv("Pedido;NF;Rastreio\n1-01;000001;AA1BR\n")

    outcome, summary = dry_run(source)

    assert "  columns not used: none\n" in outcome.stdout
    assert summary["unusedColumns"] == {}
    assert "Columns not used" not in outcome.stdout


def test_a_column_whose_heading_names_a_missing_field_is_suggested_with_its_map(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(
        f"Pedido;NF;Rastreio;Postagem do objeto\n1-01;000001;AA1BR;{RECENT}\n", "correios.csv"
    )

    outcome, summary = dry_run(source)

    note = (
        f"{source}: column D 'Postagem do objeto' may be the dispatchedDate (its heading), "
        "which no column gives: --map 'Postagem do objeto=dispatchedDate' would send it"
    )
    assert f"Note: {note}\n" in outcome.stdout
    assert summary["notes"] == [note]
    # The map it suggests sends the column.
    mapped, _ = dry_run(source, "--map", "Postagem do objeto=dispatchedDate")
    assert f'"dispatchedDate": "{RECENT}"' in mapped.stdout
    assert "may be the dispatchedDate" not in mapped.stdout


def test_columns_whose_values_are_dates_links_or_couriers_are_suggested(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio;Enviado em;Site;Parceiro\n"
        "1-01;000001;AA1BR;24/11/2026;https://track.example.com/AA1BR;Correios\n"
        "2-01;000002;JD2;25/11/2026;https://track.example.com/JD2;Jadlog\n",
        "export.csv",
    )

    _, summary = dry_run(source)

    assert summary["notes"] == [
        f"{source}: column E 'Site' may be the trackingUrl (its values are links), which no "
        "column gives: --map 'Site=trackingUrl' would send it",
        f"{source}: column F 'Parceiro' may be the courier (its values are couriers' names), "
        "which no column gives: --map 'Parceiro=courier' would send it",
        f"{source}: column D 'Enviado em' may be the dispatchedDate (its values are dates), "
        "which no column gives: --map 'Enviado em=dispatchedDate' would send it",
    ]


def test_a_column_of_other_values_is_named_but_not_suggested(write_csv: CsvFactory) -> None:
    source = write_csv("Pedido;NF;Rastreio;Volumes\n1-01;000001;AA1BR;2\n2-01;000002;AA2BR;1\n")

    _, summary = dry_run(source)

    assert summary["unusedColumns"] == {str(source): ["column D 'Volumes'"]}
    assert summary["notes"] == []


def test_a_missing_required_column_names_the_heading_that_looks_like_it(
    write_csv: CsvFactory,
) -> None:
    source = write_csv("Pedido;NF;Objeto postado\n1-01;000001;AA1BR\n")

    outcome = invoke("upload", str(source), "--dry-run", "--results", str(source) + ".out.csv")

    assert outcome.exit_code == ExitStatus.USAGE
    assert (
        "'Objeto postado' may be the trackingNumber: --map 'Objeto postado=trackingNumber' "
        "uses it." in outcome.stderr
    )


def test_the_workbook_results_list_unused_columns_and_notes_on_their_summary_sheet(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(f"Pedido;NF;Rastreio;Postagem;Peso\n1-01;000001;AA1BR;{RECENT};1\n")
    results = source.with_name("results.xlsx")

    invoke("upload", str(source), "--dry-run", "--results", str(results))

    sheet = openpyxl.load_workbook(results, read_only=True)["Summary"]
    cells = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert ("Columns not used", None) in cells
    assert (str(source), "column D 'Postagem', column E 'Peso'") in cells
    assert (
        f"{source}: column D 'Postagem' may be the dispatchedDate (its heading), which no "
        "column gives: --map 'Postagem=dispatchedDate' would send it",
        "",
    ) in cells
