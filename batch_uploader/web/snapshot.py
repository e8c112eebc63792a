"""Where a job stands, for every page and stream that shows it: its events folded as they
come (a reload or a second tab sees the same job where it is), and a signal to the streams
that it changed."""

from __future__ import annotations

import asyncio
import contextlib
import time

from ..errors import BatchUploaderError
from ..jobs.progress import (
    Event,
    JobFinished,
    JobStarted,
    JobStopped,
    PaceChanged,
    RowDecided,
    TableUnderstood,
)
from ..jobs.report import Report
from ..models import Status

# Seconds of sending after which the pace measured tells the time left better than the pace set.
_MEASURED_AFTER = 3.0


class Snapshot:
    """A job's progress: the rows it has and has decided, by status, its pace, how it
    stopped or ended, and its report (the fold of its events)."""

    def __init__(self, rate: float | None = None) -> None:
        self.report = Report()
        self.tables: list[TableUnderstood] = []
        self.rows = 0
        self.decided = 0
        self.pace = rate
        self.throttled = 0
        self.started = False
        self._started_at = 0.0
        self.stop_reason: str | None = None
        self.finished: JobFinished | None = None
        self.error: BatchUploaderError | None = None
        # A fault of batch-uploader itself (never shown as a traceback).
        self.fault = False
        self.over = False
        self.version = 0
        self._changed = asyncio.Event()

    def tell(self, event: Event) -> None:
        """Takes in ``event`` (an :data:`~batch_uploader.jobs.progress.OnEvent`): quick, as
        the job waits for it."""
        self.report.fold(event)
        if isinstance(event, RowDecided):
            self.decided = event.decided
        elif isinstance(event, JobStarted):
            self.started = True
            self._started_at = time.monotonic()
            self.rows = event.rows
        elif isinstance(event, TableUnderstood):
            self.tables.append(event)
        elif isinstance(event, PaceChanged):
            self.pace = event.rate
            self.throttled = event.throttled
        elif isinstance(event, JobStopped):
            self.stop_reason = event.reason
        elif isinstance(event, JobFinished):
            self.finished = event
        self._bump()

    def fail(self, error: BatchUploaderError | None) -> None:
        """The job could not run: ``error`` says why (``None``: a fault of batch-uploader)."""
        self.error = error
        self.fault = error is None
        self._bump()

    def end(self) -> None:
        """The job is over, however it ended."""
        self.over = True
        self._bump()

    def count(self, status: Status) -> int:
        return self.report.counts[status]

    @property
    def remaining(self) -> int:
        return max(self.rows - self.decided, 0)

    @property
    def seconds_left(self) -> float | None:
        """About how long the rows remaining take, at the pace rows got answers so far (at
        the pace set, in the first seconds); ``None`` when nothing is left or nothing tells."""
        if self.over or not self.started or self.remaining == 0:
            return None
        # Rows refused or skipped are decided at once: only those sent tell the pace.
        answered = self.count(Status.SENT) + self.count(Status.FAILED)
        elapsed = time.monotonic() - self._started_at
        pace = answered / elapsed if answered and elapsed >= _MEASURED_AFTER else self.pace
        return self.remaining / pace if pace else None

    async def changed(self, since: int, seconds: float) -> bool:
        """Waits until the snapshot is newer than version ``since``, ``seconds`` at most;
        whether it is."""
        if self.version == since:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), seconds)
        return self.version != since

    def _bump(self) -> None:
        self.version += 1
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
