"""Turning a row into the request to send, or into the reasons it cannot be sent."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

from .models import REQUIRED_FIELDS, CellKind, Row, RowError, TrackingUpdate
from .reader import MAX_EXACT_DIGITS

# Characters that cannot travel in a path segment of the OMS route: "/" breaks the route even
# percent-encoded, whitespace gives a 500, "#" and "?" end the path.
_UNROUTABLE = re.compile(r"[/#?\s]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CHARACTER_NAMES = {"/": 'a slash "/"', "#": 'a "#"', "?": 'a "?"'}
# "1.23457E+17", "1,23457E+17": a long number Excel showed in scientific notation.
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
IDENTIFIERS = ("orderId", "invoiceNumber", "trackingNumber")


def validate(row: Row) -> TrackingUpdate | list[RowError]:
    """The update for ``row``, or every problem that keeps it from being sent."""
    errors = list(row.read_errors)
    for name in REQUIRED_FIELDS:
        if not row.get(name):
            errors.append(
                RowError(
                    "missing-value",
                    name,
                    f"{name} is empty; every row needs {', '.join(REQUIRED_FIELDS)}",
                )
            )
    for name in IDENTIFIERS:
        if damage := _spreadsheet_damage(row, name):
            errors.append(damage)
    for name in (*IDENTIFIERS, "trackingUrl", "courier"):
        if _CONTROL.search(row.get(name)):
            errors.append(
                RowError(
                    "control-character",
                    name,
                    f"{row.get(name)!r} contains a line break or an invisible control "
                    "character; retype the cell",
                )
            )
    for name in ("orderId", "invoiceNumber"):
        value = row.get(name)
        found = _UNROUTABLE.search(value)
        if found or (value and not value.strip(".")):
            character = _CHARACTER_NAMES.get(found.group(), "a space") if found else "only dots"
            errors.append(
                RowError(
                    "unroutable-identifier",
                    name,
                    f"{value!r} contains {character}, which cannot travel in the "
                    f"request's address; correct the {name}",
                )
            )
    url = row.get("trackingUrl")
    if url and not _is_web_url(url):
        errors.append(
            RowError(
                "invalid-url",
                "trackingUrl",
                f"{url!r} is not an absolute web address; write it in full, starting with "
                "https:// (or leave the cell empty)",
            )
        )
    dispatched = row.get("dispatchedDate")
    date = parse_date(dispatched) if dispatched else None
    if dispatched and date is None:
        errors.append(
            RowError(
                "invalid-date",
                "dispatchedDate",
                f"{dispatched!r} is not a date; write it as 2026-11-24 or "
                "2026-11-24T15:30:00-03:00 (or leave the cell empty)",
            )
        )
    if errors:
        return errors
    return TrackingUpdate(
        order_id=row.get("orderId"),
        invoice_number=row.get("invoiceNumber"),
        tracking_number=row.get("trackingNumber"),
        tracking_url=url or None,
        courier=row.get("courier") or None,
        dispatched_date=date,
    )


def _spreadsheet_damage(row: Row, name: str) -> RowError | None:
    """An identifier that a spreadsheet has turned into something else: a rounded number, a
    date, a number with decimals."""
    value, kind = row.get(name), row.kinds.get(name)
    digits = value.lstrip("-")
    rounded = kind is CellKind.NUMBER and (
        "e" in digits.lower()
        or digits.endswith(".0")
        or (digits.isdigit() and len(digits) > MAX_EXACT_DIGITS)
    )
    if rounded or _SCIENTIFIC.match(value):
        return RowError(
            "number-precision-lost",
            name,
            f"{value!r} is a long number that the spreadsheet rounded (it keeps 15 digits), so "
            f"the real {name} is lost; format the column as Text, type or paste the "
            "numbers again, and save",
        )
    if kind is CellKind.NUMBER and not digits.isdigit():
        return RowError(
            "wrong-cell-type",
            name,
            f"{value!r} is a number with decimals, not an identifier; format the column as "
            "Text and type the value again",
        )
    if kind in (CellKind.DATE, CellKind.BOOLEAN):
        return RowError(
            "wrong-cell-type",
            name,
            f"{value!r} is stored as a {kind.value} cell, not as the {name}; format the column "
            "as Text and type the value again",
        )
    return None


def parse_date(text: str) -> str | None:
    """``text`` as an ISO 8601 date or date and time, as sent to VTEX; ``None`` if it is not
    one. A date without a time stays a date."""
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _is_web_url(text: str) -> bool:
    if any(c.isspace() for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
