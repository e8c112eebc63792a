"""What a scheduler's log collector and a person reading cron mail get."""

from __future__ import annotations

import io
import json
import logging
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from batch_uploader.cli.logs import Console, configure
from batch_uploader.cli.main import cli
from batch_uploader.sandbox.oms import Sandbox

from .conftest import CsvFactory

TOKEN = "token-to-redact-7d1f"
ENV: dict[str, str | None] = {
    "VTEX_APP_KEY": "key",
    "VTEX_APP_TOKEN": TOKEN,
    "VTEX_BASE_URL": None,
    "BATCH_UPLOADER_CONFIG": None,
    "BATCH_UPLOADER_LOG_FORMAT": None,
}
FILE = "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;\n"


def test_json_lines_for_log_collectors(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as sandbox:
        outcome = CliRunner().invoke(
            cli,
            ["--log-format", "json", "upload", str(source), "--base-url", sandbox.base_url,
             "--results", str(tmp_path / "r.csv"), "--journal", str(tmp_path / "j.sqlite3")],
            env=ENV,
            catch_exceptions=False,
        )  # fmt: skip

    events = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert outcome.exit_code == 1
    assert [event["event"] for event in events] == ["problems", "problem", "summary"]
    summary = events[-1]
    assert summary["level"] == "info"
    assert summary["exitStatus"] == 1
    assert summary["rows"]["sent"] == 1
    assert summary["message"].startswith("Processed 2 rows in")
    assert TOKEN not in outcome.output


def test_json_errors(tmp_path: Path) -> None:
    outcome = CliRunner().invoke(
        cli, ["--log-format", "json", "check", "--account", "mystore"],
        env={**ENV, "VTEX_APP_TOKEN": None},
    )  # fmt: skip

    (line,) = outcome.stderr.splitlines()
    event = json.loads(line)
    assert outcome.exit_code == 2
    assert (event["level"], event["event"]) == ("error", "error")
    assert "missing credentials" in event["message"]


def test_verbose_logs_requests_without_the_token(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)
    with Sandbox() as sandbox:
        outcome = CliRunner().invoke(
            cli,
            ["--verbose", "upload", str(source), "--base-url", sandbox.base_url,
             "--results", str(tmp_path / "r.csv"), "--journal", str(tmp_path / "j.sqlite3")],
            env=ENV,
            catch_exceptions=False,
        )  # fmt: skip

    assert "HTTP Request: PATCH http://127.0.0.1:" in outcome.stderr
    assert TOKEN not in outcome.output
    assert TOKEN not in outcome.stderr


def test_quiet_prints_the_summary_line_alone(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(FILE)

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--dry-run", "--quiet", "--results", str(tmp_path / "r.csv")],
        env=ENV,
    )  # fmt: skip

    (line,) = outcome.output.splitlines()
    assert line.startswith("Checked 2 rows in")


def test_library_log_lines_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    console = Console()
    console.keep_secret(TOKEN)
    configure(verbose=True, console=console)

    logging.getLogger("httpcore").debug("send headers: %s", {"X-VTEX-API-AppToken": TOKEN})

    assert "X-VTEX-API-AppToken': '[redacted]'" in stream.getvalue()
    assert TOKEN not in stream.getvalue()
    configure(verbose=False, console=Console())
