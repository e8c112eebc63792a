"""Changing what the page understood before sending: the column of each field and the order of
the dates, checked again on the server (batch_uploader.web.mapping), and, remembered for a
carrier's files, applied by itself to the next file with the same headings
(batch_uploader.web.saved)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path

import openpyxl
import pytest
from babel.dates import format_date

from tests.web_helpers import (
    APP_TOKEN,
    SAME_ORIGIN,
    TestClient,
    app_for,
    client,
    element,
    sandboxed,
    table,
    text,
    upload,
)

HEADER = "Pedido;NF;Rastreio;Transportadora;Saída"
ROW = "1300000000001-01;1;AA123456785BR;Correios;03/04/2026"


def carrier(folder: Path, name: str = "correios.csv", header: str = HEADER, row: str = ROW) -> Path:
    """A carrier's file whose dispatch date is under a heading the page does not know."""
    path = folder / name
    path.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return path


def form(page: str, number: int = 0) -> dict[str, str]:
    """What the form changing table ``number`` of ``page`` posts as it is shown."""
    found = re.search(rf'<form id="reading-{number}"(.*?)</form>', page, re.S)
    assert found, f"no form #reading-{number}"
    posted = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', found[1]))
    for name, options in re.findall(r'<select [^>]*name="([^"]+)">(.*?)</select>', found[1], re.S):
        selected = re.search(r'<option value="([^"]*)" selected>', options)
        posted[name] = text(selected[1]) if selected else ""
    return posted


def columns(page: str, number: int = 0) -> str:
    """The columns table of table ``number`` of ``page``, as read."""
    return text(page.split('<table class="columns">')[number + 1].split("</table>")[0])


def post(browser: TestClient, job: str, action: str, data: dict[str, str]) -> tuple[int, str]:
    """Posts ``data`` to the job's ``action``; the answer's status and the page then shown."""
    answer = browser.post(f"{job}/{action}", data=data, headers=SAME_ORIGIN, follow_redirects=False)
    if answer.status_code == 303:
        location = answer.headers["location"]
        return 303, str(browser.get(location).text)
    return answer.status_code, str(answer.text)


def send(browser: TestClient, job: str) -> None:
    """Sends the job and waits for its results."""
    answer = browser.post(f"{job}/send", headers=SAME_ORIGIN, follow_redirects=False)
    assert answer.status_code == 303
    for _ in range(300):
        if '<section id="results">' in browser.get(job).text:
            return
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def test_a_column_chosen_for_a_field_and_the_date_order_are_checked_again_and_sent(
    tmp_path: Path,
) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, carrier(tmp_path))
        page = browser.get(job).text
        assert "dispatchedDate" not in columns(page)
        assert element(page, "understood").count("Columns not used: E 'Saída'") == 1
        shown = form(page)
        assert shown == {
            "table": "0",
            "field:orderId": "Pedido",
            "field:invoiceNumber": "NF",
            "field:trackingNumber": "Rastreio",
            "field:trackingUrl": "",
            "field:courier": "Transportadora",
            "field:dispatchedDate": "",
            "date_order": "",
        }

        # The dispatch date is in E; the courier is not one VTEX should be told.
        status, page = post(
            browser, job, "reading", shown | {"field:dispatchedDate": "Saída", "field:courier": ""}
        )
        assert status == 303
        assert columns(page) == (
            "Column Field A 'Pedido' orderId B 'NF' invoiceNumber C 'Rastreio' trackingNumber "
            "E 'Saída' dispatchedDate"
        )
        assert "Columns not used: D 'Transportadora'" in element(page, "understood")
        # 03/04/2026 alone does not tell the day from the month.
        assert table(page, "refused") == [
            [
                "2",
                "E 'Saída'",
                "03/04/2026",
                "ambiguous-date",
                "'03/04/2026' may be day first or month first, and no date of this column tells; "
                "choose how its dates are written above and check again",
            ]
        ]
        status, page = post(browser, job, "reading", form(page) | {"date_order": "dmy"})
        assert status == 303
        assert "Dates day first (24/11/2026)" in element(page, "understood")
        assert element(page, "check-counts") == "Rows: 1, to send: 1, refused: 0."
        assert form(page)["date_order"] == "dmy"
        assert form(page)["field:courier"] == ""

        # The send reads the file as the check did.
        send(browser, job)
        assert [(r.order_id, r.invoice_number, r.body) for r in fake.received] == [
            (
                "1300000000001-01",
                "1",
                {
                    "trackingNumber": "AA123456785BR",
                    "trackingUrl": None,
                    "courier": None,
                    "dispatchedDate": "2026-04-03",
                },
            )
        ]


NO_TABLE = "The page no longer shows that table: look at what was understood again."
# A file with two columns of one heading, a column with none, and one whose heading is no word.
ODD_HEADER = "Pedido;NF;Rastreio;Obs;;Obs;#"
ODD_ROW = "1300000000001-01;1;AA123456785BR;a;b;c;d"


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"field:orderId": ""}, "Choose the column of orderId: every row needs it."),
        (
            {"field:courier": "Pedido"},
            "The column A is chosen for orderId and for courier: a column holds one field.",
        ),
        (
            {"field:courier": "Obs"},
            "The columns D, F have the same heading, so the page cannot tell them apart: rename "
            "one of them in the file and upload it again.",
        ),
        (
            {"field:courier": "#"},
            "The column G has no heading to find it by: give it one in the file and upload it "
            "again.",
        ),
        (
            {"field:courier": "Courier"},
            "This file has no column 'Courier' any more: look at its columns again.",
        ),
        ({"date_order": "ymd"}, "Choose how the dates are written from the list."),
        # Tables no form names: digits int() does not read, or too many of them.
        ({"table": "²"}, NO_TABLE),
        ({"table": "1" * 5000}, NO_TABLE),
    ],
)
def test_a_choice_the_server_cannot_take_is_refused_and_changes_nothing(
    tmp_path: Path, change: dict[str, str], refusal: str
) -> None:
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, carrier(tmp_path, header=ODD_HEADER, row=ODD_ROW))
        before = browser.get(job).text
        # A column without a heading cannot be chosen: it cannot be found by one.
        assert "<option disabled>E (no heading)</option>" in before
        status, page = post(browser, job, "reading", form(before) | change)
        assert status == 400
        assert element(page, "refusal") == refusal
        assert columns(page) == columns(before)
        assert columns(browser.get(job).text) == columns(before)


def test_a_job_sent_cannot_be_read_otherwise(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, carrier(tmp_path))
        shown = form(browser.get(job).text)
        send(browser, job)
        page = browser.get(job).text
        assert 'id="reading-0"' not in page
        for action, data in (
            ("reading", shown | {"field:courier": ""}),
            ("corrections", {"cell:0:2:dispatchedDate": "2026-04-03"}),
        ):
            status, page = post(browser, job, action, data)
            assert status == 409
            assert element(page, "refusal") == (
                "This job was sent already: how its files are read cannot be changed."
            )
        assert len(fake.received) == 1
        assert fake.received[0].body["courier"] == "Correios"


def test_a_mapping_remembered_is_applied_by_itself_to_the_next_file_with_those_headings(
    tmp_path: Path,
) -> None:
    today = format_date(dt.date.today(), "long", locale="en")
    with sandboxed(tmp_path) as (browser, fake):
        first = upload(browser, carrier(tmp_path))
        chosen = form(browser.get(first).text) | {
            "field:dispatchedDate": "Saída",
            "field:courier": "",
            "date_order": "dmy",
            "remember": "on",
        }
        status, page = post(browser, first, "reading", chosen)
        assert status == 303
        assert element(page, "remembered-0") == (
            f"This mapping is saved for the files with these columns, from {today} on. Forget it"
        )
        saved = json.loads((tmp_path / "web" / "mappings.json").read_text(encoding="utf-8"))
        assert saved["mappings"] == [
            {
                "kind": "tracking",
                "headings": ["nf", "pedido", "rastreio", "saida", "transportadora"],
                "fields": {
                    "pedido": "orderId",
                    "nf": "invoiceNumber",
                    "rastreio": "trackingNumber",
                    "transportadora": "",
                    "saida": "dispatchedDate",
                },
                "dateOrder": "dmy",
                "savedOn": dt.date.today().isoformat(),
            }
        ]

        # The next day's file has the same headings, in another order: found by its headings,
        # each column is read as chosen.
        second = upload(
            browser,
            carrier(
                tmp_path,
                "correios-2.csv",
                "Saída;Transportadora;Rastreio;NF;Pedido",
                "05/06/2026;Correios;AA123456794BR;2;1300000000002-01",
            ),
        )
        page = browser.get(second).text
        assert element(page, "remembered-0") == (
            f"The mapping saved on {today} for these columns was applied. Forget it"
        )
        assert columns(page) == (
            "Column Field A 'Saída' dispatchedDate C 'Rastreio' trackingNumber "
            "D 'NF' invoiceNumber E 'Pedido' orderId"
        )
        assert "Dates day first (24/11/2026)" in element(page, "understood")
        send(browser, second)
        assert [(r.order_id, r.body) for r in fake.received] == [
            (
                "1300000000002-01",
                {
                    "trackingNumber": "AA123456794BR",
                    "trackingUrl": None,
                    "courier": None,
                    "dispatchedDate": "2026-06-05",
                },
            )
        ]

        # Forgotten, it is applied no more (the job it was applied to keeps it).
        third = upload(browser, carrier(tmp_path, "correios-3.csv"))
        assert "remembered-0" in browser.get(third).text
        status, page = post(browser, third, "forget", {"table": "0"})
        assert status == 303
        assert element(page, "forgotten") == (
            "The saved mapping was forgotten: the next files with these columns are read by "
            "their headings alone."
        )
        assert "remembered-0" not in page
        assert "A 'Saída' dispatchedDate" not in columns(page)
        assert "E 'Saída' dispatchedDate" in columns(page)
        saved = json.loads((tmp_path / "web" / "mappings.json").read_text(encoding="utf-8"))
        assert saved["mappings"] == []
        fourth = upload(browser, carrier(tmp_path, "correios-4.csv"))
        page = browser.get(fourth).text
        assert "remembered-0" not in page
        assert "dispatchedDate" not in columns(page)


def test_a_heading_holding_the_app_token_is_not_saved_with_a_mapping(tmp_path: Path) -> None:
    header = f"{HEADER};Obs {APP_TOKEN}"
    today = format_date(dt.date.today(), "long", locale="en")
    with sandboxed(tmp_path) as (browser, _):
        first = upload(browser, carrier(tmp_path, header=header, row=f"{ROW};x"))
        chosen = form(browser.get(first).text) | {
            "field:dispatchedDate": "Saída",
            "date_order": "dmy",
            "remember": "on",
        }
        status, _page = post(browser, first, "reading", chosen)
        assert status == 303
        kept = (tmp_path / "web" / "mappings.json").read_text(encoding="utf-8")
        # The next file with those headings is read with the mapping all the same.
        second = upload(browser, carrier(tmp_path, "correios-2.csv", header, f"{ROW};y"))
        page = browser.get(second).text

    assert APP_TOKEN.lower() not in kept.lower()
    assert element(page, "remembered-0") == (
        f"The mapping saved on {today} for these columns was applied. Forget it"
    )
    assert "E 'Saída' dispatchedDate" in columns(page)
    assert APP_TOKEN.lower() not in page.lower()


def test_saved_mappings_that_cannot_be_read_are_taken_as_none(tmp_path: Path) -> None:
    saved = tmp_path / "web" / "mappings.json"
    saved.parent.mkdir(parents=True)
    saved.write_text("{not json", encoding="utf-8")
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, carrier(tmp_path))
        page = browser.get(job).text
        assert "remembered-0" not in page
        chosen = form(page) | {"field:dispatchedDate": "Saída", "remember": "on"}
        status, page = post(browser, job, "reading", chosen)
    assert status == 303
    assert "E 'Saída' dispatchedDate" in columns(page)
    # Saved again whole, in place of what could not be read.
    assert [entry["fields"]["saida"] for entry in json.loads(saved.read_text())["mappings"]] == [
        "dispatchedDate"
    ]
    assert [path.name for path in saved.parent.iterdir() if path.is_file()] == ["mappings.json"]


def test_the_saved_mapping_is_said_in_the_page_language(tmp_path: Path) -> None:
    today = format_date(dt.date.today(), "long", locale="pt_BR")
    with client(app_for(tmp_path), language="pt-BR") as browser:
        first = upload(browser, carrier(tmp_path))
        chosen = form(browser.get(first).text) | {"field:dispatchedDate": "Saída", "remember": "on"}
        post(browser, first, "reading", chosen)
        page = browser.get(upload(browser, carrier(tmp_path, "correios-2.csv"))).text
    assert element(page, "remembered-0") == (
        f"O mapeamento salvo em {today} para estas colunas foi aplicado. Esquecer"
    )
    assert "Mudar as colunas ou as datas" in page


def test_a_heading_written_on_two_lines_can_be_chosen(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio", "Data de\nsaída"])
    sheet.append(["1300000000001-01", "1", "AA123456785BR", "2026-04-03"])
    path = tmp_path / "correios.xlsx"
    workbook.save(path)
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, path)
        # A browser posts the line break of the option's value as CR LF.
        chosen = form(browser.get(job).text) | {"field:dispatchedDate": "Data de\r\nsaída"}
        status, page = post(browser, job, "reading", chosen)
        assert status == 303, element(page, "refusal")
        assert "D 'Data de\\nsaída' dispatchedDate" in columns(page)
        send(browser, job)
    assert [r.body["dispatchedDate"] for r in fake.received] == ["2026-04-03"]


@pytest.mark.parametrize("number", ["²", "1" * 5000])
def test_forgetting_for_a_table_no_form_names_is_refused(tmp_path: Path, number: str) -> None:
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, carrier(tmp_path))
        status, page = post(browser, job, "forget", {"table": number})
    assert status == 400
    assert element(page, "refusal") == NO_TABLE


def test_a_saved_mapping_the_files_cannot_be_read_with_is_left_aside(tmp_path: Path) -> None:
    # Edited by hand: two headings for one field, which no file can be read with.
    saved = tmp_path / "web" / "mappings.json"
    saved.parent.mkdir(parents=True)
    entry = {
        "kind": "tracking",
        "headings": ["nf", "pedido", "rastreio", "saida", "transportadora"],
        "fields": {"pedido": "orderId", "nf": "orderId", "rastreio": "trackingNumber"},
        "dateOrder": None,
        "savedOn": "2026-01-01",
    }
    saved.write_text(json.dumps({"version": 1, "mappings": [entry]}), encoding="utf-8")
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, carrier(tmp_path))
        page = browser.get(job).text
    # The file is read by its headings, and can be read otherwise on the page.
    assert 'id="error"' not in page
    assert "remembered-0" not in page
    assert columns(page).startswith("Column Field A 'Pedido' orderId B 'NF' invoiceNumber")
    assert element(page, "check-counts") == "Rows: 1, to send: 1, refused: 0."
    assert 'id="reading-0"' in page


def test_a_mapping_forgotten_for_one_sheet_is_said_saved_for_none(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Jan"
    second = workbook.create_sheet("Fev")
    for sheet in (first, second):
        sheet.append(HEADER.split(";"))
        sheet.append(ROW.split(";"))
    path = tmp_path / "correios.xlsx"
    workbook.save(path)
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, path)
        chosen = form(browser.get(job).text) | {"field:dispatchedDate": "Saída", "remember": "on"}
        status, page = post(browser, job, "reading", chosen)
        assert status == 303
        # Saved for Jan, applied by itself to Fev, which has the same headings.
        assert "remembered-0" in page
        assert "remembered-1" in page
        status, page = post(browser, job, "forget", {"table": "1"})
    assert status == 303
    assert json.loads((tmp_path / "web" / "mappings.json").read_text())["mappings"] == []
    assert "remembered-1" not in page
    assert "remembered-0" not in page
