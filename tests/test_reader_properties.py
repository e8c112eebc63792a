"""Properties of the reader over files nobody would write by hand: it never loses or invents
a row or a cell, and anything it cannot read is an InputError, never a crash."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from batch_uploader.errors import InputError
from batch_uploader.files.cell_text import meant
from batch_uploader.files.reader import DELIMITERS, read_tables
from batch_uploader.files.results import defused

PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Cell text with commas, quotes, line breaks, accents and formula starts, but no other
# delimiter.
CELL = st.one_of(
    st.text(
        alphabet=st.characters(
            codec="utf-8",
            exclude_characters="\x00;\t|\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029",
        ),
        max_size=12,
    ),
    st.text(alphabet="'=+-@A", max_size=3),
)


@contextmanager
def scratch(name: str, content: bytes) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        yield path


@PROPERTY
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda width: st.lists(
            st.lists(CELL, min_size=width, max_size=width), min_size=1, max_size=20
        )
    )
)
def test_csv_rows_come_back_exactly(rows: list[list[str]]) -> None:
    # A first line "sep=," names the delimiter (as Excel reads it): it is not a row.
    assume([cell.lower() for cell in rows[0]] != ["sep=", ""])
    # Written as batch-uploader writes its CSV files: cells a spreadsheet could run defused.
    text = io.StringIO()
    csv.writer(text).writerows([defused(cell) for cell in cells] for cells in rows)

    with scratch("any.csv", text.getvalue().encode("utf-8")) as path:
        (table,) = read_tables(path)
        read = [(row.number, row.cells) for row in table.rows()]

    assert read == list(enumerate(rows, start=1))


# The forms a spreadsheet user or a tool writes to keep a cell as text.
EXCEL_FORMS = (
    lambda cell: '="' + cell.replace('"', '""') + '"',
    lambda cell: "'" + cell,
    defused,
)


@PROPERTY
@given(
    st.integers(min_value=2, max_value=5).flatmap(
        lambda width: st.lists(
            st.lists(st.tuples(CELL, st.sampled_from(EXCEL_FORMS)), min_size=width,
                     max_size=width),
            min_size=1,
            max_size=20,
        )
    ),
    st.sampled_from(DELIMITERS),
)  # fmt: skip
def test_csv_cells_kept_as_text_come_back_as_their_text(
    rows: list[list[tuple[str, Callable[[str], str]]]], delimiter: str
) -> None:
    text = io.StringIO()
    text.write(f"sep={delimiter}\r\n")
    csv.writer(text, delimiter=delimiter).writerows(
        [form(cell) for cell, form in cells] for cells in rows
    )

    with scratch("excel.csv", text.getvalue().encode("utf-8")) as path:
        (table,) = read_tables(path)
        read = [(row.number, row.cells) for row in table.rows()]

    # Numbered as the file's lines, under the sep= line.
    assert read == [
        (number, [cell for cell, _ in cells]) for number, cells in enumerate(rows, start=2)
    ]


@given(st.one_of(st.text(), st.text(alphabet="'=\"A\n", max_size=8)))
def test_a_cell_read_as_meant_holds_nothing_its_text_does_not(cell: str) -> None:
    # Its characters, in their order: only the marks of the form are taken out.
    left = iter(cell)
    assert all(character in left for character in meant(cell))


@PROPERTY
@given(st.binary(max_size=400))
@example(content=b"\xc2\x80\xed\xa0\x80")  # a UTF-8 surrogate's form: no UTF-8 at all
def test_any_bytes_are_read_or_refused_cleanly(content: bytes) -> None:
    with scratch("any.csv", content) as path:
        try:
            tables = read_tables(path)
            for table in tables:
                for row in table.rows():
                    assert row.number >= 1
        except InputError:
            pass


def test_legacy_bytes_shaped_like_a_utf8_surrogate_read_as_windows_1252() -> None:
    # "í", a no-break space and "€" in Windows-1252 are the bytes of an encoded surrogate.
    content = b"orderId;invoiceNumber;trackingNumber\n1-01;000001;Jo" + b"\xed\xa0\x80\n"
    with scratch("legacy.csv", content) as path:
        (table,) = read_tables(path)
        assert [row.cells for row in table.rows()][1] == ["1-01", "000001", "Jo\u00ed\u00a0\u20ac"]


@PROPERTY
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=4000))
def test_broken_workbooks_are_refused_cleanly(noise: bytes, cut: int) -> None:
    workbook = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["orderId", "invoiceNumber", "trackingNumber"])
    book.save(workbook)
    for content in (noise, workbook.getvalue()[:cut] + noise):
        with scratch("broken.xlsx", content) as path:
            try:
                for table in read_tables(path):
                    list(table.rows())
            except InputError:
                pass


VALUES = st.one_of(
    st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs")),
        min_size=1,
        max_size=10,
        # openpyxl stores "=..." as a formula and "#N/A" as an error cell; python-calamine reads
        # error cells as empty (dimastbk/python-calamine#105), so neither round-trips as text.
    ).filter(lambda text: not text.startswith(("=", "#"))),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2099, 12, 31)),
)


@PROPERTY
@given(st.lists(st.lists(VALUES, min_size=3, max_size=3), min_size=1, max_size=15))
def test_workbook_cells_keep_their_rows_and_text(rows: list[list[object]]) -> None:
    workbook = io.BytesIO()
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["a", "b", "c"])
    for cells in rows:
        sheet.append(cells)
    book.save(workbook)

    with scratch("cells.xlsx", workbook.getvalue()) as path:
        (table,) = read_tables(path)
        read = list(table.rows())

    assert [row.number for row in read] == list(range(1, len(rows) + 2))
    for row, cells in zip(read[1:], rows, strict=True):
        for text, value in zip(row.cells, cells, strict=True):
            if isinstance(value, str):
                # A cell of spaces alone may come back empty (XML drops such text).
                assert text == value if value.strip() else not text.strip()
            elif isinstance(value, bool):
                assert text == ("TRUE" if value else "FALSE")
            elif isinstance(value, int):
                assert text == str(value)
