"""The reading options of the command line: encodings, sheets, column names, dates."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli

from .conftest import CsvFactory, XlsxFactory


def dry_run(*args: str) -> Result:
    return CliRunner().invoke(cli, ["upload", "--dry-run", *args], catch_exceptions=False)


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_map_names_a_column_the_aliases_do_not_know(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("Ref;NF;Volume\n1-01;9;RA473124829BR\n")
    results = tmp_path / "r.csv"

    refused = dry_run(str(source), "--results", str(results))
    mapped = dry_run(
        str(source), "--results", str(results), "--map", "Ref=orderId",
        "--map", "Volume=trackingNumber",
    )  # fmt: skip

    assert refused.exit_code == 2
    assert "cannot find the column(s) orderId, trackingNumber" in refused.output
    assert mapped.exit_code == 0, mapped.output
    assert results_of(results)[0]["trackingNumber"] == "RA473124829BR"


def test_mapping_file(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("Ref;NF;Objeto\n1-01;9;RA473124829BR\n")
    mapping = tmp_path / "carrier.toml"
    mapping.write_text('[columns]\n"Ref" = "orderId"\n', encoding="utf-8")

    outcome = dry_run(str(source), "--mapping", str(mapping), "--results", str(tmp_path / "r.csv"))

    assert outcome.exit_code == 0, outcome.output


def test_date_format_decides_an_ambiguous_column(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio;Data de envio\n1-01;9;T1;01/11/2026\n2-01;8;T2;02/11/2026\n"
    )
    results = tmp_path / "r.csv"

    guessed = dry_run(str(source), "--results", str(results))
    ambiguous = [(x["status"], x["errorCode"]) for x in results_of(results)]
    told = dry_run(str(source), "--results", str(results), "--date-format", "dmy",
                   "--timezone", "America/Sao_Paulo")  # fmt: skip

    assert guessed.exit_code == 1
    assert ambiguous == [("invalid", "ambiguous-date")] * 2
    assert told.exit_code == 0
    assert [x["dispatchedDate"] for x in results_of(results)] == ["2026-11-01", "2026-11-02"]


def test_timezone_gives_naive_times_an_offset(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("Pedido;NF;Rastreio;Data de envio\n1-01;9;T1;24/11/2026 16:05\n")
    results = tmp_path / "r.csv"

    outcome = dry_run(str(source), "--results", str(results), "--timezone", "America/Sao_Paulo")

    assert outcome.exit_code == 0
    assert results_of(results)[0]["dispatchedDate"] == "2026-11-24T16:05:00-03:00"


def dates_sent(
    write_csv: CsvFactory, tmp_path: Path, *dates: str, options: tuple[str, ...] = ()
) -> list[str]:
    """The dispatch dates a dry run would send for a column of ``dates``."""
    lines = "".join(f"{i}-01;{i};T{i};{date}\n" for i, date in enumerate(dates, 1))
    source = write_csv("Pedido;NF;Rastreio;Data de envio\n" + lines)
    results = tmp_path / "r.csv"

    outcome = dry_run(str(source), "--results", str(results), *options)

    assert outcome.exit_code == 0, outcome.output
    return [x["dispatchedDate"] for x in results_of(results)]


def test_sql_date_times_are_sent_as_iso(write_csv: CsvFactory, tmp_path: Path) -> None:
    sent = dates_sent(write_csv, tmp_path, "2026-11-24 16:05:00", "2026-11-24 16:05:00.000")

    assert sent == ["2026-11-24T16:05:00", "2026-11-24T16:05:00"]


def test_two_digit_years_are_sent_in_full(write_csv: CsvFactory, tmp_path: Path) -> None:
    sent = dates_sent(write_csv, tmp_path, "24/11/26", "05/11/26 16:05")

    assert sent == ["2026-11-24", "2026-11-05T16:05:00"]


def test_twelve_hour_times_are_sent_on_24_hours(write_csv: CsvFactory, tmp_path: Path) -> None:
    sent = dates_sent(write_csv, tmp_path, "24/11/2026 4:05 PM", "01/11/2026 12:30 AM")

    assert sent == ["2026-11-24T16:05:00", "2026-11-01T00:30:00"]


def test_month_names_are_sent_as_iso(write_csv: CsvFactory, tmp_path: Path) -> None:
    sent = dates_sent(
        write_csv, tmp_path, "03/ago/2026", "Oct 3, 2026 9:10", "12 de outubro de 2026", "7-Nov-26"
    )

    assert sent == ["2026-08-03", "2026-10-03T09:10:00", "2026-10-12", "2026-11-07"]


def test_sheet_picks_one(write_xlsx: XlsxFactory, tmp_path: Path) -> None:
    source = write_xlsx([["orderId", "invoiceNumber", "trackingNumber"], ["1-01", "9", "T1"]],
                        sheet="Loggi", extra_sheets=["Jadlog"])  # fmt: skip

    chosen = dry_run(str(source), "--sheet", "Loggi", "--results", str(tmp_path / "r.csv"))
    missing = dry_run(str(source), "--sheet", "Correios", "--results", str(tmp_path / "r.csv"))

    assert chosen.exit_code == 0
    assert missing.exit_code == 2
    assert "no sheet named 'Correios'; its sheets are 'Loggi', 'Jadlog'" in missing.output


@pytest.mark.parametrize(
    ("option", "value", "says"),
    [
        ("--encoding", "klingon", "--encoding 'klingon' is not an encoding"),
        ("--timezone", "Mars/Olympus", "--timezone 'Mars/Olympus' is not a time zone"),
        ("--map", "orderId", "write it as 'Heading in the file=orderId'"),
        ("--date-format", "ymd", "Invalid value for '--date-format'"),
    ],
)
def test_reading_option_mistakes_exit_2(
    write_csv: CsvFactory, tmp_path: Path, option: str, value: str, says: str
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,T1\n")

    outcome = dry_run(str(source), option, value, "--results", str(tmp_path / "r.csv"))

    assert outcome.exit_code == 2
    assert says in outcome.output


def test_encoding_named_for_a_legacy_file(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("Pedido;NF;Rastreio;Transportadora\n1-01;9;T1;São João\n", encoding="cp1252")
    results = tmp_path / "r.csv"

    outcome = dry_run(str(source), "--encoding", "latin-1", "--results", str(results))

    assert outcome.exit_code == 0
    assert "CSV, iso8859-1, delimiter" in outcome.output
    assert results_of(results)[0]["courier"] == "São João"


def test_map_says_which_of_two_order_numbers_is_vtexs(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    """A Tiny export: its own order number and the store's. Refused until the person says which
    one is VTEX's; then the other column is listed as unused."""
    source = write_csv(
        "Número do pedido;Número do pedido no e-commerce;Número da nota;Código de rastreamento\n"
        "4410;1300000000123-01;9;RA473124829BR\n"
    )
    results = tmp_path / "r.csv"

    refused = dry_run(str(source), "--results", str(results))
    mapped = dry_run(
        str(source), "--results", str(results),
        "--map", "Número do pedido no e-commerce=orderId",
    )  # fmt: skip

    assert refused.exit_code == 2
    assert (
        "both look like orderId; say which one to use with --map 'Heading=orderId'"
        in refused.output
    )
    assert mapped.exit_code == 0, mapped.output
    assert results_of(results)[0]["orderId"] == "1300000000123-01"
    assert "columns not used: column A 'Número do pedido'" in mapped.output
