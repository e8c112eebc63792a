"""Correcting refused cells on the job's page: the values typed are checked again, sent in
place of the file's, and the results, the rows to fix and the page say which rows were
corrected there (batch_uploader.web.pages, over batch_uploader.files.inputs.TableReading)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pytest

from tests.web_helpers import (
    SAME_ORIGIN,
    SAMPLES,
    TestClient,
    app_for,
    client,
    element,
    sandboxed,
    sent,
    table,
    upload,
)

JADLOG = SAMPLES / "jadlog-envios.csv"


def post(browser: TestClient, job: str, data: dict[str, str]) -> tuple[int, str]:
    answer = browser.post(
        f"{job}/corrections", data=data, headers=SAME_ORIGIN, follow_redirects=False
    )
    if answer.status_code == 303:
        return 303, str(browser.get(answer.headers["location"]).text)
    return answer.status_code, str(answer.text)


def csv_lines(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_a_refused_cell_corrected_on_the_page_is_checked_sent_and_said(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, JADLOG)
        page = browser.get(job).text
        assert 'name="cell:0:5:trackingNumber" value=""' in page
        assert element(page, "check-counts") == "Rows: 9, to send: 6, refused: 3."

        # Row 5's tracking number is typed; row 7's link is typed again, still no address; row
        # 6 is left as it is.
        status, page = post(
            browser,
            job,
            {
                "cell:0:5:trackingNumber": "10012345678904",
                "cell:0:6:invoiceNumber": "000127/A",
                "cell:0:7:trackingUrl": "jadlog.com.br",
            },
        )
        assert status == 303
        assert element(page, "check-counts") == "Rows: 9, to send: 7, refused: 2."
        assert [row[:4] for row in table(page, "refused")] == [
            ["6", "B 'Nota Fiscal'", "000127/A", "unroutable-identifier"],
            ["7", "E 'Link de Rastreio'", "jadlog.com.br", "invalid-url"],
        ]
        assert table(page, "corrected") == [
            ["5", "C 'Código de Rastreio'", "10012345678904"],
            ["7", "E 'Link de Rastreio'", "jadlog.com.br"],
        ]

        page = sent(browser, job)
        assert element(page, "corrected-rows") == (
            "Rows corrected on this page: 2. The results say which, in their column "
            "correctedOnPage."
        )
        # What reached the sandbox for row 5 is what was typed (its link made from it).
        (received,) = [r for r in fake.received if r.order_id == "1300000000004-01"]
        assert (received.invoice_number, received.body) == (
            "000126",
            {
                "trackingNumber": "10012345678904",
                "trackingUrl": "https://www.jadlog.com.br/siteInstitucional/tracking.jad"
                "?cte=10012345678904",
                "courier": "Jadlog",
                "dispatchedDate": "2026-11-24",
            },
        )
        assert len(fake.received) == 7

        results = csv_lines(browser.get(f"{job}/results.csv").text)
        assert [(line["row"], line["status"], line["correctedOnPage"]) for line in results] == [
            ("2", "sent", ""),
            ("3", "sent", ""),
            ("4", "sent", ""),
            ("5", "sent", "trackingNumber"),
            ("6", "invalid", ""),
            ("7", "invalid", "trackingUrl"),
            ("8", "sent", ""),
            ("10", "sent", ""),
            ("11", "sent", ""),
        ]
        assert results[3]["trackingNumber"] == "10012345678904"
        workbook = openpyxl.load_workbook(
            io.BytesIO(browser.get(f"{job}/results.xlsx").content), read_only=True
        )
        sheet = [list(row) for row in workbook["Results"].values]
        workbook.close()
        assert sheet[0][-1] == "correctedOnPage"
        assert [row[-1] or "" for row in sheet[1:]] == [line["correctedOnPage"] for line in results]
        to_fix = list(csv.reader(io.StringIO(browser.get(f"{job}/to-fix/0").text)))
        assert [row[0].removeprefix("\ufeff") for row in to_fix] == [
            "Pedido",
            "1300000000005-01",
            "1300000000006-01",
        ]
        # The row to fix holds the value typed, and says it was typed on the page.
        assert to_fix[2][4] == "jadlog.com.br"
        assert to_fix[2][-1].endswith(" (corrected on the page: trackingUrl)")
        assert not to_fix[1][-1].endswith(")")


def test_nothing_typed_changes_nothing(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, JADLOG)
        status, page = post(browser, job, {"cell:0:6:invoiceNumber": "000127/A"})
    assert status == 303
    assert element(page, "check-counts") == "Rows: 9, to send: 6, refused: 3."
    assert 'id="corrected"' not in page


@pytest.mark.parametrize(
    ("data", "refusal"),
    [
        (
            {"cell:0:5:trackingNumber": "100123\n45678904"},
            "The value typed for row 5, trackingNumber is not one a cell holds: one line, 500 "
            "characters at most.",
        ),
        (
            {"cell:0:5:trackingNumber": "1" * 501},
            "The value typed for row 5, trackingNumber is not one a cell holds: one line, 500 "
            "characters at most.",
        ),
        (
            {"cell:0:2:orderId": "1300000000001-02"},
            "Row 2, orderId is not among the cells refused now: look at the rows refused again.",
        ),
        # Cells no input names: digits int() does not read, or too many of them.
        (
            {"cell:²:5:trackingNumber": "10012345678904"},
            "Row ?, ? is not among the cells refused now: look at the rows refused again.",
        ),
        (
            {f"cell:0:{'5' * 5000}:trackingNumber": "10012345678904"},
            "Row ?, ? is not among the cells refused now: look at the rows refused again.",
        ),
    ],
)
def test_a_value_a_cell_cannot_hold_or_a_cell_not_refused_is_refused(
    tmp_path: Path, data: dict[str, str], refusal: str
) -> None:
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, JADLOG)
        status, page = post(browser, job, data)
        assert status == 400
        assert element(page, "refusal") == refusal
        page = browser.get(job).text
    assert element(page, "check-counts") == "Rows: 9, to send: 6, refused: 3."
    assert 'id="corrected"' not in page


def test_a_delivery_event_corrected_on_the_page_completes_its_parcel(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, SAMPLES / "events" / "correios-eventos.csv", kind="events")
        page = browser.get(job).text
        # An events file's form offers an events file's fields.
        assert '<select id="t0-deliveredDate" name="field:deliveredDate">' in page
        refused = [row[:4] for row in table(page, "refused")]
        assert ["7", "C 'Data do evento'", "", "missing-value"] in refused
        # A problem of a whole parcel has no cell to type in.
        assert 'name="cell:0:6:' not in page
        status, page = post(browser, job, {"cell:0:7:date": "22/11/2026 11:00"})
        assert status == 303
        assert table(page, "corrected") == [["7", "C 'Data do evento'", "22/11/2026 11:00"]]
        sent(browser, job)
        (parcel,) = [r for r in fake.received if r.order_id == "1300000000003-01"]
        assert (parcel.method, parcel.invoice_number, parcel.body) == (
            "PUT",
            "000125",
            {
                "isDelivered": False,
                "deliveredDate": None,
                "events": [
                    {"city": "Curitiba", "state": "PR", "description": "Objeto postado",
                     "date": "2026-11-22T10:00:00"},
                    {"city": "Curitiba", "state": "PR", "description": "Objeto em trânsito",
                     "date": "2026-11-22T11:00:00"},
                ],
            },
        )  # fmt: skip
