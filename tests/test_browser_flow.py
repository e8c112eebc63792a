"""The page in a real browser, as a warehouse person uses it: open the address the command
printed, drop the carrier's file, check what was understood and refused, correct a refused
cell, send it to the sandbox, watch it go, and download the results and the rows to fix."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path

import openpyxl
from playwright.sync_api import Page, Request, expect

from batch_uploader.sandbox.oms import SandboxConfig
from batch_uploader.vtex.settings import Settings

from .browser import STEP_TIMEOUT_MS, Screenshots, Site, Tabs, serve

HEADER = "Pedido;NF;Rastreio;Transportadora"
# Rows 2 to 9 of the file; row 6 has no tracking number, row 8's invoice number a slash.
ORDERS = [f"13000000001{n:02d}-01" for n in range(1, 9)]
REFUSED_ROW = 6
SLASHED_ROW = 8
# The tracking number the person types for row 6.
TYPED = "10012345678106"


def carrier_file(folder: Path) -> Path:
    """A carrier's CSV as a Brazilian portal writes it (semicolons, UTF-8), two rows refused."""
    lines = [HEADER]
    for number, order in enumerate(ORDERS, start=2):
        tracking = "" if number == REFUSED_ROW else f"100123456781{number:02d}"
        invoice = f"0001{number:02d}" + ("/A" if number == SLASHED_ROW else "")
        lines.append(f"{order};{invoice};{tracking};Jadlog")
    path = folder / "jadlog-envios.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def saved(page: Page, link: str, folder: Path) -> Path:
    """Clicks ``link`` and saves the file it gives in ``folder``, under its suggested name."""
    with page.expect_download() as started:
        page.locator(link).click()
    path = folder / started.value.suggested_filename
    started.value.save_as(path)
    return path


def download(page: Page, link: str, folder: Path) -> list[dict[str, str]]:
    """Clicks ``link``, saves the file it gives in ``folder`` and reads it as a CSV table."""
    text = saved(page, link, folder).read_text(encoding="utf-8-sig")
    # Only the delimiter is told by the first line: a quote in a later cell is doubled.
    delimiter = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;").delimiter
    return list(csv.DictReader(io.StringIO(text), delimiter=delimiter))


def test_a_file_checked_sent_and_its_results_downloaded(
    site: Site, tabs: Tabs, screenshots: Screenshots, tmp_path: Path
) -> None:
    tab = tabs.open("pt-BR")
    page = tab.page
    streams: list[str] = []
    page.on("request", lambda request: _event_stream(request, streams))

    # The address with its token sets the session's cookie, and the address bar loses it.
    page.goto(site.tokened)
    expect(page).to_have_url(site.root)
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("form#upload")).to_be_visible()
    expect(page.locator("#sandbox")).to_be_visible()

    page.set_input_files("input[name=files]", carrier_file(tmp_path))
    expect(page.locator("select[name=kind]")).to_have_value("tracking")
    screenshots.take(page, "1-upload")
    assert tab.problems.take() == []

    # Checking reads the file (a dry run): what was understood, and what is refused.
    page.locator("#check").click()
    understood = page.locator("section#understood")
    expect(understood).to_be_visible()
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f]{16}$"))
    expect(understood.locator(".rows")).to_have_text(str(len(ORDERS)))
    expect(understood.locator(".to-send")).to_have_text(str(len(ORDERS) - 2))
    expect(understood.locator(".refused")).to_have_text("2")
    refused = page.locator("table#refused tbody tr")
    expect(refused).to_have_count(2)
    cells = refused.first.locator("td")
    expect(cells.nth(0)).to_have_text(str(REFUSED_ROW))
    expect(cells.nth(1)).to_have_text("C 'Rastreio'")
    expect(cells.nth(2).locator("input")).to_have_value("")
    expect(cells.nth(3)).to_have_text("missing-value")
    expect(cells.nth(4)).to_have_text(
        "trackingNumber está vazio; toda linha precisa de orderId, invoiceNumber, trackingNumber"
    )
    expect(refused.nth(1).locator("td").nth(0)).to_have_text(str(SLASHED_ROW))
    screenshots.take(page, "2-understood", showing=page.locator("table#refused"))
    assert tab.problems.take() == []

    # The person types row 6's tracking number in its cell and checks again: the page reads
    # the file with it, and says which cell was corrected.
    cells.nth(2).locator("input").fill(TYPED)
    page.locator("#check-corrections").click()
    expect(understood.locator(".to-send")).to_have_text(str(len(ORDERS) - 1))
    expect(understood.locator(".refused")).to_have_text("1")
    expect(refused).to_have_count(1)
    expect(refused.first.locator("td").nth(0)).to_have_text(str(SLASHED_ROW))
    corrected = page.locator("table#corrected tbody tr td")
    expect(corrected).to_have_text([str(REFUSED_ROW), "C 'Rastreio'", TYPED])
    screenshots.take(page, "2b-corrected", showing=page.locator("table#corrected"))
    assert tab.problems.take() == []

    # Sending opens the job's progress; its numbers arrive as server-sent events, and then the
    # results, without the page being loaded again.
    page.locator("#send").click()
    progress = page.locator("section#progress")
    expect(progress).to_be_visible()
    page.evaluate("window.notReloaded = true")
    for number in ("#sent", "#skipped", "#failed", "#remaining", "#pace", "#throttled"):
        expect(progress.locator(number)).to_be_attached()
    sent_seen = _watch_sent(page, screenshots)
    results = page.locator("section#results")
    expect(results).to_be_visible()
    expect(progress.locator("#sent")).to_have_text(str(len(ORDERS) - 1))
    expect(progress.locator("#remaining")).to_have_text("0")
    expect(results.locator("#corrected-rows")).to_have_text(
        "Linhas corrigidas nesta página: 1. Os resultados dizem quais, na coluna correctedOnPage."
    )
    assert streams, "the page did not open its stream of events"
    assert len(sent_seen) > 1, f"the numbers did not move while sending: {sent_seen}"
    assert sent_seen == sorted(sent_seen), f"the number sent went back: {sent_seen}"
    expect(results.locator("#count-sent")).to_have_text(str(len(ORDERS) - 1))
    expect(results.locator("#count-invalid")).to_have_text("1")
    for link in ("results-csv", "results-xlsx", "to-fix", "summary"):
        expect(results.locator(f"a#download-{link}")).to_be_visible()
    screenshots.take(page, "4-results", showing=results)
    assert tab.problems.take() == []

    # The results have every row of the file with its status, the row corrected on the page
    # said; the rows to fix, the row still refused.
    folder = tmp_path / "downloads"
    rows = download(page, "a#download-results-csv", folder)
    assert [
        (row["row"], row["orderId"], row["status"], row["trackingNumber"], row["correctedOnPage"])
        for row in rows
    ] == [
        (
            str(number),
            order,
            "invalid" if number == SLASHED_ROW else "sent",
            TYPED if number == REFUSED_ROW else f"100123456781{number:02d}",
            "trackingNumber" if number == REFUSED_ROW else "",
        )
        for number, order in enumerate(ORDERS, start=2)
    ]
    to_fix = download(page, "a#download-to-fix", folder)
    assert [row["Pedido"] for row in to_fix] == [ORDERS[SLASHED_ROW - 2]]
    assert to_fix[0]["NF"] == f"0001{SLASHED_ROW:02d}/A"
    assert "unroutable-identifier" in to_fix[0]["error"]
    # The workbook holds the same table; the summary counts the same rows.
    workbook = openpyxl.load_workbook(
        saved(page, "a#download-results-xlsx", folder), read_only=True
    )
    sheet = workbook["Results"]
    table = [[str(cell) if cell is not None else "" for cell in row] for row in sheet.values]
    workbook.close()
    assert [dict(zip(table[0], row, strict=True)) for row in table[1:]] == rows
    summary = json.loads(saved(page, "a#download-summary", folder).read_text(encoding="utf-8"))
    assert summary["rows"] == {
        "total": len(ORDERS),
        "sent": len(ORDERS) - 1,
        "invalid": 1,
        "failed": 0,
        "skipped": 0,
        "valid": 0,
    }
    assert page.evaluate("window.notReloaded") is True, "the page was loaded again"
    # What reached the sandbox: each row to send, once; row 6 with the number typed.
    assert sorted(update.order_id for update in site.sandbox.received) == [
        order for number, order in enumerate(ORDERS, start=2) if number != SLASHED_ROW
    ]
    (typed,) = [r for r in site.sandbox.received if r.order_id == ORDERS[REFUSED_ROW - 2]]
    assert (typed.method, typed.invoice_number, typed.body) == (
        "PATCH",
        f"0001{REFUSED_ROW:02d}",
        {
            "trackingNumber": TYPED,
            "trackingUrl": f"https://www.jadlog.com.br/siteInstitucional/tracking.jad?cte={TYPED}",
            "courier": "Jadlog",
            "dispatchedDate": None,
        },
    )
    assert tab.problems.take() == []


def test_a_job_stopped_while_sending_keeps_what_was_sent(tabs: Tabs, tmp_path: Path) -> None:
    # A sandbox slow enough for the person to stop the job half-way.
    slow = SandboxConfig(latency=0.3)
    with serve(tmp_path / "web", sandbox=slow, sending=Settings(rate=2.0)) as slow_site:
        tab = tabs.open("pt-BR")
        page = tab.page
        page.goto(slow_site.tokened)
        page.set_input_files("input[name=files]", carrier_file(tmp_path))
        page.locator("#check").click()
        page.locator("#send").click()
        expect(page.locator("#progress #sent")).not_to_have_text("0")
        page.locator("#progress button#stop").click()

        results = page.locator("section#results")
        expect(results).to_be_visible()
        expect(results.locator("#stopped")).to_have_text(
            "Parado porque ele foi parado na página: as linhas não enviadas estão nos resultados "
            "como falhas; enviar os mesmos arquivos de novo envia só o que não foi enviado."
        )
        sent = int(results.locator("#count-sent").inner_text())
        assert 1 <= sent < len(ORDERS) - 2
        rows = download(page, "a#download-results-csv", tmp_path / "downloads")
        assert [row["orderId"] for row in rows] == ORDERS
        statuses = [row["status"] for row in rows]
        assert statuses[REFUSED_ROW - 2] == "invalid"
        assert statuses.count("sent") == sent
        assert set(statuses) <= {"sent", "failed", "invalid"}
        assert tab.problems.take() == []


def _event_stream(request: Request, streams: list[str]) -> None:
    if request.resource_type == "eventsource":
        streams.append(request.url)


def _watch_sent(page: Page, screenshots: Screenshots) -> list[int]:
    """The values ``#sent`` shows while the job sends, until the results appear; a
    screenshot of the progress is taken once some rows are sent."""
    seen: list[int] = []
    shot = False
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while not page.locator("section#results").is_visible():
        assert time.monotonic() < deadline, f"no results after {STEP_TIMEOUT_MS} ms: {seen}"
        text = page.locator("#progress #sent").text_content() or ""
        if text.strip().isdigit() and (not seen or seen[-1] != int(text)):
            seen.append(int(text))
            if not shot and int(text) > 0:
                screenshots.take(page, "3-progress", showing=page.locator("section#progress"))
                shot = True
        page.wait_for_timeout(20)
    if not shot:
        screenshots.take(page, "3-progress", showing=page.locator("section#progress"))
    final = page.locator("#progress #sent").text_content() or ""
    if final.strip().isdigit() and (not seen or seen[-1] != int(final)):
        seen.append(int(final))
    return seen


def test_the_language_switch_shows_the_page_in_spanish(
    site: Site, tabs: Tabs, tmp_path: Path
) -> None:
    tab = tabs.open("pt-BR")
    page = tab.page
    page.goto(site.tokened)
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("#check")).to_have_text("Verificar os arquivos")

    page.locator("nav#languages a[hreflang=es]").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("#check")).to_have_text("Revisar los archivos")
    expect(page.locator("nav#languages a[aria-current]")).to_have_attribute("hreflang", "es")

    # The choice stays, whatever the browser asks for: the job's page and its row messages
    # are in Spanish too.
    page.set_input_files("input[name=files]", carrier_file(tmp_path))
    page.locator("#check").click()
    message = page.locator("table#refused tbody tr td").nth(4)
    expect(message).to_have_text(
        "trackingNumber está vacío; toda fila necesita orderId, invoiceNumber, trackingNumber"
    )
    # Switching on a job's page stays on that job.
    job = page.url
    page.locator("nav#languages a[hreflang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(re.escape(job) + r"(\?lang=en)?$"))
    expect(message).to_have_text(
        "trackingNumber is empty; every row needs orderId, invoiceNumber, trackingNumber"
    )
    assert tab.problems.take() == []


def test_a_page_opened_without_the_token_is_refused(site: Site, tabs: Tabs) -> None:
    tab = tabs.open("pt-BR")
    page = tab.page
    answer = page.goto(site.root)
    assert answer is not None
    assert answer.status == 403
    expect(page.locator("html")).to_have_attribute("lang", "pt-BR")
    expect(page.locator("h1")).to_have_text("Abra a página pelo seu endereço")
    expect(page.locator("form#upload")).to_have_count(0)
    # The browser reports the refusal in the console, and whatever else it reports is about the
    # page's own address (see the test below); the favicon is asked for after the load.
    page.wait_for_load_state("networkidle")
    problems = tab.problems.take()
    assert problems, "the browser did not report the 403"
    assert all(site.root in problem for problem in problems), problems


def test_the_refusal_is_styled_and_loads_nothing_refused(site: Site, tabs: Tabs) -> None:
    tab = tabs.open("pt-BR")
    page = tab.page
    page.goto(site.root)
    page.wait_for_load_state("networkidle")
    assert tab.problems.take() == [
        "console error: Failed to load resource: the server responded with a status of 403 "
        f"(Forbidden) ({site.root})"
    ]
