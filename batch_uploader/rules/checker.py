"""Deciding each row before anything is sent: invalid, a repeat of an earlier row, or valid
(with warnings a person may want to look at)."""

from __future__ import annotations

import datetime as dt

from ..files.columns import FILE_CHANGED
from ..files.inputs import Reading
from ..models import SECRET_IN_ROW, Delivery, Outcome, Row, RowError, Status
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
        given = reading.date_order
        self._rules = {
            source: DateRules(
                order=given or order,
                mixed=mixed and given is None,
                timezone=reading.timezone,
                now=now,
            )
            for source, (order, mixed) in survey.date_orders.items()
        }
        self._default = DateRules(order=given, timezone=reading.timezone, now=now)

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
            errors.append(
                RowError(
                    row_codes.CONFLICTING_ROWS,
                    "",
                    f"this order and invoice have other tracking data in {_rows(row, others)}; "
                    "none of these rows is sent: keep the right one and upload it again",
                )
            )
        if errors or isinstance(checked, list):
            return Outcome(row, Status.INVALID, errors=tuple(errors))
        # Before the URL is made from it: the link must carry the code as it is sent.
        checked, warned = standardised(checked)
        notes: tuple[str, ...] = ()
        if self._templates is not None:
            checked, note = self._templates.fill(checked)
            notes = (note,) if note else ()
        if duplicates and (first := duplicates.get(ref)):
            delivery = Delivery(
                Status.SKIPPED,
                error_code=row_codes.DUPLICATE_ROW,
                error_message=f"repeats {_rows(row, (first,))} (same order, invoice and "
                "tracking data), which is sent once",
            )
            return Outcome(row, Status.SKIPPED, checked, delivery, notes=notes)
        return Outcome(row, Status.VALID, checked, warnings=tuple(warned), notes=notes)


def _rows(row: Row, refs: tuple[RowRef, ...]) -> str:
    """The rows ``refs`` for a message about ``row``: its own file is left implicit."""
    if all(source == row.source for source, _ in refs):
        numbers = ", ".join(str(number) for _, number in refs)
        return f"row{'s' if len(refs) > 1 else ''} {numbers}"
    return ", ".join(f"{source} row {number}" for source, number in refs)
