"""A job's report is the fold of its progress events: a page that streams them (or replays the
ones it kept, after a reload) folds them into a new report and shows the same numbers, the same
examples of problems and the same summary as the command line, summary.json included."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from batch_uploader import message_codes
from batch_uploader.cli.main import print_report
from batch_uploader.files import fixes as fixes_module
from batch_uploader.jobs.control import Control
from batch_uploader.jobs.deliveries import EventsUpload
from batch_uploader.jobs.engine import Upload
from batch_uploader.jobs.progress import (
    AllDecided,
    Event,
    JobFinished,
    JobStarted,
    JobStopped,
    OutputRefused,
    OutputsClosed,
    PaceChanged,
    Retrying,
    RowDecided,
    TableUnderstood,
)
from batch_uploader.jobs.report import EXAMPLES_SHOWN, ExitStatus, Report
from batch_uploader.jobs.tracking import TrackingUpload
from batch_uploader.messages import N_, RunMessage
from batch_uploader.models import Status, Verdict
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .test_full_disk import FULL, failing_after

TOKEN = "app-token-7Hq2-folded-Zr9x-kV3w"
CREDENTIALS = Credentials("vtexappkey-folding", TOKEN)
FAST = Settings(
    rate=200,
    concurrency=8,
    stop_after_failures=0,
    retry=RetryPolicy(max_attempts=10, backoff_initial=0.01, backoff_max=0.05),
)
# Rows of the tracking file: some invalid (more than the report shows), some unknown to the
# sandbox (404), some whose update it loses (a mismatch on reading them back), and one holding
# the app token.
ROWS = 48
INVALID = {n for n in range(ROWS) if n % 4 == 1}
UNKNOWN = {n for n in range(ROWS) if n % 6 == 2}
LOST = {n for n in range(ROWS) if n % 9 == 4}
SECRET_ROW = 7


def order(n: int) -> str:
    return f"{1300000 + n}-01"


def tracking_file(folder: Path) -> Path:
    lines = []
    for n in range(ROWS):
        tracking = "" if n in INVALID else f"LGI{n:08d}BR"
        if n == SECRET_ROW:
            tracking = TOKEN
        lines.append(f"{order(n)};{n:06d};{tracking};Loggi;{n * 10} g")
    path = folder / "loggi.csv"
    path.write_text(
        "Pedido;NF;Rastreio;Transportadora;Peso\n" + "\n".join(lines) + "\nTotal;;;;480 g\n",
        encoding="utf-8",
    )
    return path


def second_file(folder: Path) -> Path:
    # Another file, with a column that looks like a field no column gives (its heading).
    path = folder / "jadlog.csv"
    path.write_text(
        "orderId,invoiceNumber,trackingNumber,Postagem\n"
        + "".join(f"{order(100 + n)},{n},JD{n:010d},2026-11-2{n}\n" for n in range(6))
        + "2-01,,JD99,2026-11-26\n",
        encoding="utf-8",
    )
    return path


def events_file(folder: Path) -> Path:
    parcels = 12
    lines = [
        f"{order(n)};{n};2026-11-2{day} 08:{n:02d};Recife;PE;step {day};;"
        for day in (1, 2, 3)
        for n in range(parcels)
    ]
    lines[4] = f"{order(4)};4;not a date;Recife;PE;step 1;;"  # its parcel is refused whole
    path = folder / "eventos.csv"
    path.write_text(
        "Pedido;NF;Data do evento;Cidade;UF;Ocorrência;Entregue;Data de entrega\n"
        + "\n".join(lines)
        + "\n",
        encoding="utf-8",
    )
    return path


@dataclasses.dataclass
class Watched:
    """A job's report, and every event it told."""

    report: Report
    events: list[Event]


def watched(
    job: Upload, control: Control | None = None, then: Callable[[Event], None] | None = None
) -> Watched:
    """Runs ``job`` (opened) in an event loop of its own, keeping every event it tells (and
    passing each to ``then``)."""
    events: list[Event] = []

    def watch(event: Event) -> None:
        events.append(event)
        if then is not None:
            then(event)

    report = asyncio.run(job.run(control or Control(), watch))
    return Watched(report, events)


def folded(events: list[Event]) -> Report:
    report = Report()
    for event in events:
        report.fold(event)
    return report


def printed(report: Report, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    """What the command line prints of ``report``: its lines on stdout and stderr."""
    capsys.readouterr()
    print_report(report)
    captured = capsys.readouterr()
    return captured.out, captured.err


def sent(
    kind: type[TrackingUpload | EventsUpload], source: Path, sandbox: Sandbox, folder: Path
) -> Watched:
    """``source`` sent to ``sandbox`` by a job of ``kind``, watched; its outputs in ``folder``."""
    job = kind(
        [source],
        results_path=folder / "results.csv",
        base_url=sandbox.base_url,
        credentials=CREDENTIALS,
        settings=FAST,
        journal_path=folder / "journal.sqlite3",
    )
    with job:
        return watched(job)


def assert_folds_to_the_report(
    done: Watched, capsys: pytest.CaptureFixture[str], *, secret: str | None = TOKEN
) -> Report:
    """The events of ``done``, folded into a new report, give its report exactly: summary.json
    (as written too), the summary paragraph, every line printed; each event has a JSON form
    free of ``secret``."""
    again = folded(done.events)
    report = done.report
    assert again.as_json() == report.as_json()
    assert again.summary() == report.summary()
    assert printed(again, capsys) == printed(report, capsys)
    assert again == report  # every field, those no output shows too
    if report.summary_path is not None:
        written = json.loads(report.summary_path.read_text(encoding="utf-8"))
        assert written == again.as_json()
    for event in done.events:
        text = json.dumps(event.to_json())
        assert json.loads(text)["event"] == event.NAME
        if secret is not None:
            assert secret not in text
            assert secret.lower() not in text.lower()
    return again


def test_an_upload_with_invalid_rows_failures_429s_and_read_backs_folds_to_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(
        rate_limit=60,
        burst=2,
        unavailable=0.1,  # 503, tried again
        seed=3,
        unknown_orders=frozenset(order(n) for n in UNKNOWN),
        lost_updates=frozenset(order(n) for n in LOST),
    )
    with Sandbox(config) as sandbox:
        job = TrackingUpload(
            [tracking_file(tmp_path), second_file(tmp_path)],
            results_path=tmp_path / "results.xlsx",
            base_url=sandbox.base_url,
            credentials=CREDENTIALS,
            settings=FAST,
            journal_path=tmp_path / "journal.sqlite3",
            verify_orders=True,
        )
        with job:
            done = watched(job)

    report = assert_folds_to_the_report(done, capsys)
    # The run did what the sandbox said, and the report shows it all.
    assert report.counts[Status.INVALID] == len(INVALID) + 2  # the token's row, jadlog row 8
    assert report.counts[Status.FAILED] == len(UNKNOWN - INVALID)
    assert report.counts[Status.SENT] == ROWS + 7 - report.not_sent
    assert len(report.problems) == EXAMPLES_SHOWN < report.not_sent
    assert report.throttled > 0
    assert report.lowest_rate is not None
    assert report.verified is not None
    assert report.verified[Verdict.MISMATCH] == len(LOST - INVALID - UNKNOWN)
    assert report.unverified
    assert report.error_codes["OMS007"] == len(UNKNOWN - INVALID)
    assert report.unused_columns == {
        str(tmp_path / "loggi.csv"): ["column E 'Peso'"],
        str(tmp_path / "jadlog.csv"): ["column D 'Postagem'"],
    }
    assert any("totals line" in str(note) for note in report.notes)
    assert any("may be the dispatchedDate" in str(note) for note in report.notes)
    assert len(report.to_fix) == 2  # the rows to fix of each file
    assert report.exit_status == ExitStatus.ROWS_NOT_SENT
    kinds = {type(event) for event in done.events}
    assert {PaceChanged, Retrying, RowDecided, TableUnderstood, AllDecided} <= kinds
    assert isinstance(done.events[0], JobStarted)
    assert isinstance(done.events[-1], JobFinished)


def test_a_dry_run_folds_to_its_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = TrackingUpload(
        [tracking_file(tmp_path), second_file(tmp_path)],
        results_path=tmp_path / "results.csv",
        credentials=CREDENTIALS,  # rows holding its token are refused as a real run would
        dry_run=True,
    )
    with job:
        done = watched(job)

    report = assert_folds_to_the_report(done, capsys)
    assert report.dry_run
    assert report.understood
    assert report.examples
    assert len(report.problems) == EXAMPLES_SHOWN
    assert report.counts[Status.VALID] == ROWS + 7 - report.counts[Status.INVALID]


def test_a_job_nobody_watches_has_the_report_its_events_fold_to(tmp_path: Path) -> None:
    # A job nobody watches makes no event for each row: the report folds what it would hold.
    source = tracking_file(tmp_path)

    def dry_run(name: str, watch: bool) -> Report:
        (tmp_path / name).mkdir()
        job = TrackingUpload(
            [source], results_path=tmp_path / name / "results.csv", credentials=CREDENTIALS,
            dry_run=True,
        )  # fmt: skip
        with job:
            return watched(job).report if watch else asyncio.run(job.run())

    seen, unseen = dry_run("seen", True), dry_run("unseen", False)
    assert seen.problems
    assert seen.examples
    assert seen.understood
    # The same, but for when it ran, how long it took and where it wrote.
    assert unseen == dataclasses.replace(
        seen,
        started_at=unseen.started_at,
        elapsed=unseen.elapsed,
        results_path=unseen.results_path,
        summary_path=unseen.summary_path,
        to_fix=unseen.to_fix,
    )


def test_a_delivery_events_upload_folds_to_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = SandboxConfig(rate_limit=40, burst=2, unknown_orders=frozenset({order(9)}))
    with Sandbox(config) as sandbox:
        done = sent(EventsUpload, events_file(tmp_path), sandbox, tmp_path)

    report = assert_folds_to_the_report(done, capsys)
    assert report.counts[Status.INVALID] == 3  # parcel 4's three lines
    assert report.counts[Status.FAILED] == 3  # parcel 9's, unknown to the OMS
    assert report.counts[Status.SENT] == 30
    assert report.problems


def test_a_job_stopped_halfway_folds_to_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    control = Control()

    def stop_at_a_third(event: Event) -> None:
        if isinstance(event, RowDecided) and event.decided == ROWS // 3:
            control.stop("the person pressed Stop")

    with Sandbox(SandboxConfig(latency=0.02)) as sandbox:
        job = TrackingUpload(
            [tracking_file(tmp_path)],
            results_path=tmp_path / "results.csv",
            base_url=sandbox.base_url,
            credentials=CREDENTIALS,
            settings=Settings(rate=40, concurrency=4, grace=5),
            journal_path=tmp_path / "journal.sqlite3",
        )
        with job:
            done = watched(job, control, stop_at_a_third)

    report = assert_folds_to_the_report(done, capsys)
    assert report.interrupted
    assert report.exit_status == ExitStatus.INTERRUPTED
    assert JobStopped("the person pressed Stop") in done.events
    assert report.rows == ROWS
    assert "not-attempted" in report.error_codes or "interrupted" in report.error_codes


def test_a_summary_the_disk_refuses_folds_to_its_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Where the summary goes stands a folder: the disk refuses to write it there.
    (tmp_path / "results.summary.json").mkdir()
    job = TrackingUpload(
        [second_file(tmp_path)], results_path=tmp_path / "results.csv", dry_run=True
    )
    with job:
        done = watched(job)

    report = assert_folds_to_the_report(done, capsys, secret=None)
    assert report.summary_path is None
    assert [what for what, _ in report.unwritten] == [
        f"the summary {tmp_path / 'results.summary.json'}"
    ]
    assert report.exit_status == ExitStatus.CANNOT_WRITE
    refused = [event for event in done.events if isinstance(event, OutputRefused)]
    closed = [event for event in done.events if isinstance(event, OutputsClosed)]
    assert len(refused) == len(closed) == 1
    finished = done.events[-1]
    assert isinstance(finished, JobFinished)
    assert finished.summary is None
    assert finished.exit_status == ExitStatus.CANNOT_WRITE


def test_rows_to_fix_the_disk_refuses_mid_run_fold_to_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fixes_module._CsvSink.write
    monkeypatch.setattr(fixes_module._CsvSink, "write", failing_after(3, real, FULL))
    with Sandbox(SandboxConfig(unknown_orders=frozenset(order(n) for n in UNKNOWN))) as sandbox:
        done = sent(TrackingUpload, tracking_file(tmp_path), sandbox, tmp_path)

    report = assert_folds_to_the_report(done, capsys)
    assert report.exit_status == ExitStatus.CANNOT_WRITE
    assert report.stop_reason is not None
    assert report.to_fix == []
    (refused,) = [event for event in done.events if isinstance(event, OutputRefused)]
    assert refused.what.startswith(f"the rows to fix {tmp_path}/loggi-to-fix-")
    assert report.rows == ROWS


def test_the_events_hold_no_secret_a_file_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A column headed by the app token (pasted into the wrong cell): the events and the report
    # name it redacted.
    source = tmp_path / "pasted.csv"
    source.write_text(f"orderId,invoiceNumber,trackingNumber,{TOKEN}\n1-01,1,LGI1BR,x\n")
    job = TrackingUpload(
        [source], results_path=tmp_path / "results.csv", credentials=CREDENTIALS, dry_run=True
    )
    with job:
        done = watched(job)

    report = assert_folds_to_the_report(done, capsys)
    assert report.unused_columns == {str(source): ["column D '[redacted]'"]}
    assert any("[redacted]" in line for line in report.understood)


def test_each_new_field_has_its_json_form() -> None:
    event = RowDecided(
        "loggi.csv", 7, "invalid", "missing-field", 6,
        problem="loggi.csv row 7: trackingNumber is empty", codes=("missing-field",),
    )  # fmt: skip

    assert json.loads(json.dumps(event.to_json())) == {
        "event": "row-decided",
        "source": "loggi.csv",
        "row": 7,
        "status": "invalid",
        "code": "missing-field",
        "decided": 6,
        "problem": "loggi.csv row 7: trackingNumber is empty",
        "example": None,
        "codes": ["missing-field"],
        "verdict": None,
        "unverified": None,
    }
    grew = RunMessage(message_codes.INPUT_GREW, N_("{file} grew"), {"file": "a.csv"})
    assert AllDecided(1.5, 10, 2, 4.0, None, True, (grew,)).to_json() == {
        "event": "all-decided",
        "seconds": 1.5,
        "requests": 10,
        "throttled": 2,
        "lowest_rate": 4.0,
        "stop_reason": None,
        "interrupted": True,
        "changed_inputs": ["a.csv grew"],
    }
