"""The results on the job's page: every row by status, filtered, with why it was not sent in
the person's language, and the time left while sending (batch_uploader.web.watch,
batch_uploader.web.snapshot)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

import pytest

from batch_uploader.jobs.progress import JobStarted, RowDecided
from batch_uploader.web import snapshot as snapshot_module
from batch_uploader.web.snapshot import Snapshot
from tests.web_helpers import SAME_ORIGIN, SAMPLES, finished, sandboxed, sent, table, text, upload

JADLOG = SAMPLES / "jadlog-envios.csv"


def test_the_results_list_every_row_by_status(tmp_path: Path) -> None:
    with sandboxed(tmp_path, language="pt-BR") as (browser, _):
        job = upload(browser, JADLOG)
        every = sent(browser, job)
        refused = browser.get(f"{job}?status=invalid").text
        only_sent = browser.get(f"{job}?status=sent").text

    rows = table(every, "rows")
    assert [(row[0], row[4]) for row in rows] == [
        ("2", "enviada"), ("3", "enviada"), ("4", "enviada"), ("5", "recusada"),
        ("6", "recusada"), ("7", "recusada"), ("8", "enviada"), ("10", "enviada"),
        ("11", "enviada"),
    ]  # fmt: skip
    assert rows[3][1:4] == ["1300000000004-01", "000126", ""]
    filters = text(every.split('id="rows-by-status"')[1].split(">", 1)[1].split("</nav>")[0])
    assert filters == "Todas (9) enviada (6) recusada (3)"
    # Why, in the person's language, as the refused rows above say it.
    assert table(refused, "rows") == [row for row in rows if row[4] == "recusada"]
    assert rows[3][5] == (
        "trackingNumber está vazio; toda linha precisa de orderId, invoiceNumber, trackingNumber"
    )
    sent_rows = table(only_sent, "rows")
    assert [row[0] for row in sent_rows] == ["2", "3", "4", "8", "10", "11"]
    assert all(len(row[5]) == 32 for row in sent_rows)  # each with the sandbox's receipt


def test_the_time_left_follows_the_pace_set_then_the_pace_measured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = [100.0]
    monkeypatch.setattr(snapshot_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))

    async def follow() -> list[float | None]:
        snapshot = Snapshot(rate=10.0)
        seen = [snapshot.seconds_left]
        snapshot.tell(JobStarted("tracking", 100, ("a.csv",), "http://127.0.0.1:1"))
        seen.append(snapshot.seconds_left)  # 100 rows at the pace set, 10 a second
        for decided in range(1, 21):
            snapshot.tell(RowDecided("a.csv", decided + 1, "sent", "", decided))
        clock[0] += 10.0  # 20 rows answered in 10 s: 2 a second
        seen.append(snapshot.seconds_left)
        snapshot.end()
        seen.append(snapshot.seconds_left)
        return seen

    assert asyncio.run(follow()) == [None, 10.0, 40.0, None]


def test_the_progress_says_the_time_left_while_sending(tmp_path: Path) -> None:
    carrier = tmp_path / "loggi.csv"
    lines = ["Pedido;NF;Rastreio"] + [f"13000000{n:05d}-01;{n:06d};LG{n}" for n in range(40)]
    carrier.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with sandboxed(tmp_path, language="es") as (browser, fake):
        fake.config = type(fake.config)(latency=0.2)
        job = upload(browser, carrier)
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        sending = browser.get(job).text
        browser.post(f"{job}/stop", headers=SAME_ORIGIN)
        over = finished(browser, job)

    numbers = text(sending.split('<div id="numbers"')[1].split("</dl>")[0])
    assert "Tiempo restante unos " in numbers
    assert "segundos" in numbers
    assert 'id="time-left"' not in over


def test_delivery_events_list_each_line_with_its_event(tmp_path: Path) -> None:
    with sandboxed(tmp_path) as (browser, _):
        job = upload(browser, SAMPLES / "events" / "correios-eventos.csv", kind="events")
        page = sent(browser, job)

    header = page.split('<table id="rows">')[1].split("</thead>")[0]
    assert text(header) == "Row Order Invoice Event Status Receipt or message"
    rows = table(page, "rows")
    assert [row[4] for row in rows[:3]] == ["sent", "sent", "sent"]
    assert all(row[3] for row in rows[:4])  # each line's description
    assert rows[5][4:] == [
        "refused",
        "date is empty; every row needs orderId, invoiceNumber, date, description",
    ]
