"""An upload of tracking numbers from files to results: read, validate, send, write, in input
order, one request per row (see :mod:`~.job` for the engine).

Rows stream through: a file is never held in memory whole, and each results line is written
as soon as its row and every row before it are decided.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Unpack

from .checker import Checker
from .control import Control
from .inputs import Reading, Values
from .job import Unit, Upload, UploadOptions, driven
from .models import Row, Status
from .progress import OnEvent, ignore
from .progress_bar import ProgressBar
from .redaction import Redactor
from .report import Report
from .survey import Survey, survey
from .tracking_urls import BUILT_IN_TEMPLATES, UrlTemplates
from .writer import ResultsWriter, results_writer


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
    :class:`TrackingUpload` run to its end, for scripts and the command line. SIGINT and
    SIGTERM stop it as :meth:`Control.interrupt` does (in the main thread); ``show_progress``
    draws a progress bar on stderr. See :class:`TrackingUpload` for the rest."""
    job = TrackingUpload(paths, results_path=results_path, url_templates=url_templates, **options)
    with job, ProgressBar(show_progress, on_event) as watch:
        return asyncio.run(driven(job.run, control or Control(), watch))


class TrackingUpload(Upload):
    """An upload of the tracking numbers of ``paths``, one request per row (see
    :class:`~.job.Upload`). ``url_templates`` make the tracking URL of rows that have none
    from their courier."""

    def __init__(
        self,
        paths: Sequence[Path],
        *,
        results_path: Path,
        url_templates: UrlTemplates | None = BUILT_IN_TEMPLATES,
        **options: Unpack[UploadOptions],
    ) -> None:
        super().__init__(Tracking(url_templates), paths, results_path=results_path, **options)
        self.url_templates = url_templates


class Tracking:
    """Tracking numbers as an upload kind: each row is a unit of its own."""

    name = "tracking numbers"
    noun = "row"

    def __init__(self, templates: UrlTemplates | None) -> None:
        self.templates = templates

    def survey(self, values: Iterable[Values]) -> Survey:
        return survey(values)

    def units(
        self, rows: Iterator[Row], found: Survey, reading: Reading, secrets: Redactor
    ) -> Iterator[Unit]:
        checker = Checker(
            found, reading, now=dt.datetime.now(dt.UTC), url_templates=self.templates,
            secrets=secrets,
        )  # fmt: skip
        for place, row in enumerate(rows):
            checked = checker.check(row)
            update = checked.update if checked.status is Status.VALID else None
            yield Unit((place,), (checked,), update)

    def results(
        self, path: Path, with_source: bool, verifying: bool, redactor: Redactor
    ) -> ResultsWriter:
        return results_writer(
            path, with_source=with_source, with_verification=verifying, redactor=redactor
        )
