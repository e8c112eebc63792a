"""The history in a real browser, as a warehouse person opens the page in the morning: did
last night's inbox run work, which rows were not sent, and was an order sent."""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import expect

from batch_uploader.sandbox.oms import Sandbox

from .browser import Screenshots, Tabs, serve
from .test_web_history import carrier_file, night_in


def test_the_morning_answer_a_run_and_an_order(
    tabs: Tabs, screenshots: Screenshots, tmp_path: Path
) -> None:
    inbox = tmp_path / "entrada"
    inbox.mkdir()
    carrier_file(inbox, age=60)
    wrong = inbox / "planilha-errada.csv"
    wrong.write_text("isto não é um arquivo de transportadora\n")
    os.utime(wrong, (time.time() - 60, time.time() - 60))
    # In a thread of its own: the browser's driver holds an event loop in this one.
    with Sandbox() as fake, ThreadPoolExecutor(1) as nightly_job:
        nightly_job.submit(night_in, inbox, fake).result()

    accounts = tmp_path / "config" / "accounts.toml"
    with serve(tmp_path / "web", inboxes=(inbox,), accounts=accounts) as site:
        tab = tabs.open("pt-BR")
        page = tab.page
        page.goto(site.tokened)

        # The first screen answers the morning question, before any upload.
        night = page.locator("section#inbox-inbox-1")
        expect(night.locator(".verdict")).to_have_text(
            "Última noite: 1 de 1 arquivos não tiveram todas as linhas enviadas."
        )
        expect(night.locator(".last-night li")).to_contain_text(
            "jadlog-envios.csv", use_inner_text=True
        )
        expect(night.locator(".rejected li")).to_contain_text("planilha-errada.csv")
        screenshots.take(page, "5-morning", showing=night)

        # The run's rows, filtered to those refused, with the results to download.
        night.locator(".last-night a").first.click()
        expect(page.locator("table#rows tbody tr")).to_have_count(3)
        page.get_by_role("link", name="recusada (1)").click()
        rows = page.locator("table#rows tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator("td").nth(1)).to_have_text("3")
        expect(page.locator("#outputs a").first).to_contain_text("jadlog-envios-csv-results-")
        screenshots.take(page, "6-history-run")

        # Was this order sent? Its row, from the header's History link.
        page.locator("#sections a[href='/history']").click()
        page.locator("input#order").fill("1300000000101-01")
        page.locator("#find-order button").click()
        found = page.locator("table#order-rows tbody tr")
        expect(found).to_have_count(1)
        expect(found.first.locator("td").nth(5)).to_have_text("enviada")
        # Closed while the page is served: its icon, asked late, would find no server.
        page.close()
        assert tab.problems.take() == []
