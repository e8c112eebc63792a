"""Jobs run inside an event loop that is already running (a web server's), two at once, told
their progress by events and stopped by a :class:`Control`: the engine a page drives."""

from __future__ import annotations

import asyncio
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

import batch_uploader
from batch_uploader.jobs.control import Control
from batch_uploader.jobs.deliveries import EventsUpload
from batch_uploader.jobs.progress import (
    Event,
    JobFinished,
    JobStarted,
    JobStopped,
    PaceChanged,
    Retrying,
    RowDecided,
    TableUnderstood,
)
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.jobs.tracking import TrackingUpload
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.scripting import run
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import stopping_after

ROWS = 60
CREDENTIALS = Credentials("vtexappkey-test", "app-token-9c1f-Qz7w-kV3x")


def carrier_file(folder: Path, name: str, rows: int = ROWS) -> Path:
    path = folder / name
    lines = [f"{1300000 + n}-01;{n:06d};LGI{n:08d}BR" for n in range(rows)]
    path.write_text("Pedido;NF;Rastreio\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def results_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def job_stopped_halfway(folder: Path, base_url: str) -> tuple[list[Event], Path]:
    """An upload of ``ROWS`` rows from inside the running loop, stopped once a third of its
    rows are decided; its events, and its results file."""
    control = Control()
    events, watch = stopping_after(control, ROWS // 3)

    results = folder / "results.csv"
    with TrackingUpload(
        [carrier_file(folder, "loggi.csv")],
        results_path=results,
        base_url=base_url,
        credentials=CREDENTIALS,
        settings=Settings(rate=40, concurrency=4, grace=5),
        journal_path=folder / "journal.sqlite3",
    ) as job:
        await job.run(control, watch)
    return events, results


def test_two_jobs_at_once_in_a_running_loop_stopped_halfway(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()

    async def both(base_url: str) -> tuple[tuple[list[Event], Path], ...]:
        assert asyncio.get_running_loop().is_running()
        return await asyncio.gather(
            job_stopped_halfway(tmp_path / "a", base_url),
            job_stopped_halfway(tmp_path / "b", base_url),
        )

    with Sandbox(SandboxConfig(latency=0.02)) as sandbox:
        base_url = sandbox.base_url
        done = asyncio.run(both(base_url))

    for events, results in done:
        # In order: started, the table understood, every row once in input order, stopped,
        # finished.
        started, table, *rest = events
        assert isinstance(started, JobStarted)
        assert started == JobStarted(
            "tracking numbers", ROWS, (str(results.parent / "loggi.csv"),), base_url,
            started.started_at, str(results), False, (), (),
        )  # fmt: skip
        assert isinstance(table, TableUnderstood)
        assert (table.header_row, table.rows, table.date_order) == (1, ROWS, None)
        assert dict(table.columns) == {
            "orderId": "column A 'Pedido'",
            "invoiceNumber": "column B 'NF'",
            "trackingNumber": "column C 'Rastreio'",
        }
        rows = [event for event in rest if isinstance(event, RowDecided)]
        assert [event.row for event in rows] == list(range(2, ROWS + 2))
        assert [event.decided for event in rows] == list(range(1, ROWS + 1))
        stops = [i for i, event in enumerate(rest) if isinstance(event, JobStopped)]
        assert len(stops) == 1
        assert rest[stops[0]] == JobStopped("the person pressed Stop")
        before_stop = rest[stops[0] - 1]
        assert isinstance(before_stop, RowDecided)
        assert before_stop.decided == ROWS // 3  # told as soon as asked
        finished = rest[-1]
        assert isinstance(finished, JobFinished)
        assert finished.exit_status == ExitStatus.INTERRUPTED
        assert finished.results == str(results)
        # Every row has its results line with a status: the ones sent, and the others
        # failed as not attempted (or interrupted), none missing.
        lines = results_of(results)
        assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
        statuses = [line["status"] for line in lines]
        assert set(statuses) == {"sent", "failed"}
        assert statuses.count("sent") >= ROWS // 3
        assert {line["errorCode"] for line in lines if line["status"] == "failed"} <= {
            "not-attempted",
            "interrupted",
        }
        assert dict(finished.counts) == {
            status: statuses.count(status) for status in ("sent", "failed")
        }
        assert [(event.status, event.code) for event in rows] == [
            (line["status"], line["errorCode"]) for line in lines
        ]
        summary = json.loads(Path(str(finished.summary)).read_text(encoding="utf-8"))
        assert summary["exitStatus"] == ExitStatus.INTERRUPTED
        assert summary["startedAt"] == started.started_at


def test_each_event_has_a_json_form() -> None:
    event = RowDecided("loggi.csv", 7, "failed", "http-404", 6)

    assert json.loads(json.dumps(event.to_json())) == {
        "event": "row-decided",
        "source": "loggi.csv",
        "row": 7,
        "status": "failed",
        "code": "http-404",
        "decided": 6,
        "problem": None,
        "example": None,
        "codes": [],
        "verdict": None,
        "unverified": None,
    }
    assert JobFinished(0, {"sent": 2}, "r.csv", None, ("f.xlsx",)).to_json() == {
        "event": "job-finished",
        "exit_status": 0,
        "counts": {"sent": 2},
        "results": "r.csv",
        "summary": None,
        "to_fix": ["f.xlsx"],
    }


def test_a_stop_asked_before_the_job_starts_sends_nothing(tmp_path: Path) -> None:
    control = Control()
    control.stop("the job was cancelled")
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    report = run([carrier_file(tmp_path, "loggi.csv", rows=5)], results_path=tmp_path / "r.csv",
                 base_url="https://store.vtexcommercestable.com.br", credentials=CREDENTIALS,
                 transport=httpx.MockTransport(answer), control=control)  # fmt: skip

    assert requests == []
    assert report.exit_status == ExitStatus.INTERRUPTED
    assert [line["errorCode"] for line in results_of(tmp_path / "r.csv")] == ["not-attempted"] * 5


def test_retries_and_the_pace_are_told(tmp_path: Path) -> None:
    answers = iter([503, 429] + [200] * 10)
    events: list[Event] = []

    def answer(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        if status != 200:
            return httpx.Response(status, headers={"Retry-After": "0"})
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    report = run([carrier_file(tmp_path, "loggi.csv", rows=1)], results_path=tmp_path / "r.csv",
                 base_url="https://store.vtexcommercestable.com.br", credentials=CREDENTIALS,
                 settings=Settings(rate=100, concurrency=1),
                 transport=httpx.MockTransport(answer), on_event=events.append)  # fmt: skip

    assert report.exit_status == ExitStatus.OK
    assert [event for event in events if isinstance(event, Retrying)] == [
        Retrying(str(tmp_path / "loggi.csv"), 2, 2, "http-503"),
        Retrying(str(tmp_path / "loggi.csv"), 2, 3, "http-429"),
    ]
    (pace,) = [event for event in events if isinstance(event, PaceChanged)]
    assert pace.throttled == 1
    assert pace.rate < 100


def test_an_events_job_in_a_running_loop_stopped_halfway(tmp_path: Path) -> None:
    # Lines ordered by date: each parcel's three lines stand a third of the file apart.
    parcels = 20
    lines = [
        f"{1300000 + n}-01;{n};2026-11-2{day} 08:{n:02d};Recife;PE;step {day};;"
        for day in (1, 2, 3)
        for n in range(parcels)
    ]
    source = tmp_path / "eventos.csv"
    source.write_text(
        "Pedido;NF;Data do evento;Cidade;UF;Ocorrência;Entregue;Data de entrega\n"
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )
    control = Control()
    events: list[Event] = []

    def watch(event: Event) -> None:
        events.append(event)
        if isinstance(event, RowDecided) and event.decided == len(lines) // 3:
            control.stop("the person pressed Stop")

    async def job(base_url: str) -> None:
        with EventsUpload([source], results_path=tmp_path / "r.csv", base_url=base_url,
                          credentials=CREDENTIALS, settings=Settings(rate=40, concurrency=2),
                          journal_path=tmp_path / "journal.sqlite3") as upload:  # fmt: skip
            await upload.run(control, watch)

    with Sandbox(SandboxConfig(latency=0.02)) as sandbox:
        asyncio.run(job(sandbox.base_url))

    started, table, *rest = events
    assert isinstance(started, JobStarted)
    assert started == JobStarted(
        "delivery events", len(lines), (str(source),), sandbox.base_url, started.started_at,
        str(tmp_path / "r.csv"), False, (), (),
    )  # fmt: skip
    assert isinstance(table, TableUnderstood)
    rows = [event for event in rest if isinstance(event, RowDecided)]
    assert [event.row for event in rows] == list(range(2, len(lines) + 2))
    assert [event.decided for event in rows] == list(range(1, len(lines) + 1))
    assert [event for event in rest if isinstance(event, JobStopped)] == [
        JobStopped("the person pressed Stop")
    ]
    assert isinstance(rest[-1], JobFinished)
    assert rest[-1].exit_status == ExitStatus.INTERRUPTED
    results = results_of(tmp_path / "r.csv")
    assert [line["row"] for line in results] == [str(n) for n in range(2, len(lines) + 2)]
    assert all(line["status"] in {"sent", "failed"} for line in results)
    assert [(event.status, event.code) for event in rows] == [
        (line["status"], line["errorCode"]) for line in results
    ]


def test_the_public_api_is_what_it_names() -> None:
    import batch_uploader

    assert all(hasattr(batch_uploader, name) for name in batch_uploader.__all__)
    assert batch_uploader.TrackingUpload is TrackingUpload
    assert batch_uploader.jobs.progress.RowDecided is RowDecided
    # Type checkers read the package's hints (PEP 561).
    assert (Path(batch_uploader.__file__).parent / "py.typed").is_file()


def test_a_dry_run_loads_no_http_client_for_sending(tmp_path: Path) -> None:
    # aiohttp takes a tenth of a second to import: a dry run and --help are spared it.
    source = tmp_path / "loggi.csv"
    source.write_text("Pedido;NF;Rastreio\n1-01;000001;LGI1\n", encoding="utf-8")
    code = (
        "import sys; from click.testing import CliRunner; "
        "from batch_uploader.cli.main import cli; "
        "done = CliRunner().invoke(cli, ['upload', sys.argv[1], '--dry-run', '--results', "
        "sys.argv[2]]); "
        "print(done.exit_code, 'aiohttp' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(source), str(tmp_path / "r.csv")],
        capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": str(Path(batch_uploader.__file__).parents[1])},
    )  # fmt: skip
    assert done.stdout.split() == ["0", "False"]
    assert (tmp_path / "r.csv").read_text(encoding="utf-8-sig").count("\n") == 2
