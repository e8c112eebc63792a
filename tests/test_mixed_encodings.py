"""A file that is UTF-8 but for a few bytes: read as UTF-8, with the rows holding those bytes
refused, never re-read as a legacy code page (which would send every accent garbled)."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batch_uploader import run
from batch_uploader.errors import InputError
from batch_uploader.files.inputs import Reading, data_rows, open_inputs
from batch_uploader.files.reader import read_tables
from batch_uploader.files.results import defused
from batch_uploader.models import TrackingUpdate
from batch_uploader.rules.validator import validate

from .conftest import XlsxFactory

HEADER = "Pedido;Nota Fiscal;Rastreio;Transportadora;Data de envio\n"
COURIER = "Ação Transportes"
# "Ação" with its "ç" in Windows-1252 (0xe7), its "ã" in UTF-8: one byte that is not UTF-8.
DAMAGED = b"A\xe7\xc3\xa3o Transportes"
REFUSAL = (
    "column D 'Transportadora' (courier): 'A\ufffdão Transportes' holds bytes that are not "
    "UTF-8 text (shown as \ufffd): the file mixes two encodings; correct the cell, or save the "
    "file again as CSV UTF-8"
)


def carrier_file(path: Path, rows: int, damaged: set[int], *, bom: bool = False) -> Path:
    """``rows`` data rows in UTF-8 with accents, under a header on line 1; the data rows whose
    line number is in ``damaged`` have a courier with one Windows-1252 byte."""
    lines = [b"\xef\xbb\xbf" + HEADER.encode() if bom else HEADER.encode()]
    for line in range(2, rows + 2):
        courier = DAMAGED if line in damaged else COURIER.encode()
        lines.append(b"%d-01;%d;TRK%d;%s;2026-11-2%d\n" % (line, line, line, courier, line % 5))
    path.write_bytes(b"".join(lines))
    return path


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_bad_byte_refuses_its_row_only_and_every_other_row_keeps_its_accents(
    tmp_path: Path,
) -> None:
    source = carrier_file(tmp_path / "envios.csv", 30_000, {20_002})
    results = tmp_path / "r.csv"

    report = run([source], results_path=results, dry_run=True, url_templates=None)

    lines = results_of(results)
    assert len(lines) == 30_000
    refused = [x for x in lines if x["status"] != "valid"]
    assert [(x["row"], x["status"], x["errorCode"], x["errorMessage"]) for x in refused] == [
        ("20002", "invalid", "undecodable-text", REFUSAL)
    ]
    assert {x["courier"] for x in lines if x["status"] == "valid"} == {COURIER}
    assert report.understood[0] == (
        f"{source}: CSV, utf-8 (1 byte not UTF-8, on line 20002: a row holding one in a value "
        'to send is refused), delimiter ";"; header on row 1; 30000 data rows'
    )


def updates_of(source: Path, encoding: str | None = None) -> list[TrackingUpdate | list[str]]:
    """What each data row of ``source`` becomes: the update sent, or its error codes."""
    inputs, _ = open_inputs([source], Reading(encoding=encoding))
    built: list[TrackingUpdate | list[str]] = []
    for row in data_rows(inputs):
        checked = validate(row)
        built.append(checked if isinstance(checked, TrackingUpdate) else [e.code for e in checked])
    return built


def sent(line: int) -> TrackingUpdate:
    return TrackingUpdate(
        f"{line}-01", str(line), f"TRK{line}", None, COURIER, f"2026-11-2{line % 5}"
    )


@pytest.mark.parametrize(
    ("encoding", "bom"), [(None, True), ("utf-8", False), ("utf-8", True), ("utf8", False)]
)
def test_a_bom_or_a_named_utf8_refuses_the_damaged_rows_not_the_file(
    tmp_path: Path, encoding: str | None, bom: bool
) -> None:
    source = carrier_file(tmp_path / "envios.csv", 6, {3, 6}, bom=bom)

    assert updates_of(source, encoding) == [
        sent(2), ["undecodable-text"], sent(4), sent(5), ["undecodable-text"], sent(7)
    ]  # fmt: skip


def test_a_legacy_file_is_still_read_in_its_code_page(tmp_path: Path) -> None:
    header = "Pedido;Nota Fiscal;Rastreio;Transportadora;Data de envio;Observação\n"
    rows = "".join(f"{n}-01;{n};T{n};Expresso São João;2026-11-2{n % 5};\n" for n in range(2, 500))
    source = tmp_path / "legado.csv"
    source.write_bytes((header + rows).encode("cp1252"))

    (table,) = read_tables(source)

    assert str(table.format) == 'CSV, cp1252, delimiter ";"'
    assert {row.cells[3] for row in table.rows()} == {"Transportadora", "Expresso São João"}


def test_the_rule_weighs_valid_utf8_bytes_against_invalid_ones(tmp_path: Path) -> None:
    # Two accents in UTF-8 (4 bytes in valid sequences) and four in Windows-1252 (4 bytes that
    # are not UTF-8): UTF-8. One more Windows-1252 accent tips it: a mix, refused.
    utf8 = "1-01;1;T1;São;x\n2-01;2;T2;Ipê;x\n".encode()
    legacy = "3-01;3;T3;Açaí;x\n4-01;4;T4;Ré;x\n5-01;5;T5;Zé;x\n".encode("cp1252")
    source = tmp_path / "mixed.csv"
    source.write_bytes(HEADER.encode() + utf8 + legacy)
    (table,) = read_tables(source)
    assert str(table.format) == (
        "CSV, utf-8 (4 bytes not UTF-8, the first on line 4: a row holding one in a value to "
        'send is refused), delimiter ";"'
    )

    source.write_bytes(HEADER.encode() + utf8 + legacy + "6-01;6;T6;Jé;x\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"mixes two encodings: line 2 is UTF-8 text and line 4"):
        read_tables(source)


def test_one_pair_of_bytes_that_happens_to_be_utf8_does_not_make_a_mix(tmp_path: Path) -> None:
    # "É" then a closing quote, in Windows-1252, is also a valid UTF-8 sequence by chance.
    legacy = "1-01;1;T1;CAFÉ\u201d;x\n2-01;2;T2;Açaí;x\n3-01;3;T3;São João;x\n"
    source = tmp_path / "legado.csv"
    source.write_bytes((HEADER + legacy).encode("cp1252"))

    (table,) = read_tables(source)

    assert str(table.format) == 'CSV, cp1252, delimiter ";"'
    assert [row.cells[3] for row in table.rows()][1:] == ["CAFÉ\u201d", "Açaí", "São João"]


def test_a_named_utf8_that_the_file_is_not_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "legado.csv"
    source.write_bytes((HEADER + "1-01;1;T1;São João;2026-11-21\n").encode("cp1252"))

    with pytest.raises(InputError, match=r"legado\.csv: line 2 is not utf-8 text \(byte 0xe3\)"):
        read_tables(source, encoding="utf-8")


def test_a_workbook_cell_holding_the_replacement_character_is_refused(
    write_xlsx: XlsxFactory,
) -> None:
    source = write_xlsx(
        [["orderId", "invoiceNumber", "trackingNumber", "courier"], ["1-01", "9", "T1", "A\ufffdo"]]
    )
    inputs, _ = open_inputs([source], Reading())
    (row,) = data_rows(inputs)

    checked = validate(row)

    assert isinstance(checked, list)
    assert [(error.code, row.explain(error)) for error in checked] == [
        (
            "undecodable-text",
            "column D 'courier' (courier): 'A\ufffdo' holds \ufffd, a character left where text "
            "could not be read when it was copied in; type the value again",
        )
    ]


# Cell text with accents, quotes and line breaks, but no other delimiter (as in
# test_reader_properties) and no U+FFFD of its own.
CELL = st.text(
    alphabet=st.characters(
        codec="utf-8",
        exclude_characters="\x00;\t|\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\ufffd",
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=20),
    st.data(),
)
def test_a_stray_byte_spoils_its_cell_only(rows: list[list[str]], data: st.DataObject) -> None:
    row = data.draw(st.integers(0, len(rows) - 1))
    column = data.draw(st.integers(0, 2))
    cell = rows[row][column]
    at = data.draw(st.integers(0, len(cell)))
    stray = data.draw(st.integers(0x80, 0xBF))  # a continuation byte with no start: never UTF-8
    written = [list(cells) for cells in rows]
    written[row][column] = cell[:at] + "\x00" + cell[at:]  # where the stray byte goes
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["Observação", "b", "c"])  # an accent in UTF-8: more valid bytes than bad
    writer.writerows([defused(value) for value in cells] for cells in written)
    content = text.getvalue().encode().replace(b"\x00", bytes([stray]))

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.csv"
        path.write_bytes(content)
        (table,) = read_tables(path)
        read = [raw.cells for raw in table.rows()]

    expected = [list(cells) for cells in rows]
    expected[row][column] = cell[:at] + "\ufffd" + cell[at:]
    assert read == [["Observação", "b", "c"], *expected]
    assert str(table.format).startswith("CSV, utf-8 (1 byte not UTF-8, on line ")


def test_a_heading_with_a_byte_that_is_not_text_says_so(tmp_path: Path) -> None:
    source = tmp_path / "carrier.csv"
    source.write_bytes(
        b"Pedido;NF;C" + b"\xf3" + "digo de Rastreio\n1-01;1;T1\n2-01;2;Açaí\n".encode()
    )

    with pytest.raises(InputError) as caught:
        open_inputs([source], Reading())

    assert str(caught.value).endswith(
        "Its headings hold bytes that are not text in the file's encoding (shown as \ufffd): save "
        "the file again as 'CSV UTF-8'."
    )
