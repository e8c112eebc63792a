"""Results in input order, whatever order rows are decided in.

A row is decided when its request is answered, and a line of delivery events only with the
last line of its parcel, which may stand far below it. Each row decided is written as soon as
every row before it is; the rows decided early wait on disk (see :mod:`~.spill`), so memory
does not grow with how far apart a parcel's lines stand.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Generic, TypeVar

from .spill import Spill

# A row decided, and what is kept of one that waits: plain values (see spill).
T = TypeVar("T")
K = TypeVar("K")

# The rows decided out of order waiting in memory before they go to disk: a few of them
# (rows answered out of order within the requests in flight) are the usual case.
_IN_MEMORY = 2048


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
        self._early: dict[int, K] = {}
        self._spill = Spill()
        self._spilled: list[int] = []  # the places on disk, as a heap: no query finds none

    def add(self, place: int, outcome: T) -> None:
        if place != self._next:
            self._keep(place, self._compact(outcome))
            return
        self._write(outcome)
        self._next += 1
        if self._early or self._spilled:  # most rows come in order, nothing waiting
            self._catch_up()

    def _keep(self, place: int, outcome: K) -> None:
        if len(self._early) < _IN_MEMORY:
            self._early[place] = outcome
        else:
            self._spill.put(0, place, outcome)
            heapq.heappush(self._spilled, place)

    def _catch_up(self) -> None:
        """Writes the rows waiting that come next."""
        while True:
            outcome = self._early.pop(self._next, None)
            if outcome is not None:
                self._write_kept(outcome)
                self._next += 1
                continue
            if not self._spilled or self._spilled[0] != self._next:
                return
            run = self._spill.take_run(0, self._next)
            for _ in run:
                heapq.heappop(self._spilled)
            for _, waiting in run:
                self._write_kept(waiting)
            self._next += len(run)

    def close(self) -> None:
        """Writes what still waits, in order (rows whose earlier rows never came: none, when
        every row was decided), and lets the disk go."""
        try:
            rest = [*self._early.items(), *self._spill.take(0)]
            for _, outcome in sorted(rest, key=lambda item: item[0]):
                self._write_kept(outcome)
            self._early.clear()
            self._spilled.clear()
        finally:
            self._spill.close()
