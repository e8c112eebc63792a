"""CSV files in the forms Excel users and other programs write them: a cell kept as text
with ``="0012345"`` or ``'0012345``, and a first line ``sep=;`` naming the delimiter. Each
file is given as the exact bytes such a program writes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from batch_uploader import run
from batch_uploader.errors import InputError
from batch_uploader.files.inputs import Reading, data_rows, open_inputs
from batch_uploader.files.reader import read_tables
from batch_uploader.jobs.report import Report
from batch_uploader.models import RowError, TrackingUpdate
from batch_uploader.rules.validator import validate

BOM = b"\xef\xbb\xbf"
# How the same text reaches the disk: Excel's "CSV UTF-8" (with a BOM), other programs'
# UTF-8, and Excel's plain "CSV" on a Brazilian Windows (Windows-1252).
ENCODINGS = pytest.mark.parametrize(
    ("encoding", "bom"), [("utf-8", True), ("utf-8", False), ("cp1252", False)]
)


def write(tmp_path: Path, text: str, encoding: str, bom: bool, name: str = "envios.csv") -> Path:
    path = tmp_path / name
    path.write_bytes((BOM if bom else b"") + text.encode(encoding))
    return path


def updates(path: Path) -> list[TrackingUpdate | list[RowError]]:
    """What would be sent for each data row of ``path`` (or why it would not)."""
    inputs, _ = open_inputs([path], Reading())
    return [validate(row) for row in data_rows(inputs)]


def dry_run(path: Path, tmp_path: Path) -> tuple[Report, list[dict[str, str]]]:
    """A dry run of ``path``: its report and its results lines."""
    results = tmp_path / "out" / "results.csv"
    report = run([path], results_path=results, dry_run=True, url_templates=None)
    with results.open(encoding="utf-8-sig", newline="") as handle:
        return report, list(csv.DictReader(handle))


# --- ="0012345": the formula Excel users write to keep leading zeros ---------------------------


@ENCODINGS
@pytest.mark.parametrize(
    "text",
    [
        # As typed in a text editor or written by an export: the formula bare.
        "Pedido;NF;Rastreio;Transportadora\r\n"
        '="0012345-01";="000123";="00BR12";="Expresso ""São João"""\r\n',
        # As a CSV writer quotes it (a cell holding quotes is quoted, its quotes doubled).
        "Pedido,NF,Rastreio,Transportadora\r\n"
        '"=""0012345-01""","=""000123""","=""00BR12""","=""Expresso """"São João"""""""\r\n',
    ],
    ids=["bare", "quoted"],
)
def test_an_excel_text_formula_is_the_text_inside(
    tmp_path: Path, encoding: str, bom: bool, text: str
) -> None:
    path = write(tmp_path, text, encoding, bom)

    assert updates(path) == [
        TrackingUpdate("0012345-01", "000123", "00BR12", None, 'Expresso "São João"')
    ]
    report, (line,) = dry_run(path, tmp_path)
    (example,) = report.examples
    assert example.startswith(f"{path} row 2: PATCH /api/oms/pvt/orders/0012345-01/invoice/000123 ")
    assert json.loads(example.split(" ", 5)[-1])["trackingNumber"] == "00BR12"
    assert (line["row"], line["status"], line["orderId"]) == ("2", "valid", "0012345-01")


@pytest.mark.parametrize(
    "cell",
    [
        "=A2",  # a reference
        '="00"&B2',  # more than one string
        '="0012345"x',  # text after the string
        '="00"12"',  # a quote inside not doubled
        ' ="0012345"',  # a space first: not the form (trimmed, it is a formula again)
        "=\"0012345'",
    ],
)
def test_any_other_cell_starting_with_equals_is_still_refused_as_a_formula(
    tmp_path: Path, cell: str
) -> None:
    path = tmp_path / "envios.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["Pedido", "NF", "Rastreio"], ["1-01", "9", cell]])

    (checked,) = updates(path)

    assert isinstance(checked, list)
    assert [(error.code, error.field) for error in checked] == [("formula-cell", "trackingNumber")]


# --- sep=;: the first line Excel reads as the name of the delimiter ---------------------------


@ENCODINGS
@pytest.mark.parametrize(("delimiter", "named"), [(";", '";"'), ("\t", "tab"), ("|", '"|"')])
def test_a_sep_line_names_the_delimiter_and_is_not_a_row(
    tmp_path: Path, encoding: str, bom: bool, delimiter: str, named: str
) -> None:
    # A comma in a heading and in every row: sniffed, the comma splits each line into two
    # cells as regularly as the real delimiter does, and the first in the list would win.
    lines = [
        f"sep={delimiter}",
        delimiter.join(["Pedido", "NF", "Rastreio", "Destino (cidade, UF)"]),
        delimiter.join(["1-01", "000123", "00BR1", "Campinas, SP"]),
        delimiter.join(["2-01", "", "00BR2", "São José, SC"]),
        delimiter.join(["3-01", "000125", "00BR3", "Recife, PE"]),
    ]
    path = write(tmp_path, "\r\n".join(lines) + "\r\n", encoding, bom)

    report, results = dry_run(path, tmp_path)

    # The file's own line numbers: the header stands on line 2, under the sep= line.
    assert report.understood[0] == (
        f"{path}: CSV, {encoding}, delimiter {named} (named on its first line, sep=); "
        "header on row 2; 3 data rows"
    )
    assert [(x["row"], x["status"], x["errorCode"], x["orderId"]) for x in results] == [
        ("3", "valid", "", "1-01"),
        ("4", "invalid", "missing-value", "2-01"),
        ("5", "valid", "", "3-01"),
    ]
    assert report.problems[0].startswith(f"{path} row 4")


@pytest.mark.parametrize("first", ["sep=,", "SEP=,", "sep=;"])
def test_a_sep_line_is_left_out_of_the_table(tmp_path: Path, first: str) -> None:
    delimiter = first[-1]
    path = write(
        tmp_path,
        f"{first}\r\norderId{delimiter}invoiceNumber\r\n1-01{delimiter}9\r\n",
        "utf-8",
        bom=True,
    )

    (table,) = read_tables(path)

    assert [(row.number, row.cells) for row in table.rows()] == [
        (2, ["orderId", "invoiceNumber"]),
        (3, ["1-01", "9"]),
    ]


@pytest.mark.parametrize(
    "first",
    [
        "sep=;x",  # more than the delimiter
        "sep=:",  # a delimiter batch-uploader does not read
        '"sep=;"',  # quoted: a cell of text, not the bare line
        " sep=;",
    ],
)
def test_other_first_lines_starting_with_sep_are_title_lines(tmp_path: Path, first: str) -> None:
    path = write(tmp_path, f"{first}\nPedido;NF;Rastreio\n1-01;9;T1\n", "utf-8", bom=False)

    (table,) = read_tables(path)

    assert [row.number for row in table.rows()] == [1, 2, 3]
    assert str(table.format) == 'CSV, utf-8, delimiter ";"'


def test_a_file_holding_only_a_sep_line_is_empty(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="the file is empty"):
        read_tables(write(tmp_path, "sep=;\r\n", "utf-8", bom=True))


# --- '0012345: the apostrophe Excel users type to keep a value as text -------------------------


@ENCODINGS
def test_a_leading_apostrophe_is_not_part_of_the_value(
    tmp_path: Path, encoding: str, bom: bool
) -> None:
    path = write(
        tmp_path,
        "Pedido;NF;Rastreio;Transportadora;Data de envio;Link de rastreio\r\n"
        "'0012345-01;'000123;'00BR12;'Jadlog;'24/11/2026;'https://t.example/00BR12\r\n"
        "0012346-01;000124;'+5512;D'Ávila Transportes;24/11/2026;\r\n",
        encoding,
        bom,
    )

    assert updates(path) == [
        TrackingUpdate(
            "0012345-01", "000123", "00BR12", "https://t.example/00BR12", "Jadlog", "2026-11-24"
        ),
        TrackingUpdate("0012346-01", "000124", "+5512", None, "D'Ávila Transportes", "2026-11-24"),
    ]
    report, lines = dry_run(path, tmp_path)
    assert report.examples[0].startswith(
        f"{path} row 2: PATCH /api/oms/pvt/orders/0012345-01/invoice/000123 "
    )
    assert [x["status"] for x in lines] == ["valid", "valid"]


def test_two_apostrophes_keep_one(tmp_path: Path) -> None:
    # What batch-uploader writes for a value that starts with an apostrophe (see
    # writer.defused), and what Excel shows as one apostrophe.
    path = write(tmp_path, "Pedido;NF;Rastreio\r\n1-01;9;''00BR12\r\n", "utf-8", bom=False)

    assert updates(path) == [TrackingUpdate("1-01", "9", "'00BR12")]


# --- where a reader could miss one ------------------------------------------------------------


@pytest.mark.parametrize("order", ["utf-16-le", "utf-16-be"])
def test_cells_kept_as_text_in_utf16(tmp_path: Path, order: str) -> None:
    # Excel's "Unicode text": UTF-16 with its byte order mark, tab-delimited.
    text = '\ufeffsep=\t\r\nPedido\tNF\tRastreio\r\n="0012345-01"\t="000123"\t00BR12\r\n'
    path = tmp_path / "envios.txt"
    path.write_bytes(text.encode(order))

    assert updates(path) == [TrackingUpdate("0012345-01", "000123", "00BR12")]


def test_a_text_formula_across_two_blocks_of_the_file(tmp_path: Path) -> None:
    # The file is read a megabyte at a time: "=" ends one block, '"0012345"' starts the next.
    cell_at = 1024 * 1024 - 1
    lines = ["Pedido;NF;Rastreio\n"]
    size, number = len(lines[0]), 1
    while size < cell_at - 100:
        lines.append(f"{number}-01;{number};T{number}\n")
        size, number = size + len(lines[-1]), number + 1
    prefix, filler = "999999-01;9;", "0-01;0;T{}\n"
    lines.append(filler.format("0" * (cell_at - size - len(prefix) - len(filler) + 2)))
    text = "".join(lines) + prefix + '="0012345"\n'
    assert text.index('="0012345"') == cell_at
    path = write(tmp_path, text, "utf-8", bom=False)

    assert updates(path)[-1] == TrackingUpdate("999999-01", "9", "0012345")
