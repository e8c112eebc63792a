"""The progress of a job, as events its front end consumes: the command line draws a progress
bar from them, a page streams them to the browser.

Each event is a frozen dataclass with a JSON form (:meth:`~_Event.to_json`); a job gives them
in the order things happen: :class:`JobStarted`, a :class:`TableUnderstood` for each table,
a :class:`RowDecided` for each row in input order (with :class:`PaceChanged` and
:class:`Retrying` among them), :class:`AllDecided` once every row is, :class:`OutputsClosed`,
and :class:`JobFinished` last; a :class:`JobStopped` as soon as a stop is asked (just before
:class:`JobFinished` when the job stopped early of itself), and an :class:`OutputRefused`
whenever the disk refuses an output.

The events hold all a job's report holds: folded in order into a new
:class:`~batch_uploader.jobs.report.Report` (:meth:`~batch_uploader.jobs.report.Report.fold`),
they give the job's own report, its summary.json and its summary paragraph. Their texts hold
no secret of the job: it takes them out before it tells one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from ..messages import Message, RunMessage
from ..redaction import Redactor
from .control import INTERRUPTED, Control


@dataclass(frozen=True, slots=True)
class _Event:
    NAME: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        """The event as a JSON object: its name under ``event``, then its fields (a message
        as its English text, as the command line says it)."""
        fields = {
            field.name: _plain(getattr(self, field.name)) for field in dataclasses.fields(self)
        }
        return {"event": self.NAME, **fields}

    def redacted(self, redactor: Redactor) -> Self:
        """The event without the secrets of ``redactor`` in its texts: a file's heading, a
        server's words."""
        if not redactor.redacts:
            return self
        fields = dataclasses.fields(self)
        cleaned = {field.name: _cleaned(getattr(self, field.name), redactor) for field in fields}
        return dataclasses.replace(self, **cleaned)


def _cleaned(value: object, redactor: Redactor) -> object:
    if isinstance(value, Message):
        return value.redacted(redactor)
    if isinstance(value, str):
        return redactor.text(value)
    if isinstance(value, tuple):
        return tuple(_cleaned(item, redactor) for item in value)
    if isinstance(value, Mapping):
        return {_cleaned(key, redactor): _cleaned(item, redactor) for key, item in value.items()}
    return value


def _plain(value: object) -> object:
    if isinstance(value, Message):
        return value.text()
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    return value


@dataclass(frozen=True, slots=True)
class JobStarted(_Event):
    """A job starts: what it sends (``kind``), the rows its files hold, where it sends them
    (``None`` for a dry run). An upload says more, for its report: when it started
    (``2026-11-24T22:05:09Z``), its results file, whether it reads the orders it updates back,
    the notes of the reading (rows hidden, sheets left out, totals lines) and, of those, what
    the workbooks hide (a dry run shows it first)."""

    NAME: ClassVar[str] = "job-started"
    kind: str
    rows: int
    files: tuple[str, ...]
    target: str | None
    started_at: str = ""
    results: str | None = None
    read_back: bool = False
    notes: tuple[RunMessage, ...] = ()
    hidden: tuple[RunMessage, ...] = ()


@dataclass(frozen=True, slots=True)
class TableUnderstood(_Event):
    """How a table (a file, or a sheet) was read: its format, header row, which column feeds
    which field, the columns no field takes, and how its slashed dates are read; the same for
    a person (``described``, the lines a dry run shows), and the notes of its unused columns
    that look like a field no column gives."""

    NAME: ClassVar[str] = "table-understood"
    source: str
    format: RunMessage
    header_row: int
    rows: int
    columns: Mapping[str, str]
    unused: tuple[str, ...]
    date_order: str | None
    described: tuple[str, ...]
    notes: tuple[RunMessage, ...]


@dataclass(frozen=True, slots=True)
class RowDecided(_Event):
    """A row's status is known (``code``: its error code, empty when there is none);
    ``decided`` rows of the job's ``rows`` are, this one included.

    The rest is what the job's report takes of it: ``problem``, why a row was not sent;
    ``example``, a dry run's request; ``unverified``, what its read-back found when it did not
    verify it (each text only while the report still shows examples of its kind: ``None``
    past them, and ``unverified`` ``""`` then for a row not verified); ``codes``, the problems
    it counts; ``verdict``, its read-back's (``None`` when orders are not read back or it was
    not sent)."""

    NAME: ClassVar[str] = "row-decided"
    source: str
    row: int
    status: str
    code: str
    decided: int
    problem: str | None = None
    example: str | None = None
    codes: tuple[str, ...] = ()
    verdict: str | None = None
    unverified: str | None = None


@dataclass(frozen=True, slots=True)
class PaceChanged(_Event):
    """The requests' pace changed (VTEX answered 429, or the pace won back some speed):
    ``rate`` requests a second now; ``throttled``: the 429 answers so far."""

    NAME: ClassVar[str] = "pace-changed"
    rate: float
    throttled: int


@dataclass(frozen=True, slots=True)
class Retrying(_Event):
    """A row's request failed and is tried again: ``attempt`` is the one about to leave,
    ``reason`` what the last answer was."""

    NAME: ClassVar[str] = "retrying"
    source: str
    row: int
    attempt: int
    reason: str


@dataclass(frozen=True, slots=True)
class JobStopped(_Event):
    """The job stops before its end: nothing more is sent, the requests in flight finish and
    every row still gets its status."""

    NAME: ClassVar[str] = "job-stopped"
    reason: str


@dataclass(frozen=True, slots=True)
class OutputRefused(_Event):
    """The disk refused to write ``what`` (``the results file r.csv``), ``why`` in the
    system's words (``No space left on device``): at the first, nothing more is sent."""

    NAME: ClassVar[str] = "output-refused"
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class AllDecided(_Event):
    """Every row read is decided and nothing more is sent: the ``seconds`` the job took so far,
    its ``requests`` (``throttled``: answered 429; ``lowest_rate``: the lowest pace they were
    slowed to, ``None`` when never slowed), why it stopped early (``stop_reason``, when not
    ``interrupted`` by a stop or an abort), and the notes of the files that changed while they
    were read (``changed_inputs``)."""

    NAME: ClassVar[str] = "all-decided"
    seconds: float
    requests: int
    throttled: int
    lowest_rate: float | None
    stop_reason: str | None
    interrupted: bool
    changed_inputs: tuple[RunMessage, ...]


@dataclass(frozen=True, slots=True)
class OutputsClosed(_Event):
    """The results file and the rows to fix are complete (``results``: ``None`` when the
    disk refused it and none is left), and the summary is about to be written at ``summary``."""

    NAME: ClassVar[str] = "outputs-closed"
    results: str | None
    to_fix: tuple[str, ...]
    summary: str | None


@dataclass(frozen=True, slots=True)
class JobFinished(_Event):
    """The job is over and its outputs written: the rows by status, the exit status the
    command line ends with, and the files written (``results`` and ``summary``: ``None`` when
    the disk refused them)."""

    NAME: ClassVar[str] = "job-finished"
    exit_status: int
    counts: Mapping[str, int]
    results: str | None
    summary: str | None
    to_fix: tuple[str, ...]


Event = (
    JobStarted
    | TableUnderstood
    | RowDecided
    | PaceChanged
    | Retrying
    | OutputRefused
    | JobStopped
    | AllDecided
    | OutputsClosed
    | JobFinished
)
# What a job calls with each event; it must return quickly (the job waits for it).
OnEvent = Callable[[Event], None]


def ignore(event: Event) -> None:
    """An :data:`OnEvent` for a job nobody watches."""


class StopNotice:
    """Tells ``on_event`` that a job stops (:class:`JobStopped`), as soon as ``control`` asks
    it to, once; :meth:`close` ends the listening."""

    def __init__(self, control: Control, on_event: OnEvent) -> None:
        self.told = False
        self._on_event = on_event
        self._control = control
        self.close = control.listen(self._tell)
        if control.stopping:
            self._tell(control.aborted)

    def _tell(self, aborted: bool) -> None:
        if not self.told:
            self.told = True
            self._on_event(JobStopped(self._control.reason or INTERRUPTED))
