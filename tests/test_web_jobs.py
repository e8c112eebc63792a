"""The jobs a page keeps: the latest ones, never one still sending (batch_uploader.web.jobs)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from batch_uploader.web import jobs as jobs_module
from tests.web_helpers import (
    SAME_ORIGIN,
    SAMPLES,
    app_for,
    client,
    element,
    finished,
    sandboxed,
    upload,
)

JADLOG = SAMPLES / "jadlog-envios.csv"


def test_the_page_keeps_its_latest_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs_module, "JOBS_KEPT", 2)
    with client(app_for(tmp_path)) as browser:
        first, second, third = (upload(browser, JADLOG) for _ in range(3))
        forgotten = browser.get(first)
        kept = [browser.get(job).status_code for job in (second, third)]

    assert kept == [200, 200]
    assert forgotten.status_code == 404
    assert "the page keeps its latest 2 jobs" in forgotten.text
    assert '<a href="/history">History</a>' in forgotten.text
    # Its files stay where they were written.
    assert (tmp_path / "web" / first.removeprefix("/jobs/") / "files" / JADLOG.name).is_file()


def test_a_job_still_sending_is_never_forgotten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_module, "JOBS_KEPT", 1)
    with sandboxed(tmp_path) as (browser, fake):
        fake.config = type(fake.config)(latency=0.3)
        sending = upload(browser, JADLOG)
        browser.post(f"{sending}/send", headers=SAME_ORIGIN)
        checked, latest = upload(browser, JADLOG), upload(browser, JADLOG)
        statuses = [browser.get(job).status_code for job in (sending, checked, latest)]
        results = finished(browser, sending)

    assert statuses == [200, 404, 200]
    assert 'id="count-sent">6<' in results


def test_a_workbook_that_would_unpack_to_something_enormous_is_refused_not_read(
    tmp_path: Path,
) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio"])
    sheet.append(["1300000000101-01", "000101", "JD101"])
    book.save(tmp_path / "plain.xlsx")
    bomb = tmp_path / "transportadora.xlsx"
    with (
        zipfile.ZipFile(tmp_path / "plain.xlsx") as plain,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as crafted,
    ):
        for item in plain.infolist():
            data = plain.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                # 200 MB of blanks after its rows: a few hundred kilobytes packed.
                data = data.replace(b"</worksheet>", b" " * 200_000_000 + b"</worksheet>")
            crafted.writestr(item.filename, data)

    with client(app_for(tmp_path)) as browser:
        page = browser.get(upload(browser, bomb)).text

    error = element(page, "error")
    assert error.startswith(
        "transportadora.xlsx: its part xl/worksheets/sheet1.xml would unpack to 200 MB"
    )
    assert 'id="send"' not in page


def test_a_form_no_page_sends_is_a_page_saying_so(tmp_path: Path) -> None:
    with client(app_for(tmp_path), language="es") as browser:
        job = upload(browser, JADLOG)
        fields = {f"cell:0:{row}:trackingNumber": "X" for row in range(1001)}
        answer = browser.post(f"{job}/corrections", data=fields, headers=SAME_ORIGIN)

    assert answer.status_code == 400
    assert "<h1>No se pudo leer el formulario</h1>" in answer.text


def test_a_number_in_an_address_the_page_cannot_read_is_a_page_saying_so(tmp_path: Path) -> None:
    huge = "9" * 5000
    with client(app_for(tmp_path)) as browser:
        job = upload(browser, JADLOG)
        answers = [
            browser.get(path)
            for path in (f"{job}/to-fix/{huge}", f"{job}/to-fix/x", f"/history/page/{huge}",
                         f"/history/page/1/files/{huge}", "/history/page/²")
        ]  # fmt: skip
    assert [answer.status_code for answer in answers] == [404] * 5
    assert all("<h1>Nothing here</h1>" in answer.text for answer in answers)
