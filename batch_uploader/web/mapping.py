"""How a person changes the way a table is read, on the job's page: the column of each field
(found by its heading, as ``--map`` does, never by its position: a file saved again with its
columns moved is read the same), the order of its dates, and values for its refused cells.
Whatever the form posts is checked here before the files are checked again."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..files.columns import Layout, column_letter, normalise
from ..files.inputs import Input, TableReading
from ..models import Source
from ..rules.dates import DateOrder
from .wording import W_

# The longest value a person may type for a cell.
MAX_VALUE = 500
# The date orders the form offers, "" for the one the file shows.
DATE_ORDERS = ("", DateOrder.DMY.value, DateOrder.MDY.value)


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a table's header row: its position, its letter, its heading as the file
    writes it, that heading normalised (``key``, empty when it has no letter or digit), and
    whether another column's heading is the same once normalised."""

    index: int
    letter: str
    heading: str
    key: str
    repeated: bool

    @property
    def findable(self) -> bool:
        """Whether the column can be found by its heading alone."""
        return bool(self.key) and not self.repeated


@dataclass(frozen=True, slots=True)
class TableForm:
    """A table as the form shows it: the fields of the job's kind and those every row needs
    (``required``), the columns of its header row, the column each field is read from now
    (``reading``), and the table's ``signature``: its headings normalised, in any order
    (columns are found by their headings), which names the files a saved mapping is for."""

    source: Source
    fields: tuple[str, ...]
    required: tuple[str, ...]
    columns: tuple[Column, ...]
    reading: Mapping[str, int]
    signature: tuple[str, ...]

    @classmethod
    def of(cls, item: Input, layout: Layout) -> TableForm:
        """The form of the table ``item``, read as a ``layout`` file."""
        first = item.table.first_column
        headings = [cell.strip() for cell in item.columns.headings]
        keys = [normalise(heading) for heading in headings]
        columns = tuple(
            Column(index, column_letter(first + index), heading, key, keys.count(key) > 1)
            for index, (heading, key) in enumerate(zip(headings, keys, strict=True))
        )
        return cls(
            item.table.source,
            layout.fields,
            layout.required,
            columns,
            dict(item.columns.indexes),
            tuple(sorted(key for key in keys if key)),
        )

    def column_of(self, name: str) -> Column | None:
        """The column field ``name`` is read from now (``None``: none)."""
        index = self.reading.get(name)
        return None if index is None or index >= len(self.columns) else self.columns[index]

    def label(self, name: str) -> str:
        """The column of field ``name`` as the page names a column (``C 'Rastreio'``), or
        the field's name when it has none."""
        column = self.column_of(name)
        return name if column is None else f"{column.letter} '{column.heading}'"


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a choice posted is not taken: the page's words (a template of :func:`W_`, with
    ``%(name)s`` placeholders) and their ``params``."""

    text: str
    params: Mapping[str, object] = field(default_factory=dict)


NEEDED = W_("Choose the column of %(field)s: every row needs it.")
TWICE = W_(
    "The column %(column)s is chosen for %(first)s and for %(second)s: a column holds one field."
)
REPEATED = W_(
    "The columns %(columns)s have the same heading, so the page cannot tell them apart: "
    "rename one of them in the file and upload it again."
)
NO_HEADING = W_(
    "The column %(column)s has no heading to find it by: give it one in the file and upload "
    "it again."
)
NO_COLUMN = W_("This file has no column '%(heading)s' any more: look at its columns again.")
NO_ORDER = W_("Choose how the dates are written from the list.")
NOT_REFUSED = W_(
    "Row %(row)s, %(field)s is not among the cells refused now: look at the rows refused again."
)
NOT_A_VALUE = W_(
    "The value typed for row %(row)s, %(field)s is not one a cell holds: one line, "
    "%(limit)s characters at most."
)


def chosen(form: TableForm, posted: Mapping[str, str]) -> TableReading | Refusal:
    """The reading of ``form``'s table that ``posted`` asks for: ``field:<name>`` the
    heading of each field's column (empty: not in this file), ``date_order`` one of
    :data:`DATE_ORDERS`. Every heading of the table is mapped, to its field or to none, so
    that what the page shows is what is read, whatever the built-in headings say."""
    picked: dict[str, Column] = {}
    for name in form.fields:
        heading = posted.get(f"field:{name}", "").strip()
        if not heading:
            if name in form.required:
                return Refusal(NEEDED, {"field": name})
            continue
        # A heading on two lines comes back with CR LF (browsers post line breaks so).
        spaced = " ".join(heading.split())
        column = next(
            (column for column in form.columns if " ".join(column.heading.split()) == spaced),
            None,
        )
        if column is None:
            return Refusal(NO_COLUMN, {"heading": heading})
        if not column.key:
            return Refusal(NO_HEADING, {"column": column.letter})
        if column.repeated:
            same = [other.letter for other in form.columns if other.key == column.key]
            return Refusal(REPEATED, {"columns": ", ".join(same)})
        other = next((other for other, taken in picked.items() if taken is column), None)
        if other is not None:
            return Refusal(TWICE, {"column": column.letter, "first": other, "second": name})
        picked[name] = column
    order = posted.get("date_order", "")
    if order not in DATE_ORDERS:
        return Refusal(NO_ORDER)
    headings = {column.key: "" for column in form.columns if column.key}
    headings.update({column.key: name for name, column in picked.items()})
    return TableReading(headings=headings, date_order=DateOrder(order) if order else None)


def typed(value: str, row: int, name: str) -> str | Refusal:
    """``value``, typed for the cell of field ``name`` of row ``row``, when a cell can hold
    it: one line, :data:`MAX_VALUE` characters at most."""
    if len(value) > MAX_VALUE or any(ord(character) < 32 for character in value):
        return Refusal(NOT_A_VALUE, {"row": row, "field": name, "limit": MAX_VALUE})
    return value
