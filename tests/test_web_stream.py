"""A job's progress streamed to the browser, against a real server on 127.0.0.1: events up
to ``job-finished``, and a server stopped while a stream is open (batch_uploader.web.stream
and batch_uploader.web.server)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.web.app import create_app, page_hosts
from batch_uploader.web.server import PageServer, bind
from tests.web_helpers import APP_TOKEN, SAMPLES, TOKEN, settings

SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


@contextmanager
def serving(
    tmp_path: Path, fake: Sandbox
) -> Iterator[tuple[httpx.Client, PageServer, threading.Thread]]:
    """The page on a free port of 127.0.0.1, sending to ``fake``, and a browser of it."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    hosts = page_hosts("127.0.0.1", port)
    page = create_app(settings(tmp_path, base_url=fake.base_url, sandbox=True), TOKEN, hosts)
    server = PageServer(page)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive()
            time.sleep(0.01)
        address = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=address, timeout=20, follow_redirects=True) as browser:
            assert browser.get(f"/?token={TOKEN}").status_code == 200
            yield browser, server, thread
    finally:
        server.stop()
        thread.join(10)
        sock.close()


def job_sent(browser: httpx.Client) -> str:
    files = [("files", ("jadlog-envios.csv", (SAMPLES / "jadlog-envios.csv").read_bytes()))]
    answer = browser.post("/jobs", files=files, data={"kind": "tracking"}, headers=SAME_ORIGIN)
    job = answer.url.path
    assert re.fullmatch(r"/jobs/[0-9a-f]{16}", job)
    sent = browser.post(f"{job}/send", headers=SAME_ORIGIN)
    assert '<section id="progress" hx-ext="sse"' in sent.text
    assert f'sse-connect="{job}/events"' in sent.text
    assert 'sse-close="job-finished"' in sent.text
    return job


def events_of(lines: Iterator[str]) -> Iterator[tuple[str, str]]:
    """Each server-sent event of ``lines``: its name and its data."""
    name, data = "", []
    for line in lines:
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data.append(line[6:])
        elif not line and name:
            yield name, "\n".join(data)
            name, data = "", []


def test_the_stream_tells_the_progress_until_the_job_is_finished(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(latency=0.05)) as fake, serving(tmp_path, fake) as (browser, *_):
        job = job_sent(browser)
        with browser.stream("GET", f"{job}/events") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            assert stream.headers["cache-control"] == "no-store"
            events = list(events_of(stream.iter_lines()))
        page = browser.get(job).text
    names = [name for name, _ in events]
    assert names[-1] == "job-finished"
    assert set(names[:-1]) == {"progress"}
    last = events[-2][1]
    assert '<dd id="sent">6</dd>' in last
    assert '<dd id="remaining">0</dd>' in last
    assert 'id="stop"' not in last
    assert '<section id="results">' in events[-1][1]
    assert '<td id="count-sent">6</td>' in events[-1][1]
    assert all(APP_TOKEN not in data for _, data in events)
    # A reload shows the job where it is: finished.
    assert '<section id="results">' in page
    assert "sse-connect" not in page


def test_updates_come_at_most_five_times_a_second(tmp_path: Path) -> None:
    with Sandbox() as fake, serving(tmp_path, fake) as (browser, *_):
        job = job_sent(browser)
        started = time.monotonic()
        with browser.stream("GET", f"{job}/events") as stream:
            events = list(events_of(stream.iter_lines()))
        seconds = time.monotonic() - started
    updates = len(events) - 2  # the last progress and job-finished come at once
    assert updates <= seconds * 5 + 1


def test_a_server_stopping_ends_the_streams_and_stops_the_jobs(tmp_path: Path) -> None:
    with (
        Sandbox(SandboxConfig(latency=0.5)) as fake,
        serving(tmp_path, fake) as (
            browser,
            server,
            thread,
        ),
    ):
        job = job_sent(browser)
        with browser.stream("GET", f"{job}/events") as stream:
            lines = stream.iter_lines()
            assert next(lines) == "retry: 2000"
            started = time.monotonic()
            server.stop()
            rest = list(lines)
        thread.join(10)
        assert not thread.is_alive()
        assert time.monotonic() - started < 5
        assert "event: job-finished" not in rest
    # The server is gone: the job's files tell how it ended.
    summaries = list((tmp_path / "web").glob("*/sent/*.summary.json"))
    assert len(summaries) == 1
    summary = summaries[0].read_text()
    assert '"interrupted": true' in summary
