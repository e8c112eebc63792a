"""An upload of tracking numbers from files to results: read, validate, send, write, in input
order, one request per row (see :mod:`~.engine` for the engine).

Rows stream through: a file is never held in memory whole, and each results line is written
as soon as its row and every row before it are decided.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Unpack

from ..files.inputs import Reading, Values
from ..files.results import ResultsWriter, results_writer
from ..models import Row, Status
from ..redaction import Redactor
from ..rules.checker import Checker
from ..rules.survey import Survey, survey
from ..rules.tracking_urls import BUILT_IN_TEMPLATES, UrlTemplates
from .engine import Unit, Upload, UploadOptions


class TrackingUpload(Upload):
    """An upload of the tracking numbers of ``paths``, one request per row (see
    :class:`~.engine.Upload`). ``url_templates`` make the tracking URL of rows that have none
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
        self,
        path: Path,
        with_source: bool,
        verifying: bool,
        redactor: Redactor,
        corrected: bool = False,
    ) -> ResultsWriter:
        return results_writer(
            path,
            with_source=with_source,
            with_verification=verifying,
            redactor=redactor,
            with_corrections=corrected,
        )
