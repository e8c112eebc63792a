"""The command line: parses options, builds the pieces, and reports. The work is elsewhere."""

from __future__ import annotations

import datetime as dt
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from . import __version__
from .errors import BatchUploaderError, UsageError
from .models import Status
from .pipeline import Settings, run
from .report import ExitStatus, Report
from .retry import RetryPolicy
from .sandbox import Sandbox, SandboxConfig
from .target import DEFAULT_ENVIRONMENT, Credentials, resolve_base_url
from .writer import default_results_path

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_DIR = Path("output")


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
@click.option(
    "--results",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Results file (.csv). Default: output/<file>-results-<UTC time>.csv.",
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
    results: Path | None,
    sandbox: bool,
    quiet: bool,
    **options: Any,
) -> None:
    """Send the tracking numbers in FILES (.csv, .tsv, .txt, .xlsx, .xlsm) to VTEX."""
    results = results or default_results_path(list(files), OUTPUT_DIR, dt.datetime.now(dt.UTC))
    if results.suffix.lower() != ".csv":
        raise UsageError(f"--results {results}: the results file must end in .csv")
    settings = Settings(
        rate=rate,
        concurrency=concurrency,
        timeout=timeout,
        retry=RetryPolicy(max_attempts=max_attempts),
    )
    show_progress = not quiet and sys.stderr.isatty()
    if dry_run:
        report = run(files, results_path=results, dry_run=True, show_progress=show_progress)
    elif sandbox:
        with Sandbox(sandbox_config(options)) as fake:
            credentials = _sandbox_credentials()
            report = run(
                files,
                results_path=results,
                base_url=fake.base_url,
                credentials=credentials,
                settings=settings,
                show_progress=show_progress,
            )
    else:
        target = resolve_base_url(base_url, account, environment)
        credentials = Credentials.from_env(os.environ)
        report = run(
            files,
            results_path=results,
            base_url=target,
            credentials=credentials,
            settings=settings,
            show_progress=show_progress,
        )
    _print_report(report)
    sys.exit(report.exit_status)


def _sandbox_credentials() -> Credentials:
    try:
        return Credentials.from_env(os.environ)
    except UsageError:
        return Credentials("sandbox-key", "sandbox-token")


def _print_report(report: Report) -> None:
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
