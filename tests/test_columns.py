from __future__ import annotations

from pathlib import Path

import pytest

from batch_uploader.errors import InputError, UsageError
from batch_uploader.files.columns import (
    column_letter,
    find_header,
    is_totals_row,
    normalise,
    read_mapping,
)
from batch_uploader.files.reader import RawRow
from batch_uploader.models import CellKind, Source

SOURCE = Source("carrier.csv")


def header(*cells: str, number: int = 1) -> RawRow:
    return RawRow(number, list(cells))


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("orderId", "orderId"),
        ("order_id", "orderId"),
        ("Order ID", "orderId"),
        ("ORDERID", "orderId"),
        ("Pedido", "orderId"),
        ("Número do pedido", "orderId"),
        ("Nº Pedido", "orderId"),
        ("Orden", "orderId"),
        ("invoice_number", "invoiceNumber"),
        ("Nota Fiscal", "invoiceNumber"),
        ("NF-e", "invoiceNumber"),
        ("Factura", "invoiceNumber"),
        ("tracking number", "trackingNumber"),
        ("Código de Rastreio", "trackingNumber"),
        ("Rastreio", "trackingNumber"),
        ("Número de seguimiento", "trackingNumber"),
        ("Tracking URL", "trackingUrl"),
        ("Link de rastreio", "trackingUrl"),
        ("Transportadora", "courier"),
        ("Paquetería", "courier"),
        ("Data de envio", "dispatchedDate"),
        ("dispatched-date", "dispatchedDate"),
        ("Fecha de envío", "dispatchedDate"),
    ],
)
def test_headings_are_recognised(heading: str, field: str) -> None:
    others = {"orderId": "Pedido", "invoiceNumber": "NF", "trackingNumber": "Rastreio"}
    others.pop(field, None)

    columns = find_header([header(heading, *others.values())], SOURCE)

    assert columns.indexes[field] == 0


def test_header_below_title_lines_and_labels() -> None:
    rows = [
        header("Relatório de envios — 24/11/2026", number=1),
        header("", "", number=2),
        header("Obs", "Pedido", "Nota Fiscal", "Rastreio", number=3),
    ]

    columns = find_header(rows, SOURCE)

    assert columns.header_row == 3
    assert columns.indexes == {"orderId": 1, "invoiceNumber": 2, "trackingNumber": 3}
    assert columns.labels["orderId"] == "column B 'Pedido'"


def test_mapped_row_trims_spaces_and_keeps_kinds() -> None:
    columns = find_header([header("Pedido", "NF", "Rastreio", "Notes")], SOURCE)
    raw = RawRow(7, ["\xa01-01 ", "123", " AB1 ", "x"], {1: CellKind.NUMBER})

    row = columns.row(raw, SOURCE)

    assert row.number == 7
    assert dict(row.values) == {"orderId": "1-01", "invoiceNumber": "123", "trackingNumber": "AB1"}
    assert dict(row.kinds) == {"invoiceNumber": CellKind.NUMBER}
    assert row.label("invoiceNumber") == "column B 'NF' (invoiceNumber)"


def test_missing_required_columns_names_what_was_found() -> None:
    rows = [header("Pedido", "Nota", "Observação")]

    with pytest.raises(InputError) as caught:
        find_header(rows, SOURCE)

    assert str(caught.value) == (
        "carrier.csv: cannot find the column(s) trackingNumber. "
        "Headings on row 1: 'Pedido', 'Nota', 'Observação'. "
        "Rename the columns to names batch-uploader knows "
        "(trackingNumber: 'trackingNumber', 'Rastreio', 'Número de seguimiento', ...), "
        "or name them with --map 'Heading in the file=field'."
    )


def test_two_columns_for_one_field_is_an_error() -> None:
    with pytest.raises(InputError, match="columns 'Pedido' and 'Order ID' both look like orderId"):
        find_header([header("Pedido", "Order ID", "NF", "Rastreio")], SOURCE)


def test_empty_top_of_table() -> None:
    with pytest.raises(InputError, match="the top of the table is empty"):
        find_header([header("", ""), header("")], SOURCE)


def test_normalise_ignores_accents_case_and_punctuation() -> None:
    assert normalise(" Código de  Rastreio: ") == "codigoderastreio"


@pytest.mark.parametrize(("index", "letter"), [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ")])
def test_column_letter(index: int, letter: str) -> None:
    assert column_letter(index) == letter


@pytest.mark.parametrize(
    ("cells", "flagged"),
    [
        (["1-01", "9", "T1", "Loggi"], False),
        (["1-01", "9", "T1", "Loggi", ""], False),
        (["1-01", "T1", "Loggi"], True),
        (["1-01", "9", "T1", "Loggi", "extra"], True),
    ],
)
def test_rows_of_another_width_than_the_header(cells: list[str], flagged: bool) -> None:
    columns = find_header(
        [header("Pedido", "NF", "Rastreio", "Transportadora", "")], SOURCE, check_width=True
    )

    row = columns.row(RawRow(2, cells), SOURCE)

    assert [error.code for error in row.read_errors] == (["wrong-cell-count"] if flagged else [])


def test_mapping_pairs_and_file(tmp_path: Path) -> None:
    toml = tmp_path / "carrier.toml"
    toml.write_text('[columns]\n"Nº do Objeto" = "trackingNumber"\n"Ref" = "orderId"\n')

    mapping = read_mapping(["Ref=invoiceNumber", "Envio = dispatchedDate"], toml)

    assert mapping == {
        "nodoobjeto": "trackingNumber",
        "ref": "invoiceNumber",
        "envio": "dispatchedDate",
    }


@pytest.mark.parametrize(
    ("pair", "says"),
    [("Ref", "write it as 'Heading in the file=orderId'"), ("Ref=order", "not a field")],
)
def test_mapping_mistakes_are_usage_errors(pair: str, says: str) -> None:
    with pytest.raises(UsageError, match=says):
        read_mapping([pair])


def test_bad_mapping_file(tmp_path: Path) -> None:
    toml = tmp_path / "bad.toml"
    toml.write_text("[columns\n")

    with pytest.raises(UsageError, match=r"bad\.toml: cannot be read as TOML"):
        read_mapping([], toml)


def test_mapped_headings_win_over_the_built_in_ones() -> None:
    columns = find_header(
        [header("Pedido", "Ref", "Objeto", "NF")],
        SOURCE,
        headings={"ref": "orderId", "pedido": "courier"},
    )

    assert dict(columns.indexes) == {
        "courier": 0,
        "orderId": 1,
        "trackingNumber": 2,
        "invoiceNumber": 3,
    }


@pytest.mark.parametrize(
    ("cells", "totals"),
    [
        (["Total", "", "", "15"], True),
        (["", "TOTAL GERAL:", "", "15"], True),
        (["Totales", "15", "", ""], True),
        (["Total Express", "1-01", "9", "T1"], False),
        (["Jadlog", "1-01", "9", "T1"], False),
    ],
)
def test_totals_lines(cells: list[str], totals: bool) -> None:
    columns = find_header([header("Transportadora", "Pedido", "NF", "Rastreio")], SOURCE)
    raw = RawRow(9, cells)

    assert is_totals_row(raw, columns.values(raw)) is totals


def test_zero_width_characters_are_removed() -> None:
    columns = find_header([header("Pedido", "NF", "Rastreio")], SOURCE)

    row = columns.row(RawRow(2, ["\u200b1-01", "9\ufeff", "AA\u200d1"]), SOURCE)

    assert dict(row.values) == {"orderId": "1-01", "invoiceNumber": "9", "trackingNumber": "AA1"}


# Headings matched by their words, when no known heading is the whole of theirs.


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Data de postagem do objeto", "dispatchedDate"),
        ("URL de rastreio do pedido", "trackingUrl"),
        ("Fecha de envío al cliente", "dispatchedDate"),
        ("Nome da empresa transportadora", "courier"),
    ],
)
def test_a_heading_holding_a_known_one_names_its_field(heading: str, field: str) -> None:
    columns = find_header([header("Pedido", "NF", "Rastreio", heading)], SOURCE)

    assert columns.indexes[field] == 3
    assert 3 not in columns.unused


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Código do objeto postado", "trackingNumber"),
        ("Código de rastreio da encomenda", "trackingNumber"),
        ("Número de guía de la paquetería", "trackingNumber"),
        ("Nº da nota fiscal eletrônica", "invoiceNumber"),
        ("Número do pedido VTEX", "orderId"),
    ],
)
def test_a_required_field_is_found_by_the_words_of_its_heading(heading: str, field: str) -> None:
    others = {
        "orderId": "Pedido",
        "invoiceNumber": "NF",
        "trackingNumber": "Rastreio",
    }
    headings = [heading if name == field else known for name, known in others.items()]

    columns = find_header([header(*headings)], SOURCE)

    assert columns.indexes[field] == list(others).index(field)


@pytest.mark.parametrize(
    "heading",
    [
        "Data do pedido",  # one word of a heading is no proof: not the order id
        "Link da nota fiscal",  # a link is no invoice number
        "Transportadora do pedido vtex",  # as long a heading of two fields: neither
        "Etiqueta SRO",
    ],
)
def test_a_heading_that_only_shares_a_word_names_nothing(heading: str) -> None:
    columns = find_header([header("Pedido", "NF", "Rastreio", heading)], SOURCE)

    assert 3 in columns.unused


def test_a_whole_heading_wins_over_one_holding_its_words() -> None:
    columns = find_header(
        [header("Pedido", "NF", "Rastreio", "Data de postagem", "Data de postagem corrigida")],
        SOURCE,
    )

    assert columns.indexes["dispatchedDate"] == 3
    assert 4 in columns.unused


def test_two_headings_holding_one_fields_words_are_refused_as_today() -> None:
    with pytest.raises(InputError, match="both look like dispatchedDate"):
        find_header(
            [header("Pedido", "NF", "Rastreio", "Data postagem inicial", "Data postagem final")],
            SOURCE,
        )


@pytest.mark.parametrize(
    ("heading", "field"),
    [
        ("Número do objeto", "trackingNumber"),
        ("Etiqueta", "trackingNumber"),
        ("Rastreo", "trackingNumber"),
        ("Número de rastreo", "trackingNumber"),
        ("Código de rastreo", "trackingNumber"),
        ("Transportador", "courier"),
        ("Empresa transportadora", "courier"),
        ("Operador logístico", "courier"),
        ("Data de postagem", "dispatchedDate"),
        ("Data de coleta", "dispatchedDate"),
        ("Data da coleta", "dispatchedDate"),
        ("Fecha de recolección", "dispatchedDate"),
    ],
)
def test_headings_of_carriers_exports(heading: str, field: str) -> None:
    required = {"orderId": "Pedido", "invoiceNumber": "NF", "trackingNumber": "Rastreio"}
    headings = [required[name] if name != field else heading for name in required]
    if field not in required:
        headings.append(heading)

    columns = find_header([header(*headings)], SOURCE)

    assert columns.labels[field].endswith(f"{heading!r}")
