"""Identifiers that look wrong get a warning on their row; a Correios code typed in lower case or
with spaces is sent the way Correios writes it, the row saying so; no other number changes."""

from __future__ import annotations

import csv
from pathlib import Path

from batch_uploader.jobs.report import ExitStatus

from .conftest import CsvFactory, invoke


def dry_run(source: Path) -> dict[str, dict[str, str]]:
    """The dry run's results lines of ``source``, by orderId."""
    results = source.with_name("results.csv")
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(results))
    assert outcome.exit_code == ExitStatus.OK, outcome.output
    with results.open(encoding="utf-8-sig", newline="") as handle:
        return {line["orderId"]: line for line in csv.DictReader(handle)}


def test_a_correios_code_in_lower_case_or_spaced_is_sent_in_capitals_with_its_link(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio;Transportadora\n"
        "1-01;000001;ra473124829br;Correios\n"
        "2-01;000002;RA 473 124 829 BR;Correios\n"
        "3-01;000003;RA473124829BR;Correios\n"
    )

    lines = dry_run(source)

    for order in ("1-01", "2-01"):
        assert lines[order]["trackingNumber"] == "RA473124829BR"
        assert lines[order]["trackingUrl"].endswith("RA473124829BR")
        assert (
            "is sent as 'RA473124829BR': a Correios code is written in capitals"
            in (lines[order]["warnings"])
        )
    assert "'ra473124829br' is sent as 'RA473124829BR'" in lines["1-01"]["warnings"]
    assert lines["3-01"]["warnings"] == ""


def test_a_correios_code_that_is_not_valid_is_sent_as_written_with_a_warning(
    write_csv: CsvFactory,
) -> None:
    source = write_csv("Pedido;NF;Rastreio;Transportadora\n1-01;000001;ra473124828br;Correios\n")

    (line,) = dry_run(source).values()

    assert line["trackingNumber"] == "ra473124828br"
    assert line["warnings"] == (
        "column C 'Rastreio' (trackingNumber): 'ra473124828br' has a wrong check digit for a "
        "Correios number; check it for a typing mistake"
    )


def test_another_couriers_number_is_never_changed(write_csv: CsvFactory) -> None:
    source = write_csv("Pedido;NF;Rastreio;Transportadora\n1-01;000001;ra 473124829br;Jadlog\n")

    (line,) = dry_run(source).values()

    assert line["trackingNumber"] == "ra 473124829br"
    assert line["warnings"] == ""


def test_an_order_id_without_vtex_suffix_is_warned_about_and_sent_as_written(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio\n1300000000123;000001;LGI1\n1300000000124-01;000002;LGI2\n"
    )

    lines = dry_run(source)

    assert lines["1300000000123"]["status"] == "valid"
    assert lines["1300000000123"]["warnings"] == (
        "column A 'Pedido' (orderId): '1300000000123' has no '-NN' ending, as VTEX's order ids "
        "have (1300000000123-01): a spreadsheet may have made a number of it, or it is another "
        "system's order number; check it against the order in VTEX"
    )
    assert lines["1300000000124-01"]["warnings"] == ""
