"""Results in input order, whatever order rows are decided in.

A row is decided when its request is answered, and a line of delivery events only with the
last line of its parcel, which may stand far below it. Each row decided is written as soon as
every row before it is; the rows decided early wait on disk (see :mod:`~.spill`), so memory
does not grow with how far apart a parcel's lines stand.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from .spill import Spill

# A row decided, and what is kept of one that waits: plain values (see spill).
T = TypeVar("T")
K = TypeVar("K")


class InOrder(Generic[T, K]):
    """Passes each row decided to ``write`` in the order of its place (0, 1, 2...). A row
    decided before an earlier one waits as ``compact`` makes it, then goes to
    ``write_kept``: most rows come in order, and are written as they are."""

    def __init__(
        self,
        write: Callable[[T], None],
        compact: Callable[[T], K],
        write_kept: Callable[[K], None],
    ) -> None:
        self._write = write
        self._compact = compact
        self._write_kept = write_kept
        self._next = 0
        # Rows decided early, at group 0 by place: in memory while they are few (rows answered
        # out of order within the requests in flight), on disk past that.
        self._waiting = Spill()

    def add(self, place: int, outcome: T) -> None:
        if place != self._next:
            self._waiting.put(0, place, self._compact(outcome))
            return
        self._write(outcome)
        self._next += 1
        if self._waiting.count:  # most rows come in order, nothing waiting
            self._catch_up()

    def _catch_up(self) -> None:
        """Writes the rows waiting that come next."""
        while run := self._waiting.take_run(0, self._next):
            for _, waiting in run:
                self._write_kept(waiting)
            self._next += len(run)

    def close(self) -> None:
        """Writes what still waits, in order (rows whose earlier rows never came: none, when
        every row was decided), and lets the disk go."""
        try:
            for _, outcome in self._waiting.take(0):
                self._write_kept(outcome)
        finally:
            self._waiting.close()
