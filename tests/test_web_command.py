"""``batch-uploader web``: the address it prints, the page behind it, Ctrl-C, and a port
already taken (batch_uploader.cli.web)."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from batch_uploader.cli.main import cli

ADDRESS = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)")


@contextmanager
def command(
    tmp_path: Path, *arguments: str, environment: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[str]]:
    """``batch-uploader web`` run in ``tmp_path`` (with more ``environment``), stopped
    (SIGINT) when done with."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("VTEX_")
    } | (environment or {})
    # The accounts file of whoever runs the suite is none of the test's.
    environment["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    with subprocess.Popen(
        [sys.executable, "-m", "batch_uploader", "web", "--no-browser", *arguments],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    ) as process:
        try:
            yield process
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                raise


def test_it_prints_the_address_of_the_page_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    with command(tmp_path, "--sandbox", "--port", "0") as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = ADDRESS.search(line)
        assert found, line
        assert line.startswith("The page, sending to the sandbox (nothing reaches VTEX): http://")
        port = int(found.group(1))
        assert port != 0
        with httpx.Client(follow_redirects=True) as browser:
            page = browser.get(found.group(0))
            stranger = httpx.get(f"http://127.0.0.1:{port}/")
        assert page.status_code == 200
        assert 'id="check" type="submit">Check the files</button>' in page.text
        assert "Send" not in page.text or "Sandbox: nothing reaches VTEX" in page.text
        assert stranger.status_code == 403
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 130
    assert (tmp_path / "output" / "web").is_dir()


def test_a_port_taken_is_refused_at_once(tmp_path: Path) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    try:
        result = CliRunner().invoke(
            cli,
            ["web", "--sandbox", "--no-browser", "--port", str(port), "--output", str(tmp_path)],
            env={"XDG_CONFIG_HOME": str(tmp_path / "config")},
        )
    finally:
        taken.close()
    assert result.exit_code == 2
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in result.output


def test_without_an_account_it_starts_and_says_to_add_one_in_settings(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.toml"
    with command(tmp_path, "--port", "0", "--accounts", str(accounts)) as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = ADDRESS.search(line)
        assert found, line
        assert line.startswith("The page, sending to the accounts of its Settings: http://")
        with httpx.Client(follow_redirects=True) as browser:
            home = browser.get(found.group(0)).text
            settings = browser.get(f"http://127.0.0.1:{found.group(1)}/settings").text
    assert '<a href="/settings">Add an account in Settings</a>' in home
    assert 'id="check" type="submit">Check the files</button>' in home
    assert f"They are kept in {accounts}, which only you can read" in settings
    assert not accounts.exists()  # written when an account is added, not before


def test_an_accounts_file_others_may_read_is_refused_at_once(tmp_path: Path) -> None:
    accounts = tmp_path / "accounts.toml"
    accounts.write_text("", encoding="utf-8")
    accounts.chmod(0o644)
    result = CliRunner().invoke(
        cli, ["web", "--no-browser", "--port", "0", "--output", str(tmp_path / "web"),
              "--accounts", str(accounts), "--sandbox"],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"the accounts file {accounts} can be read by other users (mode -rw-r--r--)" in (
        result.output
    )
    assert f"chmod 600 {accounts}" in result.output


def test_another_host_than_loopback_is_warned_of(tmp_path: Path) -> None:
    with command(tmp_path, "--sandbox", "--port", "0", "--host", "0.0.0.0") as process:
        assert process.stdout is not None
        assert process.stderr is not None
        line = process.stdout.readline()
        assert "/?token=" in line
        warning = process.stderr.readline()
    assert warning.startswith("Warning: listening on 0.0.0.0, not only on this machine")


def test_the_sandbox_pages_history_lasts_its_session_and_shows_the_inbox(tmp_path: Path) -> None:
    inbox, temporary = tmp_path / "entrada", tmp_path / "tmp"
    inbox.mkdir()
    temporary.mkdir()
    carrier = tmp_path / "jadlog.csv"
    carrier.write_text("Pedido;NF;Rastreio\n1300000000101-01;000101;JD101\n", encoding="utf-8")
    arguments = ("--sandbox", "--port", "0", "--inbox", str(inbox))
    with command(tmp_path, *arguments, environment={"TMPDIR": str(temporary)}) as process:
        assert process.stdout is not None
        found = ADDRESS.search(process.stdout.readline())
        assert found
        same_origin = {"sec-fetch-site": "same-origin"}
        with httpx.Client(follow_redirects=True, headers=same_origin) as browser:
            first = browser.get(found.group(0)).text
            job = browser.post(
                f"http://127.0.0.1:{found.group(1)}/jobs",
                files={"files": (carrier.name, carrier.read_bytes())},
                data={"kind": "tracking"},
            )
            browser.post(f"{job.url}/send")
            for _ in range(200):
                if 'id="results"' in browser.get(str(job.url)).text:
                    break
                time.sleep(0.05)
            history = browser.get(f"http://127.0.0.1:{found.group(1)}/history").text
        assert next(path.name for path in temporary.iterdir()).startswith("batch-uploader-sandbox-")
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 130

    assert "Inbox entrada" in first
    assert "No nightly run recorded yet." in first
    assert "jadlog.csv" in history.split('id="runs"', 1)[1]
    assert list(temporary.iterdir()) == []  # the session's journal went with the sandbox


def test_an_ipv6_loopback_address_is_printed_as_the_browser_reaches_it(tmp_path: Path) -> None:
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("this machine has no IPv6 loopback")
    with command(tmp_path, "--sandbox", "--port", "0", "--host", "::1") as process:
        assert process.stdout is not None
        line = process.stdout.readline()
        found = re.search(r"http://\[::1\]:(\d+)/\?token=[\w-]+", line)
        assert found, line
        with httpx.Client(follow_redirects=True) as browser:
            page = browser.get(found.group(0))
        assert page.status_code == 200
        assert "Check the files" in page.text


def test_the_accounts_file_may_be_named_in_the_configuration(tmp_path: Path) -> None:
    accounts = tmp_path / "settings" / "accounts.toml"
    accounts.parent.mkdir()
    accounts.write_text("", encoding="utf-8")
    accounts.chmod(0o640)
    config = tmp_path / "settings" / "batch-uploader.toml"
    config.write_text('accounts = "accounts.toml"\n', encoding="utf-8")  # beside the file
    result = CliRunner().invoke(
        cli, ["web", "--no-browser", "--port", "0", "--output", str(tmp_path / "web"),
              "--sandbox", "--config", str(config)],
    )  # fmt: skip
    assert result.exit_code == 2
    assert f"the accounts file {accounts} can be read by other users" in result.output
