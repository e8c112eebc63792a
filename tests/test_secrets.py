"""No secret anywhere: whatever a server echoes, in whatever form, the app token is in no file
written and no line printed; credentials never travel in a URL; a token too short to be told
from ordinary text is refused."""

from __future__ import annotations

import functools
import html
import io
import json
import logging
import sys
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest
from click.testing import CliRunner

from batch_uploader import Credentials, Settings, run, upload_events, verify_results
from batch_uploader.cli.logs import Console, configure
from batch_uploader.cli.main import cli
from batch_uploader.errors import UsageError
from batch_uploader.models import Status, Verdict
from batch_uploader.redaction import REDACTED, Redactor
from batch_uploader.scripting import check_access
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.target import resolve_base_url

from .conftest import CsvFactory, XlsxFactory

# A token as awkward as can be: a quote and a backslash, which JSON, URLs and reprs all write
# differently. Its tail is in every one of those forms, so finding it finds any of them.
TOKEN = 'tok"en\\SECRET-4d1f-8b2e-planted-by-the-server'
TAIL = "SECRET-4d1f-8b2e-planted-by-the-server"
FORMS = {
    "raw": TOKEN,
    "json": json.dumps(TOKEN)[1:-1],
    "percent": quote(TOKEN, safe=""),
    "percent-plus": quote_plus(TOKEN),
    "xml": html.escape(TOKEN),
    "repr": repr(TOKEN.encode())[2:-1],
    "tail": TAIL,
}
KEY = "vtexappkey-mystore-SECRETS"
BASE = "https://mystore.vtexcommercestable.com.br"
CREDENTIALS = Credentials(KEY, TOKEN)
SETTINGS = Settings(
    rate=1000, concurrency=2, retry=RetryPolicy(max_attempts=2, backoff_initial=0.001)
)
ROWS = [
    ("1-01", "9", "AA1"),  # 200 with the token in its receipt and extra fields; read back
    ("2-01", "8", "BB2"),  # 404 with the token as the OMS error's code and in its message
    ("3-01", "7", "CC3"),  # 500 with a text body quoting the token, no content type
    ("4-01", "6", "DD4"),  # the connection fails with the token in the exception's text
    ("5-01", "5", "EE5"),  # 400 with JSON and no OMS error: token escaped and percent-encoded
    ("6-01", "4", "FF6"),  # 200 with HTML quoting the token (no receipt)
    ("7-01", "3", "GG7"),  # 409 with the token as the reason phrase
]
TRACKING = "orderId,invoiceNumber,trackingNumber,courier\n" + "".join(
    f"{order},{invoice},{number},Loggi\n" for order, invoice, number in ROWS
)
EVENTS = (
    "orderId,invoiceNumber,date,city,state,description\n"
    "1-01,9,2026-11-22,Lima,LI,Posted\n"
    "2-01,8,2026-11-22,Lima,LI,Posted\n"
)


@dataclass(frozen=True)
class Planted:
    """An answer of the planting server."""

    status: int
    body: bytes = b""
    content_type: str | None = "application/json"
    reason: str | None = None


# The token as some servers write it in JSON: escaped otherwise than json.dumps does.
BY_HAND = TOKEN.replace('"', "\\u0022").replace("\\S", "\\\\S")


def _json(value: object, escaped: str = json.dumps(TOKEN)[1:-1]) -> bytes:
    return json.dumps(value).replace(json.dumps(TOKEN)[1:-1], escaped).encode()


def plant(method: str, path: str) -> Planted:
    """What a server that echoes the token everywhere answers to ``method path``."""
    order = path.split("/")[5]
    if method == "GET":
        package = {"invoiceNumber": "9", "trackingNumber": TOKEN, "courier": f"by {TOKEN}"}
        held = {"orderId": order, "clientProfileData": {"note": TOKEN},
                "packageAttachment": {"packages": [package]}}  # fmt: skip
        return Planted(200, _json(held, BY_HAND))
    if path.endswith("/tracking"):
        if order == "2-01":
            return Planted(404, _json({"error": {"code": TOKEN, "message": f"no {TOKEN}"}}))
        return Planted(200, _json({"receipt": f"r-{TOKEN}", "echo": {TOKEN: [TOKEN]}}, BY_HAND))
    if order == "1-01":
        echo = {"date": "d", "orderId": order, "receipt": f"receipt-{TOKEN}", "echo": TOKEN,
                "headers": {"X-VTEX-API-AppToken": TOKEN}, TOKEN: "as a key"}  # fmt: skip
        return Planted(200, _json(echo))
    if order == "2-01":
        error = {"code": TOKEN, "message": f"Token {TOKEN} is not allowed", "exception": TOKEN}
        return Planted(404, _json({"error": error}))
    if order in ("3-01", "4-01"):
        return Planted(500, f"upstream: X-VTEX-API-AppToken={TOKEN}".encode(), None)
    if order == "5-01":
        url = "https://x.example/?t=" + quote(TOKEN, safe="")
        text = f'{{"detail": "{BY_HAND}", "url": "{url}", "again": {json.dumps(TOKEN)}}}'
        return Planted(400, text.encode())
    if order == "6-01":
        return Planted(200, f"<html><body>Hello {html.escape(TOKEN)}</body></html>".encode(),
                       "text/html")  # fmt: skip
    return Planted(409, b"", None, TOKEN)  # 7-01, and the probe of batch-uploader check


def mock_answer(request: httpx.Request) -> httpx.Response:
    if request.method != "GET" and "/orders/4-01/" in request.url.path:
        raise httpx.ConnectError(f"connection refused for {TOKEN}", request=request)
    planted = plant(request.method, request.url.path)
    headers = {"Content-Type": planted.content_type} if planted.content_type else {}
    reason = {"reason_phrase": planted.reason.encode()} if planted.reason else {}
    return httpx.Response(planted.status, content=planted.body, headers=headers, extensions=reason)


class _Planting(BaseHTTPRequestHandler):
    """The same server on loopback, for the command line; it echoes the token in a header too,
    which only --verbose logs show."""

    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        planted = plant(self.command, self.path)
        self.send_response(planted.status, planted.reason)
        if planted.content_type:
            self.send_header("Content-Type", planted.content_type)
        self.send_header("X-Echo", TOKEN)
        self.send_header("Content-Length", str(len(planted.body)))
        self.end_headers()
        self.wfile.write(planted.body)

    do_GET = do_PATCH = do_PUT = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def planting_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Planting)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def leaks(data: bytes) -> list[str]:
    """The forms of the token found in ``data``."""
    return [name for name, form in FORMS.items() if form.encode() in data]


def written(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``folder`` by name and bytes, workbooks as their members."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(folder).as_posix()
        if path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                for member in book.namelist():
                    yield f"{name}:{member}", book.read(member)
        else:
            yield name, path.read_bytes()


def test_no_form_of_the_token_is_written_or_printed_whatever_the_server_echoes(
    write_csv: CsvFactory, write_xlsx: XlsxFactory, tmp_path: Path, planting_server: str
) -> None:
    source = write_csv(TRACKING, "tracking.csv")
    journal = tmp_path / "journal.sqlite3"
    transport = httpx.MockTransport(mock_answer)
    upload = functools.partial(
        run, base_url=BASE, credentials=CREDENTIALS, settings=SETTINGS, transport=transport,
        journal_path=journal, verify_orders=True,
    )  # fmt: skip

    first = upload([source], results_path=tmp_path / "first.csv")
    # Again from a workbook of the same rows, into a workbook: 1-01 is skipped with the receipt
    # the journal kept, the others are sent again.
    workbook = write_xlsx([line.split(",") for line in TRACKING.splitlines()], "tracking.xlsx")
    second = upload([workbook], results_path=tmp_path / "second.xlsx")
    events = upload_events(
        [write_csv(EVENTS, "events.csv")], results_path=tmp_path / "events-results.csv",
        base_url=BASE, credentials=CREDENTIALS, settings=SETTINGS, transport=transport,
        journal_path=journal,
    )  # fmt: skip
    verified = verify_results(
        tmp_path / "first.csv", tmp_path / "verified.csv", base_url=BASE,
        credentials=CREDENTIALS, settings=SETTINGS, transport=transport,
    )  # fmt: skip

    cli_folder = tmp_path / "cli"
    env = {"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": TOKEN, "VTEX_BASE_URL": planting_server,
           "BATCH_UPLOADER_CONFIG": None, "VTEX_ACCOUNT_NAME": None}  # fmt: skip
    runner, printed = CliRunner(), []
    try:
        for args in (
            ["upload", str(source), "--verify", "--max-attempts", "2", "--rate", "1000",
             "--output-dir", str(cli_folder)],
            ["events", str(tmp_path / "events.csv"), "--max-attempts", "2",
             "--output-dir", str(cli_folder), "--results", str(cli_folder / "events.xlsx")],
            ["check"],
            ["history", "--order", "2-01", "--journal", str(cli_folder / "journal.sqlite3")],
        ):  # fmt: skip
            outcome = runner.invoke(cli, ["--log-format", "json", "--verbose", *args], env=env)
            assert outcome.exception is None or isinstance(outcome.exception, SystemExit)
            printed.append((args[0], outcome.stdout + outcome.stderr))
    finally:
        configure(verbose=False, console=Console())

    # The runs did what the server said.
    assert (first.counts[Status.SENT], first.counts[Status.FAILED]) == (1, 6)
    assert (second.counts[Status.SKIPPED], second.counts[Status.FAILED]) == (1, 6)
    assert (events.counts[Status.SENT], events.counts[Status.FAILED]) == (1, 1)
    assert verified.counts[Verdict.MISMATCH] == 1
    assert '"event": "summary"' in printed[0][1]  # the command line's output was captured
    assert "HTTP Request: PATCH" in printed[0][1]
    # No form of it is anywhere: every file under tmp_path (the journal's -wal too, when SQLite
    # leaves one), every workbook's members, everything the command line printed.
    found = {name: leaks(data) for name, data in written(tmp_path)}
    found |= {f"output of {command}": leaks(text.encode()) for command, text in printed}
    leaked = {name: forms for name, forms in found.items() if forms}
    assert not leaked, f"the token is in {leaked}"
    assert {"first.csv", "second.xlsx:xl/worksheets/sheet2.xml", "journal.sqlite3",
            "first.summary.json", "verified.csv", "events-results.csv",
            "cli/events.xlsx:xl/worksheets/sheet2.xml"} <= set(found)  # fmt: skip
    # It was replaced where it stood, and the rest of what the server said kept.
    lines = (tmp_path / "first.csv").read_text(encoding="utf-8-sig")
    assert f"receipt-{REDACTED}" in lines
    assert f"{REDACTED},Token {REDACTED} is not allowed" in lines
    assert "unexpected-answer" in lines
    assert f"VTEX holds trackingNumber '{REDACTED}'" in lines


def test_the_redactor_knows_every_form_of_a_secret() -> None:
    redactor = Redactor([TOKEN])

    for name, form in FORMS.items():
        if name != "tail":
            assert redactor.text(f"<{form}>") == f"<{REDACTED}>", name
    assert redactor.text(quote("ê" + TOKEN, safe="")) == quote("ê", safe="") + REDACTED
    assert redactor.text(json.dumps("é" + TOKEN)) == f'"\\u00e9{REDACTED}"'
    assert redactor.text(json.dumps("é" + TOKEN, ensure_ascii=False)) == f'"é{REDACTED}"'


def test_the_redactor_cleans_json_values_keys_included() -> None:
    redactor = Redactor([TOKEN])
    value = {TOKEN: [f"a {TOKEN}", 1, None, True, {"k": TOKEN}], "n": 2.5}

    assert redactor.value(value) == {
        REDACTED: [f"a {REDACTED}", 1, None, True, {"k": REDACTED}],
        "n": 2.5,
    }


@pytest.mark.parametrize("secret", ["", "e", "short-token-15c"])
def test_an_empty_or_short_secret_replaces_nothing(secret: str) -> None:
    text = "every letter e of a receipt stays, short-token-15c too"

    assert Redactor([secret]).text(text) == text
    assert Redactor([secret]).value({"receipt": text}) == {"receipt": text}


def test_credentials_redact_the_token_not_the_key() -> None:
    redactor = CREDENTIALS.redactor()

    assert redactor.text(f"{KEY} {TOKEN}") == f"{KEY} {REDACTED}"


def test_console_json_lines_have_no_escaped_token(capsys: pytest.CaptureFixture[str]) -> None:
    console = Console("json")
    console.keep_secret(TOKEN)

    console.say("x", f"plain {TOKEN}", detail=json.dumps({"t": TOKEN}), url=quote(TOKEN))
    console.error("y", "in a field", error={"code": TOKEN})

    out, err = capsys.readouterr()
    assert leaks((out + err).encode()) == []
    assert json.loads(out)["message"] == f"plain {REDACTED}"


def test_library_log_lines_have_no_token_in_any_form(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    console = Console()
    console.keep_secret(TOKEN)
    configure(verbose=True, console=console)
    try:
        log = logging.getLogger("httpcore")
        log.debug("send headers: %s", {"X-VTEX-API-AppToken": TOKEN})
        log.debug("receive headers: %r", [(b"X-Echo", TOKEN.encode())])
        log.debug("body: %s", json.dumps({"t": TOKEN}))
    finally:
        configure(verbose=False, console=Console())

    assert stream.getvalue().count(REDACTED) == 3
    assert leaks(stream.getvalue().encode()) == []


@pytest.mark.parametrize(
    "url",
    [
        "https://user:hunter2-pass@oms.example.com",
        "http://user:hunter2-pass@127.0.0.1:8899",
        "https://hunter2-pass@oms.example.com/api",
        "https://oms.example.com/x@hunter2-pass",
    ],
)
def test_credentials_in_the_address_are_refused_without_quoting_it(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_base_url(url, None)

    message = str(caught.value)
    assert "hunter2" not in message
    assert "user:password@" in message
    assert "X-VTEX-API-AppToken" in message


def test_the_command_line_refuses_a_password_in_the_address(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    # Before, the run went ahead (port 9 of loopback refuses it) and summary.json named the
    # target with its password.
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n")
    url = "http://user:hunter2-pass@127.0.0.1:9"

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--base-url", url, "--output-dir", str(tmp_path / "out"),
              "--max-attempts", "1"],
        env={"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": TOKEN, "BATCH_UPLOADER_CONFIG": None},
    )  # fmt: skip

    assert outcome.exit_code == 2
    assert "hunter2" not in outcome.output
    assert not (tmp_path / "out").exists()


def test_a_query_is_refused_without_quoting_it() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_base_url("https://oms.example.com/?key=hunter2-pass", None)

    assert "query or fragment" in str(caught.value)
    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize("token", ["Z", "Zx" * 7 + "Z"])
def test_a_short_token_is_refused_without_quoting_it(token: str) -> None:
    with pytest.raises(UsageError) as caught:
        Credentials.from_env({"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": token})

    message = str(caught.value)
    assert "VTEX_APP_TOKEN is too short" in message
    assert "copy it again from the admin" in message
    assert token not in message


def test_a_token_of_sixteen_characters_is_taken() -> None:
    assert Credentials.from_env({"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": "x" * 16}).app_token


def test_a_one_letter_token_does_not_blank_out_that_letter(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    # Before the minimum length, this run went ahead and every "e" it printed was redacted.
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n")

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--base-url", "http://127.0.0.1:9", "--quiet",
              "--max-attempts", "1", "--output-dir", str(tmp_path / "out")],
        env={"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": "e", "BATCH_UPLOADER_CONFIG": None},
    )  # fmt: skip

    assert outcome.exit_code == 2
    assert REDACTED not in outcome.output
    assert "copy it again from the admin" in outcome.output


def test_the_sandbox_still_runs_with_a_short_token_in_the_environment(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n")

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--sandbox", "--results", str(tmp_path / "r.csv")],
        env={"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": "e", "BATCH_UPLOADER_CONFIG": None},
    )  # fmt: skip

    assert outcome.exit_code == 0, outcome.output


def test_check_quotes_no_token_a_server_echoes() -> None:
    transport = httpx.MockTransport(mock_answer)  # the probe is answered 409 with the token

    verdict = check_access(BASE, CREDENTIALS, transport=transport)

    assert str(verdict.message).endswith(f"answered 409 {REDACTED}; try again later, and if it "
                                    "lasts, ask VTEX support")  # fmt: skip


def test_the_library_refuses_a_password_in_the_address(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n")

    with pytest.raises(UsageError) as caught:
        run(
            [source],
            results_path=tmp_path / "out" / "results.csv",
            base_url="https://user:hunter2-pass@oms.example.com",
            credentials=Credentials(KEY, TOKEN),
        )

    assert "hunter2" not in str(caught.value)
    assert not (tmp_path / "out").exists()


# A token as VTEX makes them: a hundred capital letters.
VTEX_TOKEN = "".join(chr(ord("A") + (7 * n + n // 5) % 26) for n in range(100))
VTEX_CREDENTIALS = Credentials(KEY, VTEX_TOKEN)


def vtex_leaks(data: bytes) -> bool:
    """Whether ``data`` holds the VTEX-like token, in any case, whole or its longer half."""
    return VTEX_TOKEN[30:80].lower().encode() in data.lower()


def first_char_escaped(text: str) -> str:
    """``text`` as a JSON string's inside, its first character escaped as some servers do."""
    return f"\\u{ord(text[0]):04x}{text[1:]}"


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(
            lambda: httpx.Response(
                404, json={"error": {"code": "X", "message": VTEX_TOKEN.lower()}}
            ),
            id="lower-case-in-an-error",
        ),
        pytest.param(
            lambda: httpx.Response(
                200,
                content=f'{{"echo": "{first_char_escaped(VTEX_TOKEN)}"}}'.encode(),
                headers={"Content-Type": "application/json"},
            ),
            id="escaped-in-a-200-without-receipt",
        ),
        pytest.param(
            lambda: httpx.Response(
                500,
                content=f"denied: {quote(VTEX_TOKEN.lower(), safe='')}".encode(),
            ),
            id="lower-case-in-a-text-error",
        ),
    ],
)
def test_an_echo_in_another_case_or_escaped_is_redacted(
    write_csv: CsvFactory, tmp_path: Path, answer: Callable[[], httpx.Response]
) -> None:
    source = write_csv("orderId,invoiceNumber,trackingNumber\n1-01,9,AA1\n")

    report = run(
        [source], results_path=tmp_path / "results.csv", base_url=BASE,
        credentials=VTEX_CREDENTIALS, settings=SETTINGS, journal_path=tmp_path / "j.sqlite3",
        transport=httpx.MockTransport(lambda request: answer()),
    )  # fmt: skip

    assert report.counts[Status.FAILED] == 1
    assert [name for name, data in written(tmp_path) if vtex_leaks(data)] == []


def test_a_token_pasted_into_the_input_is_neither_sent_nor_written_back(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    # Row 2 holds it in a column nothing reads; rows 3 to 5 in a value that would be sent (a
    # bad URL, a good one, an order id): those are refused, without quoting it.
    source = write_csv(
        "orderId,invoiceNumber,trackingNumber,trackingUrl,notes\n"
        f"1-01,9,AA1,,token {VTEX_TOKEN}\n"
        f"2-01,8,BB2,{VTEX_TOKEN},\n"
        f"3-01,7,CC3,https://x.example/{VTEX_TOKEN.lower()},\n"
        f"4-01/{VTEX_TOKEN},6,DD4,,\n"
    )
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path + request.content.decode())
        return httpx.Response(200, json={"date": "d", "orderId": "1-01", "receipt": "r-1"})

    report = run(
        [source], results_path=tmp_path / "results.csv", base_url=BASE,
        credentials=VTEX_CREDENTIALS, settings=SETTINGS, journal_path=tmp_path / "j.sqlite3",
        transport=httpx.MockTransport(answer),
    )  # fmt: skip

    assert (report.counts[Status.SENT], report.counts[Status.INVALID]) == (1, 3)
    assert report.error_codes == {"secret-in-row": 3}
    assert len(sent) == 1
    assert not vtex_leaks("".join(sent).encode())
    assert [
        name for name, data in written(tmp_path) if name != source.name and vtex_leaks(data)
    ] == []


def test_an_events_line_holding_the_token_is_refused(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(
        "orderId,invoiceNumber,date,city,state,description\n"
        "1-01,9,2026-11-22,Lima,LI,Posted\n"
        f"2-01,8,2026-11-22,Lima,LI,note {VTEX_TOKEN}\n"
    )

    report = upload_events(
        [source], results_path=tmp_path / "results.csv", base_url=BASE,
        credentials=VTEX_CREDENTIALS, settings=SETTINGS, journal_path=tmp_path / "j.sqlite3",
        transport=httpx.MockTransport(
            lambda request: httpx.Response(200, json={"receipt": "r-1"})
        ),
    )  # fmt: skip

    assert (report.counts[Status.SENT], report.counts[Status.INVALID]) == (1, 1)
    assert report.error_codes == {"secret-in-row": 1}
    assert [
        name for name, data in written(tmp_path) if name != source.name and vtex_leaks(data)
    ] == []


def test_a_dry_run_refuses_and_hides_the_token_it_knows(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(
        "orderId,invoiceNumber,trackingNumber,trackingUrl\n"
        "1-01,9,AA1,\n"
        f"2-01,8,BB2,https://x.example/{VTEX_TOKEN}\n"
    )

    outcome = CliRunner().invoke(
        cli, ["upload", str(source), "--dry-run", "--results", str(tmp_path / "r.csv")],
        env={"VTEX_APP_KEY": KEY, "VTEX_APP_TOKEN": VTEX_TOKEN, "BATCH_UPLOADER_CONFIG": None},
    )  # fmt: skip

    # The same rows as the real run would refuse, and the token repeated nowhere.
    assert outcome.exit_code == 1, outcome.output
    assert "secret-in-row (1)" in outcome.output
    assert not vtex_leaks(outcome.output.encode())
    assert [
        name for name, data in written(tmp_path) if name != source.name and vtex_leaks(data)
    ] == []


def test_each_console_redacts_its_own_jobs_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    """Secrets belong to a console, not to the process: a job's token is redacted from its
    lines, and another job's console is not told of it (nor would it need to be)."""
    first, second = Console(), Console()
    first.keep_secret(TOKEN)
    other = "other-token-Zq81-vv0P-77ab"
    second.keep_secret(other)

    first.say("x", f"{TOKEN} {other}")
    second.say("y", f"{TOKEN} {other}")

    out = capsys.readouterr().out.splitlines()
    assert out == [f"{REDACTED} {other}", f"{TOKEN} {REDACTED}"]
