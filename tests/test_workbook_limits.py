"""Workbooks that would unpack to far more than any carrier sends are refused before reading."""

from __future__ import annotations

import struct
import tracemalloc
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import openpyxl
import pytest

from batch_uploader.errors import InputError, UsageError
from batch_uploader.files import reader
from batch_uploader.files.reader import read_tables

from .conftest import XlsxFactory

HEADER = ["orderId", "invoiceNumber", "trackingNumber"]
SHEET = "xl/worksheets/sheet1.xml"
MB = 1_000_000


def with_member(source: Path, name: str, payload: bytes, *, path: Path | None = None) -> Path:
    """``source`` copied with its member ``name`` holding ``payload`` (added when missing)."""
    target = path or source.with_name(f"crafted-{source.name}")
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename != name:
                new.writestr(item, old.read(item.filename), zipfile.ZIP_DEFLATED)
        new.writestr(name, payload, zipfile.ZIP_DEFLATED)
    return target


def lying(source: Path, name: str, chunks: Iterable[bytes], *, size: int, crc: int) -> Path:
    """``source`` copied with its member ``name`` unpacking to ``chunks`` (written a chunk at a
    time) while its local header and its entry in the central directory declare ``size`` and
    ``crc``: a zip that lies, as a crafted workbook does."""
    target = source.with_name(f"lying-{source.name}")
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            if item.filename != name:
                new.writestr(item, old.read(item.filename), zipfile.ZIP_DEFLATED)
        with new.open(name, "w") as member:
            for chunk in chunks:
                member.write(chunk)
    data = bytearray(target.read_bytes())
    with zipfile.ZipFile(target) as archive:
        local = archive.getinfo(name).header_offset
    # The member written last has the last entry of the central directory.
    central = data.rfind(b"PK\x01\x02")
    assert data[local : local + 4] == b"PK\x03\x04"
    assert data[central + 46 : central + 46 + len(name)] == name.encode()
    struct.pack_into("<L", data, local + 14, crc)
    struct.pack_into("<L", data, local + 22, size)
    struct.pack_into("<L", data, central + 16, crc)
    struct.pack_into("<L", data, central + 24, size)
    target.write_bytes(data)
    return target


def part_of(path: Path, name: str) -> bytes:
    """The bytes of the member ``name`` of the zip at ``path``, as zipfile reads them."""
    with zipfile.ZipFile(path) as archive:
        return archive.read(name)


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    """Limits a few megabytes can exceed: the suite never unpacks gigabytes."""
    monkeypatch.setattr(reader, "WORKBOOK_MEMBER_MB", 2)
    monkeypatch.setattr(reader, "WORKBOOK_MEMBERS", 50)


def test_a_sheet_declared_larger_than_the_limit_is_refused(
    write_xlsx: XlsxFactory, small_limits: None
) -> None:
    # Padding of a sheet: text that compresses well, but less than 200:1.
    padding = b"".join(b"<!-- %08d -->" % index for index in range(250_000))
    path = with_member(write_xlsx([HEADER]), "xl/padding.xml", padding)

    with pytest.raises(InputError) as raised:
        read_tables(path)

    message = str(raised.value)
    assert message.startswith(f"{path}: its part xl/padding.xml would unpack to 4.2 MB")
    assert "(limit 2.0 MB); set BATCH_UPLOADER_MAX_WORKBOOK_MB" in message


def test_a_workbook_declared_larger_in_all_than_the_limit_is_refused(
    write_xlsx: XlsxFactory, small_limits: None
) -> None:
    path = write_xlsx([HEADER])
    padding = b"".join(b"<!-- %08d -->" % index for index in range(100_000))
    for index in range(7):
        path = with_member(path, f"xl/padding{index}.xml", padding)

    with pytest.raises(InputError, match=r"would unpack to 12 MB in all \(limit 8\.0 MB\)"):
        read_tables(path)


def test_a_sheet_that_inflates_like_a_bomb_is_refused(
    write_xlsx: XlsxFactory, small_limits: None
) -> None:
    # A valid sheet, as calamine would read it whole: its rows, then 1.5 MB of blanks.
    source = write_xlsx([HEADER, ["1-01", "9", "AB"]])
    with zipfile.ZipFile(source) as archive:
        sheet = archive.read(SHEET)
    bomb = sheet.replace(b"</worksheet>", b" " * 1_500_000 + b"</worksheet>")
    path = with_member(source, SHEET, bomb)

    with pytest.raises(InputError) as raised:
        read_tables(path)

    assert str(raised.value).startswith(f"{path}: its part {SHEET} is compressed ")
    assert "more than any spreadsheet (at most 200:1)" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "crc_of"),
    [
        # The CRC of the bytes declared: zipfile reads them and stops, finding nothing wrong.
        pytest.param(SHEET, "declared", id="sheet-crc-of-what-it-declares"),
        pytest.param(SHEET, "held", id="sheet-crc-of-what-it-holds"),
        # Any part may be read: not only the sheets.
        pytest.param("docProps/app.xml", "declared", id="a-part-no-sheet"),
    ],
)
def test_a_part_that_unpacks_to_more_than_it_declares_is_refused(
    write_xlsx: XlsxFactory, small_limits: None, name: str, crc_of: str
) -> None:
    # The part as saved, then 3 MB of blanks (over the 2 MB limit) its directory says nothing of.
    source = write_xlsx([HEADER, ["1-01", "9", "AB"]])
    part = part_of(source, name)
    blanks = [b" " * MB] * 3
    crc = (
        zlib.crc32(part) if crc_of == "declared" else zlib.crc32(b"".join(blanks), zlib.crc32(part))
    )
    path = lying(source, name, [part, *blanks], size=len(part), crc=crc)

    with pytest.raises(InputError) as raised:
        read_tables(path)

    message = str(raised.value)
    assert message.startswith(
        f"{path}: its part {name} unpacks to more than the {len(part):,} bytes its zip "
        "directory declares: the file is damaged, or made to fill the memory; "
    )
    assert message.endswith(
        "or save its sheet as CSV and upload that (a CSV file is streamed, never held whole)"
    )


def test_a_lie_is_found_without_unpacking_the_part(write_xlsx: XlsxFactory) -> None:
    # 50 MB of blanks declared as the sheet's own kilobyte, under the default limits.
    source = write_xlsx([HEADER])
    sheet = part_of(source, SHEET)
    path = lying(source, SHEET, [sheet, *[b" " * MB] * 50], size=len(sheet), crc=zlib.crc32(sheet))

    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="unpacks to more than the"):
            read_tables(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 2 * MB


def test_a_genuine_part_is_unpacked_a_chunk_at_a_time(
    write_xlsx: XlsxFactory, small_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A true 4.2 MB (declared as such) within a limit raised to 5 MB: checked, never held whole.
    padding = b"".join(b"<!-- %08d -->" % index for index in range(250_000))
    path = with_member(write_xlsx([HEADER, ["1-01", "9", "AB"]]), "xl/padding.xml", padding)
    del padding
    monkeypatch.setenv("BATCH_UPLOADER_MAX_WORKBOOK_MB", "5")

    tracemalloc.start()
    try:
        reader._check_unpacked_size(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert peak < 2 * MB  # a few chunks in flight, never the 4.2 MB part


def test_a_part_that_unpacks_to_less_than_it_declares_is_refused(
    write_xlsx: XlsxFactory, small_limits: None
) -> None:
    source = write_xlsx([HEADER, ["1-01", "9", "AB"]])
    sheet = part_of(source, SHEET)
    short = sheet[:-100]
    path = lying(source, SHEET, [short], size=len(sheet), crc=zlib.crc32(short))

    with pytest.raises(InputError) as raised:
        read_tables(path)

    assert str(raised.value).startswith(
        f"{path}: its part {SHEET} unpacks to {len(short):,} bytes, not the {len(sheet):,} its "
        "zip directory declares: the file is damaged; open it in its spreadsheet program and "
        "save it again, or save its sheet as CSV"
    )


def test_a_part_whose_crc_is_wrong_is_refused(write_xlsx: XlsxFactory, small_limits: None) -> None:
    source = write_xlsx([HEADER, ["1-01", "9", "AB"]])
    sheet = part_of(source, SHEET)
    path = lying(source, SHEET, [sheet], size=len(sheet), crc=zlib.crc32(sheet) ^ 1)

    with pytest.raises(InputError) as raised:
        read_tables(path)

    assert str(raised.value).startswith(
        f"{path}: its part {SHEET} cannot be unpacked (Bad CRC-32 for file {SHEET!r}): the "
        "file is damaged; open it in its spreadsheet program and save it again, or save its "
        "sheet as CSV"
    )


def test_a_part_compressed_as_no_spreadsheet_program_does_is_refused(
    write_xlsx: XlsxFactory, small_limits: None
) -> None:
    source = write_xlsx([HEADER, ["1-01", "9", "AB"]])
    path = source.with_name("bzip2.xlsx")
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w") as new:
        for item in old.infolist():
            method = zipfile.ZIP_BZIP2 if item.filename == SHEET else zipfile.ZIP_DEFLATED
            new.writestr(item, old.read(item.filename), method)

    with pytest.raises(InputError) as raised:
        read_tables(path)

    assert str(raised.value).startswith(
        f"{path}: its part {SHEET} is compressed with method 12 (spreadsheet programs store or "
        "deflate): what it unpacks to cannot be checked; open it in its spreadsheet program "
    )


def test_a_workbook_of_too_many_members_is_refused(
    write_xlsx: XlsxFactory, small_limits: None
) -> None:
    path = write_xlsx([HEADER])
    with zipfile.ZipFile(path, "a") as archive:
        for index in range(60):
            archive.writestr(f"xl/media/image{index}.png", b"x")

    with pytest.raises(InputError, match=r"holds 6\d files \(limit 50\)"):
        read_tables(path)


def test_the_limit_is_raised_through_the_environment(
    write_xlsx: XlsxFactory, small_limits: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    padding = b"".join(b"<!-- %08d -->" % index for index in range(250_000))
    path = with_member(write_xlsx([HEADER, ["1-01", "9", "AB"]]), "xl/padding.xml", padding)
    monkeypatch.setenv("BATCH_UPLOADER_MAX_WORKBOOK_MB", "5")

    (table,) = read_tables(path)

    assert [row.cells for row in table.rows()][-1] == ["1-01", "9", "AB"]


def test_a_limit_that_is_not_a_number_is_refused(
    write_xlsx: XlsxFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BATCH_UPLOADER_MAX_WORKBOOK_MB", "lots")

    with pytest.raises(UsageError, match="BATCH_UPLOADER_MAX_WORKBOOK_MB"):
        read_tables(write_xlsx([HEADER]))


def test_a_normal_workbook_still_opens(write_xlsx: XlsxFactory, small_limits: None) -> None:
    (table,) = read_tables(write_xlsx([HEADER, ["1-01", "9", "AB"]]))

    assert [row.cells for row in table.rows()] == [HEADER, ["1-01", "9", "AB"]]


def test_a_file_that_is_not_a_zip_is_still_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "carrier.xlsx"
    path.write_bytes(b"Pedido;NF;Rastreio\n")

    with pytest.raises(InputError, match="cannot be opened as a workbook"):
        read_tables(path)


@pytest.mark.parametrize(
    ("far", "rows", "columns"),
    [("XFD1048576", 1_048_576, 16_384), ("Z1048576", 1_048_576, 26), ("AMJ99999", 99_999, 1_024)],
)
def test_a_sheet_whose_cells_span_a_grid_too_large_is_refused_before_it_is_read(
    tmp_path: Path, far: str, rows: int, columns: int
) -> None:
    path = tmp_path / "corners.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio"])
    sheet.append(["1-01", "000001", "AA1BR"])
    sheet[far] = "x"  # a few kilobytes: python-calamine would make a grid of every cell between
    book.save(path)

    with pytest.raises(InputError) as refused:
        read_tables(path)

    assert f"spans {rows:,} rows by {columns:,} columns" in str(refused.value)
    assert "BATCH_UPLOADER_MAX_WORKBOOK_MB" in str(refused.value)


def test_a_wide_sheet_of_normal_size_is_read(tmp_path: Path) -> None:
    path = tmp_path / "wide.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio", *(f"extra {n}" for n in range(60))])
    for n in range(2000):
        sheet.append([f"{n}-01", f"{n:06d}", f"AA{n}BR", *range(60)])
    book.save(path)

    (table,) = read_tables(path)

    assert sum(1 for _ in table.rows()) == 2001
