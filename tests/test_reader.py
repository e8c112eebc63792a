from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from batch_uploader.errors import InputError, UsageError
from batch_uploader.files.reader import RawRow, read_tables, render_cell
from batch_uploader.models import CellKind

from .conftest import CsvFactory, XlsxFactory


def rows_of(path: Path) -> list[RawRow]:
    (table,) = read_tables(path)
    return list(table.rows())


def test_csv_with_bom_and_semicolons_keeps_every_cell_as_text(write_csv: CsvFactory) -> None:
    path = write_csv("Pedido;NF;Rastreio\n0012-01;000123;00BR\n", bom=True)

    rows = rows_of(path)

    assert [row.cells for row in rows] == [
        ["Pedido", "NF", "Rastreio"],
        ["0012-01", "000123", "00BR"],
    ]
    assert [row.number for row in rows] == [1, 2]
    assert rows[1].kinds is None


def test_csv_row_numbers_count_records_not_lines(write_csv: CsvFactory) -> None:
    path = write_csv('orderId,courier\n1-01,"Jadlog\nExpresso"\n2-01,Loggi\n')

    rows = rows_of(path)

    assert [(row.number, row.cells) for row in rows] == [
        (1, ["orderId", "courier"]),
        (2, ["1-01", "Jadlog\nExpresso"]),
        (3, ["2-01", "Loggi"]),
    ]


def test_csv_delimiter_found_below_title_lines(write_csv: CsvFactory) -> None:
    path = write_csv("Relatório de envios — 24/11/2026\n\nPedido;NF;Rastreio\n1-01;9;AB\n")

    assert rows_of(path)[-1].cells == ["1-01", "9", "AB"]


@pytest.mark.parametrize(
    ("encoding", "bom", "named"),
    [
        ("utf-8", False, "utf-8"),
        ("utf-8", True, "utf-8"),
        ("cp1252", False, "cp1252"),
        ("utf-16", False, "utf-16"),
        ("utf-16-le", False, "utf_16_le"),
    ],
)
def test_encodings_are_detected(
    write_csv: CsvFactory, encoding: str, bom: bool, named: str
) -> None:
    text = "Relatório de envios — São Paulo\nPedido;Nota Fiscal;Transportadora\n"
    text += "1-01;000123;Expresso São João\n" * 20
    (table,) = read_tables(write_csv(text, encoding=encoding, bom=bom))

    rows = list(table.rows())
    assert rows[0].cells == ["Relatório de envios — São Paulo"]
    assert rows[2].cells == ["1-01", "000123", "Expresso São João"]
    assert str(table.format) == f'CSV, {named}, delimiter ";"'


def test_a_named_encoding_that_does_not_fit_is_refused_naming_the_line(
    write_csv: CsvFactory,
) -> None:
    path = write_csv("Pedido;NF\n1-01;São Paulo\n", encoding="cp1252")

    with pytest.raises(InputError, match=r"input\.csv: line 2 is not utf-8 text \(byte 0xe3\)"):
        read_tables(path, encoding="utf-8")


def test_tab_delimited_unicode_text_from_excel(write_csv: CsvFactory) -> None:
    path = write_csv("Pedido\tNF\tRastreio\r\n1-01\t9\tAA1BR\r\n", "export.txt", encoding="utf-16")

    (table,) = read_tables(path)

    assert [row.cells for row in table.rows()][1] == ["1-01", "9", "AA1BR"]
    assert str(table.format) == "CSV, utf-16, delimiter tab"


def test_empty_csv_is_refused(write_csv: CsvFactory) -> None:
    with pytest.raises(InputError, match="the file is empty"):
        read_tables(write_csv(""))


def test_unsupported_file_type_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "orders.pdf"
    path.write_bytes(b"%PDF")

    with pytest.raises(UsageError, match=r"unsupported file type \.pdf"):
        read_tables(path)


def test_corrupt_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"not a zip file")

    with pytest.raises(InputError, match=r"broken\.xlsx: cannot be opened as a workbook"):
        read_tables(path)


def test_xlsx_numbers_become_their_digits_and_keep_their_kind(write_xlsx: XlsxFactory) -> None:
    path = write_xlsx(
        [
            ["orderId", "invoiceNumber", "trackingNumber", "dispatchedDate"],
            [7999972, "000123", 1.5, dt.datetime(2026, 11, 24, 10, 30)],
        ]
    )

    header, row = rows_of(path)

    assert row.cells == ["7999972", "000123", "1.5", "2026-11-24T10:30:00"]
    assert row.kinds == {0: CellKind.NUMBER, 2: CellKind.NUMBER, 3: CellKind.DATE}
    assert header.kinds is None


def test_xlsx_row_numbers_match_the_sheet(write_xlsx: XlsxFactory) -> None:
    path = write_xlsx([["Shipments of the day"], [], ["orderId"], ["1-01"]])

    assert [(row.number, row.cells[0]) for row in rows_of(path)] == [
        (1, "Shipments of the day"),
        (2, ""),
        (3, "orderId"),
        (4, "1-01"),
    ]


def test_xlsx_empty_sheets_are_left_out(write_xlsx: XlsxFactory) -> None:
    path = write_xlsx([["orderId"]], sheet="Data", extra_sheets=["Notes"])

    assert [table.source.sheet for table in read_tables(path)] == ["Data"]


@pytest.mark.parametrize(
    ("value", "text", "kind"),
    [
        (7999972.0, "7999972", CellKind.NUMBER),
        (123456789012345.0, "123456789012345", CellKind.NUMBER),
        # Beyond 15 digits Excel has already rounded: shown as stored, never as fake digits.
        (1.2345678901234568e17, "1.2345678901234568e+17", CellKind.NUMBER),
        (12, "12", CellKind.NUMBER),
        (True, "TRUE", CellKind.BOOLEAN),
        (dt.date(2026, 11, 24), "2026-11-24", CellKind.DATE),
    ],
)
def test_render_cell(value: object, text: str, kind: CellKind) -> None:
    assert render_cell(value) == (text, kind)


def test_unclosed_quote_is_refused_naming_the_line(write_csv: CsvFactory) -> None:
    path = write_csv('orderId,invoiceNumber,trackingNumber,Obs\n1-01,1,T1,"fragile\n2-01,2,T2,\n')
    (table,) = read_tables(path)

    with pytest.raises(InputError, match=r"input\.csv: line 3: unexpected end of data"):
        list(table.rows())


def test_file_ending_inside_a_character_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv"
    path.write_bytes(b"orderId,invoiceNumber\n1-01,\xc3")

    with pytest.raises(InputError, match="ends in the middle of a character"):
        read_tables(path, encoding="utf-8")


def test_a_chosen_sheet_only(write_xlsx: XlsxFactory) -> None:
    path = write_xlsx([["orderId"]], sheet="Data", extra_sheets=["Other"])

    with pytest.raises(InputError, match="no sheet named 'Jadlog'; its sheets are 'Data', 'Other'"):
        read_tables(path, sheet="Jadlog")
    assert [t.source.sheet for t in read_tables(path, sheet="Data")] == ["Data"]


def test_semicolon_file_with_title_and_commas_in_names(write_csv: CsvFactory) -> None:
    path = write_csv(
        "Relatório de envios, 24/11/2026\n"
        "Pedido;NF;Rastreio;Transportadora\n"
        "1-01;9;AB1;Jadlog, Expresso\n"
        "2-01;10;AB2;Correios\n"
    )

    assert rows_of(path)[2].cells == ["1-01", "9", "AB1", "Jadlog, Expresso"]


def test_a_cell_spanning_lines_keeps_one_row_number(write_csv: CsvFactory) -> None:
    (table,) = read_tables(write_csv('orderId,Obs\n1-01,"two\nlines"\n2-01,x\n'))

    assert [(raw.number, raw.cells) for raw in table.rows()] == [
        (1, ["orderId", "Obs"]),
        (2, ["1-01", "two\nlines"]),
        (3, ["2-01", "x"]),
    ]
    assert table.delimited


@pytest.mark.parametrize("encoding", ["cp1252", "cp850", "mac_roman"])
@pytest.mark.parametrize(
    "courier",
    ["Expresso São João", "Transportes Açaí Ltda", "Logística Peñón", "Transportadora Conceição"],
)
def test_legacy_code_pages_of_plain_portuguese_and_spanish_are_told_apart(
    write_csv: CsvFactory, encoding: str, courier: str
) -> None:
    # Nothing but these few accented letters, again and again: the bytes alone fit several
    # code pages, and only the letters they make in each tell which one wrote them.
    text = "Pedido;Nota Fiscal;Rastreio;Transportadora;Data de envio\n"
    text += "".join(f"{n}-01;{n};TRK{n};{courier};24/11/2026\n" for n in range(1, 499))

    (table,) = read_tables(write_csv(text, encoding=encoding))

    rows = list(table.rows())
    assert {tuple(row.cells[3:4]) for row in rows[1:]} == {(courier,)}
    assert str(table.format) == f'CSV, {encoding}, delimiter ";"'


@pytest.mark.parametrize(
    ("encoding", "content"),
    [
        ("utf-16-le", "Pedido;NF;Rastreio\n1-01;9;AA1\n".encode("utf-16-le")),
        ("cp1252", "Pedido;NF;Rastreio\n1-01;9;São\n".encode("cp1252")),
    ],
)
def test_utf16_named_for_a_file_without_its_mark_is_refused_naming_it(
    write_csv: CsvFactory, tmp_path: Path, encoding: str, content: bytes
) -> None:
    path = tmp_path / "carrier.csv"
    path.write_bytes(content)

    with pytest.raises(InputError) as caught:
        read_tables(path, encoding="utf-16")

    assert str(caught.value).startswith(f"{path}: line 1 is not utf-16 text")


@pytest.mark.parametrize(
    ("encoding", "courier", "plain_rows"),
    [
        # Curly quotes, a dash and the euro sign only, no accented letter.
        ("cp1252", "\u201cJadlog\u201d \u2013 Entregas \u20ac", 0),
        ("cp850", "TRANSPORTES SÃO JOÃO", 0),  # capitals: Ã in cp850 is Ç in Windows-1252
        ("cp850", "Transportes São João", 40_000),  # the first accent past the first MiB
        ("mac_roman", "Transportes São João", 40_000),
    ],
)
def test_legacy_code_pages_are_told_apart_by_what_the_whole_file_holds(
    write_csv: CsvFactory, encoding: str, courier: str, plain_rows: int
) -> None:
    text = "Pedido;Nota Fiscal;Rastreio;Transportadora\n"
    text += "".join(f"{n}-01;{n};TRK{n};Jadlog\n" for n in range(1, plain_rows + 1))
    text += "".join(f"{n}-01;{n};TRK{n};{courier}\n" for n in range(1, 200))

    (table,) = read_tables(write_csv(text, encoding=encoding))

    assert list(table.rows())[-1].cells[3] == courier
    assert str(table.format) == f'CSV, {encoding}, delimiter ";"'


def test_a_file_mixing_utf8_and_a_legacy_code_page_is_refused_naming_both(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    # Mostly Windows-1252, with rows pasted from a UTF-8 export: read either way, some rows
    # would be sent garbled ("SÃ£o" or "S�o").
    path = tmp_path / "mixed.csv"
    path.write_bytes(
        b"Pedido;NF;Rastreio;Transportadora\n"
        + "".join(f"{n}-01;{n};T{n};Jadlog São Paulo\n" for n in range(1, 6)).encode()
        + "".join(f"{n}-01;{n};T{n};Expresso São João\n" for n in range(6, 26)).encode("cp1252")
    )

    with pytest.raises(InputError) as caught:
        read_tables(path)

    assert str(caught.value) == (
        f"{path}: mixes two encodings: line 2 is UTF-8 text and line 7 is not (byte 0xe3), so "
        "some of its rows would be sent garbled; save the file again as 'CSV UTF-8', or name "
        "its encoding with --encoding"
    )


@pytest.mark.parametrize(
    "cells",
    [
        ["Correios \u2013 PAC"],  # a dash alone between spaces: Mac Roman would make it "ñ"
        ["Loja\xa0Centro"],  # a non-breaking space inside a value: cp850 would make it "á"
        ["Rua X \xb7 Centro"],
        ["Lote \xa7 3"],
        ["\xa35 de frete"],
        ["Correios \u2013 SEDEX", "São Paulo", "Goiânia", "Código"],
        ["SÃO JOSÉ\xa0DOS CAMPOS", "\u201cJOSÉ\u201d TRANSPORTES"],  # pairs UTF-8 by chance
    ],
)
def test_windows_1252_punctuation_and_chance_utf8_pairs_keep_a_file_windows_1252(
    write_csv: CsvFactory, cells: list[str]
) -> None:
    text = "Pedido;Nota Fiscal;Código de Rastreio;Transportadora\n".replace("ó", "o")
    text += "".join(f"{n}-01;{n};TRK{n};Jadlog\n" for n in range(1, 21))
    text += "".join(f"{n}-01;{n};TRK{n};{cell}\n" for n, cell in enumerate(cells * 2, start=21))

    (table,) = read_tables(write_csv(text, encoding="cp1252"))

    # A lone sign (§, £) is a sign in DOS's code page too: the dry run may call it a guess.
    assert str(table.format).startswith("CSV, cp1252")
    assert str(table.format).endswith(', delimiter ";"')
    assert [row.cells[3] for row in table.rows()][21:] == cells * 2


def test_a_dash_early_and_accents_past_the_first_mib_keep_windows_1252(
    write_csv: CsvFactory,
) -> None:
    text = "Pedido;NF;Rastreio;Transportadora\n1-01;1;T1;Correios \u2013 PAC\n"
    text += "".join(f"{n}-01;{n};TRK{n};Jadlog Expresso\n" for n in range(2, 40_000))
    text += "".join(f"{n}-01;{n};TRK{n};São João Transportes\n" for n in range(40_000, 40_100))

    (table,) = read_tables(write_csv(text, encoding="cp1252"))

    assert str(table.format) == 'CSV, cp1252, delimiter ";"'
    assert list(table.rows())[-1].cells[3] == "São João Transportes"


def test_one_utf8_row_pasted_into_a_windows_1252_file_is_a_mix(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    path = tmp_path / "onepaste.csv"
    path.write_bytes(
        b"Pedido;NF;Rastreio;Transportadora\n"
        + "".join(f"{n}-01;{n};T{n};Açaí Express\n" for n in range(1, 30)).encode("cp1252")
        + "30-01;30;T30;Jadlog São Paulo\n".encode()
    )

    with pytest.raises(InputError, match=r"mixes two encodings: line 31 is UTF-8 text and line 2"):
        read_tables(path)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_of_plain_ascii_without_its_mark_is_told_by_its_zero_bytes(
    write_csv: CsvFactory, encoding: str
) -> None:
    text = "Pedido;NF;Rastreio\n" + "".join(f"{n}-01;{n};TRK{n}\n" for n in range(1, 20))

    (table,) = read_tables(write_csv(text, encoding=encoding))

    assert str(table.format) == f'CSV, {encoding.replace("-", "_")}, delimiter ";"'
    assert list(table.rows())[-1].cells == ["19-01", "19", "TRK19"]
