"""The rules of delivery events: each line checked alone, then the lines of a parcel decided
together and made into the one request per invoice that carries them.

``PUT /api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}/tracking`` carries every event of
the parcel at once, in date order, with whether (and when) it was delivered. The lines of an
invoice are therefore decided together: one bad line keeps its parcel from being sent, and each
line's results carry its parcel's outcome and receipt. The request replaces the events the
order holds for the invoice, so a file gives each parcel's whole history so far, not only its
new events; its lines may stand anywhere in the files of a run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..files.columns import EVENTS, normalise
from ..messages import N_
from ..models import (
    Event,
    EventsUpdate,
    Outcome,
    Row,
    RowError,
    Status,
)
from . import row_codes
from .dates import DateRules
from .validator import checked_date, common_problems, shown

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


# A line checked alone: its event, or why it cannot be sent.
Checked = EventLine | list[RowError]


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
                N_(
                    "{value} is not yes or no (sim/não, sí/no, true/false, 1/0); leave it empty "
                    "when the line does not say"
                ),
                {"value": shown(value["isDelivered"])},
            )
        )
    if delivered is False and value["deliveredDate"]:
        # Sending it would say delivered (the request has a date) where the line says not.
        errors.append(
            RowError(
                row_codes.CONFLICTING_DELIVERED,
                "isDelivered",
                N_(
                    "{value} says the parcel was not delivered, but {column} gives it a "
                    "delivery date ({date}); empty one of the two cells"
                ),
                {
                    "value": shown(value["isDelivered"]),
                    "column": row.label("deliveredDate"),
                    "date": shown(value["deliveredDate"]),
                },
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
        if len(bad) == 1:
            return RowError(
                row_codes.PARCEL_INCOMPLETE,
                "",
                N_(
                    "the parcel's row {row} cannot be sent, and a parcel's events are sent "
                    "together; correct it and upload the parcel again"
                ),
                {"row": bad[0]},
            )
        return RowError(
            row_codes.PARCEL_INCOMPLETE,
            "",
            N_(
                "the parcel's rows {rows} cannot be sent, and a parcel's events are sent "
                "together; correct them and upload the parcel again"
            ),
            {"rows": tuple(bad)},
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
                N_(
                    "one line says the parcel was delivered on {delivered} and a later one "
                    "({later}) says it was not; correct the flag"
                ),
                {"delivered": first.event.date, "later": later[0].event.date},
            )
    dates = {line.delivered_date for line in valid if line.delivered_date}
    if len(dates) > 1:
        return RowError(
            row_codes.CONFLICTING_DELIVERED,
            "deliveredDate",
            N_("the parcel's lines give different delivery dates ({dates}); keep one"),
            {"dates": tuple(sorted(dates))},
        )
    given = next((line.delivered_at for line in valid if line.delivered_at), None)
    earliest = min(valid, key=lambda line: line.moment, default=None)
    if given and earliest and _before(given, earliest.event.date):
        return RowError(
            row_codes.CONFLICTING_DELIVERED,
            "deliveredDate",
            N_(
                "the parcel is said delivered on {delivered}, before its first event ({date}, "
                "{event}); a parcel cannot be delivered before it was posted: correct the date"
            ),
            {
                "delivered": _minutes(given),
                "date": earliest.event.date,
                "event": shown(earliest.event.description),
            },
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
