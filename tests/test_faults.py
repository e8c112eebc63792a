"""The uploader against a misbehaving sandbox on 127.0.0.1: every row still ends with a known
status, and the faults are handled the polite way. Each run is bounded in rows and time."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from batch_uploader.cli.main import cli
from batch_uploader.jobs.report import ExitStatus, Report
from batch_uploader.models import Status
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.scripting import run
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import CsvFactory

TOKEN = "token-that-must-stay-hidden"
FAST_RETRIES = RetryPolicy(max_attempts=10, backoff_initial=0.01, backoff_max=0.1)


def upload_rows(
    count: int, tmp_path: Path, config: SandboxConfig, settings: Settings
) -> tuple[Report, list[dict[str, str]], Sandbox]:
    source = tmp_path / "rows.csv"
    lines = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, count + 1))
    source.write_text("orderId,invoiceNumber,trackingNumber\n" + lines)
    results = tmp_path / "results.csv"
    with Sandbox(config) as sandbox:
        report = run(
            [source],
            results_path=results,
            base_url=sandbox.base_url,
            credentials=Credentials("key", TOKEN),
            settings=settings,
        )
    with results.open(encoding="utf-8-sig", newline="") as handle:
        return report, list(csv.DictReader(handle)), sandbox


def test_a_429_storm_ends_with_every_row_sent(tmp_path: Path) -> None:
    config = SandboxConfig(rate_limit=20, burst=2)

    report, lines, sandbox = upload_rows(
        40, tmp_path, config, Settings(rate=100, concurrency=8, retry=FAST_RETRIES)
    )

    assert report.exit_status == ExitStatus.OK
    assert Counter(line["status"] for line in lines) == {"sent": 40}
    assert len(sandbox.received) == 40
    assert report.throttled > 0
    # Retry-After holds every worker and the pace drops, so the storm stays short.
    assert report.throttled < 40
    assert report.lowest_rate is not None
    assert report.lowest_rate < 100
    assert f"{report.throttled} answered 429" in report.summary()


def test_503s_resets_and_timeouts_end_with_every_row_sent(tmp_path: Path) -> None:
    config = SandboxConfig(unavailable=0.2, resets=0.1, slow=0.05, slow_seconds=1.0, seed=5)
    settings = Settings(rate=200, concurrency=8, timeout=0.5, retry=FAST_RETRIES)

    report, lines, sandbox = upload_rows(60, tmp_path, config, settings)

    assert report.exit_status == ExitStatus.OK, report.problems
    assert report.counts[Status.SENT] == 60
    attempts = [int(line["attempts"]) for line in lines]
    assert max(attempts) > 1
    assert sum(attempts) == report.requests
    assert sandbox.requests >= report.requests


def test_a_refused_token_stops_within_a_few_requests(write_csv: CsvFactory, tmp_path: Path) -> None:
    rows = "".join(f"{n}-01,{n},T{n}\n" for n in range(1, 201))
    source = write_csv("orderId,invoiceNumber,trackingNumber\n" + rows)
    with Sandbox(SandboxConfig(refuse_credentials=401)) as sandbox:
        outcome = CliRunner().invoke(
            cli,
            ["upload", str(source), "--base-url", sandbox.base_url, "--concurrency", "8",
             "--rate", "50", "--journal", str(tmp_path / "j.sqlite3"),
             "--results", str(tmp_path / "r.csv")],
            env={"VTEX_APP_KEY": "key", "VTEX_APP_TOKEN": TOKEN},
            catch_exceptions=False,
        )  # fmt: skip
        requests = sandbox.requests

    assert outcome.exit_code == 3
    assert requests <= 8
    assert "VTEX refused the app key or token (401 Unauthorized)" in outcome.output
    assert TOKEN not in outcome.output
    assert TOKEN not in (tmp_path / "r.csv").read_text(encoding="utf-8-sig")
