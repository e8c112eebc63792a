"""The command line's options, shared by its commands as decorators, and the objects built
from them. A configuration file gives them defaults (see :mod:`batch_uploader.cli.config`)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click

from ..errors import UsageError
from ..files import charset
from ..files.columns import TRACKING, Layout, read_mapping
from ..files.inputs import Reading
from ..files.output_names import JOURNAL_NAME
from ..files.results import FORMATS
from ..rules.dates import DateOrder
from ..rules.tracking_urls import UrlTemplates
from ..sandbox.oms import SandboxConfig
from ..vtex.retry import RetryPolicy
from ..vtex.settings import Settings
from ..vtex.target import DEFAULT_ENVIRONMENT, Credentials, resolve_base_url
from . import config

F = TypeVar("F", bound=Callable[..., Any])
OUTPUT_DIR = Path("output")


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        for decorator in reversed(decorators):
            command = decorator(command)
        return command

    return decorate


def _load_config(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    path = value or config.default_path(os.environ, Path.cwd())
    if path is not None:
        try:
            loaded = config.load(path)
        except UsageError as error:
            raise click.BadParameter(str(error), ctx, param) from None
        ctx.default_map = {**(ctx.default_map or {}), **loaded}
    return path


config_option = click.option(
    "--config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="BATCH_UPLOADER_CONFIG",
    is_eager=True,
    expose_value=False,
    callback=_load_config,
    help="Configuration file (default: ./batch-uploader.toml, or "
    "~/.config/batch-uploader/config.toml). Options and env vars win over it.",
)

target_options = _stack(
    click.option("--base-url", envvar="VTEX_BASE_URL", help="API address (env VTEX_BASE_URL)."),
    click.option(
        "--account", envvar="VTEX_ACCOUNT_NAME", help="VTEX account (env VTEX_ACCOUNT_NAME)."
    ),
    click.option(
        "--environment",
        envvar="VTEX_ENVIRONMENT",
        default=DEFAULT_ENVIRONMENT,
        show_default=True,
        help="VTEX environment (env VTEX_ENVIRONMENT).",
    ),
    click.option(
        "--credentials",
        type=click.Path(dir_okay=False, path_type=Path),
        help="TOML file with app_key and app_token, readable by its owner only; used when "
        "VTEX_APP_KEY and VTEX_APP_TOKEN are not set.",
    ),
)

pace_options = _stack(
    click.option(
        "--rate",
        type=click.FloatRange(min=0, min_open=True),
        default=10.0,
        show_default=True,
        help="Most requests per second, over all workers.",
    ),
    click.option(
        "--concurrency",
        type=click.IntRange(1, 64),
        default=Settings().concurrency,
        show_default=True,
        help="Most requests in flight at once.",
    ),
    click.option(
        "--timeout",
        type=click.FloatRange(min=0, min_open=True),
        default=30.0,
        show_default=True,
        help="Seconds an attempt may take, from connecting to the answer's last byte.",
    ),
    click.option(
        "--max-attempts",
        type=click.IntRange(1, 20),
        default=5,
        show_default=True,
        help="Attempts per row, retries included.",
    ),
)

sending_options = _stack(
    pace_options,
    click.option(
        "--stop-after-failures",
        type=click.IntRange(min=0),
        default=20,
        show_default=True,
        help="Stop when this many rows fail one after another (0: never).",
    ),
    click.option(
        "--force", is_flag=True, help="Send rows even if the journal says they were sent."
    ),
)

reading_options = _stack(
    click.option("--encoding", help="Encoding of CSV files (default: detected)."),
    click.option(
        "--sheet", help="Read only this sheet of each workbook (.xlsx, .xlsm, .xlsb, .xls, .ods)."
    ),
    click.option(
        "--map",
        "mapped",
        multiple=True,
        metavar="'HEADING=FIELD'",
        help="Name the field of a column heading (repeatable), e.g. 'Etiqueta SRO=trackingNumber'.",
    ),
    click.option(
        "--mapping",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help='A TOML file with a [columns] table of "Heading" = "field".',
    ),
    click.option(
        "--date-format",
        type=click.Choice([order.value for order in DateOrder]),
        help="Read 01/02/2026 day first (dmy) or month first (mdy). Default: as each column shows.",
    ),
    click.option(
        "--timezone", help="IANA zone for times without an offset, e.g. America/Sao_Paulo."
    ),
)

verify_option = click.option(
    "--verify",
    is_flag=True,
    help="Read each order back after its update (GET, within the same --rate) and check that "
    "it holds the tracking number, URL and courier sent; results gain a verification column.",
)

url_options = _stack(
    click.option(
        "--url-templates",
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
        help='A TOML file of [couriers."Name"] with url = "https://...{trackingNumber}" and '
        "aliases: they fill the tracking URL of rows that have none (over the built-in ones).",
    ),
    click.option(
        "--no-url-templates",
        is_flag=True,
        help="Never make a tracking URL from the courier: send rows without one as they are.",
    ),
)

output_dir_option = click.option(
    "--output-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=OUTPUT_DIR,
    show_default=True,
    help="Where results, rows to fix, summaries and the journal go by default.",
)

output_options = _stack(
    click.option(
        "--format",
        "output_format",
        type=click.Choice(FORMATS),
        default="csv",
        show_default=True,
        help="Format of the results file.",
    ),
    click.option(
        "--journal",
        type=click.Path(dir_okay=False, path_type=Path),
        help="The journal of sent rows. Default: journal.sqlite3 in the output folder (in "
        "an inbox, in its .batch-uploader folder).",
    ),
    click.option("--quiet", "-q", is_flag=True, help="No progress bar and no row details."),
)


def settings_from(options: dict[str, Any]) -> Settings:
    settings = Settings(
        rate=options["rate"],
        concurrency=options["concurrency"],
        timeout=options["timeout"],
        retry=RetryPolicy(max_attempts=options["max_attempts"]),
    )
    if "stop_after_failures" in options:  # commands that only read have no such option
        settings = replace(settings, stop_after_failures=options["stop_after_failures"])
    return settings


def reading_from(options: dict[str, Any], layout: Layout = TRACKING) -> Reading:
    encoding, zone, order = options["encoding"], options["timezone"], options["date_format"]
    return Reading(
        encoding=charset.resolve(encoding) if encoding else None,
        sheet=options["sheet"],
        headings=read_mapping(options["mapped"], options["mapping"], layout.fields),
        date_order=DateOrder(order) if order else None,
        timezone=_zone(zone) if zone else None,
        layout=layout,
    )


def templates_from(options: dict[str, Any]) -> UrlTemplates | None:
    """The courier URL templates to use: none, the built-in ones, or a file's over them."""
    if options["no_url_templates"]:
        return None
    path = options["url_templates"]
    return UrlTemplates.load(path) if path else UrlTemplates()


def target_from(options: dict[str, Any]) -> tuple[str, Credentials]:
    """The base URL and credentials of a real target."""
    base_url = resolve_base_url(options["base_url"], options["account"], options["environment"])
    credentials = config.credentials(os.environ, options["credentials"])
    return base_url, credentials


def journal_from(options: dict[str, Any]) -> Path:
    return options["journal"] or Path(options["output_dir"]) / JOURNAL_NAME


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"--timezone {name!r} is not a time zone; use a name such as America/Sao_Paulo"
        ) from None


def sandbox_options(prefix: str) -> Callable[[F], F]:
    """The options that shape the sandbox's behaviour, named ``--{prefix}...``."""
    return _stack(
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
            f"--{prefix}lost-update",
            "sandbox_lost_updates",
            multiple=True,
            metavar="ORDER_ID",
            help="An order whose updates the sandbox answers 200 but does not keep, so that "
            "reading it back shows a mismatch (repeatable).",
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
            help=f"Share of requests answered after --{prefix}slow-seconds.",
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
    )


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
        lost_updates=frozenset(options["sandbox_lost_updates"]),
    )


file_upload_options = _stack(
    click.argument(
        "files",
        nargs=-1,
        required=True,
        type=click.Path(exists=True, dir_okay=False, path_type=Path),
    ),
    config_option,
    target_options,
    sending_options,
    reading_options,
    output_options,
    output_dir_option,
    click.option("--dry-run", is_flag=True, help="Read and validate only; send nothing."),
    click.option(
        "--results",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Results file (.csv or .xlsx). Default: <output-dir>/<file>-results-<UTC time>.",
    ),
    click.option("--sandbox", is_flag=True, help="Send to a fake OMS started on 127.0.0.1."),
    sandbox_options("sandbox-"),
)
