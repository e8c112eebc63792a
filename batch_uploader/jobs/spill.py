"""A place for what a run must keep a while but not in memory: the lines of parcels still
open, the results lines waiting for an earlier one. A file's lines, ordered by date, leave
most of them waiting at once; in memory they would grow with the file.

Items are kept in memory while they are few, as for most files (a carrier's file of a day);
past that, all go to a private temporary file, appended one after the other, and only where
each stands is kept in memory (one integer). The file is removed when the store is closed.
Items should be plain values (tuples, lists and dicts of strings and numbers): they pickle
several times faster than objects.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from typing import IO, Any

# Items kept in memory before the store moves to disk: files of this many waiting lines read
# at full speed; larger ones in bounded memory.
MEMORY_ITEMS = 32_768
# Items written to disk gather in memory up to this many bytes, then go in one write.
_BUFFER = 1 << 20
# Where an item stands is packed as offset << _SHIFT | length.
_SHIFT = 32
_LENGTH = (1 << _SHIFT) - 1


class Spill:
    """Items (any picklable value) kept by ``group`` and ``place`` (two integers), and taken
    back once: a group whole, or a run of consecutive places."""

    def __init__(self, memory_items: int = MEMORY_ITEMS) -> None:
        self.count = 0
        self._memory_items = memory_items
        # Items by group, then place: the items themselves until the store moves to disk, then
        # where each stands in the file.
        self._kept: dict[int, dict[int, Any]] = {}
        self._file: IO[bytes] | None = None
        self._written = 0  # the bytes in the file; those after it wait in _buffer
        self._buffer = bytearray()

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
        self._file = tempfile.TemporaryFile(buffering=0)  # noqa: SIM115 (closed by close())
        for items in self._kept.values():
            for place, item in items.items():
                items[place] = self._write(item)

    def _write(self, item: Any) -> int:
        data = pickle.dumps(item, 5)
        buffer = self._buffer
        where = ((self._written + len(buffer)) << _SHIFT) | len(data)
        buffer += data
        if len(buffer) >= _BUFFER:
            self._flush()
        return where

    def _flush(self) -> None:
        assert self._file is not None
        view = memoryview(self._buffer)
        while view:  # a raw write may take part of it
            view = view[self._file.write(view) or 0 :]
        view.release()
        self._written += len(self._buffer)
        self._buffer.clear()

    def _read(self, kept: Any) -> Any:
        if self._file is None:
            return kept
        offset, length = kept >> _SHIFT, kept & _LENGTH
        if offset >= self._written:
            start = offset - self._written
            return pickle.loads(self._buffer[start : start + length])
        return pickle.loads(os.pread(self._file.fileno(), length, offset))

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

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._kept = {}
        self._written = 0
        self._buffer = bytearray()
        self.count = 0
