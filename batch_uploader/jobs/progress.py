"""The progress of a job, as events its front end consumes: the command line draws a progress
bar from them, a page streams them to the browser.

Each event is a frozen dataclass with a JSON form (:meth:`~_Event.to_json`); a job gives them
in the order things happen: :class:`JobStarted`, a :class:`TableUnderstood` for each table,
a :class:`RowDecided` for each row in input order (with :class:`PaceChanged` and
:class:`Retrying` among them), a :class:`JobStopped` if it stopped early, and
:class:`JobFinished` last.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from .control import INTERRUPTED, Control


@dataclass(frozen=True, slots=True)
class _Event:
    NAME: ClassVar[str] = ""

    def to_json(self) -> dict[str, Any]:
        """The event as a JSON object: its name under ``event``, then its fields."""
        fields = {
            field.name: _plain(getattr(self, field.name)) for field in dataclasses.fields(self)
        }
        return {"event": self.NAME, **fields}


def _plain(value: object) -> object:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


@dataclass(frozen=True, slots=True)
class JobStarted(_Event):
    """A job starts: what it sends (``kind``), the rows its files hold, where it sends them
    (``None`` for a dry run)."""

    NAME: ClassVar[str] = "job-started"
    kind: str
    rows: int
    files: tuple[str, ...]
    target: str | None


@dataclass(frozen=True, slots=True)
class TableUnderstood(_Event):
    """How a table (a file, or a sheet) was read: its format, header row, which column feeds
    which field, the columns no field takes, and how its slashed dates are read."""

    NAME: ClassVar[str] = "table-understood"
    source: str
    format: str
    header_row: int
    rows: int
    columns: Mapping[str, str]
    unused: tuple[str, ...]
    date_order: str | None


@dataclass(frozen=True, slots=True)
class RowDecided(_Event):
    """A row's status is known (``code``: its error code, empty when there is none);
    ``decided`` rows of the job's ``rows`` are, this one included."""

    NAME: ClassVar[str] = "row-decided"
    source: str
    row: int
    status: str
    code: str
    decided: int


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
class JobFinished(_Event):
    """The job is over and its outputs written: the rows by status, the exit status the
    command line ends with, and the files written."""

    NAME: ClassVar[str] = "job-finished"
    exit_status: int
    counts: Mapping[str, int]
    results: str
    summary: str | None
    to_fix: tuple[str, ...]


Event = (
    JobStarted | TableUnderstood | RowDecided | PaceChanged | Retrying | JobStopped | JobFinished
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
