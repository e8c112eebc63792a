"""A place on disk for what a run must keep a while but not in memory: the lines of parcels
still open, the results lines waiting for an earlier one. A file's lines, ordered by date,
leave most of them waiting at once; in memory they would grow with the file.

The store is a private temporary SQLite database: SQLite keeps a small page cache and writes
the rest to a file of its own, removed when the store is closed. Nothing is created until the
first item is put.
"""

from __future__ import annotations

import pickle
import sqlite3
from typing import Any

# Items put before they are inserted at once.
_BATCH = 500


class Spill:
    """Items (any picklable value) kept by ``group`` and ``place`` (two integers), and taken
    back once: a group whole, or a run of consecutive places."""

    def __init__(self) -> None:
        self._db: sqlite3.Connection | None = None
        self.count = 0
        # Items put and not yet inserted: one statement for many is several times quicker.
        self._batch: list[tuple[int, int, bytes]] = []

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            # "" names a temporary database on disk, removed when the connection closes.
            db = sqlite3.Connection("", isolation_level=None)
            # Nothing here outlives the run: a crash loses nothing worth a journal.
            db.execute("PRAGMA journal_mode=OFF")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(
                "CREATE TABLE items (grp INTEGER, place INTEGER, item BLOB, "
                "PRIMARY KEY (grp, place)) WITHOUT ROWID"
            )
            db.execute("BEGIN")
            self._db = db
        return self._db

    def put(self, group: int, place: int, item: Any) -> None:
        self._batch.append((group, place, pickle.dumps(item, pickle.HIGHEST_PROTOCOL)))
        self.count += 1
        if len(self._batch) >= _BATCH:
            self._flush()

    def _flush(self) -> None:
        if self._batch:
            self._open().executemany("INSERT INTO items VALUES (?, ?, ?)", self._batch)
            self._batch.clear()

    def take(self, group: int) -> list[tuple[int, Any]]:
        """The items of ``group`` by place, no longer kept."""
        self._flush()
        if self._db is None:
            return []
        found = self._db.execute(
            "SELECT place, item FROM items WHERE grp = ? ORDER BY place", (group,)
        ).fetchall()
        if found:
            self._db.execute("DELETE FROM items WHERE grp = ?", (group,))
            self.count -= len(found)
        return [(place, pickle.loads(item)) for place, item in found]

    def take_run(self, group: int, start: int, most: int = 1000) -> list[tuple[int, Any]]:
        """The items of ``group`` at ``start`` and the places right after it, with no gap (at
        most ``most``), no longer kept."""
        if not self.count:
            return []
        self._flush()
        assert self._db is not None
        found = self._db.execute(
            "SELECT place, item FROM items WHERE grp = ? AND place >= ? ORDER BY place LIMIT ?",
            (group, start, most),
        )
        run: list[tuple[int, bytes]] = []
        for place, item in found:  # read one by one: the first gap ends the run
            if place != start + len(run):
                break
            run.append((place, item))
        found.close()
        if run:
            self._db.execute(
                "DELETE FROM items WHERE grp = ? AND place BETWEEN ? AND ?",
                (group, start, run[-1][0]),
            )
            self.count -= len(run)
        return [(place, pickle.loads(item)) for place, item in run]

    def groups(self) -> list[int]:
        """The groups still kept, the one with the first place first."""
        self._flush()
        if self._db is None:
            return []
        query = "SELECT grp FROM items GROUP BY grp ORDER BY MIN(place)"
        return [group for (group,) in self._db.execute(query)]

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._batch.clear()
        self.count = 0
