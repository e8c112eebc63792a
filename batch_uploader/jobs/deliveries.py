"""Delivery events as an upload: files with one line per event of a parcel, sent as one
request per invoice (the rules are in :mod:`~batch_uploader.rules.parcels`), streamed in
bounded memory by gathering each parcel's lines as they are read (:mod:`~.gathering`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Unpack

from ..files.columns import EVENTS
from ..files.inputs import Reading, Values
from ..files.results import ResultsWriter, results_writer
from ..models import (
    SECRET_IN_ROW,
    CellKind,
    Row,
    RowError,
    Source,
)
from ..redaction import Redactor
from ..rules.dates import DateRules
from ..rules.parcels import Checked, Parcel, decide_parcel, validate_event
from ..rules.survey import Survey, survey
from ..rules.tracking_urls import UrlTemplates
from .engine import JobOptions, Unit, Upload
from .gathering import gathered


class EventsUpload(Upload):
    """An upload of the delivery events of ``paths``, one request per invoice (see
    :class:`~.engine.Upload`): one results line per input line, each with its parcel's outcome
    and receipt. The files are read as events files whatever ``reading``'s layout."""

    def __init__(
        self, paths: Sequence[Path], *, results_path: Path, **options: Unpack[JobOptions]
    ) -> None:
        # Read as events files, whatever the layout asked.
        options["reading"] = replace(options.get("reading") or Reading(), layout=EVENTS)
        super().__init__(Parcels(), paths, results_path=results_path, **options)


class Parcels:
    """Delivery events as an upload kind: a unit is a parcel, the lines of one invoice, given
    as soon as its last line is read (see :mod:`~.gathering`)."""

    name = "delivery events"
    noun = "parcel"
    templates: UrlTemplates | None = None  # no tracking URL is made for events

    def survey(self, values: Iterable[Values]) -> Survey:
        return survey(values, ("date", "deliveredDate"), by_parcel=True)

    def units(
        self, rows: Iterator[Row], found: Survey, reading: Reading, secrets: Redactor
    ) -> Iterator[Unit]:
        rules = _date_rules(found, reading)
        # A waiting line is kept as plain values (see _kept), its table by its index here.
        sources: dict[Source, int] = {}
        tables: list[tuple[Source, Mapping[str, str]]] = []

        def lines() -> Iterator[tuple[int, Parcel | None, _Kept]]:
            for place, row in enumerate(rows):
                index = sources.get(row.source)
                if index is None:
                    index = sources[row.source] = len(tables)
                    tables.append((row.source, row.columns))
                order_id, invoice = row.get("orderId"), row.get("invoiceNumber")
                yield (
                    place,
                    (order_id, invoice) if order_id and invoice else None,
                    _kept(row, index),
                )

        for parcel in gathered(lines(), found.parcels):
            rows_of = [_row(kept, tables) for _, _, kept in parcel]
            checked = [
                _checked(row, rules.get(row.source, DateRules()), secrets) for row in rows_of
            ]
            outcomes, update = decide_parcel(rows_of, checked)
            yield Unit(tuple(place for place, _, _ in parcel), tuple(outcomes), update)

    def results(
        self,
        path: Path,
        with_source: bool,
        verifying: bool,
        redactor: Redactor,
        corrected: bool = False,
    ) -> ResultsWriter:
        return results_writer(
            path,
            with_source=with_source,
            events=True,
            redactor=redactor,
            with_corrections=corrected,
        )


# A row waiting for its parcel, as plain values (they pickle fast): its table's index, then
# its number, values, kinds, read errors, cells and fields typed on the page.
_Kept = tuple[
    int,
    int,
    Mapping[str, str],
    Mapping[str, CellKind],
    tuple[RowError, ...],
    Sequence[str],
    tuple[str, ...],
]


def _kept(row: Row, table: int) -> _Kept:
    return (table, row.number, row.values, row.kinds, row.read_errors, row.cells, row.corrected)


def _row(kept: _Kept, tables: Sequence[tuple[Source, Mapping[str, str]]]) -> Row:
    """The row ``kept`` holds, its source and column names from ``tables``."""
    table, number, values, kinds, read_errors, cells, corrected = kept
    source, columns = tables[table]
    return Row(source, number, values, kinds, columns, read_errors, cells, corrected)


def _checked(row: Row, rules: DateRules, secrets: Redactor) -> Checked:
    """The event of ``row``, or its problems; a line holding one of ``secrets`` is refused."""
    if secrets.holds("\x1f".join(row.values.values())):
        return [SECRET_IN_ROW]
    return validate_event(row, rules)


def _date_rules(found: Survey, reading: Reading) -> dict[Source, DateRules]:
    """How each file writes its dates, from the evidence of both date columns."""
    now = dt.datetime.now(dt.UTC)
    return {
        source: DateRules(
            order=(given := reading.date_order_for(source)) or order,
            mixed=mixed and given is None,
            timezone=reading.timezone,
            now=now,
        )
        for source, (order, mixed) in found.date_orders.items()
    }
