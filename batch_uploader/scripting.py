"""The library's calls for scripts (and the command line): each runs a job to its end in an
event loop of its own, with SIGINT and SIGTERM bound to the job's control while it runs and,
when asked, a progress bar on stderr. Inside a running event loop, use the jobs themselves
(:mod:`batch_uploader.jobs`), and await :func:`batch_uploader.vtex.access.check_access`.

These are the only places the library starts an event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TypeVar, Unpack

import httpx

from .cli import signals
from .cli.progress_bar import ProgressBar
from .jobs.control import Control
from .jobs.deliveries import EventsUpload
from .jobs.engine import JobOptions, UploadOptions
from .jobs.progress import OnEvent, ignore
from .jobs.read_back import ReadBack, VerifyReport
from .jobs.report import Report
from .jobs.tracking import TrackingUpload
from .rules.tracking_urls import BUILT_IN_TEMPLATES, UrlTemplates
from .vtex import access
from .vtex.access import AccessVerdict
from .vtex.settings import Settings
from .vtex.target import Credentials

# What a job returns: its report.
R = TypeVar("R")


def run(
    paths: Sequence[Path],
    *,
    results_path: Path,
    url_templates: UrlTemplates | None = BUILT_IN_TEMPLATES,
    show_progress: bool = False,
    control: Control | None = None,
    on_event: OnEvent = ignore,
    **options: Unpack[UploadOptions],
) -> Report:
    """Uploads the rows of ``paths`` (or only checks them, with ``dry_run``): a
    :class:`~.jobs.tracking.TrackingUpload` run to its end. SIGINT and SIGTERM stop it as
    :meth:`Control.interrupt` does (in the main thread); ``show_progress`` draws a progress
    bar on stderr. See :class:`~.jobs.tracking.TrackingUpload` for the rest."""
    job = TrackingUpload(paths, results_path=results_path, url_templates=url_templates, **options)
    with job, ProgressBar(show_progress, on_event) as watch:
        return asyncio.run(driven(job.run, control or Control(), watch))


def upload_events(
    paths: Sequence[Path],
    *,
    results_path: Path,
    show_progress: bool = False,
    control: Control | None = None,
    on_event: OnEvent = ignore,
    **options: Unpack[JobOptions],
) -> Report:
    """Sends the tracking events of ``paths`` (or only checks them, with ``dry_run``): an
    :class:`~.jobs.deliveries.EventsUpload` run to its end, for scripts and the command line, as
    :func:`batch_uploader.run` runs one of tracking numbers (signals, progress bar)."""
    job = EventsUpload(paths, results_path=results_path, **options)
    with job, ProgressBar(show_progress, on_event) as watch:
        return asyncio.run(driven(job.run, control or Control(), watch))


def verify_results(
    results: Path,
    output: Path,
    *,
    base_url: str,
    credentials: Credentials,
    settings: Settings,
    transport: httpx.AsyncBaseTransport | None = None,
) -> VerifyReport:
    """Reads back the order of every line of the results file ``results`` that was sent, and
    writes the lines to ``output`` (CSV) with the verification columns filled in: a
    :class:`~.jobs.read_back.ReadBack` run to its end. SIGINT and SIGTERM stop it as
    :meth:`Control.interrupt` does (in the main thread)."""
    job = ReadBack(
        results,
        output,
        base_url=base_url,
        credentials=credentials,
        settings=settings,
        transport=transport,
    )
    with job:
        return asyncio.run(driven(job.run, Control(), ignore))


def check_access(
    base_url: str,
    credentials: Credentials,
    *,
    timeout: float = 30.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> AccessVerdict:
    """Sends the probe of :func:`batch_uploader.vtex.access.check_access` to ``base_url`` and
    says what its answer means, within ``timeout`` seconds in all."""
    return asyncio.run(
        access.check_access(base_url, credentials, timeout=timeout, transport=transport)
    )


async def driven(
    job: Callable[[Control, OnEvent], Awaitable[R]], control: Control, on_event: OnEvent
) -> R:
    """``job`` run with SIGINT and SIGTERM bound to ``control`` while it lasts."""
    with signals.caught(control.interrupt):
        return await job(control, on_event)
