"""A place for what a run must keep a while but not in memory: the lines of parcels still
open, the results lines waiting for an earlier one. A file's lines, ordered by date, leave
most of them waiting at once; in memory they would grow with the file.

Items are kept in memory while they are few, as for most files (a carrier's file of a day);
past that, all go to a private temporary file, appended one after the other, and only where
each stands is kept in memory. The file is removed when the store is closed.
"""

from __future__ import annotations

import copyreg
import dataclasses
import pickle
import tempfile
from typing import IO, Any

from . import models

# Items kept in memory before the store moves to disk: files of this many waiting lines read
# at full speed; larger ones in bounded memory.
MEMORY_ITEMS = 32_768


def quick_pickle(cls: type) -> None:
    """Pickles the dataclass ``cls`` by its fields' values alone: a slotted dataclass is
    otherwise pickled through a state its fields are looked up for on every object, which
    takes most of the time a spilled line costs."""
    names = tuple(field.name for field in dataclasses.fields(cls))

    def reduce(item: Any) -> tuple[Any, ...]:
        return _rebuilt, (cls, names, tuple([getattr(item, name) for name in names]))

    copyreg.pickle(cls, reduce)


def _rebuilt(cls: type, names: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    item: Any = object.__new__(cls)
    for name, value in zip(names, values, strict=True):
        object.__setattr__(item, name, value)  # a frozen one's too
    return item


for _kept in (
    models.Source,
    models.RowError,
    models.Row,
    models.TrackingUpdate,
    models.Event,
    models.EventsUpdate,
    models.Delivery,
    models.Verification,
    models.Outcome,
):
    quick_pickle(_kept)


class Spill:
    """Items (any picklable value) kept by ``group`` and ``place`` (two integers), and taken
    back once: a group whole, or a run of consecutive places."""

    def __init__(self, memory_items: int = MEMORY_ITEMS) -> None:
        self.count = 0
        self._memory_items = memory_items
        # Items by group, then place: the items themselves until the store moves to disk, then
        # where each stands in the file (its offset and length).
        self._kept: dict[int, dict[int, Any]] = {}
        self._file: IO[bytes] | None = None
        self._end = 0

    def put(self, group: int, place: int, item: Any) -> None:
        self.count += 1
        if self._file is None:
            self._kept.setdefault(group, {})[place] = item
            if self.count > self._memory_items:
                self._to_disk()
            return
        self._kept.setdefault(group, {})[place] = self._write(item)

    def _to_disk(self) -> None:
        # Deleted by the system once closed, and unnamed where it can be: nothing outlives
        # the run.
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 (closed by close())
        for items in self._kept.values():
            for place, item in items.items():
                items[place] = self._write(item)

    def _write(self, item: Any) -> tuple[int, int]:
        assert self._file is not None
        data = pickle.dumps(item, pickle.HIGHEST_PROTOCOL)
        self._file.seek(self._end)
        self._file.write(data)
        where = (self._end, len(data))
        self._end += len(data)
        return where

    def _read(self, kept: Any) -> Any:
        if self._file is None:
            return kept
        offset, length = kept
        self._file.seek(offset)
        return pickle.loads(self._file.read(length))

    def take(self, group: int) -> list[tuple[int, Any]]:
        """The items of ``group`` by place, no longer kept."""
        items = sorted(self._kept.pop(group, {}).items())
        self.count -= len(items)
        return [(place, self._read(kept)) for place, kept in items]

    def take_run(self, group: int, start: int, most: int = 1000) -> list[tuple[int, Any]]:
        """The items of ``group`` at ``start`` and the places right after it, with no gap (at
        most ``most``), no longer kept."""
        items = self._kept.get(group, {})
        run: list[tuple[int, Any]] = []
        while len(run) < most and (place := start + len(run)) in items:
            run.append((place, self._read(items.pop(place))))
        self.count -= len(run)
        return run

    def groups(self) -> list[int]:
        """The groups still kept, the one with the first place first."""
        held = [(min(items), group) for group, items in self._kept.items() if items]
        return [group for _, group in sorted(held)]

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._kept = {}
        self._end = 0
        self.count = 0
