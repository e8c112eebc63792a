"""The files of a run, opened: which tables they hold, where each header stands, and how
they are read (encoding, sheet, extra headings, dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import message_codes
from ..errors import InputError
from ..messages import N_, RunMessage
from ..models import Row, RowError, Source
from ..rules import row_codes
from ..rules.dates import DateOrder
from .columns import TRACKING, ColumnMap, Layout, find_header, is_totals_row
from .reader import RawRow, Table, open_tables


@dataclass(frozen=True, kw_only=True, slots=True)
class TableReading:
    """How one table is read, as a person chose it for that table alone: more ``headings``
    (normalised heading to field, ``""`` for a column no field takes), the ``date_order`` of
    its slashed dates, and ``corrections``: values typed for its cells, by row number and
    field, read in place of the file's."""

    headings: Mapping[str, str] = field(default_factory=dict)
    date_order: DateOrder | None = None
    corrections: Mapping[int, Mapping[str, str]] = field(default_factory=dict)


_AS_READ = TableReading()


@dataclass(frozen=True, kw_only=True, slots=True)
class Reading:
    """How to read the files: a CSV ``encoding`` (detected when ``None``), one ``sheet`` of
    each workbook, more ``headings`` for the fields (normalised heading to field), the
    ``date_order`` of slashed dates (decided per column when ``None``), and the
    ``timezone`` given to times without an offset. ``layout`` says what kind of file it is
    (tracking numbers or tracking events). ``tables`` holds what was chosen for a table
    alone (see :class:`TableReading`), which wins over the rest."""

    encoding: str | None = None
    sheet: str | None = None
    headings: Mapping[str, str] = field(default_factory=dict)
    date_order: DateOrder | None = None
    timezone: dt.tzinfo | None = None
    layout: Layout = TRACKING
    tables: Mapping[Source, TableReading] = field(default_factory=dict)

    def headings_for(self, source: Source) -> Mapping[str, str]:
        """The headings mapped for the table ``source``: its own over the run's."""
        own = self.tables.get(source, _AS_READ).headings
        return {**self.headings, **own} if own else self.headings

    def date_order_for(self, source: Source) -> DateOrder | None:
        """The order of the slashed dates of the table ``source``: its own, else the run's."""
        return self.tables.get(source, _AS_READ).date_order or self.date_order

    @property
    def corrects(self) -> bool:
        """Whether any cell is read with a value typed in place of the file's."""
        return any(table.corrections for table in self.tables.values())


@dataclass(frozen=True, slots=True)
class Input:
    """A table to upload, where its columns are, what it hides that a person should know
    first (hidden sheets of its workbook left out, hidden rows read: ``hidden``), and the
    values typed for its cells (see :attr:`TableReading.corrections`)."""

    table: Table
    columns: ColumnMap
    hidden: tuple[RunMessage, ...] = ()
    corrections: Mapping[int, Mapping[str, str]] = field(default_factory=dict)


# A data row in short: its source, its number and its values by field.
Values = tuple[Source, int, dict[str, str]]


def open_inputs(paths: Sequence[Path], reading: Reading) -> tuple[list[Input], list[RunMessage]]:
    """Opens every file and finds its header, so that an unreadable file stops the run before
    anything is sent. Every sheet of a workbook with a header is read; the others are named
    in the notes returned, and a workbook with none is an error. Hidden sheets are left out
    unless ``reading.sheet`` names one, and rows hidden by a filter or by hand are read: the
    notes say both, first (see :func:`hidden_notes`).

    Every pass over the rows reads the files as they were opened here (see
    :class:`~batch_uploader.files.reader.PinnedFile`); :func:`changed_since_opened` tells afterwards
    which changed, and :func:`close_inputs` lets them go."""
    inputs: list[Input] = []
    notes: list[RunMessage] = []
    for path in paths:
        try:
            found, missed = _open_tables(path, reading)
        except BaseException:
            close_inputs(inputs)
            raise
        inputs.extend(found)
        notes.extend(note for item in found for note in item.hidden)
        notes.extend(
            RunMessage(
                message_codes.SHEET_LEFT_OUT,
                N_("sheet left out: {error}"),
                {"error": error.message},
            )
            for error in missed
        )
    return inputs, notes


def hidden_notes(inputs: Iterable[Input]) -> list[RunMessage]:
    """What the workbooks of ``inputs`` hide (sheets left out, rows read), for the first lines
    of a dry run: a person checking a file should see it before anything else."""
    return [note for item in inputs for note in item.hidden]


def _open_tables(path: Path, reading: Reading) -> tuple[list[Input], list[InputError]]:
    """The tables of ``path`` with a header, and why the others have none."""
    tables, hidden_sheets = open_tables(path, encoding=reading.encoding, sheet=reading.sheet)
    if not tables:
        raise InputError(
            RunMessage(
                message_codes.NO_SHEET_WITH_DATA,
                N_("{file}: the workbook has no sheet with data"),
                {"file": str(path)},
            )
        )
    found: list[Input] = []
    missed: list[InputError] = []
    for table in tables:
        try:
            columns = find_header(
                table.rows(),
                table.source,
                table.first_column,
                check_width=table.delimited,
                headings=reading.headings_for(table.source),
                layout=reading.layout,
            )
        except InputError as error:
            missed.append(error)
            continue
        notes = (hidden_sheets if not found else []) + _hidden_rows_note(table, columns)
        corrections = reading.tables.get(table.source, _AS_READ).corrections
        found.append(Input(table, columns, tuple(notes), corrections))
    if not found:
        for table in tables:
            table.close()
        if hidden_sheets:  # the sheet the person meant may be one of them
            raise InputError(
                RunMessage(
                    message_codes.HEADER_NOT_FOUND_HIDDEN_SHEETS,
                    N_("{error}; {hidden:; }"),
                    {"error": missed[0].message, "hidden": tuple(hidden_sheets)},
                )
            )
        raise missed[0]
    return found, missed


# The hidden rows a note names, at most.
_ROWS_NAMED = 10


def _hidden_rows_note(table: Table, columns: ColumnMap) -> list[RunMessage]:
    """A note naming the data rows of ``table`` hidden by a filter or by hand, which are sent
    like the others; none when there are none. Rows above the header, and rows without cells
    (see :attr:`~batch_uploader.files.reader.Table.hidden_rows`), which nothing sends, are not
    named; finding them costs no pass over the rows."""
    numbers = sorted(number for number in table.hidden_rows if number > columns.header_row)
    if not numbers:
        return []
    file, sheet = table.source.file, table.source.sheet or ""
    if len(numbers) == 1:
        return [
            RunMessage(
                message_codes.HIDDEN_ROWS,
                N_(
                    "row {rows} of {file} sheet {sheet!r} is hidden (a filter, or by hand): it is "
                    "read and sent like the others; to send only the rows shown, delete it"
                ),
                {"rows": str(numbers[0]), "count": 1, "file": file, "sheet": sheet},
            )
        ]
    if len(numbers) > _ROWS_NAMED:  # a filter may hide thousands: the first say where
        more = len(numbers) - _ROWS_NAMED
        listed = f"{', '.join(map(str, numbers[:_ROWS_NAMED]))} and {more:,} more"
        listed += f" ({len(numbers):,} in all)"
    else:
        listed = ", ".join(str(number) for number in numbers[:-1]) + f" and {numbers[-1]}"
    return [
        RunMessage(
            message_codes.HIDDEN_ROWS,
            N_(
                "rows {rows} of {file} sheet {sheet!r} are hidden (a filter, or by hand): they are "
                "read and sent like the others; to send only the rows shown, delete the hidden ones"
            ),
            {"rows": listed, "count": len(numbers), "file": file, "sheet": sheet},
        )
    ]


def changed_since_opened(inputs: Iterable[Input]) -> list[RunMessage]:
    """One note for a person per file of ``inputs`` whose path no longer holds what the run
    read, saying what happened and what to do; empty when every file is as it was.

    A file that grew (rows appended), was replaced (saved again or copied over, the usual way
    programs save), was removed or renamed, or was changed in place since :func:`open_inputs`
    opened it is named, with what was read of it: the rows as they were at the opening, or,
    for a CSV file rewritten in place while it was read, the row from which the rows were
    refused (``file-changed``). Call it after the last pass over the rows; such a file should
    be uploaded again once complete (the rows already sent are then skipped)."""
    notes: list[RunMessage] = []
    seen: set[str] = set()
    for item in inputs:
        file = item.table.file
        if str(file.path) not in seen:
            seen.add(str(file.path))
            if (note := file.changes()) is not None:
                notes.append(note)
    return notes


def close_inputs(inputs: Iterable[Input]) -> None:
    """Lets the files of ``inputs`` go (a CSV file is read through a descriptor held from
    :func:`open_inputs` on). No pass over their rows may start after; closing twice is
    harmless. Inputs never closed are closed when they are garbage-collected."""
    for item in inputs:
        item.table.close()


def data_rows(inputs: Iterable[Input], totals: list[Row] | None = None) -> Iterator[Row]:
    """The data rows of every input, in order. Blank rows are left out, and so are totals
    lines, which are added to ``totals`` when it is given."""
    for item in inputs:
        source, columns, corrections = item.table.source, item.columns, item.corrections
        for raw in data_raw(item):
            row = columns.row(raw, source)
            if corrections and raw.number in corrections:
                row.corrected = _corrected_fields(corrections[raw.number], columns, raw)
            if not is_totals_row(raw, row.values, columns.required):
                yield row
            elif totals is not None:
                totals.append(row)


def as_surveyed(rows: Iterable[Row], numbers: Mapping[Source, Sequence[int]]) -> Iterator[Row]:
    """``rows`` (of :func:`data_rows`), with a refused row (``file-changed``) in the place of
    each row of ``numbers`` (the rows a first pass read, by table, in order) that a later
    pass no longer finds: a file cut short or rewritten in place while the run read it. Every
    row the first pass saw is so decided."""
    seen: set[Source] = set()
    source: Source | None = None
    expected: Sequence[int] = ()
    at = 0
    for row in rows:
        if row.source != source:
            yield from _vanished(source, expected[at:])
            source, expected, at = row.source, numbers.get(row.source, ()), 0
            seen.add(source)
        while at < len(expected) and expected[at] < row.number:
            yield from _vanished(source, expected[at : at + 1])
            at += 1
        if at < len(expected) and expected[at] == row.number:
            at += 1
        yield row
    yield from _vanished(source, expected[at:])
    for other, left in numbers.items():
        if other not in seen:  # a table that lost every row
            yield from _vanished(other, left)


def _vanished(source: Source | None, numbers: Sequence[int]) -> Iterator[Row]:
    if source is not None:
        for number in numbers:
            yield Row(source, number, {}, read_errors=(_GONE,))


_GONE = RowError(
    row_codes.FILE_CHANGED,
    "",
    N_(
        "the file changed while it was uploaded and this row is no longer in it: nothing was "
        "sent; upload the file again once it is complete (rows already sent are skipped)"
    ),
)


def data_values(inputs: Iterable[Input], totals: list[Row] | None = None) -> Iterator[Values]:
    """What :func:`data_rows` gives, lighter: each data row's source, number and values only,
    for a pass that looks at every row and keeps none (the survey)."""
    for item in inputs:
        source, columns = item.table.source, item.columns
        for raw in data_raw(item):
            values = columns.values(raw)
            if not is_totals_row(raw, values, columns.required):
                yield source, raw.number, values
            elif totals is not None:
                totals.append(columns.row(raw, source))


def data_raw(item: Input) -> Iterator[RawRow]:
    """The rows under the header of ``item`` that are not blank, as read, with the values
    typed for their cells in place of the file's (see :attr:`Input.corrections`)."""
    header_row = item.columns.header_row
    corrections = item.corrections
    for raw in item.table.rows():
        if raw.number > header_row:
            if corrections and raw.number in corrections:
                raw = _corrected(raw, corrections[raw.number], item.columns)
            if not raw.is_blank():
                yield raw


def _corrected(raw: RawRow, values: Mapping[str, str], columns: ColumnMap) -> RawRow:
    """``raw`` with ``values`` (by field) in its fields' cells, as text typed by a person: a
    row shorter than a field's column is filled with empty cells up to it, but for a CSV
    row, which is refused all the same (a separator is missing: its values stand under the
    wrong headings), so the value is not typed there."""
    cells = list(raw.cells)
    kinds = dict(raw.kinds or {})
    for name, value in values.items():
        index = columns.indexes.get(name)
        if index is None:
            continue  # a field this table has no column for (its mapping changed)
        if index >= len(raw.cells) and columns.width is not None:
            continue  # filled, the row would look whole, and be sent with values misplaced
        cells.extend([""] * (index + 1 - len(cells)))
        cells[index] = value
        kinds.pop(index, None)
    return RawRow(raw.number, cells, kinds or None, raw.changed)


def _corrected_fields(
    values: Mapping[str, str], columns: ColumnMap, raw: RawRow
) -> tuple[str, ...]:
    """The fields of ``values`` that were read in place of the file's in ``raw`` (see
    :func:`_corrected`), in the order of the fields."""
    count = len(raw.cells)
    return tuple(
        name
        for name, index in columns.indexes.items()
        if name in values and (index < count or columns.width is None)
    )


def describe(item: Input, rows: int, date_order: tuple[DateOrder | None, bool]) -> list[str]:
    """What was understood of a table, for a person checking a file with a dry run."""
    columns = item.columns
    mapping = "; ".join(f"{name} = {label}" for name, label in columns.labels.items())
    order, mixed = date_order
    if mixed:
        dates = "written both day first and month first: slashed dates are refused"
    elif order is None:
        dates = "no slashed date tells day from month"
    else:
        dates = "day first (24/11/2026)" if order is DateOrder.DMY else "month first (11/24/2026)"
    unused = ", ".join(columns.unused.values()) or "none"
    return [
        f"{item.table.source}: {item.table.format}; header on row {columns.header_row}; "
        f"{rows} data rows",
        f"  columns: {mapping}",
        f"  columns not used: {unused}",
        f"  dates: {dates}",
    ]
