"""Delivery events: files with one line per event of a parcel, sent as one request per invoice.

``PUT /api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}/tracking`` carries every event of
the parcel at once, in date order, with whether (and when) it was delivered. The lines of an
invoice are therefore decided together: one bad line keeps its parcel from being sent, and each
line's results carry its parcel's outcome and receipt. The request replaces the events the
order holds for the invoice, so a file gives each parcel's whole history so far, not only its
new events; its lines may stand anywhere in the files of a run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Unpack

from . import row_codes
from .columns import EVENTS, normalise
from .control import Control
from .dates import DateRules
from .inputs import Reading, Values
from .job import JobOptions, Unit, Upload, driven
from .models import (
    SECRET_IN_ROW,
    CellKind,
    Event,
    EventsUpdate,
    Outcome,
    Row,
    RowError,
    Source,
    Status,
)
from .parcels import gathered
from .progress import OnEvent, ignore
from .progress_bar import ProgressBar
from .redaction import Redactor
from .report import Report
from .survey import Survey, survey
from .tracking_urls import UrlTemplates
from .validator import checked_date, common_problems, shown
from .writer import ResultsWriter, results_writer

_YES = frozenset(map(normalise, ("yes", "y", "true", "1", "x", "sim", "s", "si", "sí")))
_NO = frozenset(map(normalise, ("no", "n", "false", "0", "não", "nao")))
_TEXTS = ("orderId", "invoiceNumber", "city", "state", "description")
Parcel = tuple[str, str]


@dataclass(frozen=True, slots=True)
class EventLine:
    """A valid events line: its parcel, its event, and what it says of the delivery."""

    parcel: Parcel
    event: Event
    moment: dt.datetime
    delivered: bool | None
    delivered_date: str | None
    delivered_at: str | None = None  # the deliveredDate cell as read, ISO 8601


def upload_events(
    paths: Sequence[Path],
    *,
    results_path: Path,
    show_progress: bool = False,
    control: Control | None = None,
    on_event: OnEvent = ignore,
    **options: Unpack[JobOptions],
) -> Report:
    """Sends the tracking events of ``paths`` (or only checks them, with ``dry_run``): an
    :class:`EventsUpload` run to its end, for scripts and the command line, as
    :func:`batch_uploader.run` runs one of tracking numbers (signals, progress bar)."""
    job = EventsUpload(paths, results_path=results_path, **options)
    with job, ProgressBar(show_progress, on_event) as watch:
        return asyncio.run(driven(job.run, control or Control(), watch))


class EventsUpload(Upload):
    """An upload of the delivery events of ``paths``, one request per invoice (see
    :class:`~.job.Upload`): one results line per input line, each with its parcel's outcome
    and receipt. The files are read as events files whatever ``reading``'s layout."""

    def __init__(
        self, paths: Sequence[Path], *, results_path: Path, **options: Unpack[JobOptions]
    ) -> None:
        # Read as events files, whatever the layout asked.
        options["reading"] = replace(options.get("reading") or Reading(), layout=EVENTS)
        super().__init__(Parcels(), paths, results_path=results_path, **options)


class Parcels:
    """Delivery events as an upload kind: a unit is a parcel, the lines of one invoice, given
    as soon as its last line is read (see :mod:`~.parcels`)."""

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
        self, path: Path, with_source: bool, verifying: bool, redactor: Redactor
    ) -> ResultsWriter:
        return results_writer(path, with_source=with_source, events=True, redactor=redactor)


# A line checked alone: its event, or why it cannot be sent.
Checked = EventLine | list[RowError]

# A row waiting for its parcel, as plain values (they pickle fast): its table's index, then
# its number, values, kinds, read errors and cells.
_Kept = tuple[
    int, int, Mapping[str, str], Mapping[str, CellKind], tuple[RowError, ...], Sequence[str]
]


def _kept(row: Row, table: int) -> _Kept:
    return (table, row.number, row.values, row.kinds, row.read_errors, row.cells)


def _row(kept: _Kept, tables: Sequence[tuple[Source, Mapping[str, str]]]) -> Row:
    """The row ``kept`` holds, its source and column names from ``tables``."""
    table, number, values, kinds, read_errors, cells = kept
    source, columns = tables[table]
    return Row(source, number, values, kinds, columns, read_errors, cells)


def _checked(row: Row, rules: DateRules, secrets: Redactor) -> Checked:
    """The event of ``row``, or its problems; a line holding one of ``secrets`` is refused."""
    if secrets.holds("\x1f".join(row.values.values())):
        return [SECRET_IN_ROW]
    return validate_event(row, rules)


def decide_parcel(
    rows: Sequence[Row], checked: Sequence[Checked]
) -> tuple[list[Outcome], EventsUpdate | None]:
    """The outcomes of the lines of one parcel before sending, and the update they send
    together (``None`` when they cannot be sent): invalid lines keep their reasons, and the
    others are refused with the parcel's problem when it has one."""
    problem = _parcel_problem(list(rows), list(checked))
    if problem is not None:
        # The bad lines keep their own reasons; the others are refused with the parcel's.
        return [
            Outcome(
                row, Status.INVALID, errors=tuple(line) if isinstance(line, list) else (problem,)
            )
            for row, line in zip(rows, checked, strict=True)
        ], None
    valid = [line for line in checked if isinstance(line, EventLine)]
    if len(valid) < len(checked):  # every line is invalid, each for its own reasons
        return [
            Outcome(row, Status.INVALID, errors=tuple(line) if isinstance(line, list) else ())
            for row, line in zip(rows, checked, strict=True)
        ], None
    update = _update(valid)
    return [Outcome(row, Status.VALID, update=update) for row in rows], update


def validate_event(row: Row, rules: DateRules) -> EventLine | list[RowError]:
    """The event of ``row``, or every problem that keeps it from being sent."""
    value = {name: row.values.get(name, "") for name in EVENTS.fields}
    errors, spoiled = common_problems(
        row, value, EVENTS.required, ("orderId", "invoiceNumber"), _TEXTS
    )
    date = checked_date(row, value, "date", rules, spoiled, errors)
    delivered_at = checked_date(row, value, "deliveredDate", rules, spoiled, errors)
    delivered: bool | None = None
    try:
        delivered = _flag(value["isDelivered"])
    except ValueError:
        errors.append(
            RowError(
                row_codes.INVALID_FLAG,
                "isDelivered",
                f"{shown(value['isDelivered'])} is not yes or no (sim/não, sí/no, true/false, "
                "1/0); leave it empty when the line does not say",
            )
        )
    if delivered is False and value["deliveredDate"]:
        # Sending it would say delivered (the request has a date) where the line says not.
        errors.append(
            RowError(
                row_codes.CONFLICTING_DELIVERED,
                "isDelivered",
                f"{shown(value['isDelivered'])} says the parcel was not delivered, but "
                f"{row.label('deliveredDate')} gives it a delivery date "
                f"({shown(value['deliveredDate'])}); empty one of the two cells",
            )
        )
    if errors or date is None:
        return errors
    return EventLine(
        parcel=(value["orderId"], value["invoiceNumber"]),
        event=Event(value["city"], value["state"], value["description"], date),
        moment=_moment(date),
        delivered=delivered,
        delivered_date=_minutes(delivered_at) if delivered_at else None,
        delivered_at=delivered_at,
    )


def _flag(text: str) -> bool | None:
    """A yes/no cell (empty: the line does not say); ValueError for anything else."""
    if not text:
        return None
    word = normalise(text)
    if word in _YES or word in _NO:
        return word in _YES
    raise ValueError(text)


def _parcel_problem(rows: list[Row], lines: list[EventLine | list[RowError]]) -> RowError | None:
    """Why the lines of one parcel cannot be sent together, if they cannot."""
    bad = [row.number for row, line in zip(rows, lines, strict=True) if isinstance(line, list)]
    if bad:
        if len(bad) == len(rows):
            return None  # every line has its own reasons already
        return RowError(
            row_codes.PARCEL_INCOMPLETE,
            "",
            f"the parcel's row{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} "
            "cannot be sent, and a parcel's events are sent together; correct "
            f"{'them' if len(bad) > 1 else 'it'} and upload the parcel again",
        )
    valid = [line for line in lines if isinstance(line, EventLine)]
    delivered = [line for line in valid if line.delivered]
    not_yet = [line for line in valid if line.delivered is False]
    if delivered and not_yet:
        first = min(delivered, key=lambda line: line.moment)
        later = [line for line in not_yet if line.moment > first.moment]
        if later:
            return RowError(
                row_codes.CONFLICTING_DELIVERED,
                "isDelivered",
                f"one line says the parcel was delivered on {first.event.date} and a later one "
                f"({later[0].event.date}) says it was not; correct the flag",
            )
    dates = {line.delivered_date for line in valid if line.delivered_date}
    if len(dates) > 1:
        return RowError(
            row_codes.CONFLICTING_DELIVERED,
            "deliveredDate",
            f"the parcel's lines give different delivery dates ({', '.join(sorted(dates))}); "
            "keep one",
        )
    given = next((line.delivered_at for line in valid if line.delivered_at), None)
    earliest = min(valid, key=lambda line: line.moment, default=None)
    if given and earliest and _before(given, earliest.event.date):
        return RowError(
            row_codes.CONFLICTING_DELIVERED,
            "deliveredDate",
            f"the parcel is said delivered on {_minutes(given)}, before its first event "
            f"({earliest.event.date}, {shown(earliest.event.description)}); a parcel cannot "
            "be delivered before it was posted: correct the date",
        )
    return None


def _before(delivered: str, first_event: str) -> bool:
    """Whether the delivery date ``delivered`` comes before the date of the parcel's first
    event. A date without a time is compared by day (delivered the day it was posted is
    possible), and wall-clock times are compared unless both carry an offset."""
    when, start = dt.datetime.fromisoformat(delivered), dt.datetime.fromisoformat(first_event)
    if _date_only(delivered) or _date_only(first_event):
        return when.date() < start.date()
    if when.tzinfo is None or start.tzinfo is None:
        when, start = when.replace(tzinfo=None), start.replace(tzinfo=None)
    return when < start


def _date_only(iso: str) -> bool:
    return "T" not in iso and " " not in iso


def _update(lines: list[EventLine]) -> EventsUpdate:
    ordered = sorted(lines, key=lambda line: line.moment)
    # The same event on two lines (a file exported twice) is one step of the journey.
    events = tuple(dict.fromkeys(line.event for line in ordered))
    delivered = [line for line in ordered if line.delivered]
    given = next((line.delivered_date for line in ordered if line.delivered_date), None)
    delivered_date = given or (_minutes(delivered[0].event.date) if delivered else None)
    order_id, invoice = lines[0].parcel
    return EventsUpdate(
        order_id=order_id,
        invoice_number=invoice,
        is_delivered=delivered_date is not None,
        delivered_date=delivered_date,
        events=events,
    )


def _moment(iso: str) -> dt.datetime:
    """An event date as a point in time, for ordering (dates alone at midnight UTC)."""
    value = dt.datetime.fromisoformat(iso)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _minutes(iso: str) -> str:
    """A date or date-time as ``yyyy-mm-dd hh:mm``, the deliveredDate format of the API."""
    return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def _date_rules(found: Survey, reading: Reading) -> dict[Source, DateRules]:
    """How each file writes its dates, from the evidence of both date columns."""
    now = dt.datetime.now(dt.UTC)
    given = reading.date_order
    return {
        source: DateRules(
            order=given or order, mixed=mixed and given is None, timezone=reading.timezone, now=now
        )
        for source, (order, mixed) in found.date_orders.items()
    }
