"""The page as a person uses it: upload, what was understood, send to the sandbox, results
and downloads (batch_uploader.web.pages, with the jobs of batch_uploader.web.jobs)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from batch_uploader.jobs.journal import Journal
from batch_uploader.sandbox.oms import Sandbox
from batch_uploader.web.jobs import Jobs
from tests.web_helpers import (
    APP_TOKEN,
    SAME_ORIGIN,
    SAMPLES,
    app_for,
    client,
    element,
    finished,
    sandboxed,
    sent,
    table,
    text,
    upload,
)

JADLOG = SAMPLES / "jadlog-envios.csv"


def test_the_upload_page_has_its_form(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        page = browser.get("/").text
    assert '<form id="upload" method="post" action="/jobs" enctype="multipart/form-data">' in page
    assert '<input id="files" type="file" name="files" multiple required>' in page
    assert '<option value="tracking">Tracking numbers (one row per invoice)</option>' in page
    assert '<option value="events">' in page
    assert element(page, "check") == "Check the files"
    assert '<nav id="languages"' in page


def test_the_check_shows_what_was_understood_and_the_rows_refused(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, JADLOG)
        page = browser.get(job).text
    understood = element(page, "understood")
    assert 'jadlog-envios.csv Format CSV, utf-8, delimiter ";" Header row 1' in understood
    assert "Dates day first (24/11/2026) Rows 9 To send 6 Refused 3" in understood
    assert table(page.split('id="understood"')[1], "refused")[:0] == []
    columns = page.split('<table class="columns">')[1].split("</table>")[0]
    assert text(columns) == (
        "Column Field A 'Pedido' orderId B 'Nota Fiscal' invoiceNumber "
        "C 'Código de Rastreio' trackingNumber D 'Transportadora' courier "
        "E 'Link de Rastreio' trackingUrl F 'Data de Envio' dispatchedDate"
    )
    assert element(page, "check-counts") == "Rows: 9, to send: 6, refused: 3."
    assert table(page, "refused") == [
        [
            "5",
            "C 'Código de Rastreio'",
            "",
            "missing-value",
            "trackingNumber is empty; every row needs orderId, invoiceNumber, trackingNumber",
        ],
        [
            "6",
            "B 'Nota Fiscal'",
            "000127/A",
            "unroutable-identifier",
            "'000127/A' contains a slash \"/\", which cannot travel in the request's address; "
            "correct the invoiceNumber",
        ],
        [
            "7",
            "E 'Link de Rastreio'",
            "www.jadlog.com.br/tracking",
            "invalid-url",
            "'www.jadlog.com.br/tracking' is not an absolute web address; write it in full, "
            "starting with https:// (or leave the cell empty)",
        ],
    ]
    assert element(page, "send") == "Send to VTEX"
    # Where the page keeps the files is not shown: their names are.
    assert str(tmp_path) not in page


def test_a_remedy_is_worded_as_the_page_does_never_as_a_flag(
    tmp_path: Path, write_csv: object
) -> None:
    path = tmp_path / "datas.csv"
    path.write_text(
        "Pedido;NF;Rastreio;Data de envio\n"
        "1300000000001-01;1;AA123456785BR;03/04/2026\n"
        "1300000000002-01;2;AA123456785BR;05/06/2026\n",
        encoding="utf-8",
    )
    with client(app_for(tmp_path)) as browser:
        page = browser.get(upload(browser, path)).text
    rows = table(page, "refused")
    assert rows[0][3] == "ambiguous-date"
    assert rows[0][4] == (
        "'03/04/2026' may be day first or month first, and no date of this column tells; "
        "choose how its dates are written above and check again"
    )
    assert "--" not in text(page)


def test_a_file_that_cannot_be_read_is_said_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "notes.csv"
    path.write_text("Peso;Observações\n1;frágil\n", encoding="utf-8")
    with client(app_for(tmp_path)) as browser:
        page = browser.get(upload(browser, path)).text
    error = element(page, "error")
    assert error.startswith("notes.csv: ")
    assert "orderId" in error
    assert "Traceback" not in page
    assert "--map" not in page
    assert 'id="send"' not in page


def test_sending_to_the_sandbox_shows_the_results_and_their_downloads(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, JADLOG)
        assert element(browser.get(job).text, "send") == "Send to the sandbox"
        answer = browser.post(f"{job}/send", headers=SAME_ORIGIN, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == job
        page = finished(browser, job)
        assert text(page.split('<section id="progress">')[1].split("</section>")[0]) == (
            "Sent 6 Skipped 0 Failed 0 Refused 3 Remaining 0 Requests a second 10.0 "
            "Answered 429 (too many requests) 0"
        )
        assert table(page, "counts") == [
            ["Sent", "6"], ["Skipped", "0"], ["Refused", "3"], ["Failed", "0"]
        ]  # fmt: skip
        assert len(fake.received) == 6
        downloads = {
            name: browser.get(f"{job}/{path}")
            for name, path in [
                ("csv", "results.csv"),
                ("xlsx", "results.xlsx"),
                ("fix", "to-fix/0"),
                ("summary", "summary.json"),
            ]
        }
    for link in ("results-csv", "results-xlsx", "to-fix", "summary"):
        assert f'id="download-{link}"' in page
    disposition = downloads["csv"].headers["content-disposition"]
    assert disposition.startswith('attachment; filename="jadlog-envios-results-')
    assert disposition.endswith('.csv"')
    lines = list(csv.DictReader(io.StringIO(downloads["csv"].content.decode("utf-8-sig"))))
    assert [line["status"] for line in lines] == [
        "sent", "sent", "sent", "invalid", "invalid", "invalid", "sent", "sent", "sent"
    ]  # fmt: skip
    assert downloads["xlsx"].headers["content-disposition"].endswith('.xlsx"')
    book = openpyxl.load_workbook(io.BytesIO(downloads["xlsx"].content), read_only=True)
    sheet = next(sheet for sheet in book.worksheets if sheet.title != "Summary")
    statuses = [row[1] for row in sheet.iter_rows(min_row=2, max_row=10, values_only=True)]
    assert statuses == [line["status"] for line in lines]
    fix = downloads["fix"]
    assert fix.headers["content-disposition"].startswith(
        'attachment; filename="jadlog-envios-to-fix-'
    )
    assert fix.content.decode("utf-8-sig").count("\n") == 4  # the header and 3 rows
    summary = json.loads(downloads["summary"].content)
    assert summary["rows"]["sent"] == 6
    assert downloads["summary"].headers["content-disposition"].endswith('.summary.json"')


def test_a_second_job_for_the_same_account_waits_for_the_first(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        fake.config = type(fake.config)(latency=0.2)
        first, second = upload(browser, JADLOG), upload(browser, JADLOG)
        browser.post(f"{first}/send", headers=SAME_ORIGIN)
        answer = browser.post(f"{second}/send", headers=SAME_ORIGIN)
        assert answer.status_code == 409
        assert element(answer.text, "busy") == (
            "Another job is sending to this account: wait for it to end, or stop it. See that job"
        )
        assert f'<a href="{first}">' in answer.text
        finished(browser, first)
        # Once the first is over, the second goes.
        browser.post(f"{second}/send", headers=SAME_ORIGIN)
        assert table(finished(browser, second), "counts")[0] == ["Sent", "6"]


def test_a_job_is_sent_once(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, _):
        job = upload(browser, JADLOG)
        sent(browser, job)
        answer = browser.post(f"{job}/send", headers=SAME_ORIGIN)
    assert answer.status_code == 409
    assert element(answer.text, "busy") == "This job was sent already."


def test_a_stop_stops_the_job_and_every_row_gets_its_status(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        fake.config = type(fake.config)(latency=0.3)
        job = upload(browser, JADLOG)
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        browser.post(f"{job}/stop", headers=SAME_ORIGIN)
        page = finished(browser, job)
    assert element(page, "stopped") == (
        "Stopped because it was stopped on the page: the rows not sent are in the results as "
        "failed; sending the same files again sends only what was not sent."
    )
    counts = dict(table(page, "counts"))
    assert sum(int(count) for count in counts.values()) == 9


def test_a_refusal_to_send_links_the_languages_to_the_job_page(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, _):
        job = upload(browser, JADLOG)
        sent(browser, job)
        answer = browser.post(f"{job}/send", headers=SAME_ORIGIN)
    assert f'<a href="{job}?lang=es"' in answer.text


def test_an_uploaded_file_keeps_its_name_and_never_a_path(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        files = [("files", ("../../jadlog.csv", JADLOG.read_bytes(), "text/csv"))]
        answer = browser.post("/jobs", files=files, headers=SAME_ORIGIN)
    assert element(answer.text, "understood").startswith("jadlog.csv Format CSV")
    assert [path.name for path in (tmp_path / "web").glob("*/files/*")] == ["jadlog.csv"]
    assert not (tmp_path / "jadlog.csv").exists()


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        ("é" * 150 + ".csv", "é" * 58 + ".csv"),  # 120 bytes, the extension kept
        ("a" * 300 + ".csv", "a" * 116 + ".csv"),  # 120 bytes
        (" .csv", "file-1.csv"),
    ],
)
def test_a_long_or_bare_file_name_is_cut_with_its_extension_kept(
    tmp_path: Path, name: str, kept: str
) -> None:
    with client(app_for(tmp_path)) as browser:
        files = [("files", (name, JADLOG.read_bytes(), "text/csv"))]
        answer = browser.post("/jobs", files=files, headers=SAME_ORIGIN)
    assert answer.status_code == 200
    assert element(answer.text, "understood").startswith(f"{kept} Format CSV")
    assert [path.name for path in (tmp_path / "web").glob("*/files/*")] == [kept]
    assert "cannot write" not in answer.text


def test_a_job_the_page_offers_no_send_for_is_not_sent(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        files = [("files", ("x.exe", b"MZ", "application/octet-stream"))]
        job = browser.post("/jobs", files=files, headers=SAME_ORIGIN, follow_redirects=False)
        address = job.headers["location"]
        assert 'id="send"' not in browser.get(address).text
        answer = browser.post(f"{address}/send", headers=SAME_ORIGIN, follow_redirects=False)
        page = browser.get(address).text
    assert answer.status_code == 303
    assert 'id="progress"' not in page
    assert not list((tmp_path / "web").glob("*/sent/*"))


def test_delivery_events_are_checked_as_events(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        page = browser.get(
            upload(browser, SAMPLES / "events" / "correios-eventos.csv", kind="events")
        ).text
    columns = text(page.split('<table class="columns">')[1].split("</table>")[0])
    assert "description" in columns
    assert "trackingNumber" not in columns
    assert {row[3] for row in table(page, "refused")} >= {"parcel-incomplete"}


def test_an_unknown_job_is_a_page_saying_so(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        answer = browser.get("/jobs/0123456789abcdef")
        traversal = browser.get("/jobs/..%2F..%2Fetc/results.csv")
    assert answer.status_code == 404
    assert "<h1>Nothing here</h1>" in answer.text
    assert traversal.status_code == 404


@pytest.mark.parametrize("kind", ["tracking", "events"])
def test_the_app_token_is_in_no_page_nor_download(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "leak.csv"
    if kind == "tracking":
        path.write_text(
            f"Pedido;NF;Rastreio;Observação {APP_TOKEN}\n"
            f"1300000000001-01;1;{APP_TOKEN};x\n"
            "1300000000002-01;2;AA123456785BR;y\n",
            encoding="utf-8",
        )
    else:
        path.write_text(
            "orderId;invoiceNumber;date;city;state;description\n"
            f"1300000000001-01;1;2026-11-24 08:00;Cajamar;SP;{APP_TOKEN}\n"
            "1300000000002-01;2;2026-11-24 09:00;Cajamar;SP;Objeto postado\n",
            encoding="utf-8",
        )
    with sandboxed(tmp_path) as (browser, _):
        job = upload(browser, path, kind=kind)
        shown = [browser.get(job).text]
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        shown.append(finished(browser, job))
        with browser.stream("GET", f"{job}/events") as events:
            shown.append("".join(events.iter_text()))
        for download in ("results.csv", "to-fix/0", "summary.json"):
            shown.append(browser.get(f"{job}/{download}").text)
    for number, page in enumerate(shown):
        assert APP_TOKEN not in page, (number, page)
    assert all(APP_TOKEN.lower() not in page.lower() for page in shown)
    assert "secret-in-row" in shown[0]


def test_a_file_named_with_the_app_token_is_downloaded_without_it(tmp_path: Path) -> None:
    named = tmp_path / f"{APP_TOKEN}.csv"
    named.write_bytes(JADLOG.read_bytes())
    with sandboxed(tmp_path) as (browser, _):
        job = upload(browser, named)
        page = sent(browser, job)
        downloads = {
            name: browser.get(f"{job}/{name}")
            for name in ("results.csv", "results.xlsx", "to-fix/0", "summary.json")
        }

    assert APP_TOKEN not in page
    for name, answer in downloads.items():
        assert answer.status_code == 200, name
        disposition = answer.headers["content-disposition"]
        assert "redacted" in disposition, name
        assert APP_TOKEN.lower() not in (disposition + answer.text).lower(), name
    kept = [path.name for path in (tmp_path / "web").rglob("*")]
    assert kept
    assert not [name for name in kept if APP_TOKEN.lower() in name.lower()]


def test_a_journal_in_use_by_another_run_is_said_on_the_page(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    with Sandbox() as fake, Journal(journal):  # another run holds it
        page_app = app_for(tmp_path, base_url=fake.base_url, journal=journal)
        with client(page_app) as browser:
            job = upload(browser, JADLOG)
            page = sent(browser, job)
    error = element(page, "error")
    assert error.startswith(f"the journal {journal} is in use by pid ")
    assert error.endswith("; wait for that run to end, or start the page with another journal")
    assert "download-results-csv" not in page


def test_a_fault_of_the_program_is_said_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(Jobs, "_upload", broken)
    with client(app_for(tmp_path)) as browser:
        files = [("files", ("jadlog.csv", JADLOG.read_bytes(), "text/csv"))]
        page = browser.post("/jobs", files=files, headers=SAME_ORIGIN).text
    assert element(page, "error") == (
        "The files could not be checked: a fault of batch-uploader itself, not of your files. "
        "The page's log says more."
    )
    assert "a bug" not in page
    assert "RuntimeError: a bug" in caplog.text


def test_an_address_the_page_does_not_have_is_a_page_in_the_persons_language(
    tmp_path: Path,
) -> None:
    with client(app_for(tmp_path), language="pt-BR") as browser:
        unknown = browser.get("/nonexistent")
        wrong_way = browser.delete("/jobs", headers=SAME_ORIGIN)
    assert unknown.status_code == 404
    assert wrong_way.status_code == 405
    for answer in (unknown, wrong_way):
        assert "<h1>Nada aqui</h1>" in answer.text
        assert 'href="/static/' in answer.text  # the page's own, styled
        assert "Not Found" not in answer.text
        assert "Method Not Allowed" not in answer.text


def test_more_files_than_a_form_sends_are_refused_on_the_upload_page(tmp_path: Path) -> None:
    files = [("files", (f"f{n}.csv", b"Pedido;NF;Rastreio\n", "text/csv")) for n in range(101)]
    with client(app_for(tmp_path), language="es") as browser:
        answer = browser.post("/jobs", files=files, headers=SAME_ORIGIN)
    assert answer.status_code == 400
    assert element(answer.text, "error") == "Elige como máximo 100 archivos a la vez."
    assert 'id="upload"' in answer.text
    assert not list((tmp_path / "web").glob("*/files/*"))


def test_the_refused_rows_of_several_files_say_which_file_each_is_in(tmp_path: Path) -> None:
    with client(app_for(tmp_path), language="pt-BR") as browser:
        job = upload(browser, JADLOG, SAMPLES / "loggi-shipments.xlsx")
        browser.post(f"{job}/corrections", data={"cell:0:5:trackingNumber": "AA123456785BR"},
                     headers=SAME_ORIGIN)  # fmt: skip
        page = browser.get(job).text
    heading = re.search(r'<table id="refused">\s*<thead>(.*?)</thead>', page, re.S)
    assert heading is not None
    assert text(heading.group(1)).split(" ")[:2] == ["Arquivo", "Linha"]
    # Row 7 is refused in both files: the file tells them apart.
    sevens = [row[:3] for row in table(page, "refused") if row[1] == "7"]
    assert sevens == [
        ["jadlog-envios.csv", "7", "E 'Link de Rastreio'"],
        ["loggi-shipments.xlsx [Shipments]", "7", "B 'Invoice'"],
    ]
    assert table(page, "corrected") == [
        ["jadlog-envios.csv", "5", "C 'Código de Rastreio'", "AA123456785BR"]
    ]
