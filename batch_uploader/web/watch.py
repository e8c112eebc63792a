"""What the page keeps of a job that the command line does not need: the rows refused, with
their problems as messages it words in each language, and the results written a second
time as a workbook, for its download. Both by wrapping the job's kind (see
:class:`~batch_uploader.jobs.engine.Kind`), so the engine runs as it always does."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from ..files.inputs import Reading, Values
from ..files.results import ResultsWriter
from ..jobs.engine import Kind, Unit
from ..jobs.report import Report
from ..models import Outcome, Row, Status
from ..redaction import Redactor
from ..rules.survey import Survey
from .wording import Refusal, refusals

# The refused rows a page lists; the rows to fix and the results have them all.
REFUSALS_KEPT = 500


class Refused:
    """The refusals of a job's rows, the first :data:`REFUSALS_KEPT`, and how many rows were
    refused in all."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self.shown: list[Refusal] = []
        self.rows = 0

    def add(self, checked: Iterable[Outcome]) -> None:
        for outcome in checked:
            if outcome.status is Status.INVALID:
                self.rows += 1
                if len(self.shown) < REFUSALS_KEPT:
                    self.shown.extend(refusals(outcome, self.redactor))


class Watched:
    """``kind``, its refused rows told to ``refused`` as they are checked, its results also
    written as ``.xlsx`` beside the ``.csv`` when ``workbook``."""

    def __init__(self, kind: Kind, refused: Refused, *, workbook: bool) -> None:
        self.kind = kind
        self.name = kind.name
        self.noun = kind.noun
        self.templates = kind.templates
        self.refused = refused
        self.workbook = workbook

    def survey(self, values: Iterable[Values]) -> Survey:
        return self.kind.survey(values)

    def units(
        self, rows: Iterator[Row], found: Survey, reading: Reading, secrets: Redactor
    ) -> Iterator[Unit]:
        for unit in self.kind.units(rows, found, reading, secrets):
            self.refused.add(unit.checked)
            yield unit

    def results(
        self,
        path: Path,
        with_source: bool,
        verifying: bool,
        redactor: Redactor,
        corrected: bool = False,
    ) -> ResultsWriter:
        first = self.kind.results(path, with_source, verifying, redactor, corrected)
        if not self.workbook:
            return first
        second = self.kind.results(workbook_of(path), with_source, verifying, redactor, corrected)
        return Both(first, second)


def workbook_of(results: Path) -> Path:
    """Where the workbook of the results file ``results`` (.csv) goes."""
    return results.with_suffix(".xlsx")


class Both(ResultsWriter):
    """Two results writers as one: every line written to both, the first one's path the
    results file the job names."""

    def __init__(self, first: ResultsWriter, second: ResultsWriter) -> None:
        self.path = first.path
        self.columns = first.columns
        self.first = first
        self.second = second

    def __enter__(self) -> Both:
        self.first.__enter__()
        try:
            self.second.__enter__()
        except BaseException:
            self.first.__exit__(None, None, None)
            raise
        return self

    def cells(self, outcome: Outcome) -> list[str]:
        return self.first.cells(outcome)

    def write_cells(self, cells: list[str], status: Status) -> None:
        self.first.write_cells(cells, status)
        self.second.write_cells(list(cells), status)

    def finish(self, report: Report) -> None:
        self.first.finish(report)
        self.second.finish(report)

    def __exit__(self, *exc_info: object) -> None:
        try:
            self.first.__exit__(None, None, None)
        finally:
            self.second.__exit__(None, None, None)

    def cut_to_whole_lines(self) -> None:
        self.first.cut_to_whole_lines()
        self.second.cut_to_whole_lines()

    def _open(self) -> None:  # opened by __enter__
        pass

    def _write_line(self, values: list[str], status: Status) -> None:
        self.write_cells(values, status)

    def _close(self) -> None:  # closed by __exit__
        pass
