"""A progress bar on stderr, drawn from a job's progress events (see
:mod:`~batch_uploader.jobs.progress`)."""

from __future__ import annotations

from typing import Never

from tqdm import tqdm

from ..jobs.progress import Event, JobStarted, OnEvent, RowDecided, ignore


class ProgressBar:
    """Draws the rows decided of the job it watches (``show``: whether to draw at all), and
    passes every event on to ``then``. Used as a context manager: the bar is cleared at its
    end."""

    def __init__(self, show: bool, then: OnEvent = ignore) -> None:
        self._show = show
        self._then = then
        self._bar: tqdm[Never] | None = None

    def __enter__(self) -> OnEvent:
        # Nobody watching: the job is told so, and builds no event for each row.
        return self.watch if self._show or self._then is not ignore else ignore

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def watch(self, event: Event) -> None:
        if self._show:
            if isinstance(event, JobStarted):
                self._bar = tqdm(total=event.rows or None, unit="row", leave=False)
            elif isinstance(event, RowDecided) and self._bar is not None:
                self._bar.update()
        self._then(event)
