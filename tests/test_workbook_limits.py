"""Workbooks that would unpack to far more than any carrier sends are refused before reading."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from batch_uploader import reader
from batch_uploader.errors import InputError, UsageError
from batch_uploader.reader import read_tables

from .conftest import XlsxFactory

HEADER = ["orderId", "invoiceNumber", "trackingNumber"]
SHEET = "xl/worksheets/sheet1.xml"


def with_member(source: Path, name: str, payload: bytes, *, path: Path | None = None) -> Path:
    """``source`` copied with its member ``name`` holding ``payload`` (added when missing)."""
    target = path or source.with_name(f"crafted-{source.name}")
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename != name:
                new.writestr(item, old.read(item.filename), zipfile.ZIP_DEFLATED)
        new.writestr(name, payload, zipfile.ZIP_DEFLATED)
    return target


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
