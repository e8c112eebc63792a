"""A file that changes while it is uploaded: every pass over a CSV file reads the bytes it had
when it was opened, rows read from bytes rewritten in place are refused, and what changed is
told afterwards."""

from __future__ import annotations

import csv
import gc
import json
import os
from collections.abc import Iterable
from pathlib import Path

import httpx
import pytest

from batch_uploader import Credentials, Settings, run
from batch_uploader.files import reader
from batch_uploader.files.inputs import (
    Input,
    Reading,
    Values,
    changed_since_opened,
    close_inputs,
    data_rows,
    data_values,
    open_inputs,
)
from batch_uploader.models import Status
from batch_uploader.rules.survey import Survey
from batch_uploader.rules.survey import survey as real_survey

from .conftest import CsvFactory, XlsxFactory

HEADER = "orderId,invoiceNumber,trackingNumber,courier\n"


def lines(first: int, last: int, courier: str = "Loggi") -> str:
    return "".join(f"{n}-01,{n},TRK{n},{courier}\n" for n in range(first, last + 1))


def sending_pass(inputs: list[Input]) -> list[tuple[int, dict[str, str], tuple[str, ...]]]:
    return [
        (row.number, dict(row.values), tuple(e.code for e in row.read_errors))
        for row in data_rows(inputs)
    ]


def test_rows_appended_after_opening_are_not_read(write_csv: CsvFactory) -> None:
    source = write_csv(HEADER + lines(1, 3))
    inputs, _ = open_inputs([source], Reading())
    surveyed = [(number, values, ()) for _, number, values in data_values(inputs)]

    added = lines(4, 6, "Jadlog")
    with source.open("a", encoding="utf-8") as handle:
        handle.write(added)

    assert sending_pass(inputs) == surveyed
    assert [number for number, _, _ in surveyed] == [2, 3, 4]
    assert [str(note) for note in changed_since_opened(inputs)] == [
        f"{source}: grew during the run ({len(added)} bytes added): the rows added were not "
        "read; upload the file again once it is complete (rows already sent are skipped)"
    ]


def test_a_file_replaced_by_rename_is_read_as_it_was_opened(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(HEADER + lines(1, 3))
    inputs, _ = open_inputs([source], Reading())
    surveyed = [(number, values, ()) for _, number, values in data_values(inputs)]

    # What spreadsheet programs and most editors do when they save.
    saved = tmp_path / "saved.csv"
    saved.write_text(HEADER + lines(1, 3, "Correios") + lines(7, 9), encoding="utf-8")
    os.replace(saved, source)

    assert sending_pass(inputs) == surveyed
    assert [str(note) for note in changed_since_opened(inputs)] == [
        f"{source}: replaced during the run (saved again or copied over): its rows were read "
        "as they were when the run started; upload the new file (rows already sent are "
        "skipped)"
    ]


def test_rows_read_from_bytes_rewritten_in_place_are_refused(
    write_csv: CsvFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_BLOCK_BYTES", 4096)
    before = HEADER + lines(1, 400)
    source = write_csv(before)
    inputs, _ = open_inputs([source], Reading())
    surveyed = [(number, values, ()) for _, number, values in data_values(inputs)]

    # Rewritten in place from the third block on: same inode, other couriers.
    changed_at = 2 * 4096 + 100
    with source.open("r+b") as handle:
        handle.truncate(changed_at)
        handle.seek(changed_at)
        handle.write(before[changed_at:].replace("Loggi", "Azul!").encode())
    sent = sending_pass(inputs)

    first_changed = 1 + before[:changed_at].count("\n")  # the row holding the changed byte
    first_of_block = 1 + before[: 2 * 4096].count("\n")
    marked = [number for number, _, errors in sent if errors]
    assert marked == list(range(marked[0], 402))
    assert first_of_block <= marked[0] <= first_changed
    assert all(errors == ("file-changed",) for _, _, errors in sent[marked[0] - 2 :])
    assert sent[: marked[0] - 2] == surveyed[: marked[0] - 2]
    assert [str(note) for note in changed_since_opened(inputs)] == [
        f"{source}: changed during the run, from about row {marked[0]} on: those rows were not "
        "sent (file-changed); upload the file again once it is complete (rows already sent are "
        "skipped)"
    ]


def test_a_change_that_breaks_the_quotes_refuses_the_rows_and_does_not_stop(
    write_csv: CsvFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_BLOCK_BYTES", 64)
    before = HEADER + lines(1, 9)
    source = write_csv(before)
    inputs, _ = open_inputs([source], Reading())
    with source.open("r+b") as handle:  # a quote opened in the third block, never closed
        handle.seek(before.index("TRK7"))
        handle.write(b'"')

    sent = sending_pass(inputs)

    marked = [number for number, _, errors in sent if errors]
    assert marked
    assert all(errors == ("file-changed",) for _, _, errors in sent[marked[0] - 2 :])
    assert str(changed_since_opened(inputs)[0]).startswith(
        f"{source}: changed during the run, from about row {marked[0]} on:"
    )


def test_a_row_read_from_changed_bytes_says_what_to_do(
    write_csv: CsvFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_BLOCK_BYTES", 64)
    source = write_csv(HEADER + lines(1, 4))
    inputs, _ = open_inputs([source], Reading())
    source.write_text(HEADER + lines(1, 4, "Jadlog"), encoding="utf-8")  # same inode

    last = list(data_rows(inputs))[-1]

    assert last.explain(last.read_errors[0]) == (
        "the file changed while it was being uploaded, from about this row on: nothing after "
        "it was sent; upload the file again once it is complete (rows already sent are skipped)"
    )


def test_an_unchanged_file_has_nothing_to_say_and_a_removed_one_is_named(
    write_csv: CsvFactory, write_xlsx: XlsxFactory
) -> None:
    source = write_csv(HEADER + lines(1, 3))
    workbook = write_xlsx([HEADER.strip().split(","), ["1-01", "1", "TRK1", "Loggi"]])
    inputs, _ = open_inputs([source, workbook], Reading())
    list(data_rows(inputs))

    assert changed_since_opened(inputs) == []

    source.unlink()
    assert [str(note) for note in changed_since_opened(inputs)] == [
        f"{source}: removed or renamed during the run: its rows were read as they were when "
        "the run started"
    ]


def test_a_workbook_is_read_as_it_was_opened(write_xlsx: XlsxFactory) -> None:
    header = HEADER.strip().split(",")
    workbook = write_xlsx([header, ["1-01", "1", "TRK1", "Loggi"]])
    inputs, _ = open_inputs([workbook], Reading())
    content = write_xlsx(
        [header, ["1-01", "1", "OTHER", "Loggi"], ["2-01", "2", "T2", "X"]], "b.xlsx"
    )
    with workbook.open("r+b") as handle:  # in place: python-calamine read the sheet already
        handle.truncate(0)
        handle.write(content.read_bytes())

    assert [row.values["trackingNumber"] for row in data_rows(inputs)] == ["TRK1"]
    assert [str(note) for note in changed_since_opened(inputs)] == [
        f"{workbook}: changed during the run: its rows were read as they were when the run "
        "started; upload the file again once it is complete (rows already sent are skipped)"
    ]


def open_descriptors() -> int:
    return len(os.listdir("/dev/fd"))


def test_the_file_is_read_through_one_descriptor_closed_with_the_inputs(
    write_csv: CsvFactory,
) -> None:
    source = write_csv(HEADER + lines(1, 3))
    before = open_descriptors()

    inputs, _ = open_inputs([source], Reading())
    list(data_values(inputs))
    list(data_rows(inputs))
    assert open_descriptors() == before + 1
    close_inputs(inputs)
    assert open_descriptors() == before
    close_inputs(inputs)  # twice is harmless
    with pytest.raises(ValueError, match=r"input\.csv was closed"):
        list(data_rows(inputs))

    # Inputs never closed are closed when they are let go.
    inputs, _ = open_inputs([source], Reading())
    del inputs
    gc.collect()
    assert open_descriptors() == before


def test_rows_appended_during_an_upload_are_not_sent(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(HEADER + lines(1, 3))

    def survey_then_append(rows: Iterable[Values]) -> Survey:
        found = real_survey(rows)
        with source.open("a", encoding="utf-8") as handle:
            handle.write(lines(1, 1, "Jadlog"))  # would conflict with row 2
        return found

    monkeypatch.setattr("batch_uploader.jobs.tracking.survey", survey_then_append)
    results = tmp_path / "r.csv"
    report = run([source], results_path=results, dry_run=True)

    assert report.exit_status == 1  # the rows appended were not read: upload it again
    with results.open(encoding="utf-8-sig", newline="") as handle:
        sent = [(line["row"], line["status"], line["courier"]) for line in csv.DictReader(handle)]
    assert sent == [("2", "valid", "Loggi"), ("3", "valid", "Loggi"), ("4", "valid", "Loggi")]


def test_an_upload_names_a_file_that_grew_while_it_was_sent(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(HEADER + lines(1, 3))
    results = tmp_path / "r.csv"

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path.split("/")[5] == "1-01":
            with source.open("a", encoding="utf-8") as handle:
                handle.write(lines(4, 4))  # the carrier's export goes on while the upload runs
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    report = run(
        [source], results_path=results, base_url="https://mystore.vtexcommercestable.com.br",
        credentials=Credentials("vtexappkey-mystore-ABC", "changing-files-token-1f3e"),
        settings=Settings(rate=1000, concurrency=1), transport=httpx.MockTransport(answer),
    )  # fmt: skip

    assert report.counts[Status.SENT] == 3
    note = (
        f"{source}: grew during the run (18 bytes added): the rows added were not read; "
        "upload the file again once it is complete (rows already sent are skipped)"
    )
    assert note in [str(said) for said in report.notes]
    summary = json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))
    assert summary["changedInputs"] == [note]


def test_an_unchanged_upload_has_no_changed_inputs(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(HEADER + lines(1, 2))

    report = run([source], results_path=tmp_path / "r.csv", dry_run=True)

    summary = json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))
    assert (report.changed_inputs, summary["changedInputs"]) == ([], [])


def test_rows_of_a_file_cut_short_during_the_upload_are_in_the_results(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reader, "_BLOCK_BYTES", 4096)
    before = HEADER + lines(1, 400)
    source = write_csv(before)
    results = tmp_path / "r.csv"
    cut = 2 * 4096 + 100

    def survey_then_cut(rows: Iterable[Values]) -> Survey:
        found = real_survey(rows)
        with source.open("r+b") as handle:
            handle.truncate(cut)  # rewritten in place, shorter
        return found

    monkeypatch.setattr("batch_uploader.jobs.tracking.survey", survey_then_cut)
    report = run([source], results_path=results, dry_run=True)

    with results.open(encoding="utf-8-sig", newline="") as handle:
        read = [(line["row"], line["status"], line["errorCode"]) for line in csv.DictReader(handle)]
    # Every row the first pass saw has its line: none is missing from the results.
    assert [number for number, _, _ in read] == [str(n) for n in range(2, 402)]
    gone = [line for line in read if line[2] == "file-changed"]
    assert gone
    assert all(status == "invalid" for _, status, _ in gone)
    assert gone[-1][0] == "401"
    assert report.rows == 400
    assert report.exit_status == 1


def test_an_upload_whose_file_grew_exits_1_and_says_so_in_its_summary_line(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(HEADER + lines(1, 3))

    def survey_then_append(rows: Iterable[Values]) -> Survey:
        found = real_survey(rows)
        with source.open("a", encoding="utf-8") as handle:
            handle.write(lines(4, 4))
        return found

    monkeypatch.setattr("batch_uploader.jobs.tracking.survey", survey_then_append)
    report = run([source], results_path=tmp_path / "r.csv", dry_run=True)

    # Not 0, "every row sent": the rows added were not read.
    assert report.exit_status == 1
    assert "1 file changed while it was read (see the notes): upload it again" in report.summary()
