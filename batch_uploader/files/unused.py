"""The columns of a table that feed no field: named for a person, and, where a field has no
column, the unused column that looks like it, with the mapping that would use it.

A column looks like a field when its heading shares a word that only that field's headings use
(``Postagem`` for the dispatch date), or when every value of its first rows is a date, a link or
a courier batch-uploader knows. Nothing is mapped by guess: a person decides.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice

from .. import message_codes
from ..messages import N_, Message, Param, RunMessage
from ..models import CellKind
from ..rules.dates import looks_like_date
from ..rules.hints import Hint
from ..rules.tracking_urls import BUILT_IN_TEMPLATES, UrlTemplates
from .columns import Layout, heading_words, telling_words
from .inputs import Input, data_raw

# The data rows whose values are looked at: enough to tell a column's kind, few enough to cost
# nothing on a large file.
SAMPLE_ROWS = 200
# The fields a column of each kind of value may be (the first a layout has).
_BY_VALUES = {
    "date": ("dispatchedDate", "deliveredDate", "date"),
    "link": ("trackingUrl",),
    "courier": ("courier",),
}


def unused_columns(item: Input) -> list[str]:
    """The columns of ``item`` with a heading that feeds no field, as a person finds them."""
    return list(item.columns.unused.values())


def suggestions(
    item: Input, layout: Layout, templates: UrlTemplates | None = BUILT_IN_TEMPLATES
) -> list[RunMessage]:
    """One note for each field of ``layout`` that has no column in ``item`` while an unused
    column looks like it."""
    columns = item.columns
    missing = [name for name in layout.fields if name not in columns.indexes]
    if not missing or not columns.unused:
        return []
    headings = {i: columns.headings[i].strip() for i in columns.unused if i < len(columns.headings)}
    kinds = dict(_kinds(item, list(headings), templates or BUILT_IN_TEMPLATES))
    telling = telling_words(layout)
    notes = []
    for name in missing:
        for index, heading in headings.items():
            by_values: dict[str, Param] = {}
            if heading_words(heading) & telling.get(name, frozenset()):
                template = _NOTE_BY_HEADING
            elif name in _fields_of(kinds.get(index), missing):
                template = _NOTE_BY_VALUES
                by_values = {"kind": kinds[index], "values": _KIND_WORDS[kinds[index]]}
            else:
                continue
            notes.append(
                RunMessage(
                    message_codes.UNUSED_COLUMN_MAY_BE_FIELD,
                    template,
                    {
                        "source": str(item.table.source),
                        "column": columns.unused[index],
                        "heading": heading,
                        "field": name,
                        **by_values,
                        "hint": Hint.MAP_WOULD_SEND,
                    },
                )
            )
    return notes


_NOTE_BY_HEADING = N_(
    "{source}: {column} may be the {field} (its heading), which no column gives: {hint}"
)
_NOTE_BY_VALUES = N_(
    "{source}: {column} may be the {field} (its values are {values}), which no column gives: {hint}"
)


_KIND_WORDS = {
    "date": Message(N_("dates")),
    "link": Message(N_("links")),
    "courier": Message(N_("couriers' names")),
}


def _fields_of(kind: str | None, missing: list[str]) -> tuple[str, ...]:
    """The one missing field a column of values of ``kind`` may be."""
    if kind is None:
        return ()
    return next(((name,) for name in _BY_VALUES[kind] if name in missing), ())


def _kinds(item: Input, indexes: list[int], templates: UrlTemplates) -> Iterator[tuple[int, str]]:
    """The kind of value (date, link, courier) every filled cell of each column of
    ``indexes`` holds in the first data rows; a column of mixed or other values has none."""
    values: dict[int, list[tuple[str, CellKind | None]]] = {i: [] for i in indexes}
    for raw in islice(data_raw(item), SAMPLE_ROWS):
        for index in indexes:
            if index < len(raw.cells) and (text := raw.cells[index].strip()):
                values[index].append((text, (raw.kinds or {}).get(index)))
    for index, cells in values.items():
        if not cells:
            continue
        if all(looks_like_date(text, kind) for text, kind in cells):
            yield index, "date"
        elif all(text.lower().startswith(("http://", "https://")) for text, _ in cells):
            yield index, "link"
        elif all(templates.find(text) is not None for text, _ in cells):
            yield index, "courier"
