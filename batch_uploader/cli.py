"""The command line: parses options, builds the pieces, and reports. The work is elsewhere."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from . import __version__, charset
from .columns import read_mapping
from .dates import DateOrder
from .errors import BatchUploaderError, UsageError
from .inputs import Reading
from .journal import Journal
from .models import Status
from .pipeline import Settings, run
from .report import ExitStatus, Report
from .retry import RetryPolicy
from .sandbox import Sandbox, SandboxConfig
from .target import DEFAULT_ENVIRONMENT, Credentials, resolve_base_url
from .writer import FORMATS, default_results_path

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_DIR = Path("output")
JOURNAL_NAME = "journal.sqlite3"


def exits_on_error(command: F) -> F:
    """Turns the errors a person can fix into a one-line message and the contract's status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except BatchUploaderError as error:
            click.echo(f"batch-uploader: error: {error}", err=True)
            sys.exit(error.exit_status)

    return wrapper  # type: ignore[return-value]


def sandbox_options(prefix: str) -> Callable[[F], F]:
    """The options that shape the sandbox's behaviour, named ``--{prefix}...``."""
    options = [
        click.option(
            f"--{prefix}latency",
            "sandbox_latency",
            type=click.FloatRange(min=0),
            default=0.0,
            help="Seconds the sandbox waits before each answer.",
        ),
        click.option(
            f"--{prefix}unknown-order",
            "sandbox_unknown_orders",
            multiple=True,
            metavar="ORDER_ID",
            help="An order the sandbox answers 404 OMS007 for (repeatable).",
        ),
        click.option(
            f"--{prefix}rate-limit",
            "sandbox_rate_limit",
            type=click.FloatRange(min=0, min_open=True),
            help="Requests per second the sandbox accepts; past it, 429 with Retry-After.",
        ),
        click.option(
            f"--{prefix}burst",
            "sandbox_burst",
            type=click.IntRange(min=1),
            default=1,
            show_default=True,
            help="Requests the rate limit lets through at once.",
        ),
        click.option(
            f"--{prefix}resets",
            "sandbox_resets",
            type=click.FloatRange(0, 1),
            default=0.0,
            help="Share of requests whose connection is dropped without an answer.",
        ),
        click.option(
            f"--{prefix}rate-limited",
            "sandbox_rate_limited",
            type=click.FloatRange(0, 1),
            default=0.0,
            help="Share of requests answered 429 with Retry-After.",
        ),
        click.option(
            f"--{prefix}unavailable",
            "sandbox_unavailable",
            type=click.FloatRange(0, 1),
            default=0.0,
            help="Share of requests answered 503.",
        ),
        click.option(
            f"--{prefix}slow",
            "sandbox_slow",
            type=click.FloatRange(0, 1),
            default=0.0,
            help="Share of requests answered after --{prefix}slow-seconds.",
        ),
        click.option(
            f"--{prefix}slow-seconds",
            "sandbox_slow_seconds",
            type=click.FloatRange(min=0),
            default=5.0,
            show_default=True,
        ),
        click.option(
            f"--{prefix}refuse-credentials",
            "sandbox_refuse_credentials",
            type=click.Choice(["401", "403"]),
            help="Answer every request with this status, as VTEX does for a bad key.",
        ),
        click.option(
            f"--{prefix}seed",
            "sandbox_seed",
            type=int,
            help="Seed for the faults, to make a run reproducible.",
        ),
    ]

    def decorate(command: F) -> F:
        for option in reversed(options):
            command = option(command)
        return command

    return decorate


def sandbox_config(options: dict[str, Any]) -> SandboxConfig:
    refuse = options["sandbox_refuse_credentials"]
    return SandboxConfig(
        latency=options["sandbox_latency"],
        unknown_orders=frozenset(options["sandbox_unknown_orders"]),
        rate_limit=options["sandbox_rate_limit"],
        burst=options["sandbox_burst"],
        resets=options["sandbox_resets"],
        rate_limited=options["sandbox_rate_limited"],
        unavailable=options["sandbox_unavailable"],
        slow=options["sandbox_slow"],
        slow_seconds=options["sandbox_slow_seconds"],
        refuse_credentials=int(refuse) if refuse else None,
        seed=options["sandbox_seed"],
    )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="batch-uploader")
def cli() -> None:
    """Upload carrier spreadsheets of tracking numbers into VTEX orders."""


@cli.command()
@click.argument(
    "files",
    nargs=-1,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
)
@click.option("--base-url", envvar="VTEX_BASE_URL", help="API address (env VTEX_BASE_URL).")
@click.option("--account", envvar="VTEX_ACCOUNT_NAME", help="VTEX account (env VTEX_ACCOUNT_NAME).")
@click.option(
    "--environment",
    envvar="VTEX_ENVIRONMENT",
    default=DEFAULT_ENVIRONMENT,
    show_default=True,
    help="VTEX environment (env VTEX_ENVIRONMENT).",
)
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    default=10.0,
    show_default=True,
    help="Most requests per second, over all workers.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="Most requests in flight at once.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=30.0,
    show_default=True,
    help="Seconds to wait for each answer.",
)
@click.option(
    "--max-attempts",
    type=click.IntRange(1, 20),
    default=5,
    show_default=True,
    help="Attempts per row, retries included.",
)
@click.option("--dry-run", is_flag=True, help="Read and validate only; send nothing.")
@click.option("--encoding", help="Encoding of CSV files (default: detected).")
@click.option("--sheet", help="Read only this sheet of each workbook.")
@click.option(
    "--map",
    "mapped",
    multiple=True,
    metavar="'HEADING=FIELD'",
    help="Name the field of a column heading (repeatable), e.g. 'Nº do objeto=trackingNumber'.",
)
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help='A TOML file with a [columns] table of "Heading" = "field".',
)
@click.option(
    "--date-format",
    type=click.Choice([order.value for order in DateOrder]),
    help="Read 01/02/2026 day first (dmy) or month first (mdy). Default: as each column shows.",
)
@click.option("--timezone", help="IANA zone for times without an offset, e.g. America/Sao_Paulo.")
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results file (.csv or .xlsx). Default: output/<file>-results-<UTC time>.<format>.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="csv",
    show_default=True,
    help="Format of the default results file.",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The journal of sent rows. Default: output/journal.sqlite3 (in memory with --sandbox).",
)
@click.option("--force", is_flag=True, help="Send rows even if the journal says they were sent.")
@click.option(
    "--stop-after-failures",
    type=click.IntRange(min=0),
    default=20,
    show_default=True,
    help="Stop when this many rows fail one after another (0: never).",
)
@click.option("--sandbox", is_flag=True, help="Send to a fake OMS started on 127.0.0.1.")
@sandbox_options("sandbox-")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar; only problems and summary.")
@exits_on_error
def upload(
    files: tuple[Path, ...],
    base_url: str | None,
    account: str | None,
    environment: str,
    rate: float,
    concurrency: int,
    timeout: float,
    max_attempts: int,
    dry_run: bool,
    encoding: str | None,
    sheet: str | None,
    mapped: tuple[str, ...],
    mapping: Path | None,
    date_format: str | None,
    timezone: str | None,
    results: Path | None,
    output_format: str,
    journal: Path | None,
    force: bool,
    stop_after_failures: int,
    sandbox: bool,
    quiet: bool,
    **options: Any,
) -> None:
    """Send the tracking numbers in FILES (.csv, .tsv, .txt, .xlsx, .xlsm) to VTEX."""
    results = results or default_results_path(
        list(files), OUTPUT_DIR, dt.datetime.now(dt.UTC), output_format
    )
    settings = Settings(
        rate=rate,
        concurrency=concurrency,
        timeout=timeout,
        retry=RetryPolicy(max_attempts=max_attempts),
        stop_after_failures=stop_after_failures,
    )
    reading = Reading(
        encoding=charset.resolve(encoding) if encoding else None,
        sheet=sheet,
        headings=read_mapping(mapped, mapping),
        date_order=DateOrder(date_format) if date_format else None,
        timezone=_zone(timezone) if timezone else None,
    )
    upload_files = functools.partial(
        run,
        files,
        results_path=results,
        settings=settings,
        reading=reading,
        force=force,
        show_progress=not quiet and sys.stderr.isatty(),
    )
    if dry_run:
        report = upload_files(dry_run=True)
    elif sandbox:
        # The sandbox forgets what it was sent when it stops, so by default its journal does too.
        with Sandbox(sandbox_config(options)) as fake:
            report = upload_files(
                base_url=fake.base_url, credentials=_sandbox_credentials(), journal_path=journal
            )
    else:
        report = upload_files(
            base_url=resolve_base_url(base_url, account, environment),
            credentials=Credentials.from_env(os.environ),
            journal_path=journal or OUTPUT_DIR / JOURNAL_NAME,
        )
    _print_report(report)
    sys.exit(report.exit_status)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--timezone {name!r} is not a time zone; use a name such as America/Sao_Paulo"
        ) from None


def _sandbox_credentials() -> Credentials:
    try:
        return Credentials.from_env(os.environ)
    except UsageError:
        return Credentials("sandbox-key", "sandbox-token")


def _print_report(report: Report) -> None:
    for line in report.understood:
        click.echo(line)
    if report.examples:
        click.echo("First rows as they would be sent:")
        for example in report.examples:
            click.echo(f"  {example}")
    for note in report.notes:
        click.echo(f"Note: {note}")
    not_sent = report.counts[Status.INVALID] + report.counts[Status.FAILED]
    if report.problems:
        shown = len(report.problems)
        more = f" (the first {shown} of {not_sent})" if not_sent > shown else ""
        click.echo(f"Rows not sent{more}; the results file has them all:")
        for problem in report.problems:
            click.echo(f"  {problem}")
    if report.stop_reason:
        click.echo(f"batch-uploader: stopped: {report.stop_reason}", err=True)
    click.echo(report.summary())


@cli.command()
@click.option("--order", "order_id", metavar="ORDER_ID", help="Every row sent for this order.")
@click.option(
    "--file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Every row of this file's content, under whatever name it was uploaded.",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    default=OUTPUT_DIR / JOURNAL_NAME,
    show_default=True,
)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@exits_on_error
def history(order_id: str | None, file: Path | None, journal: Path, limit: int) -> None:
    """Tell what was sent: the latest runs, or the rows of an order or a file."""
    with Journal(journal, read_only=True) as ledger:
        if order_id is None and file is None:
            for past in ledger.runs(limit):
                ended = past.finished_at or "never finished (interrupted or crashed)"
                status = "" if past.exit_status is None else f", exit {past.exit_status}"
                click.echo(f"run {past.id}: {past.started_at} to {ended}{status}, {past.target}")
                click.echo(f"  files: {', '.join(past.files)}")
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
    from .target import is_loopback

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


def main() -> None:
    cli(prog_name="batch-uploader")
