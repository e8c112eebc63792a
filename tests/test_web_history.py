"""The history on the page: earlier runs with their counts and outputs, a run's rows by
status, "was this order sent?", and the nightly inbox's morning answer on the first screen
(batch_uploader.web.history, batch_uploader.web.history_pages)."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from batch_uploader.cli.main import cli
from batch_uploader.jobs.journal import Journal
from batch_uploader.sandbox.oms import Sandbox
from tests.web_helpers import (
    APP_TOKEN,
    app_for,
    client,
    element,
    finished,
    sent,
    table,
    text,
    upload,
)

HEADER = "Pedido;NF;Rastreio;Transportadora"


def carrier_file(folder: Path, name: str = "jadlog-envios.csv", age: float = 0) -> Path:
    """Three rows; the second has no tracking number and is refused."""
    path = folder / name
    path.write_text(
        f"{HEADER}\n1300000000101-01;000101;JD101;Jadlog\n"
        "1300000000102-01;000102;;Jadlog\n1300000000103-01;000103;JD103;Jadlog\n",
        encoding="utf-8",
    )
    if age:
        then = time.time() - age
        os.utime(path, (then, then))
    return path


def night_in(inbox: Path, fake: Sandbox) -> None:
    """What the nightly job does: the inbox command, sending to ``fake``."""
    outcome = CliRunner().invoke(
        cli,
        ["inbox", str(inbox), "--base-url", fake.base_url, "--settle", "5"],
        env={
            "VTEX_APP_KEY": "key",
            "VTEX_APP_TOKEN": APP_TOKEN,
            "VTEX_BASE_URL": None,
            "VTEX_ACCOUNT_NAME": None,
            "BATCH_UPLOADER_CONFIG": None,
        },
        catch_exceptions=False,
    )
    assert outcome.exit_code == 2, outcome.output  # one file refused, one rejected


def test_a_run_sent_on_the_page_is_in_the_history_with_its_rows_and_outputs(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "journal.sqlite3"
    with Sandbox() as fake:
        app = app_for(tmp_path, base_url=fake.base_url, sandbox=True, journal=journal)
        with client(app) as browser:
            job = upload(browser, carrier_file(tmp_path))
            sent(browser, job)

            runs = browser.get("/history").text
            (line,) = table(runs, "runs")
            link = _link(runs, "/history/page/")
            page = browser.get(link).text
            refused = browser.get(f"{link}?state=invalid").text
            outputs = _links(page, f"{link}/files/")
            first_output = browser.get(outputs[0])

    assert line[1:-1] == ["this page or the command line", "jadlog-envios.csv", "2", "0", "1", "0"]
    assert line[-1] == "some rows were not sent"
    assert element(page, "ended").endswith("some rows were not sent")
    assert [row[1:5] for row in table(page, "rows")] == [
        ["2", "1300000000101-01", "000101", "sent"],
        ["3", "1300000000102-01", "000102", "refused"],
        ["4", "1300000000103-01", "000103", "sent"],
    ]
    assert [row[1:6] for row in table(refused, "rows")] == [
        [
            "3",
            "1300000000102-01",
            "000102",
            "refused",
            "trackingNumber is empty; every row needs orderId, invoiceNumber, trackingNumber",
        ]
    ]
    names = [text(name) for name in _anchors(page.split('id="outputs"', 1)[1].split("</ul>")[0])]
    assert names[0].startswith("jadlog-envios-results-")
    assert names[0].endswith(".csv")
    assert any(name.endswith(".xlsx") for name in names)
    assert any(name.endswith(".summary.json") for name in names)
    assert any("-to-fix-" in name for name in names), names
    assert first_output.status_code == 200
    assert first_output.text.splitlines()[0].startswith("\ufeffrow,status,orderId,")
    assert APP_TOKEN not in runs + page + refused


def test_was_this_order_sent(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    with Sandbox() as fake:
        app = app_for(tmp_path, base_url=fake.base_url, sandbox=True, journal=journal)
        with client(app, language="pt-BR") as browser:
            job = upload(browser, carrier_file(tmp_path))
            sent(browser, job)
            found = browser.get("/history", params={"order": " 1300000000101-01 "}).text
            unknown = browser.get("/history", params={"order": "999-01"}).text

    ((when, run, file, row, invoice, state, receipt),) = table(found, "order-rows")
    assert (run, file, row, invoice, state) == (
        "execução 1",
        "jadlog-envios.csv",
        "2",
        "000101",
        "enviada",
    )
    assert receipt  # the sandbox's receipt, as VTEX gives one
    assert when[:2].isdigit()  # a date as Brazil writes it (30/11/2026 ...)
    assert element(unknown, "no-rows") == (
        "Nenhuma execução desta página ou das suas caixas de entrada tem o pedido 999-01."
    )


def test_the_first_screen_answers_whether_last_nights_inbox_run_worked(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    carrier_file(inbox, age=60)
    (inbox / "broken.csv").write_text("this is not a carrier file\n")
    os.utime(inbox / "broken.csv", (time.time() - 60, time.time() - 60))
    with Sandbox() as fake:
        night_in(inbox, fake)
    carrier_file(inbox, "loggi-hoje.csv")  # dropped this morning

    with client(app_for(tmp_path, inboxes=(inbox,))) as browser:
        first = browser.get("/").text
        run = browser.get(_link(first, "/history/inbox-1/")).text
        results = browser.get(_links(run, "/history/inbox-1/1/files/")[0])

    section = element(first, "inbox-inbox-1")
    assert "Inbox incoming" in section
    assert "Last night: 1 of 1 files did not land every row." in section
    assert "jadlog-envios.csv" in section
    assert "some rows were not sent (sent 2, skipped 0, not sent 1)" in section
    assert "broken.csv" in section
    assert "Why, as the nightly job wrote it:" in section
    # The nightly job's own words, in English: the page says which language they are in.
    assert '<span lang="en">broken.csv: cannot find the column(s)' in first
    assert "Waiting for the next run: loggi-hoje.csv" in section
    assert [row[1:] for row in table(run, "rows")][1][3] == "refused"
    assert results.status_code == 200
    assert "1300000000101-01" in results.text
    assert APP_TOKEN not in first + run + results.text


def test_an_inbox_whose_job_stopped_running_is_said_so(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    journal = inbox / ".batch-uploader" / "journal.sqlite3"
    source = carrier_file(tmp_path)
    with Journal(journal) as ledger:
        ledger.finish_run(ledger.start_run("https://x.vtexcommercestable.com.br", [source]), 0)
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE runs SET started_at = '2026-11-01T12:00:00Z'")
    db.close()

    with client(app_for(tmp_path, inboxes=(inbox,))) as browser:
        first = browser.get("/").text

    verdict = element(first, "inbox-inbox-1")
    # Noon UTC: the first of November on this machine's clock, wherever it is.
    assert "The nightly job has not run since 11/1/26, " in verdict


def test_an_inbox_with_no_run_yet(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    with client(app_for(tmp_path, inboxes=(inbox,)), language="es") as browser:
        first = browser.get("/").text
        runs = browser.get("/history").text

    assert "Todavía no hay ninguna ejecución nocturna registrada." in first
    assert element(runs, "no-runs") == "Todavía no hay ninguna ejecución registrada."


def test_a_run_offers_only_its_own_outputs(tmp_path: Path) -> None:
    journal = tmp_path / "output" / "journal.sqlite3"
    source = carrier_file(tmp_path)
    elsewhere = tmp_path / "secret.csv"
    elsewhere.write_text("not the page's to give\n")
    with Journal(journal) as ledger:
        ledger.finish_run(ledger.start_run("http://127.0.0.1:9", [source], elsewhere), 0)

    with client(app_for(tmp_path, journal=journal)) as browser:
        page = browser.get("/history/page/1").text
        refused = browser.get("/history/page/1/files/0")
        unknown = browser.get("/history/page/2")
        other_ledger = browser.get("/history/inbox-9/1")

    assert 'id="outputs"' not in page
    assert refused.status_code == 404
    assert "not the page's to give" not in refused.text
    assert unknown.status_code == 404
    assert other_ledger.status_code == 404


@pytest.mark.parametrize("summary", ['{"outputs": {"toFix": 5}}', "[" * 100_000])
def test_a_run_whose_summary_is_damaged_offers_its_other_outputs(
    tmp_path: Path, summary: str
) -> None:
    journal = tmp_path / "output" / "journal.sqlite3"
    results = tmp_path / "output" / "jadlog-results.csv"
    results.parent.mkdir()
    results.write_text("row,status\n", encoding="utf-8")
    results.with_name("jadlog-results.summary.json").write_text(summary, encoding="utf-8")
    with Journal(journal) as ledger:
        ledger.finish_run(
            ledger.start_run("http://127.0.0.1:9", [carrier_file(tmp_path)], results), 1
        )

    with client(app_for(tmp_path, journal=journal)) as browser:
        page = browser.get("/history/page/1")
        first = browser.get("/history/page/1/files/0")

    assert page.status_code == 200
    names = [
        text(name) for name in _anchors(page.text.split('id="outputs"', 1)[1].split("</ul>")[0])
    ]
    assert names == ["jadlog-results.csv", "jadlog-results.summary.json"]
    assert first.status_code == 200
    assert first.text == "row,status\n"


def test_a_run_number_past_any_journals_is_no_run(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    with Journal(journal) as ledger:
        ledger.finish_run(ledger.start_run("http://127.0.0.1:9", [carrier_file(tmp_path)]), 0)
    huge = 2**64

    with client(app_for(tmp_path, journal=journal)) as browser:
        run = browser.get(f"/history/page/{huge}")
        download = browser.get(f"/history/page/{huge}/files/0")

    for answer in (run, download):
        assert answer.status_code == 404
        assert "Nothing here" in text(answer.text)


def test_runs_are_found_by_file_name(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    jadlog, loggi = carrier_file(tmp_path), carrier_file(tmp_path, "Loggi Março.csv")
    with Journal(journal) as ledger:
        for source in (jadlog, loggi):
            ledger.finish_run(ledger.start_run("http://127.0.0.1:9", [source]), 1)

    with client(app_for(tmp_path, journal=journal)) as browser:
        found = browser.get("/history", params={"file": "março"}).text
        none = browser.get("/history", params={"file": "correios"}).text

    assert [row[2] for row in table(found, "runs")] == ["Loggi Março.csv"]
    assert element(none, "no-runs") == "No run holds a file named like that."


def test_a_page_with_no_journal_says_no_run_is_recorded(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        first = browser.get("/").text
        runs = browser.get("/history").text

    assert 'id="latest"' not in first
    assert element(runs, "no-runs") == "No run recorded yet."


@pytest.mark.parametrize(
    "damage",
    [b"", b"SQLite format 3\x00" + b"\xff" * 4000, "files"],
    ids=["empty", "not-sqlite", "run-files"],
)
def test_a_damaged_journal_is_said_and_the_form_still_works(
    tmp_path: Path, damage: bytes | str
) -> None:
    journal = tmp_path / "journal.sqlite3"
    if isinstance(damage, bytes):
        journal.write_bytes(damage)
    else:
        with Journal(journal) as ledger:
            ledger.finish_run(ledger.start_run("http://127.0.0.1:9", [carrier_file(tmp_path)]), 0)
        with sqlite3.connect(journal) as db:
            db.execute("UPDATE runs SET files = 'half a list ['")
    with client(app_for(tmp_path, journal=journal)) as browser:
        first = browser.get("/")
        runs = browser.get("/history")
        order = browser.get("/history", params={"order": "1300000000001-01"})
        run = browser.get("/history/page/1")
        download = browser.get("/history/page/1/files/0")

    assert first.status_code == 200
    assert 'type="file" name="files"' in first.text
    # The rows of a journal whose runs alone are damaged are still found by their order.
    said = [runs, run, order] if isinstance(damage, bytes) else [runs, run]
    for answer in said:
        assert answer.status_code == 500
        assert element(answer.text, "error").startswith(f"journal {journal} is damaged (")
        assert "move it aside" in element(answer.text, "error")
    assert order.status_code == (500 if isinstance(damage, bytes) else 200)
    assert download.status_code == 404


def test_a_damaged_inbox_journal_is_said_on_the_first_screen(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    journal = inbox / ".batch-uploader" / "journal.sqlite3"
    journal.parent.mkdir(parents=True)
    journal.write_bytes(b"not a journal" * 100)

    with client(app_for(tmp_path, inboxes=(inbox,))) as browser:
        first = browser.get("/")
        runs = browser.get("/history")

    assert first.status_code == 200
    assert 'type="file" name="files"' in first.text
    assert f"journal {journal} is damaged (" in text(first.text)
    assert runs.status_code == 500
    assert element(runs.text, "error").startswith(f"journal {journal} is damaged (")


def _link(page: str, prefix: str) -> str:
    return _links(page, prefix)[0]


def _links(page: str, prefix: str) -> list[str]:
    found = re.findall(rf'href="({re.escape(prefix)}[^"?]*)"', page)
    assert found, f"no link to {prefix}"
    return found


def _anchors(fragment: str) -> list[str]:
    return re.findall(r"<a [^>]*>(.*?)</a>", fragment, re.S)


def test_the_check_counts_the_rows_the_journal_has_as_sent_before(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    carrier = carrier_file(tmp_path)
    with Sandbox() as fake:
        app = app_for(tmp_path, base_url=fake.base_url, sandbox=True, journal=journal)
        with client(app) as browser:
            first = upload(browser, carrier)
            before = browser.get(first).text
            browser.post(f"{first}/send", headers={"sec-fetch-site": "same-origin"})
            finished(browser, first)
            again = browser.get(upload(browser, carrier)).text

    assert 'id="sent-before"' not in before
    assert element(again, "sent-before") == "Already sent before, which sending skips: 2."
    assert element(again, "check-counts").startswith("Rows: 3, to send: 2, refused: 1.")


def test_a_runs_messages_are_in_the_persons_language_worded_for_the_page(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    carrier = carrier_file(tmp_path)
    with Sandbox() as fake:
        app = app_for(tmp_path, base_url=fake.base_url, sandbox=True, journal=journal)
        with client(app, language="pt-BR") as browser:
            for _ in range(2):  # the second time, the rows sent before are skipped
                job = upload(browser, carrier)
                sent(browser, job)
            runs = browser.get("/history").text
            second = browser.get(_link(runs, "/history/page/")).text

    rows = table(second, "rows")
    assert [row[4] for row in rows] == ["pulada", "recusada", "pulada"]
    assert rows[1][5] == (
        "trackingNumber está vazio; toda linha precisa de orderId, invoiceNumber, trackingNumber"
    )
    receipt, said = rows[0][5].split("; ", 1)
    assert len(receipt) == 32
    assert said.startswith("já enviada em ")
    assert said.endswith(
        " (jadlog-envios.csv linha 2, execução 1); esta página não a envia de novo"
    )
    assert "--" not in rows[0][5]  # the page's words for the remedy, never a flag
