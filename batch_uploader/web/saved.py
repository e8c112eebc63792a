"""The mappings a person asked the page to remember, each for one kind of file with given
headings (a carrier's report has the same ones every day): applied by themselves to the next
file with those headings, until forgotten.

They are kept in one small JSON file in the page's folder, written whole each time to a new
file then renamed over the old one, so that a stop half-way leaves the old file or the new,
never a mix. A file that cannot be read is taken as no mapping saved (and said in the log)."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..files.inputs import TableReading
from ..rules.dates import DateOrder

MAPPINGS_FILE = "mappings.json"
_VERSION = 1
_log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Saved:
    """A mapping saved: each normalised heading's field (``""``: none), the order of the
    dates (``None``: as the file shows), and the day it was saved."""

    headings: Mapping[str, str]
    date_order: DateOrder | None
    saved_on: dt.date

    @property
    def reading(self) -> TableReading:
        return TableReading(headings=self.headings, date_order=self.date_order)


class SavedMappings:
    """The mappings saved in the file at ``path``, by kind of job and signature (a table's
    headings, normalised: see :class:`~.mapping.TableForm`); ``fields`` gives each kind's
    fields, so that an entry naming another is left aside."""

    def __init__(self, path: Path, fields: Mapping[str, Sequence[str]]) -> None:
        self.path = path
        self.fields = fields

    def find(self, kind: str, signature: Sequence[str]) -> Saved | None:
        """The mapping saved for the tables of ``kind`` with these headings, if any."""
        for entry in self._entries():
            if entry.get("kind") == kind and entry.get("headings") == list(signature):
                return self._saved(kind, entry)
        return None

    def save(
        self, kind: str, signature: Sequence[str], reading: TableReading, today: dt.date
    ) -> None:
        """Keeps ``reading``'s headings and date order for the tables of ``kind`` with these
        headings, in place of any saved before; raises :class:`OSError` when the file cannot
        be written."""
        entries = [entry for entry in self._entries() if not _same(entry, kind, signature)]
        entries.append(
            {
                "kind": kind,
                "headings": list(signature),
                "fields": dict(reading.headings),
                "dateOrder": reading.date_order.value if reading.date_order else None,
                "savedOn": today.isoformat(),
            }
        )
        self._write(entries)

    def forget(self, kind: str, signature: Sequence[str]) -> bool:
        """Forgets the mapping saved for these headings; whether there was one. Raises
        :class:`OSError` when the file cannot be written."""
        entries = self._entries()
        kept = [entry for entry in entries if not _same(entry, kind, signature)]
        if len(kept) == len(entries):
            return False
        self._write(kept)
        return True

    def _entries(self) -> list[dict[str, Any]]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            _log.warning(
                "the saved mappings in %s cannot be read (%s): none used", self.path, error
            )
            return []
        mappings = data.get("mappings") if isinstance(data, dict) else None
        if not isinstance(mappings, list):
            return []
        return [entry for entry in mappings if isinstance(entry, dict)]

    def _saved(self, kind: str, entry: Mapping[str, Any]) -> Saved | None:
        """The mapping of ``entry``, or ``None`` when it is not one this version reads."""
        fields, order, day = entry.get("fields"), entry.get("dateOrder"), entry.get("savedOn")
        known = {"", *self.fields.get(kind, ())}
        try:
            if not isinstance(fields, dict) or not all(
                isinstance(key, str) and value in known for key, value in fields.items()
            ):
                return None
            return Saved(
                dict(fields), DateOrder(order) if order else None, dt.date.fromisoformat(str(day))
            )
        except (TypeError, ValueError):
            return None

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": _VERSION, "mappings": entries}, ensure_ascii=False, indent=2)
        descriptor, name = tempfile.mkstemp(prefix=".mappings-", dir=self.path.parent)
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(name)
            raise


def _same(entry: Mapping[str, Any], kind: str, signature: Sequence[str]) -> bool:
    return entry.get("kind") == kind and entry.get("headings") == list(signature)
