"""A table read as a person chose for it alone (batch_uploader.files.inputs.TableReading): its
own headings, its own date order, and values typed in place of its refused cells, which are
what is sent and what the results and the rows to fix say were corrected."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import httpx

from batch_uploader.files.columns import normalise
from batch_uploader.files.inputs import Reading, TableReading
from batch_uploader.models import Source
from batch_uploader.rules.dates import DateOrder
from batch_uploader.scripting import run
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import CsvFactory

BASE = "https://mystore.vtexcommercestable.com.br"


def sending(
    paths: list[Path], results: Path, reading: Reading
) -> tuple[list[tuple[str, dict[str, Any]]], list[dict[str, str]]]:
    """Sends ``paths`` read as ``reading`` says; the requests' paths and bodies, and the
    results' lines."""
    sent: list[tuple[str, dict[str, Any]]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.path, json.loads(request.content)))
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    run(
        paths,
        results_path=results,
        base_url=BASE,
        credentials=Credentials("key", "token"),
        settings=Settings(rate=1000),
        transport=httpx.MockTransport(answer),
        reading=reading,
        journal_path=results.with_suffix(".sqlite3"),
        url_templates=None,
    )
    with results.open(encoding="utf-8-sig", newline="") as handle:
        return sent, list(csv.DictReader(handle))


def headings(**fields: str) -> dict[str, str]:
    return {normalise(heading): name for heading, name in fields.items()}


def test_each_table_is_read_with_its_own_headings_and_date_order(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    first = write_csv("Ped;Nota;Obj;Saida\n1-01;1;AA1;03/04/2026\n", "first.csv")
    # The other file names its columns otherwise, and one of first's headings means else here.
    second = write_csv("Obj;Número;Código;Quando\n2-01;2;BB2;03/04/2026\n", "second.csv")
    reading = Reading(
        tables={
            Source(str(first)): TableReading(
                headings=headings(
                    Ped="orderId",
                    Nota="invoiceNumber",
                    Obj="trackingNumber",
                    Saida="dispatchedDate",
                ),
                date_order=DateOrder.DMY,
            ),
            Source(str(second)): TableReading(
                headings=headings(
                    Obj="orderId",
                    Número="invoiceNumber",
                    Código="trackingNumber",
                    Quando="dispatchedDate",
                ),
                date_order=DateOrder.MDY,
            ),
        }
    )
    sent, lines = sending([first, second], tmp_path / "results.csv", reading)
    assert sorted(sent, key=lambda item: item[0]) == [
        (
            "/api/oms/pvt/orders/1-01/invoice/1",
            {"trackingNumber": "AA1", "trackingUrl": None, "courier": None,
             "dispatchedDate": "2026-04-03"},
        ),
        (
            "/api/oms/pvt/orders/2-01/invoice/2",
            {"trackingNumber": "BB2", "trackingUrl": None, "courier": None,
             "dispatchedDate": "2026-03-04"},
        ),
    ]  # fmt: skip
    assert [line["status"] for line in lines] == ["sent", "sent"]
    # No value was typed: the results have no column for it.
    assert "correctedOnPage" not in lines[0]


def test_a_heading_mapped_to_no_field_is_not_read_whatever_it_says(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    path = write_csv("Pedido;NF;Rastreio;Transportadora\n1-01;1;AA1;Jadlog\n", "carrier.csv")
    reading = Reading(tables={Source(str(path)): TableReading(headings={"transportadora": ""})})
    sent, _ = sending([path], tmp_path / "results.csv", reading)
    assert sent == [
        (
            "/api/oms/pvt/orders/1-01/invoice/1",
            {"trackingNumber": "AA1", "trackingUrl": None, "courier": None,
             "dispatchedDate": None},
        )
    ]  # fmt: skip


def test_values_typed_for_refused_cells_are_sent_and_the_results_say_so(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    path = write_csv(
        "Pedido;NF;Rastreio;Link\n"
        "1-01;1;AA1;\n"
        "2-01;2;;\n"  # no tracking number: typed on the page
        "3-01;3;CC3;www.example.com\n",  # a link still refused once typed again
        "carrier.csv",
    )
    reading = Reading(
        tables={
            Source(str(path)): TableReading(
                corrections={3: {"trackingNumber": "BB2"}, 4: {"trackingUrl": "example"}}
            )
        }
    )
    results = tmp_path / "results.csv"
    sent, lines = sending([path], results, reading)
    assert sorted(sent, key=lambda item: item[0]) == [
        ("/api/oms/pvt/orders/1-01/invoice/1",
         {"trackingNumber": "AA1", "trackingUrl": None, "courier": None, "dispatchedDate": None}),
        ("/api/oms/pvt/orders/2-01/invoice/2",
         {"trackingNumber": "BB2", "trackingUrl": None, "courier": None, "dispatchedDate": None}),
    ]  # fmt: skip
    assert [(line["row"], line["status"], line["correctedOnPage"]) for line in lines] == [
        ("2", "sent", ""),
        ("3", "sent", "trackingNumber"),
        ("4", "invalid", "trackingUrl"),
    ]
    assert (
        results.read_text(encoding="utf-8-sig").splitlines()[0].endswith(",notes,correctedOnPage")
    )
    (to_fix,) = tmp_path.glob("carrier-to-fix-*.csv")
    with to_fix.open(encoding="utf-8-sig", newline="") as handle:
        (row,) = list(csv.reader(handle))[1:]
    # The row to fix holds what was typed, and says it was.
    assert row[:4] == ["3-01", "3", "CC3", "example"]
    assert row[4].startswith("invalid-url: column D 'Link' (trackingUrl): 'example' is not")
    assert row[4].endswith(" (corrected on the page: trackingUrl)")


def test_a_value_typed_past_the_end_of_a_csv_row_missing_a_separator_sends_nothing(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    # Row 2 lacks its invoice's separator: the courier stands under NF, the tracking number
    # under Transportadora, and its Rastreio cell is missing; the page offers to type it.
    path = write_csv(
        "Pedido;NF;Transportadora;Rastreio\n1-01;Jadlog;AA1\n2-01;2;Jadlog;BB2\n",
        "carrier.csv",
    )
    reading = Reading(
        tables={Source(str(path)): TableReading(corrections={2: {"trackingNumber": "AA1"}})}
    )
    results = tmp_path / "results.csv"
    sent, lines = sending([path], results, reading)
    # Still refused for its shape: sent, it would have updated invoice "Jadlog" of the order.
    assert sent == [
        ("/api/oms/pvt/orders/2-01/invoice/2",
         {"trackingNumber": "BB2", "trackingUrl": None, "courier": "Jadlog",
          "dispatchedDate": None}),
    ]  # fmt: skip
    assert [(line["row"], line["status"], line["errorCode"]) for line in lines] == [
        ("2", "invalid", "wrong-cell-count;missing-value"),
        ("3", "sent", ""),
    ]
