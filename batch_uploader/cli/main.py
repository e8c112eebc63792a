"""The command line: parses options, builds the pieces, and reports. The work is elsewhere."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import __version__, message_codes
from ..errors import BatchUploaderError, UsageError
from ..exit_statuses import ExitStatus
from ..files.columns import EVENTS
from ..files.output_names import JOURNAL_NAME, default_results_path, verified_path
from ..files.results import new_results_file
from ..jobs import inbox
from ..jobs.journal import DAMAGED, Journal
from ..jobs.outputs import refusal
from ..jobs.report import Report
from ..sandbox.oms import Sandbox
from ..scripting import check_access, run, upload_events, verify_results
from ..vtex.target import Credentials, is_loopback
from ..web import accounts
from ..web.settings import MAX_BODY, PageSettings
from . import config
from .logs import Console
from .logs import configure as configure_logging
from .options import (
    config_option,
    file_upload_options,
    journal_from,
    output_dir_option,
    output_options,
    pace_options,
    reading_from,
    reading_options,
    sandbox_config,
    sandbox_options,
    sending_options,
    settings_from,
    target_options,
    templates_from,
    url_options,
    verify_option,
)
from .options import target_from as options_target_from
from .web import WEB_DIR, serve_page

F = TypeVar("F", bound=Callable[..., Any])
_log = logging.getLogger(__name__)


def target_from(options: dict[str, Any]) -> tuple[str, Credentials]:
    """The base URL and credentials of a real target, their token kept from every line the
    command prints or logs."""
    base_url, credentials = options_target_from(options)
    console().keep_secret(credentials.app_token)
    return base_url, credentials


def console() -> Console:
    """The console of the command being run (plain lines when run outside the group)."""
    context = click.get_current_context(silent=True)
    found = context.find_root().obj if context is not None else None
    return found if isinstance(found, Console) else Console()


def exits_on_error(command: F) -> F:
    """Turns the errors a person can fix into a one-line message and the contract's status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BatchUploaderError as error:
            console().error("error", f"batch-uploader: error: {error}")
            sys.exit(error.exit_status)
        except KeyboardInterrupt:
            # Outside the sending, where a signal ends the run cleanly: nothing was under way.
            console().error(
                "interrupted",
                "batch-uploader: interrupted while reading the files or writing the results (no "
                "request was under way); run the same command again: the journal skips what was "
                "sent",
                exitStatus=ExitStatus.INTERRUPTED,
            )
            sys.exit(ExitStatus.INTERRUPTED)
        except Exception as error:
            why = refusal(error)
            if why is not None:
                # The machine's, not the program's: a disk that filled where no part of the
                # run could catch it sooner.
                what = getattr(error, "filename", None)
                console().error(
                    "unwritten",
                    f"batch-uploader: could not write {what or 'a file'} while running "
                    f"{_doing()}: {why}; {_results_so_far(kwargs)}free space on that disk and "
                    "run again: the journal skips the rows sent",
                    exitStatus=ExitStatus.CANNOT_WRITE,
                )
                sys.exit(ExitStatus.CANNOT_WRITE)
            # Not SystemExit or KeyboardInterrupt: those are the command's own endings. Anything
            # else is a fault of the program, which must not exit 1 ("some rows invalid").
            _log.debug("the fault in full:", exc_info=True)
            console().error(
                "internal-error",
                f"batch-uploader: internal error while running {_doing()}: "
                f"{type(error).__name__}: {error}; this is a fault of batch-uploader, not of "
                f"your files or settings; {_results_so_far(kwargs)}please report it, with "
                "what --verbose prints for the same command",
                exitStatus=ExitStatus.INTERNAL_ERROR,
            )
            sys.exit(ExitStatus.INTERNAL_ERROR)

    return wrapper  # type: ignore[return-value]


def _doing() -> str:
    """The command being run, as typed: ``batch-uploader upload``."""
    context = click.get_current_context(silent=True)
    return context.command_path if context is not None else "batch-uploader"


def _results_so_far(arguments: dict[str, Any]) -> str:
    """Where a command that failed had written its results, when it writes any."""
    if arguments.get("results"):
        where = f"the file {arguments['results']}"
    elif arguments.get("folder"):
        where = f"{Path(arguments['folder']) / inbox.DONE}/"
    elif arguments.get("files") and arguments.get("output_dir"):
        where = f"{arguments['output_dir']}/"
    else:
        return ""
    return f"the results so far, if any, are in {where}; "


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="batch-uploader")
@click.option(
    "--log-format",
    type=click.Choice(["human", "json"]),
    default="human",
    envvar="BATCH_UPLOADER_LOG_FORMAT",
    show_default=True,
    help="Lines for people, or JSON lines for a log collector.",
)
@click.option("--verbose", "-v", is_flag=True, help="Also log each HTTP request and retry.")
@click.pass_context
def cli(context: click.Context, log_format: str, verbose: bool) -> None:
    """Upload carrier spreadsheets of tracking numbers into VTEX orders."""
    context.obj = Console(log_format)
    configure_logging(verbose=verbose, console=context.obj)


@cli.command()
@file_upload_options
@url_options
@verify_option
@exits_on_error
def upload(
    files: tuple[Path, ...], dry_run: bool, results: Path | None, sandbox: bool, **options: Any
) -> None:
    """Send the tracking numbers in FILES (.csv, .tsv, .txt; workbooks .xlsx, .xlsm, .xlsb,
    .xls, .ods) to VTEX."""
    # The target is checked before any file is written: a refused one leaves nothing behind.
    target = None if dry_run or sandbox else target_from(options)
    with _results_file(files, results, options) as results_path:
        upload_files = functools.partial(
            run,
            files,
            results_path=results_path,
            settings=settings_from(options),
            reading=reading_from(options),
            url_templates=templates_from(options),
            verify_orders=options["verify"],
            force=options["force"],
            show_progress=not options["quiet"] and sys.stderr.isatty(),
        )
        report = _send_to_target(upload_files, target, dry_run=dry_run, options=options)
    print_report(report, quiet=options["quiet"])
    sys.exit(report.exit_status)


@cli.command()
@file_upload_options
@exits_on_error
def events(
    files: tuple[Path, ...], dry_run: bool, results: Path | None, sandbox: bool, **options: Any
) -> None:
    """Send the delivery events in FILES (.csv, .tsv, .txt, .xlsx, .xlsm, .xlsb, .xls, .ods;
    one line per event: orderId, invoiceNumber, date, city, state, description, and
    optionally isDelivered and deliveredDate) to VTEX, one request per invoice with all its
    events in date order. The request replaces the events the order holds: give each parcel's
    whole history so far, not only its new events."""
    target = None if dry_run or sandbox else target_from(options)
    with _results_file(files, results, options) as results_path:
        upload_files = functools.partial(
            upload_events,
            files,
            results_path=results_path,
            settings=settings_from(options),
            reading=reading_from(options, EVENTS),
            force=options["force"],
            show_progress=not options["quiet"] and sys.stderr.isatty(),
        )
        report = _send_to_target(upload_files, target, dry_run=dry_run, options=options)
    print_report(report, quiet=options["quiet"])
    sys.exit(report.exit_status)


def _results_file(
    files: tuple[Path, ...], given: Path | None, options: dict[str, Any]
) -> contextlib.AbstractContextManager[Path]:
    """The results file the user gave (overwritten: their choice), or else a new one in the
    output folder, under a name no other output has."""
    if given is not None:
        return contextlib.nullcontext(given)
    now = dt.datetime.now(dt.UTC)
    output_dir = Path(options["output_dir"])
    return new_results_file(
        default_results_path(list(files), output_dir, now, options["output_format"])
    )


def _send_to_target(
    upload_files: Callable[..., Report],
    target: tuple[str, Credentials] | None,
    *,
    dry_run: bool,
    options: dict[str, Any],
) -> Report:
    """Runs ``upload_files`` as a dry run, against the real ``target``, or (when it is
    ``None``) against a sandbox."""
    if dry_run:
        # Not needed, but when known the token is looked for: the rows that hold it are refused
        # as the real run would refuse them, and it is repeated nowhere.
        return upload_files(dry_run=True, credentials=_known_credentials(options))
    if target is None:
        # The sandbox forgets what it was sent when it stops, so by default its journal does too.
        with Sandbox(sandbox_config(options)) as fake:
            return upload_files(
                base_url=fake.base_url,
                credentials=_sandbox_credentials(),
                journal_path=options["journal"],
            )
    base_url, credentials = target
    return upload_files(
        base_url=base_url, credentials=credentials, journal_path=journal_from(options)
    )


@cli.command()
@config_option
@target_options
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=30.0)
@exits_on_error
def check(timeout: float, **options: Any) -> None:
    """Check the account, the credentials and their permission with one harmless request."""
    base_url, credentials = target_from(options)
    verdict = check_access(base_url, credentials, timeout=timeout)
    if verdict.exit_status == ExitStatus.OK:
        console().say("check", str(verdict.message), exitStatus=verdict.exit_status)
    else:
        console().error("check", str(verdict.message), exitStatus=verdict.exit_status)
    sys.exit(verdict.exit_status)


@cli.command("inbox")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@config_option
@target_options
@sending_options
@reading_options
@url_options
@verify_option
@output_options
@click.option(
    "--settle",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Seconds a file must stay unchanged before it is taken (it may still be copied in).",
)
@exits_on_error
def process_inbox(folder: Path, settle: float, **options: Any) -> None:
    """Upload every complete file dropped into FOLDER (.csv, .tsv, .txt, .xlsx, .xlsm, .xlsb,
    .xls, .ods), then move it to FOLDER/done (or FOLDER/rejected when it cannot be read) with
    its results beside it."""
    base_url, credentials = target_from(options)
    reading, url_templates = reading_from(options), templates_from(options)
    upload_file = functools.partial(
        run,
        base_url=base_url,
        credentials=credentials,
        settings=settings_from(options),
        reading=reading,
        url_templates=url_templates,
        verify_orders=options["verify"],
        journal_path=options["journal"] or inbox.journal_path(folder),
        force=options["force"],
        show_progress=not options["quiet"] and sys.stderr.isatty(),
    )
    try:
        done = inbox.process(
            folder,
            lambda path, results: upload_file([path], results_path=results),
            settle=settle,
            extension=options["output_format"],
            settings_key=inbox.settings_digest(reading, url_templates),
            target=base_url,
            # A rejection quotes the file as Python text: a token written escaped in the file
            # (as a TOML credentials file holds one with a quote) comes out escaped twice.
            redactor=credentials.redactor(),
        )
    except KeyboardInterrupt:
        console().error("interrupted", "batch-uploader: interrupted")
        sys.exit(ExitStatus.INTERRUPTED)
    out = console()
    for path, report in done.processed:
        out.say("file", f"{path.name}:", file=str(path))
        print_report(report, quiet=options["quiet"])
    for path, reason in done.rejected:
        out.error("rejected", f"batch-uploader: rejected {path}: {reason}", file=str(path))
    for path in done.links:
        out.error(
            "link",
            f"batch-uploader: left alone {path}: a symbolic link, which the inbox never follows; "
            "put the file itself in the inbox, and remove the link",
            file=str(path),
        )
    out.say("inbox", done.summary(folder), exitStatus=done.exit_status)
    sys.exit(done.exit_status)


@cli.command("verify")
@click.argument("results_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@config_option
@target_options
@pace_options
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where the verified lines go (.csv). Default: <results file>-verified.csv beside it.",
)
@exits_on_error
def verify_command(results_file: Path, results: Path | None, **options: Any) -> None:
    """Read back the orders of the rows sent in RESULTS_FILE (a results file of an upload) and
    check that VTEX holds the tracking number, URL and courier that were sent."""
    base_url, credentials = target_from(options)
    default = verified_path(results_file)
    # The default name is never reused: an earlier read-back of the same file is kept.
    with contextlib.nullcontext(results) if results else new_results_file(default) as output:
        report = verify_results(
            results_file,
            output,
            base_url=base_url,
            credentials=credentials,
            settings=settings_from(options),
        )
    out = console()
    if report.examples:
        more = _first_of(len(report.examples), report.not_verified)
        out.error("unverified", f"Rows sent but not verified{more}; {output} has them all:")
        for example in report.examples:
            out.error("unverified-row", f"  {example}")
    out.say("summary", report.summary(), exitStatus=report.exit_status)
    sys.exit(report.exit_status)


def _known_credentials(options: dict[str, Any]) -> Credentials | None:
    """The credentials of the environment or the credentials file, when they are given."""
    try:
        credentials = config.credentials(os.environ, options["credentials"])
    except UsageError:
        return None
    console().keep_secret(credentials.app_token)
    return credentials


def _sandbox_credentials() -> Credentials:
    try:
        return Credentials.from_env(os.environ)
    except UsageError:
        return Credentials("sandbox-key", "sandbox-token")


def print_report(report: Report, *, quiet: bool = False) -> None:
    """The report for a person; with ``quiet``, its summary line alone (and why it stopped)."""
    out = console()
    for number, (what, why) in enumerate(report.unwritten):
        # The first says what to do; the others, which the same disk refused, only what.
        text = unwritten_message(what, why) if not number else f"also not written: {what}: {why}"
        out.error("unwritten", f"batch-uploader: {text}")
    if report.stop_reason and not report.unwritten:
        out.error("stopped", f"batch-uploader: stopped: {report.stop_reason}")
    if not quiet:
        for line in report.understood:
            out.say("understood", line)
        if report.examples:
            out.say("examples", "First rows as they would be sent:")
            for example in report.examples:
                out.say("example", f"  {example}")
        for note in report.notes:
            out.say("note", f"Note: {note}")
        if report.problems:
            more = _first_of(len(report.problems), report.not_sent)
            whole = report.results_path and not report.unwritten
            where = "; the results file has them all" if whole else ""
            out.say("problems", f"Rows not sent{more}{where}:")
            for problem in report.problems:
                out.say("problem", f"  {problem}")
        if report.unverified:
            more = _first_of(len(report.unverified), report.not_verified)
            out.say(
                "unverified", f"Rows sent but not verified{more}; the results file has them all:"
            )
            for line in report.unverified:
                out.say("unverified-row", f"  {line}")
    out.say("summary", report.summary(), **report.as_json())


def unwritten_message(what: str, why: str) -> str:
    """What a person reads when the disk refused to write ``what`` during a run."""
    remedy = (
        "Free space on that disk (or let batch-uploader write there) and run again (a file of "
        "the inbox stays there for the next run): the journal skips the rows already sent"
    )
    if why.startswith(DAMAGED):
        remedy = (
            "Move the journal aside (keep it: it records what was sent; a new journal sends "
            "those rows again, which VTEX takes as the same updates) and run again"
        )
    text = (
        f"{what} could not be written: {why}. Sending stopped there, so that no row is sent "
        f"without a record of it. {remedy}"
    )
    if what.startswith("the journal") and not why.startswith(DAMAGED):
        text += (
            "; a row whose answer came as the journal failed is sent again, which VTEX takes "
            "as the same update"
        )
    return text + "."


def _first_of(shown: int, total: int) -> str:
    return f" (the first {shown} of {total})" if total > shown else ""


@cli.command()
@click.option("--order", "order_id", metavar="ORDER_ID", help="Every row sent for this order.")
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Every row of this file's content, under whatever name it was uploaded.",
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@config_option
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Default: journal.sqlite3 in the output folder.",
)
@output_dir_option
@exits_on_error
def history(order_id: str | None, file: Path | None, limit: int, **options: Any) -> None:
    """Tell what was sent: the latest runs, or the rows of an order or a file."""
    journal = journal_from(options)
    with Journal(journal, read_only=True) as ledger:
        if order_id is None and file is None:
            runs = ledger.runs(limit)
            counts = ledger.counts([past.id for past in runs])
            for past in runs:
                ended = past.finished_at or "never finished (interrupted or crashed)"
                status = "" if past.exit_status is None else f", exit {past.exit_status}"
                click.echo(f"run {past.id}: {past.started_at} to {ended}{status}, {past.target}")
                click.echo(f"  files: {', '.join(past.files)}")
                rows = ", ".join(f"{count} {state}" for state, count in counts[past.id].items())
                click.echo(f"  rows: {rows or 'none'}")
                if past.results:
                    click.echo(f"  results: {past.results}")
            return
        lines = ledger.history(order_id=order_id, file=file)
    if not lines:
        click.echo(f"The journal {journal} has no row for {order_id or file}.")
        sys.exit(ExitStatus.ROWS_NOT_SENT)
    for line in lines:
        sheet = f" [{line.sheet}]" if line.sheet else ""
        outcome = (
            f"receipt {line.receipt}"
            if line.receipt
            else f"{line.error_code or ''} {line.error_message or ''}".strip()
        )
        click.echo(
            f"{line.updated_at}  run {line.run_id}  {line.file}{sheet} row {line.row}  "
            f"{line.order_id} / {line.invoice_number}  {line.state}  {outcome}"
        )


@cli.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="A loopback address.")
@click.option("--port", type=click.IntRange(0, 65535), default=8899, show_default=True)
@sandbox_options("")
@exits_on_error
def serve_sandbox(host: str, port: int, **options: Any) -> None:
    """Serve the fake OMS for other tools, until Ctrl-C."""
    if not is_loopback(host):
        raise UsageError(f"--host {host}: the sandbox only listens on loopback addresses")
    try:
        fake = Sandbox(sandbox_config(options), host=host, port=port)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    click.echo(f"Sandbox OMS on {fake.base_url} (Ctrl-C to stop)")
    try:
        fake.serve_forever()
    except KeyboardInterrupt:
        sys.exit(ExitStatus.INTERRUPTED)


@cli.command("web")
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="The address to listen on (loopback)."
)
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True)
@click.option("--no-browser", is_flag=True, help="Print the address without opening it.")
@click.option(
    "--output",
    type=click.Path(file_okay=False, path_type=Path),
    default=WEB_DIR,
    show_default=True,
    help="Where the page keeps each job's files and results.",
)
@click.option(
    "--max-upload-mb",
    type=click.IntRange(min=1),
    default=MAX_BODY // (1024 * 1024),
    show_default=True,
    help="The most the files of one upload may weigh together, in MiB.",
)
@config_option
@target_options
@pace_options
@click.option(
    "--stop-after-failures",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Stop a job when this many rows fail one after another (0: never).",
)
@url_options
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The journal of sent rows. Default: journal.sqlite3 in the output folder's parent "
    "(in memory with --sandbox).",
)
@click.option(
    "--inbox",
    "inboxes",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="An inbox folder whose nightly runs the history shows (may be given more than once).",
)
@click.option("--sandbox", is_flag=True, help="Send every job to a fake OMS started here.")
@click.option(
    "--accounts",
    "accounts_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The accounts of the page's Settings, a file readable by its owner only. Default: "
    "~/.config/batch-uploader/accounts.toml.",
)
@sandbox_options("sandbox-")
@exits_on_error
def web(
    host: str,
    port: int,
    no_browser: bool,
    output: Path,
    max_upload_mb: int,
    inboxes: tuple[Path, ...],
    sandbox: bool,
    accounts_file: Path | None,
    **options: Any,
) -> None:
    """Serve the page where a person uploads carrier files, sees what was understood and
    sends them, until Ctrl-C."""
    accounts_file = accounts_file or accounts.default_path(os.environ)
    # Refused now, as a credentials file is, when others may read it.
    for account in accounts.read(accounts_file):
        console().keep_secret(account.app_token)
    base_url: str | None
    credentials: Credentials | None
    if sandbox:
        base_url, credentials = "http://127.0.0.1", _sandbox_credentials()
        console().keep_secret(credentials.app_token)
        journal = options["journal"]
    else:
        try:
            base_url, credentials = target_from(options)
        except UsageError as error:
            # No account given: the page starts for those of its Settings (perhaps none yet).
            if error.code != message_codes.NO_TARGET:
                raise
            base_url, credentials = None, None
        journal = options["journal"] or output.parent / JOURNAL_NAME
    settings = PageSettings(
        state_dir=output,
        base_url=base_url,
        credentials=credentials,
        journal=journal,
        sending=settings_from(options),
        url_templates=templates_from(options),
        max_body=max_upload_mb * 1024 * 1024,
        inboxes=inboxes,
        accounts=accounts_file,
        keep_secret=console().keep_secret,
    )
    serve_page(
        settings,
        host=host,
        port=port,
        open_browser=not no_browser,
        sandbox=(sandbox_config(options), _sandbox_credentials) if sandbox else None,
    )


def main() -> None:
    # SIGTERM (a scheduler's stop) ends the program as Ctrl-C does: with exit status 130 and
    # the results of a run under way, never killed half-way through writing them.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    cli(prog_name="batch-uploader")
