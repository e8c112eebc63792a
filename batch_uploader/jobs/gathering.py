"""Lines gathered into parcels while they stream: a parcel is given whole once its last line
is read, in the order of the parcels' first lines.

The survey counted each parcel's lines (by a hash of its key); the lines of a parcel still
open, and the parcels complete before an earlier one, wait on disk (see :mod:`~.spill`), so a
file whose parcels' lines stand far apart (lines ordered by date, as carriers write them) is
never held in memory. A parcel whose count the lines read do not reach (a file that changed
since the survey) is given at the end.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Hashable, Iterable, Iterator, MutableMapping
from typing import Any

from .spill import Spill

# A line: its place in the run, its parcel's key (``None``: no parcel, a line alone), and
# what is kept of it.
Line = tuple[int, Hashable | None, Any]


class _Gathering:
    """The parcels open and those complete but waiting for an earlier one."""

    def __init__(self, counts: MutableMapping[int, int]) -> None:
        self.counts = counts
        self.lines = Spill()  # by the hash of the parcel's key
        self.alone = Spill()  # lines of no parcel that wait, in group 0
        self.first: dict[int, int] = {}  # an open parcel's first place, by its hash
        self.firsts: list[tuple[int, int]] = []  # the same as a heap; closed ones go lazily
        self.ready: list[tuple[int, int | None]] = []  # (first place, hash or None: alone)

    def earliest_open(self) -> float:
        while self.firsts and self.first.get(self.firsts[0][1]) != self.firsts[0][0]:
            heapq.heappop(self.firsts)
        return self.firsts[0][0] if self.firsts else math.inf

    def add(self, line: Line) -> Iterator[list[Line]]:
        place, key = line[0], line[1]
        group = None if key is None else hash(key)
        first = place
        if group is not None:
            left = self.counts.get(group, 1) - 1
            if left > 0:
                self.counts[group] = left
                self.lines.put(group, place, line)
                if group not in self.first:
                    self.first[group] = place
                    heapq.heappush(self.firsts, (place, group))
                return
            self.counts.pop(group, None)
            first = self.first.pop(group, place)
        if first < self.earliest_open():
            yield from self.take(group, [line])
        else:  # an earlier parcel is still open: this one goes after it
            if group is None:
                self.alone.put(0, place, line)
            else:
                self.lines.put(group, place, line)
            heapq.heappush(self.ready, (first, group))
        yield from self.release()

    def release(self) -> Iterator[list[Line]]:
        """The parcels complete that no open parcel comes before."""
        while self.ready and self.ready[0][0] < self.earliest_open():
            first, group = heapq.heappop(self.ready)
            yield from self.take(group, [], first)

    def take(self, group: int | None, lines: list[Line], first: int = 0) -> Iterator[list[Line]]:
        if group is None:
            kept = [line for _, line in self.alone.take_run(0, first, 1)]
        else:
            kept = [line for _, line in self.lines.take(group)]
        # Two keys of the same hash are two parcels.
        parcels: dict[Hashable | None, list[Line]] = {}
        for line in [*kept, *lines]:
            parcels.setdefault(line[1], []).append(line)
        yield from parcels.values()

    def rest(self) -> Iterator[list[Line]]:
        """Every parcel still kept, open or not, by first place."""
        left = [(first, group) for group, first in self.first.items()]
        self.first.clear()
        for first, group in sorted([*left, *self.ready], key=lambda item: item[0]):
            yield from self.take(group, [], first)

    def close(self) -> None:
        self.lines.close()
        self.alone.close()


def gathered(lines: Iterable[Line], counts: MutableMapping[int, int]) -> Iterator[list[Line]]:
    """The lines of ``lines`` by parcel, each parcel's lines in order, the parcels in the order
    of their first lines; ``counts`` holds the lines of each parcel by the hash of its key,
    and is used up on the way."""
    gathering = _Gathering(counts)
    try:
        for line in lines:
            yield from gathering.add(line)
        yield from gathering.rest()
    finally:
        gathering.close()
