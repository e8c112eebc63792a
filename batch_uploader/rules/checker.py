"""Deciding each row before anything is sent: invalid, a repeat of an earlier row, or valid
(with warnings a person may want to look at)."""

from __future__ import annotations

import datetime as dt

from ..files.columns import FILE_CHANGED
from ..files.inputs import Reading
from ..messages import N_, Message, Param
from ..models import SECRET_IN_ROW, Delivery, Outcome, Row, RowError, Source, Status
from ..redaction import Redactor
from . import row_codes
from .dates import DateRules
from .identifiers import standardised
from .survey import RowRef, Survey
from .tracking_urls import UrlTemplates
from .validator import validate


class Checker:
    """Checks rows with what the survey of the whole run found; a row holding one of
    ``secrets`` is refused."""

    def __init__(
        self,
        survey: Survey,
        reading: Reading,
        now: dt.datetime,
        url_templates: UrlTemplates | None = None,
        secrets: Redactor | None = None,
    ) -> None:
        self._survey = survey
        self._templates = url_templates
        # Looked for in every row only when there is one: not in a dry run.
        self._secrets = secrets if secrets is not None and secrets.redacts else None
        self._rules = {
            source: DateRules(
                order=(given := reading.date_order_for(source)) or order,
                mixed=mixed and given is None,
                timezone=reading.timezone,
                now=now,
            )
            for source, (order, mixed) in survey.date_orders.items()
        }
        self._default = DateRules(order=reading.date_order, timezone=reading.timezone, now=now)

    def check(self, row: Row) -> Outcome:
        """What becomes of ``row`` before sending."""
        if row.read_errors:
            changed = [error for error in row.read_errors if error.code == FILE_CHANGED.code]
            if changed:  # read from bytes that changed, or no longer there: its values say nothing
                return Outcome(row, Status.INVALID, errors=(changed[0],))
        if self._secrets is not None and self._secrets.holds("\x1f".join(row.values.values())):
            return Outcome(row, Status.INVALID, errors=(SECRET_IN_ROW,))
        checked = validate(row, self._rules.get(row.source, self._default))
        errors = checked if isinstance(checked, list) else []
        ref = (row.source, row.number)
        # Most runs have no repeats at all: then no row needs looking up.
        conflicts, duplicates = self._survey.conflicts, self._survey.duplicates
        if conflicts and (others := conflicts.get(ref)):
            errors.append(_conflicting(row, others))
        if errors or isinstance(checked, list):
            return Outcome(row, Status.INVALID, errors=tuple(errors))
        # Before the URL is made from it: the link must carry the code as it is sent.
        checked, warned = standardised(checked)
        notes: tuple[Message, ...] = ()
        if self._templates is not None:
            checked, note = self._templates.fill_noting(checked)
            notes = (note,) if note else ()
        if duplicates and (first := duplicates.get(ref)):
            delivery = Delivery(
                Status.SKIPPED, error_code=row_codes.DUPLICATE_ROW, error=_repeating(row, first)
            )
            return Outcome(row, Status.SKIPPED, checked, delivery, notes=notes)
        return Outcome(row, Status.VALID, checked, warnings=tuple(warned), notes=notes)


def _conflicting(row: Row, others: tuple[RowRef, ...]) -> RowError:
    """Why ``row`` is refused: the ``others`` rows give its invoice other tracking data. Their
    numbers alone when they are of its own file."""
    params: dict[str, Param]
    if any(source != row.source for source, _ in others):
        template = N_(
            "this order and invoice have other tracking data in {rows}; none of these rows is "
            "sent: keep the right one and upload it again"
        )
        params = {"rows": tuple(_elsewhere(source, number) for source, number in others)}
    elif len(others) == 1:
        template = N_(
            "this order and invoice have other tracking data in row {row}; none of these rows "
            "is sent: keep the right one and upload it again"
        )
        params = {"row": others[0][1]}
    else:
        template = N_(
            "this order and invoice have other tracking data in rows {rows}; none of these rows "
            "is sent: keep the right one and upload it again"
        )
        params = {"rows": tuple(number for _, number in others)}
    return RowError(row_codes.CONFLICTING_ROWS, "", template, params)


def _repeating(row: Row, first: RowRef) -> Message:
    """Why ``row`` is skipped: it repeats the row ``first``, named by its number alone when it
    is of the same file."""
    source, number = first
    if source == row.source:
        return Message(
            N_("repeats row {row} (same order, invoice and tracking data), which is sent once"),
            {"row": number},
        )
    return Message(
        N_("repeats {row} (same order, invoice and tracking data), which is sent once"),
        {"row": _elsewhere(source, number)},
    )


def _elsewhere(source: Source, number: int) -> Message:
    """A row of another file (or sheet) than the one a message is about."""
    return Message(N_("{source} row {row}"), {"source": str(source), "row": number})
