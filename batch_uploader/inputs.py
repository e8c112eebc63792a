"""The files of a run, opened: which tables they hold, where each header stands, and how
they are read (encoding, sheet, extra headings, dates)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .columns import TRACKING, ColumnMap, Layout, find_header, is_totals_row
from .dates import DateOrder
from .errors import InputError
from .models import Row, Source
from .reader import RawRow, Table, read_tables


@dataclass(frozen=True, kw_only=True, slots=True)
class Reading:
    """How to read the files: a CSV ``encoding`` (detected when ``None``), one ``sheet`` of
    each workbook, more ``headings`` for the fields (normalised heading to field), the
    ``date_order`` of slashed dates (decided per column when ``None``), and the
    ``timezone`` given to times without an offset. ``layout`` says what kind of file it is
    (tracking numbers or tracking events)."""

    encoding: str | None = None
    sheet: str | None = None
    headings: Mapping[str, str] = field(default_factory=dict)
    date_order: DateOrder | None = None
    timezone: dt.tzinfo | None = None
    layout: Layout = TRACKING


@dataclass(frozen=True, slots=True)
class Input:
    """A table to upload and where its columns are."""

    table: Table
    columns: ColumnMap


# A data row in short: its source, its number and its values by field.
Values = tuple[Source, int, dict[str, str]]


def open_inputs(paths: Sequence[Path], reading: Reading) -> tuple[list[Input], list[str]]:
    """Opens every file and finds its header, so that an unreadable file stops the run before
    anything is sent. Every sheet of a workbook with a header is read; the others are named
    in the notes returned, and a workbook with none is an error."""
    inputs: list[Input] = []
    notes: list[str] = []
    for path in paths:
        tables = read_tables(path, encoding=reading.encoding, sheet=reading.sheet)
        if not tables:
            raise InputError(f"{path}: the workbook has no sheet with data")
        found: list[Input] = []
        missed: list[InputError] = []
        for table in tables:
            try:
                columns = find_header(
                    table.rows(),
                    table.source,
                    table.first_column,
                    check_width=table.delimited,
                    headings=reading.headings,
                    layout=reading.layout,
                )
            except InputError as error:
                missed.append(error)
                continue
            found.append(Input(table, columns))
        if not found:
            raise missed[0]
        inputs.extend(found)
        notes.extend(f"sheet left out: {error}" for error in missed)
    return inputs, notes


def data_rows(inputs: Iterable[Input], totals: list[Row] | None = None) -> Iterator[Row]:
    """The data rows of every input, in order. Blank rows are left out, and so are totals
    lines, which are added to ``totals`` when it is given."""
    for item in inputs:
        source, columns = item.table.source, item.columns
        for raw in _data(item):
            row = columns.row(raw, source)
            if not is_totals_row(raw, row.values, columns.required):
                yield row
            elif totals is not None:
                totals.append(row)


def data_values(inputs: Iterable[Input], totals: list[Row] | None = None) -> Iterator[Values]:
    """What :func:`data_rows` gives, lighter: each data row's source, number and values only,
    for a pass that looks at every row and keeps none (the survey)."""
    for item in inputs:
        source, columns = item.table.source, item.columns
        for raw in _data(item):
            values = columns.values(raw)
            if not is_totals_row(raw, values, columns.required):
                yield source, raw.number, values
            elif totals is not None:
                totals.append(columns.row(raw, source))


def _data(item: Input) -> Iterator[RawRow]:
    """The rows under the header of ``item`` that are not blank."""
    header_row = item.columns.header_row
    for raw in item.table.rows():
        if raw.number > header_row and not raw.is_blank():
            yield raw


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
    return [
        f"{item.table.source}: {item.table.format}; header on row {columns.header_row}; "
        f"{rows} data rows",
        f"  columns: {mapping}",
        f"  dates: {dates}",
    ]
