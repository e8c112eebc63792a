"""The inbox a nightly job empties: complete files only, oldest first, moved when done,
rejected when unreadable (and taken again once the settings are fixed), a file whose rows all
landed never processed twice for the same target and settings while a file with rows not sent
is processed again when dropped again, symbolic links never followed, one run at a time."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import re
import stat
import string
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import openpyxl
import pytest
from click.testing import CliRunner, Result

from batch_uploader.cli.main import cli
from batch_uploader.files.inputs import Reading
from batch_uploader.jobs import inbox as inbox_module
from batch_uploader.jobs.inbox import InboxReport
from batch_uploader.jobs.journal import fingerprint
from batch_uploader.jobs.locks import take_lock
from batch_uploader.jobs.report import Report
from batch_uploader.redaction import Redactor
from batch_uploader.rules.tracking_urls import UrlTemplates
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.scripting import run
from batch_uploader.vtex.target import Credentials

ENV: dict[str, str | None] = {
    "VTEX_APP_KEY": "key",
    "VTEX_APP_TOKEN": "inbox-token-6f0a-2c9d",
    "VTEX_BASE_URL": None,
    "VTEX_ACCOUNT_NAME": None,
    "BATCH_UPLOADER_CONFIG": None,
}


def drop(folder: Path, name: str, text: str, age: float = 60.0) -> Path:
    """A file that arrived ``age`` seconds ago."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    then = time.time() - age
    os.utime(path, (then, then))
    return path


def drop_workbook(folder: Path, name: str, age: float) -> Path:
    path = folder / name
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Pedido", "NF", "Rastreio"])
    sheet.append(["9-01", "000009", "LGI9"])
    book.save(path)
    os.utime(path, (time.time() - age, time.time() - age))
    return path


def run_inbox(folder: Path, sandbox: Sandbox, *more: str) -> Result:
    return run_inbox_at(folder, sandbox.base_url, *more)


def run_inbox_at(folder: Path, base_url: str, *more: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["inbox", str(folder), "--base-url", base_url, "--settle", "5", *more],
        env=ENV,
        catch_exceptions=False,
    )


def move_back(inbox: Path, name: str) -> None:
    """What a person does to try a file again: moves it from done/ back into the inbox."""
    os.replace(inbox / "done" / name, inbox / name)


def names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_a_night_in_the_inbox(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;J2\n", age=60)
    drop_workbook(inbox, "loggi.xlsx", age=120)
    drop(inbox, "broken.csv", "this is not a carrier file\n", age=90)
    drop(inbox, "copying.csv", "Pedido;NF;Rastreio\n3-01;000003;C3\n", age=1)
    drop(inbox, "~$loggi.xlsx", "lock", age=600)
    drop(inbox, "download.csv.part", "Pedido", age=600)

    with Sandbox() as sandbox:
        outcome = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert outcome.exit_code == 2, outcome.output
    assert orders[0] == "9-01"  # the oldest file first
    assert sorted(orders) == ["1-01", "2-01", "9-01"]
    assert names(inbox) == [".batch-uploader", "copying.csv", "done", "download.csv.part",
                            "rejected", "~$loggi.xlsx"]  # fmt: skip
    done = names(inbox / "done")
    assert "jadlog.csv" in done
    assert "loggi.xlsx" in done
    assert any(name.startswith("jadlog-csv-results-") and name.endswith(".csv") for name in done)
    assert not any(name.startswith("broken") for name in done)  # no empty results left
    assert any(name.endswith(".summary.json") for name in done)
    assert names(inbox / "rejected") == ["broken.csv", "broken.csv.error.txt"]
    assert "cannot find the column(s)" in (inbox / "rejected" / "broken.csv.error.txt").read_text()
    assert "Inbox " in outcome.output
    assert (
        "2 files processed (2 moved to done/), 1 rejected, 0 already processed before, "
        "1 still being written." in outcome.output
    )


def test_the_next_night_processes_only_what_is_new(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    text = "Pedido;NF;Rastreio\n1-01;000001;J1\n"
    drop(inbox, "jadlog.csv", text)
    with Sandbox() as sandbox:
        first = run_inbox(inbox, sandbox)
        drop(inbox, "jadlog-again.csv", text)  # the same file, sent twice by the carrier
        drop(inbox, "correios.csv", "Pedido;NF;Rastreio\n5-01;000005;RA473124829BR\n")
        second = run_inbox(inbox, sandbox)
        third = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert (first.exit_code, second.exit_code, third.exit_code) == (0, 0, 0)
    assert orders == ["1-01", "5-01"]
    assert "1 files processed (1 moved to done/), 0 rejected, 1 already processed" in second.output
    assert "0 files processed" in third.output
    assert "jadlog-again.csv" in names(inbox / "done")


def test_a_file_still_being_copied_waits_for_the_next_run(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    path = drop(inbox, "late.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n", age=0)
    with Sandbox() as sandbox:
        early = run_inbox(inbox, sandbox)
        waited = "late.csv" in names(inbox)
        old = time.time() - 60
        os.utime(path, (old, old))
        later = run_inbox(inbox, sandbox)

    assert "1 still being written" in early.output
    assert waited
    assert later.exit_code == 0
    assert "late.csv" in names(inbox / "done")


def test_overlapping_runs_do_not_collide(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    (inbox / ".batch-uploader").mkdir(parents=True)
    drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    with (
        Sandbox() as sandbox,
        take_lock(inbox / ".batch-uploader" / "inbox.lock", "the inbox"),
    ):
        outcome = run_inbox(inbox, sandbox)
        requests = sandbox.requests

    assert outcome.exit_code == 2
    assert f"the inbox {inbox} is in use by pid" in outcome.output
    assert requests == 0
    assert "jadlog.csv" in names(inbox)


def test_a_refused_key_leaves_the_files_for_the_next_run(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "a.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n", age=120)
    drop(inbox, "b.csv", "Pedido;NF;Rastreio\n2-01;000002;J2\n", age=60)
    with Sandbox(SandboxConfig(refuse_credentials=403)) as sandbox:
        outcome = run_inbox(inbox, sandbox)

    assert outcome.exit_code == 3
    assert {"a.csv", "b.csv"} <= set(names(inbox))
    assert "'Notify invoice'" in outcome.output
    assert "inbox-token-6f0a-2c9d" not in outcome.output


def test_results_in_xlsx_beside_the_file(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    with Sandbox() as sandbox:
        run_inbox(inbox, sandbox, "--format", "xlsx", "--quiet")

    assert any(name.endswith(".xlsx") for name in names(inbox / "done"))


def results_lines(folder: Path) -> list[dict[str, str]]:
    """The lines of every CSV results file in ``folder``, oldest file first."""
    lines: list[dict[str, str]] = []
    for path in sorted(folder.glob("*-results-*.csv"), key=lambda p: p.stat().st_mtime_ns):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            lines.extend(csv.DictReader(handle))
    return lines


UNKNOWN_HEADING = "Pedido;NF;Etiqueta SRO\n1-01;000001;J1\n"


def test_a_rejected_file_dropped_again_with_its_column_named_is_sent(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "envios.csv", UNKNOWN_HEADING)
    with Sandbox() as sandbox:
        first = run_inbox(inbox, sandbox)
        # The person reads rejected/envios.csv.error.txt, adds --map, and drops the file again.
        drop(inbox, "envios.csv", UNKNOWN_HEADING)
        second = run_inbox(inbox, sandbox, "--map", "Etiqueta SRO=trackingNumber")
        orders = [received.order_id for received in sandbox.received]

    assert first.exit_code == 2, first.output
    assert "--map" in (inbox / "rejected" / "envios.csv.error.txt").read_text(encoding="utf-8")
    assert second.exit_code == 0, second.output
    assert orders == ["1-01"]
    assert "1 files processed (1 moved to done/), 0 rejected, 0 already processed" in second.output
    assert "envios.csv" in names(inbox / "done")
    assert [line["status"] for line in results_lines(inbox / "done")] == ["sent"]


def test_a_rejected_file_is_sent_once_the_configuration_names_its_column(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    config = tmp_path / "config.toml"
    config.write_text('[columns]\n"Etiqueta SRO" = "trackingNumber"\n', encoding="utf-8")
    drop(inbox, "envios.csv", UNKNOWN_HEADING)
    with Sandbox() as sandbox:
        rejected = run_inbox(inbox, sandbox)
        drop(inbox, "envios.csv", UNKNOWN_HEADING)
        sent = run_inbox(inbox, sandbox, "--config", str(config))
        orders = [received.order_id for received in sandbox.received]

    assert (rejected.exit_code, sent.exit_code) == (2, 0), sent.output
    assert orders == ["1-01"]
    assert "envios.csv" in names(inbox / "done")


def test_a_file_dropped_again_with_the_same_settings_is_not_processed_again(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "envios.csv", UNKNOWN_HEADING)
    with Sandbox() as sandbox:
        first = run_inbox(
            inbox, sandbox, "--map", "Etiqueta SRO=trackingNumber", "--timezone", "UTC"
        )
        drop(inbox, "envios-copy.csv", UNKNOWN_HEADING)
        # The same settings, given in another order.
        second = run_inbox(
            inbox, sandbox, "--timezone", "UTC", "--map", "Etiqueta SRO=trackingNumber"
        )
        orders = [received.order_id for received in sandbox.received]

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert orders == ["1-01"]
    assert "0 files processed (0 moved to done/), 0 rejected, 1 already processed" in second.output
    assert "envios-copy.csv" in names(inbox / "done")
    assert len(list((inbox / "done").glob("*.summary.json"))) == 1


def test_a_file_dropped_again_with_other_settings_is_processed_again(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    text = "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;J2\n"
    drop(inbox, "jadlog.csv", text)
    with Sandbox() as sandbox:
        first = run_inbox(inbox, sandbox)
        drop(inbox, "jadlog.csv", text)
        second = run_inbox(inbox, sandbox, "--timezone", "America/Sao_Paulo")
        orders = [received.order_id for received in sandbox.received]

    assert (first.exit_code, second.exit_code) == (0, 0), second.output
    assert orders == ["1-01", "2-01"]  # the journal kept the rows from being sent twice
    assert "1 files processed (1 moved to done/), 0 rejected, 0 already processed" in second.output
    lines = results_lines(inbox / "done")
    assert [(line["status"], line["errorCode"]) for line in lines] == [
        ("sent", ""),
        ("sent", ""),
        ("skipped", "already-sent"),
        ("skipped", "already-sent"),
    ]
    assert lines[2]["receipt"] == lines[0]["receipt"]


def test_a_changed_mapping_file_is_a_new_setting(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    mapping = tmp_path / "carrier.toml"
    text = "Pedido;NF;Rastreio;Transp\n1-01;000001;J1;Loggi\n"
    drop(inbox, "loggi.csv", text)
    with Sandbox() as sandbox:
        mapping.write_text('[columns]\n"Pedido" = "orderId"\n', encoding="utf-8")
        first = run_inbox(inbox, sandbox, "--mapping", str(mapping))
        mapping.write_text('[columns]\n"Transp" = "courier"\n', encoding="utf-8")
        drop(inbox, "loggi.csv", text)
        second = run_inbox(inbox, sandbox, "--mapping", str(mapping))
        couriers = [received.body.get("courier") for received in sandbox.received]

    assert (first.exit_code, second.exit_code) == (0, 0), second.output
    assert couriers == [None, "Loggi"]


def test_lines_of_an_older_ledger_are_still_read(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    (inbox / ".batch-uploader").mkdir(parents=True)
    text = "Pedido;NF;Rastreio\n1-01;000001;J1\n"
    path = drop(inbox, "jadlog.csv", text)
    # A line written before the settings were kept in the ledger.
    line = {"fingerprint": fingerprint(path), "file": path.name, "exitStatus": 0}
    (inbox / ".batch-uploader" / "processed.jsonl").write_text(json.dumps(line) + "\n")
    with Sandbox() as sandbox:

        def night(settings_key: str, target: str) -> InboxReport:
            return inbox_module.process(
                inbox,
                lambda source, results: run(
                    [source],
                    results_path=results,
                    base_url=sandbox.base_url,
                    credentials=Credentials("key", "inbox-token"),
                    journal_path=inbox_module.journal_path(inbox),
                ),
                settle=5,
                extension="csv",
                settings_key=settings_key,
                target=target,
                redactor=Redactor(()),
            )

        unkeyed = night("", "")
        drop(inbox, "jadlog.csv", text)
        keyed = night(inbox_module.settings_digest(Reading(), UrlTemplates()), sandbox.base_url)
        orders = [received.order_id for received in sandbox.received]

    assert (unkeyed.repeated, unkeyed.processed) == ([inbox / "done" / "jadlog.csv"], [])
    assert [(path.name, report.exit_status) for path, report in keyed.processed] == [
        ("jadlog.csv", 0)
    ]
    assert orders == ["1-01"]


def test_a_rejected_file_reason_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "broken.csv", "this is not a carrier file\n")
    with Sandbox() as sandbox:
        outcome = run_inbox(inbox, sandbox)

    reason = inbox / "rejected" / "broken.csv.error.txt"
    assert outcome.exit_code == 2
    assert stat.S_IMODE(reason.stat().st_mode) == 0o600


def test_symbolic_links_are_never_followed(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    secrets = tmp_path / "etc"
    secrets.mkdir()
    credentials = drop(secrets, "credentials.toml", 'app_token = "SECRET-7f3a9c"\napp_key = "k"\n')
    (inbox / "credentials.csv").symlink_to(credentials)
    (inbox / "archive").symlink_to(secrets, target_is_directory=True)
    real = drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n")
    (inbox / "jadlog-link.csv").symlink_to(real)
    with Sandbox() as sandbox:
        outcome = run_inbox(inbox, sandbox, "--quiet")
        orders = [received.order_id for received in sandbox.received]

    assert orders == ["1-01"]  # the file itself, once; never through its link
    leaked = [
        path
        for path in inbox.rglob("*")
        if not path.is_symlink() and path.is_file() and b"SECRET" in path.read_bytes()
    ]
    assert leaked == []
    assert "SECRET" not in outcome.output
    assert (inbox / "credentials.csv").readlink() == credentials
    assert credentials.read_text(encoding="utf-8").startswith('app_token = "SECRET')
    assert names(inbox / "rejected") == []
    assert "jadlog.csv" in names(inbox / "done")
    assert outcome.exit_code == 2
    assert (
        "Left alone: 3 symbolic links: archive, credentials.csv, jadlog-link.csv." in outcome.output
    )
    assert f"left alone {inbox / 'credentials.csv'}: a symbolic link" in outcome.output


def test_a_file_made_a_link_while_the_inbox_works_is_left_alone(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    secret = drop(tmp_path, "credentials.toml", 'app_token = "SECRET-7f3a9c"\n')
    drop(inbox, "a.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n", age=120)
    later = drop(inbox, "b.csv", "Pedido;NF;Rastreio\n2-01;000002;J2\n", age=60)
    with Sandbox() as sandbox:

        def upload(source: Path, results: Path) -> Report:
            # While a.csv is sent, someone puts a link where b.csv was.
            later.unlink()
            later.symlink_to(secret)
            return run(
                [source],
                results_path=results,
                base_url=sandbox.base_url,
                credentials=Credentials("key", "inbox-token"),
            )

        night = inbox_module.process(
            inbox,
            upload,
            settle=5,
            extension="csv",
            settings_key="settings",
            target="target",
            redactor=Redactor(()),
        )
        orders = [received.order_id for received in sandbox.received]

    assert orders == ["1-01"]
    assert [path.name for path, _ in night.processed] == ["a.csv"]
    assert night.links == [later]
    assert night.exit_status == 2
    assert later.readlink() == secret
    assert "Left alone: 1 symbolic link: b.csv." in night.summary(inbox)


TWO_ROWS = "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;J2\n"


def statuses(lines: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(line["status"], line["errorCode"]) for line in lines]


def test_a_file_whose_rows_failed_is_sent_when_dropped_again(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", TWO_ROWS)
    with Sandbox(SandboxConfig(unavailable=1.0)) as sandbox:
        failed = run_inbox(inbox, sandbox, "--max-attempts", "1")
        sandbox.config = SandboxConfig()  # the outage is over: the same target answers
        move_back(inbox, "jadlog.csv")
        retried = run_inbox(inbox, sandbox)
        move_back(inbox, "jadlog.csv")
        repeated = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert (failed.exit_code, retried.exit_code, repeated.exit_code) == (1, 0, 0), retried.output
    assert orders == ["1-01", "2-01"]
    assert "1 files processed (1 moved to done/), 0 rejected, 0 already processed" in retried.output
    # Every row landed: dropped once more, the file is already processed.
    assert "0 files processed (0 moved to done/), 0 rejected, 1 already processed" in (
        repeated.output
    )
    assert [status for status, _ in statuses(results_lines(inbox / "done"))] == [
        "failed",
        "failed",
        "sent",
        "sent",
    ]


@contextlib.contextmanager
def login_page() -> Iterator[str]:
    """The address of a server on 127.0.0.1 that answers every request 200 with a login page,
    as a wrong --base-url (or a proxy in front of the right one) does."""

    class Handler(BaseHTTPRequestHandler):
        def do_PATCH(self) -> None:
            body = b"<html>login</html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            """Quiet: the test reads the results, not the server's log."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        thread.join()
        server.server_close()


def test_a_file_answered_by_a_login_page_is_sent_once_the_address_is_fixed(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", TWO_ROWS)
    with login_page() as wrong:
        failed = run_inbox_at(inbox, wrong)
    move_back(inbox, "jadlog.csv")
    with Sandbox() as sandbox:
        fixed = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert failed.exit_code == 1, failed.output
    assert fixed.exit_code == 0, fixed.output
    assert orders == ["1-01", "2-01"]
    assert statuses(results_lines(inbox / "done")) == [
        ("failed", "unexpected-answer"),
        ("failed", "unexpected-answer"),
        ("sent", ""),
        ("sent", ""),
    ]


def test_a_file_dropped_again_sends_only_the_rows_not_sent_before(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    # Row 3's order is unknown the first night; row 4 has no tracking number.
    drop(inbox, "jadlog.csv", TWO_ROWS + "3-01;000003;\n")
    with Sandbox(SandboxConfig(unknown_orders=frozenset({"2-01"}))) as sandbox:
        first = run_inbox(inbox, sandbox)
        sandbox.config = SandboxConfig()  # the order was created in the meantime
        move_back(inbox, "jadlog.csv")
        second = run_inbox(inbox, sandbox)
        orders = [received.order_id for received in sandbox.received]

    assert (first.exit_code, second.exit_code) == (1, 1), second.output
    assert orders == ["1-01", "2-01"]
    assert "1 files processed (1 moved to done/), 0 rejected, 0 already processed" in second.output
    assert statuses(results_lines(inbox / "done")) == [
        ("sent", ""),
        ("failed", "OMS007"),
        ("invalid", "missing-value"),
        ("skipped", "already-sent"),
        ("sent", ""),
        ("invalid", "missing-value"),
    ]


def test_the_same_file_for_another_target_is_processed(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    drop(inbox, "jadlog.csv", TWO_ROWS)
    with Sandbox() as first_account, Sandbox() as second_account:
        first = run_inbox(inbox, first_account)
        move_back(inbox, "jadlog.csv")
        second = run_inbox(inbox, second_account)
        orders = [received.order_id for received in second_account.received]

    assert (first.exit_code, second.exit_code) == (0, 0), second.output
    assert orders == ["1-01", "2-01"]
    assert "1 files processed (1 moved to done/), 0 rejected, 0 already processed" in second.output


_LETTERS = "".join(random.Random(7).choices(string.ascii_uppercase, k=100))
# VTEX's tokens are 100 upper-case letters; one with a quote and a backslash is written escaped
# in a TOML credentials file, and escaped once more when a message quotes it.
TOKEN = _LETTERS
TOKEN_WITH_ESCAPES = _LETTERS[:48] + '"' + _LETTERS[48:50] + "\\" + _LETTERS[50:]


@pytest.mark.parametrize(
    ("token", "first_line", "log_format"),
    [
        (TOKEN, f'app_token = "{TOKEN}"', "human"),
        (TOKEN, f'app_token = "{TOKEN}"', "json"),
        (TOKEN_WITH_ESCAPES, f'app_token = "{TOKEN_WITH_ESCAPES}"', "human"),
        (TOKEN_WITH_ESCAPES, f"app_token = {json.dumps(TOKEN_WITH_ESCAPES)}", "human"),
        (TOKEN_WITH_ESCAPES, f"app_token = {json.dumps(TOKEN_WITH_ESCAPES)}", "json"),
    ],
    ids=["letters", "letters-json-log", "escapes", "escapes-as-toml", "escapes-as-toml-json-log"],
)
def test_a_credentials_file_dropped_in_the_inbox_leaves_its_token_nowhere(
    tmp_path: Path, token: str, first_line: str, log_format: str
) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    text = f'{first_line}\napp_key = "vtexappkey-mystore-ABCDEF"\n'
    drop(inbox, "creds.csv", text)
    with Sandbox() as sandbox:
        outcome = CliRunner().invoke(
            cli,
            ["--log-format", log_format, "inbox", str(inbox), "--base-url", sandbox.base_url],
            env={**ENV, "VTEX_APP_TOKEN": token},
            catch_exceptions=False,
        )

    moved = inbox / "rejected" / "creds.csv"
    assert outcome.exit_code == 2, outcome.output
    assert moved.read_text(encoding="utf-8") == text  # the person's file, as it was dropped
    # Whatever escaping a form of the token went through, its long runs of letters remain.
    pieces = [piece.encode() for piece in re.split(r'["\\]', token) if len(piece) >= 16]
    written = {path: path.read_bytes() for path in inbox.rglob("*") if path.is_file()}
    del written[moved]
    assert written, "the inbox wrote nothing to search"
    leaks = [str(path) for path, data in written.items() if any(p in data for p in pieces)]
    assert leaks == []
    assert not any(piece.decode() in outcome.output for piece in pieces)
    reason = (inbox / "rejected" / "creds.csv.error.txt").read_text(encoding="utf-8")
    assert "creds.csv: cannot find the column(s)" in reason
    assert "[redacted]" in reason
    assert f"move it back into {inbox}" in reason


def test_a_file_that_grows_while_it_is_sent_stays_for_the_next_run(tmp_path: Path) -> None:
    inbox = tmp_path / "incoming"
    inbox.mkdir()
    path = drop(inbox, "jadlog.csv", "Pedido;NF;Rastreio\n1-01;000001;J1\n2-01;000002;J2\n")
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        order = request.url.path.split("/")[5]
        sent.append(order)
        if order == "1-01" and len(sent) == 1:
            with path.open("a", encoding="utf-8") as handle:
                handle.write("3-01;000003;J3\n")  # the export goes on while it is sent
        return httpx.Response(200, json={"date": "d", "orderId": order, "receipt": f"r-{order}"})

    def upload(source: Path, results: Path) -> Report:
        return run(
            [source],
            results_path=results,
            base_url="https://mystore.vtexcommercestable.com.br",
            credentials=Credentials("key", "inbox-token-2b9d-41aa"),
            journal_path=inbox_module.journal_path(inbox),
            transport=httpx.MockTransport(answer),
        )

    def night() -> InboxReport:
        return inbox_module.process(
            inbox, upload, settle=0, extension="csv", settings_key="s", target="t",
            redactor=Redactor(()),
        )  # fmt: skip

    first = night()
    # Left in the inbox, out of the ledger: not "already processed" next time.
    assert path.is_file()
    assert not (inbox / "done" / "jadlog.csv").exists()
    assert "1 files processed (0 moved to done/)" in first.summary(inbox)
    assert "1 changed while being read, left for the next run: jadlog.csv" in first.summary(inbox)
    assert first.changed == [path]

    second = night()

    assert (inbox / "done" / "jadlog.csv").is_file()
    assert sent == ["1-01", "2-01", "3-01"]  # the rows sent before are skipped by the journal
    assert [(p.name, report.exit_status) for p, report in second.processed] == [("jadlog.csv", 0)]
