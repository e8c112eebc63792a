"""The configuration file, the credentials file, and `batch-uploader check`."""

from __future__ import annotations

import csv
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.scripting import check_access
from batch_uploader.vtex.access import PROBE_ORDER
from batch_uploader.vtex.target import Credentials

from .conftest import CsvFactory

NO_ENV: dict[str, str | None] = {
    "VTEX_APP_KEY": None,
    "VTEX_APP_TOKEN": None,
    "VTEX_BASE_URL": None,
    "VTEX_ACCOUNT_NAME": None,
    "VTEX_ENVIRONMENT": None,
    "BATCH_UPLOADER_CONFIG": None,
}
KEYS = {**NO_ENV, "VTEX_APP_KEY": "key", "VTEX_APP_TOKEN": "token-from-env-3b8e"}


def invoke(*args: str, env: dict[str, str | None] = KEYS) -> Result:
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def three_sandboxes() -> Iterator[tuple[Sandbox, Sandbox, Sandbox]]:
    with Sandbox() as in_file, Sandbox() as in_env, Sandbox() as in_flag:
        yield in_file, in_env, in_flag


def test_flags_win_over_env_which_wins_over_the_file(
    tmp_path: Path, three_sandboxes: tuple[Sandbox, Sandbox, Sandbox]
) -> None:
    in_file, in_env, in_flag = three_sandboxes
    config = tmp_path / "batch-uploader.toml"
    config.write_text(f'base_url = "{in_file.base_url}"\n')

    invoke("check", "--config", str(config))
    invoke("check", "--config", str(config), env={**KEYS, "VTEX_BASE_URL": in_env.base_url})
    invoke("check", "--config", str(config), "--base-url", in_flag.base_url,
           env={**KEYS, "VTEX_BASE_URL": in_env.base_url})  # fmt: skip

    assert (in_file.requests, in_env.requests, in_flag.requests) == (1, 1, 1)


def test_the_file_sets_reading_and_output_options(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv("Ref;NF;Rastreio;Data\n1-01;9;T1;01/11/2026\n")
    config = tmp_path / "nightly.toml"
    config.write_text(
        'date-format = "dmy"\noutput_dir = "reports"\nformat = "xlsx"\n'
        '[columns]\n"Ref" = "orderId"\n"Data" = "dispatchedDate"\n'
    )

    outcome = invoke("upload", str(source), "--dry-run", "--config", str(config))

    assert outcome.exit_code == 0, outcome.output
    (results,) = (tmp_path / "reports").glob("input-results-*.xlsx")
    summary = json.loads(results.with_name(results.stem + ".summary.json").read_text())
    assert summary["rows"]["valid"] == 1


def test_the_file_turns_on_verification_and_names_url_templates(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("Pedido;NF;Rastreio;Transportadora\n1-01;9;T1;Zé Entregas\n")
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "couriers.toml").write_text(
        '[couriers."Zé Entregas"]\nurl = "https://ze.example/{trackingNumber}"\n',
        encoding="utf-8",
    )
    config = folder / "nightly.toml"
    config.write_text('verify = true\nurl-templates = "couriers.toml"\n')
    results = tmp_path / "r.csv"

    with Sandbox() as sandbox:
        outcome = invoke("upload", str(source), "--config", str(config), "--base-url",
                         sandbox.base_url, "--results", str(results),
                         "--journal", str(tmp_path / "journal.sqlite3"))  # fmt: skip

    assert outcome.exit_code == 0, outcome.output
    with results.open(encoding="utf-8-sig", newline="") as handle:
        (line,) = csv.DictReader(handle)
    assert (line["trackingUrl"], line["verification"]) == ("https://ze.example/T1", "verified")


def test_the_file_is_found_in_the_current_folder(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv("Ref;NF;Rastreio\n1-01;9;T1\n")
    (tmp_path / "batch-uploader.toml").write_text('[columns]\n"Ref" = "orderId"\n')
    monkeypatch.chdir(tmp_path)

    outcome = invoke("upload", str(source), "--dry-run")

    assert outcome.exit_code == 0, outcome.output


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('app_token = "abc"\n', "never in the configuration"),
        ("speed = 3\n", "unknown key 'speed'"),
        ("rate = \n", "cannot be read as TOML"),
    ],
)
def test_bad_configuration_exits_2(tmp_path: Path, content: str, says: str) -> None:
    config = tmp_path / "c.toml"
    config.write_text(content)

    outcome = invoke("check", "--config", str(config), "--account", "mystore")

    assert outcome.exit_code == 2
    assert says in outcome.output


def write_credentials(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "credentials.toml"
    path.write_text('app_key = "vtexappkey-mystore-X"\napp_token = "token-from-file-5d2a"\n')
    path.chmod(mode)
    return path


def test_credentials_file_readable_by_others_is_refused(tmp_path: Path) -> None:
    credentials = write_credentials(tmp_path, 0o644)
    with Sandbox() as sandbox:
        outcome = invoke("check", "--base-url", sandbox.base_url, "--credentials",
                         str(credentials), env=NO_ENV)  # fmt: skip
        requests = sandbox.requests

    assert outcome.exit_code == 2
    assert "can be read by other users (mode -rw-r--r--); run: chmod 600" in outcome.output
    assert requests == 0


def test_credentials_file_of_its_owner_only_is_used(tmp_path: Path) -> None:
    credentials = write_credentials(tmp_path, 0o600)
    with Sandbox() as sandbox:
        outcome = invoke("check", "--base-url", sandbox.base_url, "--credentials",
                         str(credentials), env=NO_ENV)  # fmt: skip
        (received,) = sandbox.received

    assert outcome.exit_code == 0
    assert received.headers["X-VTEX-API-AppToken"] == "token-from-file-5d2a"
    assert "token-from-file-5d2a" not in outcome.output


@pytest.mark.parametrize(
    ("config", "status", "says"),
    [
        (SandboxConfig(), ExitStatus.OK, "OK: http://127.0.0.1:"),
        (SandboxConfig(unknown_orders=frozenset({PROBE_ORDER})), ExitStatus.OK, "may update"),
        (SandboxConfig(refuse_credentials=401), ExitStatus.ABORTED, "refused the app key"),
        (SandboxConfig(refuse_credentials=403), ExitStatus.ABORTED, "'Notify invoice'"),
    ],
)
def test_check_says_what_is_wrong(config: SandboxConfig, status: int, says: str) -> None:
    with Sandbox(config) as sandbox:
        outcome = invoke("check", "--base-url", sandbox.base_url)

    assert outcome.exit_code == status
    assert says in outcome.output


def test_check_of_an_address_where_nothing_listens() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    outcome = invoke("check", "--base-url", f"http://127.0.0.1:{port}")

    assert outcome.exit_code == 2
    assert "cannot reach http://127.0.0.1:" in outcome.output


def test_check_of_an_address_that_is_no_oms() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(404, text="<html>"))

    verdict = check_access(
        "https://nostore.vtexcommercestable.com.br", Credentials("k", "t"), transport=transport
    )

    assert verdict.exit_status == ExitStatus.USAGE
    assert "check the account name" in str(verdict.message)
