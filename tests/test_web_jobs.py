"""The jobs a page keeps: the latest ones, never one still sending (batch_uploader.web.jobs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_uploader.web import jobs as jobs_module
from tests.web_helpers import SAME_ORIGIN, SAMPLES, app_for, client, finished, sandboxed, upload

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
