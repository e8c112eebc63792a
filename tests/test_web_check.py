"""The results page's "Check in VTEX": the orders a job sent read back from the account it
sent to (the sandbox here), in the server's loop; its counts shown, its verified lines
downloaded, and a second press starting nothing."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path

import pytest

from batch_uploader.jobs.read_back import ReadBack
from batch_uploader.sandbox.oms import SandboxConfig
from tests.web_helpers import (
    APP_TOKEN,
    SAME_ORIGIN,
    SAMPLES,
    TestClient,
    element,
    sandboxed,
    table,
    upload,
)

JADLOG = SAMPLES / "jadlog-envios.csv"
STATUSES = ["sent", "sent", "sent", "invalid", "invalid", "invalid", "sent", "sent", "sent"]


def wait_for(browser: TestClient, job: str, section: str) -> str:
    """The job's page once it shows ``section``."""
    for _ in range(300):
        page = str(browser.get(job).text)
        if f'<section id="{section}">' in page:
            return page
        time.sleep(0.05)
    raise AssertionError(f"no section #{section}")


def sent(browser: TestClient) -> str:
    """A job of the sample, sent and over: its page's address."""
    job = upload(browser, JADLOG)
    browser.post(f"{job}/send", headers=SAME_ORIGIN)
    wait_for(browser, job, "results")
    return job


def verified_lines(browser: TestClient, job: str) -> tuple[str, list[dict[str, str]]]:
    answer = browser.get(f"{job}/verified.csv")
    assert answer.status_code == 200
    lines = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    return answer.headers["content-disposition"], lines


def test_checking_in_vtex_reads_every_order_sent_back(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, JADLOG)
        assert 'id="check-in-vtex"' not in browser.get(job).text  # nothing sent yet
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        page = wait_for(browser, job, "results")
        assert element(page, "check-in-vtex") == "Check in VTEX"
        assert f'<form id="check-form" method="post" action="{job}/check">' in page
        assert browser.get(f"{job}/verified.csv").status_code == 404  # not checked yet
        updates = fake.requests
        fake.config = SandboxConfig(latency=0.2)  # slow enough to see it reading
        answer = browser.post(f"{job}/check", headers=SAME_ORIGIN, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"] == job
        reading = browser.get(job).text
        assert element(reading, "checking") == "Reading the orders back… refresh"
        assert 'id="check-in-vtex"' not in reading
        page = wait_for(browser, job, "checked")
        reads = fake.requests - updates
        disposition, lines = verified_lines(browser, job)
    assert reads == 6  # one read per row sent, none for the rows refused
    assert table(page, "check-counts") == [
        ["Verified", "6"], ["Mismatch", "0"], ["Not checked", "3"]
    ]  # fmt: skip
    assert [element(page, name) for name in ("verified", "mismatch", "not-checked")] == [
        "6", "0", "3"
    ]  # fmt: skip
    assert 'id="check-in-vtex"' not in page
    assert f'<a id="download-verified" href="{job}/verified.csv" download>' in page
    assert disposition.startswith('attachment; filename="jadlog-envios-results-')
    assert disposition.endswith('-verified.csv"')
    assert [line["status"] for line in lines] == STATUSES
    assert [(line["verification"], line["verificationDetail"]) for line in lines] == [
        ("verified", "") if status == "sent" else ("not-checked", "not sent") for status in STATUSES
    ]
    assert all(APP_TOKEN not in text for text in (page, reading))


def test_a_second_press_starts_nothing(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        job = sent(browser)
        fake.config = SandboxConfig(latency=0.2)
        before = fake.requests
        browser.post(f"{job}/check", headers=SAME_ORIGIN)
        again = browser.post(f"{job}/check", headers=SAME_ORIGIN, follow_redirects=False)
        assert again.status_code == 303  # while it runs
        assert again.headers["location"] == job
        wait_for(browser, job, "checked")
        after = browser.post(f"{job}/check", headers=SAME_ORIGIN, follow_redirects=False)
        assert after.status_code == 303  # once it finished
        page = browser.get(job).text
        time.sleep(0.3)
        reads = fake.requests - before
    assert reads == 6
    assert element(page, "verified") == "6"


def test_an_order_holding_another_update_is_a_mismatch(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, fake):
        # The sandbox answers the update of the first order but does not keep it.
        fake.config = SandboxConfig(lost_updates=frozenset({"1300000000001-01"}))
        job = sent(browser)
        browser.post(f"{job}/check", headers=SAME_ORIGIN)
        page = wait_for(browser, job, "checked")
        _, lines = verified_lines(browser, job)
    assert [element(page, name) for name in ("verified", "mismatch", "not-checked")] == [
        "5", "1", "3"
    ]  # fmt: skip
    assert lines[0]["orderId"] == "1300000000001-01"
    assert lines[0]["verification"] == "mismatch"
    assert lines[0]["verificationDetail"].startswith("the order holds no invoice '000123'")
    assert [line["verification"] for line in lines[1:]] == [
        "verified" if status == "sent" else "not-checked" for status in STATUSES[1:]
    ]


def test_delivery_events_have_no_check(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(
        "orderId;invoiceNumber;date;city;state;description\n"
        "1300000000001-01;1;2026-11-24 08:00;Cajamar;SP;Saiu para entrega\n",
        encoding="utf-8",
    )
    with sandboxed(tmp_path) as (browser, fake):
        job = upload(browser, path, kind="events")
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        page = wait_for(browser, job, "results")
        before = fake.requests
        answer = browser.post(f"{job}/check", headers=SAME_ORIGIN, follow_redirects=False)
        again = browser.get(job).text
    assert 'id="check-in-vtex"' not in page
    assert answer.status_code == 303
    assert fake.requests == before
    assert 'id="checking"' not in again
    assert 'id="checked"' not in again


def test_a_fault_reading_back_is_said_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(ReadBack, "run", broken)
    with sandboxed(tmp_path) as (browser, _):
        job = sent(browser)
        browser.post(f"{job}/check", headers=SAME_ORIGIN)
        page = wait_for(browser, job, "checked")
        download = browser.get(f"{job}/verified.csv")
    assert element(page, "check-error") == (
        "The orders could not be read back: a fault of batch-uploader itself, not of your "
        "files. The page's log says more."
    )
    assert "a bug" not in page
    assert "Traceback" not in page
    assert 'id="download-verified"' not in page
    assert download.status_code == 404
    assert "RuntimeError: a bug" in caplog.text


def test_results_that_cannot_be_read_back_are_said_as_the_page_words_them(
    tmp_path: Path,
) -> None:
    with sandboxed(tmp_path) as (browser, _):
        job = sent(browser)
        for results in (tmp_path / "web").glob("*/sent/*-results-*.csv"):
            results.unlink()
        browser.post(f"{job}/check", headers=SAME_ORIGIN)
        page = wait_for(browser, job, "checked")
    error = element(page, "check-error")
    assert error.startswith("jadlog-envios-results-")
    assert error.endswith(
        ".csv: no such file; check its name and folder (verify reads a results file of "
        "batch-uploader)"
    )
    assert "Traceback" not in page
    assert 'id="download-verified"' not in page
