"""Messages about the run, not about a row (an error that stops it, a note of its report), are
a code, params and a hint: the command line says them as it always did, and a page words their
remedy as its own controls, never as a command-line flag."""

from __future__ import annotations

import ast
import asyncio
import copy
import fcntl
import json
import pickle
from collections.abc import Iterable, Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import batch_uploader
from batch_uploader import Credentials, InputError, UsageError, message_codes, run
from batch_uploader.cli.main import cli
from batch_uploader.errors import BatchUploaderError
from batch_uploader.files.columns import read_mapping
from batch_uploader.files.inputs import Reading, Values
from batch_uploader.jobs.journal import Journal
from batch_uploader.jobs.progress import AllDecided
from batch_uploader.message_codes import CODES
from batch_uploader.messages import N_, RunMessage
from batch_uploader.rules import row_codes
from batch_uploader.rules.hints import Hint
from batch_uploader.rules.survey import Survey
from batch_uploader.rules.survey import survey as real_survey
from batch_uploader.sandbox.oms import Sandbox
from batch_uploader.vtex.access import check_access

from .conftest import CsvFactory, XlsxFactory
from .test_messages import PAGE

PACKAGE = Path(batch_uploader.__file__).parent
NO_VTEX_ENV: dict[str, str | None] = dict.fromkeys(
    ("VTEX_APP_KEY", "VTEX_APP_TOKEN", "VTEX_BASE_URL", "VTEX_ACCOUNT_NAME", "VTEX_ENVIRONMENT")
)
TOKEN = "run-messages-token-5c1d"
CREDENTIALS = Credentials("vtexappkey-mystore-X", TOKEN)
HEADER = "Pedido;NF;Rastreio\n"


def invoke(*args: str, env: dict[str, str | None] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), env=env or NO_VTEX_ENV, catch_exceptions=False)


def said_on_the_command_line(outcome: Result) -> str:
    """The one error line of a command that stopped, without its prefix."""
    assert outcome.exit_code == 2, outcome.output
    line = outcome.stderr.removeprefix("batch-uploader: error: ")
    assert line.count("\n") == 1, outcome.stderr
    return line.removesuffix("\n")


def refused(source: Path, tmp_path: Path, **options: object) -> BatchUploaderError:
    with pytest.raises(BatchUploaderError) as caught:
        run([source], results_path=tmp_path / "r.csv", dry_run=True, **options)  # type: ignore[arg-type]
    return caught.value


def test_two_columns_for_one_field(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(HEADER.replace("Pedido;", "Pedido;Nº Pedido;") + "1-01;1;9;T1\n")
    said = (
        f"{source}: row 1: columns 'Pedido' and 'Nº Pedido' both look like orderId; say which "
        "one to use with --map 'Heading=orderId' (or rename the other)"
    )

    error = refused(source, tmp_path)
    outcome = invoke("upload", str(source), "--dry-run", "--results", str(tmp_path / "r.csv"))

    assert isinstance(error, InputError)
    assert (error.code, error.hint) == ("two-columns-one-field", Hint.MAP_CHOOSE)
    assert error.params == {
        "source": str(source),
        "row": 1,
        "first": "Pedido",
        "second": "Nº Pedido",
        "field": "orderId",
        "hint": Hint.MAP_CHOOSE,
    }
    assert str(error) == error.text() == said
    assert said_on_the_command_line(outcome) == said
    assert error.text(PAGE) == (
        f"{source}: row 1: columns 'Pedido' and 'Nº Pedido' both look like orderId; choose the "
        "column of the orderId under “Columns” (or rename the other)"
    )


def test_a_header_not_found_suggests_a_column_in_the_pages_words(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv("Pedido;NF;Etiqueta Correios\n1-01;1;T1\n")

    error = refused(source, tmp_path)

    assert error.code == "header-not-found"
    assert error.params["missing"] == ("trackingNumber",)
    assert error.params["headings"] == ("Pedido", "NF", "Etiqueta Correios")
    likely = error.params["likely"]
    assert isinstance(likely, tuple)
    assert len(likely) == 1
    assert isinstance(likely[0], RunMessage)
    assert (likely[0].code, likely[0].hint) == ("heading-may-be-field", Hint.MAP_USES)
    assert likely[0].params == {
        "heading": "Etiqueta Correios",
        "field": "trackingNumber",
        "hint": Hint.MAP_USES,
    }
    assert str(error).endswith(
        "or name them with --map 'Heading in the file=field'. 'Etiqueta Correios' may be the "
        "trackingNumber: --map 'Etiqueta Correios=trackingNumber' uses it."
    )
    assert error.text(PAGE).endswith(
        "or choose their columns under “Columns”. 'Etiqueta Correios' may be the "
        "trackingNumber: choose it under “Columns”."
    )


def test_a_missing_sheet(write_xlsx: XlsxFactory, tmp_path: Path) -> None:
    source = write_xlsx(
        [["orderId", "invoiceNumber", "trackingNumber"], ["1-01", "9", "T1"]],
        sheet="Loggi",
        extra_sheets=["Jadlog"],
    )
    said = f"{source}: no sheet named 'Correios'; its sheets are 'Loggi', 'Jadlog'"

    error = refused(source, tmp_path, reading=Reading(sheet="Correios"))
    outcome = invoke(
        "upload",
        str(source),
        "--dry-run",
        "--sheet",
        "Correios",
        "--results",
        str(tmp_path / "r.csv"),
    )

    assert (error.code, error.hint) == ("no-such-sheet", None)
    assert error.params == {"file": str(source), "sheet": "Correios", "sheets": ("Loggi", "Jadlog")}
    assert str(error) == said
    assert said_on_the_command_line(outcome) == said
    assert error.text(PAGE) == said  # nothing in it is the command line's


def test_a_hidden_sheet_left_out_is_a_note_with_its_remedy(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Envios"
    book.active.append(["orderId", "invoiceNumber", "trackingNumber"])
    book.active.append(["1-01", "9", "T1"])
    book.create_sheet("Antigos 2025").sheet_state = "hidden"
    book["Antigos 2025"].append(["orderId"])
    source = tmp_path / "loggi.xlsx"
    book.save(source)

    report = run([source], results_path=tmp_path / "r.csv", dry_run=True)

    (note,) = report.notes
    assert (note.code, note.hint) == ("hidden-sheet", Hint.SHEET)
    assert note.params == {"file": str(source), "sheet": "Antigos 2025", "hint": Hint.SHEET}
    assert str(note) == (
        f"{source}: sheet 'Antigos 2025' is hidden: left out; --sheet 'Antigos 2025' reads it"
    )
    assert note.text(PAGE) == (
        f"{source}: sheet 'Antigos 2025' is hidden: left out; tick “Antigos 2025” under "
        "“Sheets” to read it"
    )
    summary = json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))
    assert summary["notes"] == [str(note)]


def test_an_encoding_that_is_none(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(HEADER + "1-01;1;T1\n")
    said = "--encoding 'klingon' is not an encoding; use utf-8, utf-16, cp1252 or latin-1"

    error = refused(source, tmp_path, reading=Reading(encoding="klingon"))
    outcome = invoke(
        "upload",
        str(source),
        "--dry-run",
        "--encoding",
        "klingon",
        "--results",
        str(tmp_path / "r.csv"),
    )

    assert isinstance(error, UsageError)
    assert (error.code, error.hint) == ("unknown-encoding", Hint.ENCODING_GIVEN)
    assert error.params == {"encoding": "klingon", "hint": Hint.ENCODING_GIVEN}
    assert str(error) == said
    assert said_on_the_command_line(outcome) == said
    assert error.text(PAGE) == (
        "the encoding 'klingon' is not an encoding; use utf-8, utf-16, cp1252 or latin-1"
    )


def test_a_journal_another_run_holds(write_csv: CsvFactory, tmp_path: Path) -> None:
    source = write_csv(HEADER + "1-01;1;T1\n")
    path = tmp_path / "journal.sqlite3"

    def answer(request: httpx.Request) -> httpx.Response:
        raise AssertionError("nothing is sent while the journal is in use")

    with Sandbox() as sandbox, Journal(path):
        holder = (tmp_path / "journal.sqlite3.lock").read_text(encoding="utf-8").strip()
        with pytest.raises(UsageError) as caught:
            run(
                [source], results_path=tmp_path / "r.csv", journal_path=path,
                base_url="https://mystore.vtexcommercestable.com.br", credentials=CREDENTIALS,
                transport=httpx.MockTransport(answer),
            )  # fmt: skip
        outcome = invoke(
            "upload", str(source), "--base-url", sandbox.base_url, "--journal", str(path),
            "--results", str(tmp_path / "r.csv"),
            env={**NO_VTEX_ENV, "VTEX_APP_KEY": CREDENTIALS.app_key, "VTEX_APP_TOKEN": TOKEN},
        )  # fmt: skip

    error = caught.value
    assert (error.code, error.hint) == ("in-use", Hint.JOURNAL_THIS)
    assert error.params == {
        "what": f"the journal {path}",
        "holder": holder,
        "hint": Hint.JOURNAL_THIS,
    }
    assert str(error) == (
        f"the journal {path} is in use by {holder}; wait for that run to end, or give this one "
        "another --journal"
    )
    assert said_on_the_command_line(outcome) == str(error)
    assert error.text(PAGE) == (
        f"the journal {path} is in use by {holder}; wait for that run to end, or choose another "
        "journal for this run in Settings"
    )


def test_a_file_that_grew_while_it_was_read(
    write_csv: CsvFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_csv(HEADER + "1-01;1;T1\n")

    def survey_then_append(rows: Iterable[Values]) -> Survey:
        found = real_survey(rows)
        with source.open("a", encoding="utf-8") as handle:
            handle.write("2-01;2;T2\n")
        return found

    monkeypatch.setattr("batch_uploader.jobs.tracking.survey", survey_then_append)
    report = run([source], results_path=tmp_path / "r.csv", dry_run=True)

    (note,) = report.notes
    assert (note.code, note.hint) == ("input-grew", None)
    assert note.params == {"file": str(source), "added": 10}
    said = (
        f"{source}: grew during the run (10 bytes added): the rows added were not read; upload "
        "the file again once it is complete (rows already sent are skipped)"
    )
    assert str(note) == said
    assert report.changed_inputs == [note]
    assert note.text(PAGE) == said
    summary = json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))
    assert summary["notes"] == summary["changedInputs"] == [said]


def test_missing_credentials(write_csv: CsvFactory) -> None:
    source = write_csv(HEADER + "1-01;1;T1\n")
    said = (
        "missing credentials: set VTEX_APP_KEY and VTEX_APP_TOKEN to an app key and token whose "
        "role has the 'Notify invoice' resource (or use --sandbox or --dry-run)"
    )

    with pytest.raises(UsageError) as caught:
        Credentials.from_env({})
    outcome = invoke("upload", str(source), "--account", "mystore")

    error = caught.value
    assert (error.code, error.hint) == ("missing-credentials", Hint.NO_SENDING)
    assert error.params == {"missing": ("VTEX_APP_KEY", "VTEX_APP_TOKEN"), "hint": Hint.NO_SENDING}
    assert str(error) == said
    assert said_on_the_command_line(outcome) == said
    assert error.text(PAGE) == (
        "missing credentials: set VTEX_APP_KEY and VTEX_APP_TOKEN to an app key and token whose "
        "role has the 'Notify invoice' resource (or tick “Only check the files”)"
    )


def test_an_address_holding_credentials_names_two_options(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        run(
            [tmp_path / "a.csv"], results_path=tmp_path / "r.csv",
            base_url="https://user:secret@mystore.example", credentials=CREDENTIALS,
        )  # fmt: skip

    error = caught.value
    assert (error.code, error.hint) == ("credentials-in-address", Hint.BASE_URL)
    assert error.params == {"credentials": Hint.CREDENTIALS, "hint": Hint.BASE_URL}
    assert str(error).startswith("--base-url (or VTEX_BASE_URL) holds an '@'")
    assert str(error).endswith("from VTEX_APP_KEY and VTEX_APP_TOKEN (or --credentials)")
    page = error.text(PAGE)
    assert page.startswith("the store's address in Settings holds an '@'")
    assert page.endswith("from the app key and token saved in Settings")


def provoked(tmp_path: Path) -> Iterator[RunMessage | BatchUploaderError]:
    """An error or a note for every hint of a message about the run."""
    source = tmp_path / "a.csv"
    source.write_text(HEADER + "1-01;1;T1\n", encoding="utf-8")

    def error(call: object, *args: object, **options: object) -> BatchUploaderError:
        with pytest.raises(BatchUploaderError) as caught:
            call(*args, **options)  # type: ignore[operator]
        return caught.value

    results = tmp_path / "r.csv"
    yield error(run, [source], results_path=tmp_path / "r.txt", dry_run=True)
    yield error(run, [source], results_path=source, dry_run=True)
    for url in ("https://h/?key=1", "ftp://h"):
        yield error(run, [source], results_path=results, base_url=url, credentials=CREDENTIALS)
    yield error(Credentials.from_env, {})
    legacy = tmp_path / "legacy.csv"
    legacy.write_bytes((HEADER + "1-01;1;São Paulo\n").encode("cp1252"))
    yield error(
        run, [legacy], results_path=results, dry_run=True, reading=Reading(encoding="ascii")
    )
    damaged = tmp_path / "damaged.sqlite3"
    damaged.write_bytes(b"x" * 4096)
    yield error(Journal(damaged).__enter__)
    with Journal(tmp_path / "newer.sqlite3") as journal:
        journal.db.execute("PRAGMA user_version = 99")
    yield error(Journal(tmp_path / "newer.sqlite3").__enter__)
    # Held by another run: its holder quotes that run's command, flags and all (what the run
    # is, not a remedy), so the one held here is written by hand.
    with (tmp_path / "held.sqlite3.lock").open("a+", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        lock.write("pid 7 on warehouse since 2026-11-24T22:00:00Z (batch-uploader upload a.csv)")
        lock.flush()
        yield error(Journal(tmp_path / "held.sqlite3").__enter__)
    yield error(Journal(source / "journal.sqlite3").__enter__)
    mapping = tmp_path / "m.toml"
    mapping.write_text("[columns\n", encoding="utf-8")
    yield error(read_mapping, [], mapping)
    yield error(read_mapping, ["Ref"])
    yield error(run, [tmp_path / "two.csv"], results_path=results, dry_run=True)


def test_no_message_worded_for_a_page_names_a_flag(tmp_path: Path) -> None:
    (tmp_path / "two.csv").write_text("Pedido;Order ID;NF;Rastreio\n1;1;1;1\n", encoding="utf-8")
    messages = list(provoked(tmp_path))

    hints = {message.hint for message in messages}
    assert {Hint.RESULTS, Hint.BASE_URL, Hint.BASE_URL_GIVEN, Hint.NO_SENDING} <= hints
    assert {Hint.ENCODING, Hint.JOURNAL, Hint.JOURNAL_OTHER, Hint.JOURNAL_THIS} <= hints
    assert {Hint.MAPPING_FILE, Hint.MAP_PAIR} <= hints
    for message in messages:
        assert message.code in CODES
        assert "--" in str(message)  # every one names a flag on the command line
        assert "--" not in message.text(PAGE), message.text(PAGE)


def test_a_message_is_its_command_line_text_and_survives_a_copy() -> None:
    note = RunMessage(
        "hidden-sheet", N_("{file}: sheet {sheet!r} is hidden: left out; {hint}"),
        {"file": "a.xlsx", "sheet": "Pedidos 2026", "hint": Hint.SHEET},
    )  # fmt: skip
    error = UsageError(note)

    assert (
        str(note)
        == "a.xlsx: sheet 'Pedidos 2026' is hidden: left out; --sheet 'Pedidos 2026' reads it"
    )
    # An event's JSON says it as the command line does.
    told = AllDecided(1.0, 0, 0, None, None, False, (note,)).to_json()
    assert json.loads(json.dumps(told))["changed_inputs"] == [str(note)]
    for again in (pickle.loads(pickle.dumps(note)), copy.deepcopy(note)):
        assert isinstance(again, RunMessage)
        assert (again, again.code, again.params, again.hint) == (
            note,
            note.code,
            note.params,
            note.hint,
        )
    restored = pickle.loads(pickle.dumps(error))
    assert (str(restored), restored.code, restored.text(PAGE)) == (
        str(error),
        "hidden-sheet",
        error.text(PAGE),
    )


def test_an_error_given_plain_text_is_the_same_for_every_front_end() -> None:
    error = InputError("a.xlsx: its part xl/styles.xml cannot be read (bad zip)")

    assert (error.code, error.params, error.hint) == ("input-error", {}, None)
    assert error.text(PAGE) == str(error)
    assert UsageError("x").code == "usage-error"


def test_codes_are_distinct_named_after_themselves_and_not_a_rows() -> None:
    from batch_uploader import message_codes

    named = {
        name: value
        for name, value in vars(message_codes).items()
        if name.isupper() and isinstance(value, str)
    }
    assert set(named.values()) == CODES
    assert len(named) == len(CODES)
    for name, value in named.items():
        assert name == value.upper().replace("-", "_")
    assert not CODES & (row_codes.ERROR_CODES | row_codes.WARNING_CODES)


def test_every_message_about_the_run_takes_its_code_from_the_list() -> None:
    spelled = []
    for path in sorted(set(PACKAGE.rglob("*.py")) - {PACKAGE / "messages.py"}):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "RunMessage"
                and not (
                    node.args
                    and isinstance(node.args[0], ast.Attribute)
                    and getattr(node.args[0].value, "id", "") == "message_codes"
                )
            ):
                spelled.append(f"{path.name}:{node.lineno}")
    assert spelled == []


ACCESS_ANSWERS = [
    (httpx.Response(401), message_codes.ACCESS_REFUSED),
    (httpx.Response(403), message_codes.ACCESS_FORBIDDEN),
    (httpx.Response(404, json={"error": {"code": "OMS007"}}), message_codes.ACCESS_GRANTED),
    (httpx.Response(200, json={}), message_codes.ACCESS_NOT_OMS),
    (httpx.Response(404, text="Not Found"), message_codes.ACCESS_NO_OMS),
    (httpx.Response(409), message_codes.ACCESS_ANSWER),
]


@pytest.mark.parametrize(("answer", "code"), ACCESS_ANSWERS)
def test_the_access_check_says_what_it_found_as_a_code_a_page_words(
    answer: httpx.Response, code: str
) -> None:
    transport = httpx.MockTransport(lambda request: answer)
    verdict = asyncio.run(check_access("https://store.example", CREDENTIALS, transport=transport))
    message = verdict.message
    assert isinstance(message, RunMessage)
    assert message.code == code
    assert message.params["base_url"] == "https://store.example"
    assert "--" not in message.text(PAGE)
    assert "VTEX_APP_KEY" not in message.text(PAGE)


def test_the_access_check_that_times_out_names_the_timeout_as_each_front_end_does() -> None:
    async def hang(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(5)
        raise AssertionError("the check waited past its timeout")

    verdict = asyncio.run(
        check_access(
            "https://store.example",
            CREDENTIALS,
            timeout=0.05,
            transport=httpx.MockTransport(hang),
        )
    )
    assert isinstance(verdict.message, RunMessage)
    assert verdict.message.code == message_codes.ACCESS_TIMED_OUT
    assert str(verdict.message) == (
        "https://store.example did not answer within 0.05 s (--timeout); check the account "
        "name, the environment and the network"
    )
    assert verdict.message.text(PAGE) == (
        "https://store.example did not answer within 0.05 s (the time a request may take, in "
        "Settings); check the account name, the environment and the network"
    )
